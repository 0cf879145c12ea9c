// CommandRegistry: dispatch, help and usage errors of the `deepfake` CLI.
#include "serve/cli/command.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "nn/check.h"

namespace serve::cli {
namespace {

bool IsHelpFlag(const std::string& arg) { return arg == "--help" || arg == "-h" || arg == "-help"; }

// Whether the arguments ask for help (before any "--").
bool AsksForHelp(const std::vector<std::string>& args) {
  for (const std::string& arg : args) {
    if (arg == "--") return false;
    if (IsHelpFlag(arg)) return true;
  }
  return false;
}

}  // namespace

CommandRegistry::CommandRegistry(std::string program, std::string description,
                                 std::function<std::string()> version)
    : program_(std::move(program)),
      description_(std::move(description)),
      version_(std::move(version)) {}

void CommandRegistry::Add(std::unique_ptr<Command> command) {
  NN_CHECK(command != nullptr);
  NN_CHECK(command->name() != "help" && Find(command->name()) == nullptr)
      << "command '" << command->name() << "' registered twice (or named help)";
  commands_.push_back(std::move(command));
}

Command* CommandRegistry::Find(const std::string& name) const {
  for (const std::unique_ptr<Command>& command : commands_) {
    if (command->name() == name) return command.get();
  }
  return nullptr;
}

std::vector<std::string> CommandRegistry::CommandNames() const {
  std::vector<std::string> names;
  for (const std::unique_ptr<Command>& command : commands_) names.push_back(command->name());
  names.push_back("help");
  return names;
}

std::string CommandRegistry::Help() const {
  std::string out =
      absl::StrCat(description_, "\n\nUsage: ", program_, " COMMAND [flags]\n", "       ", program_,
                   " help [COMMAND]   (or ", program_, " COMMAND --help)\n", "       ", program_,
                   " --version\n\n", "Commands:\n");
  size_t width = 4;
  for (const std::unique_ptr<Command>& command : commands_) {
    width = std::max(width, command->name().size());
  }
  auto line = [&](const std::string& name, const std::string& summary) {
    absl::StrAppend(&out, "  ", name, std::string(width - name.size() + 2, ' '), summary, "\n");
  };
  for (const std::unique_ptr<Command>& command : commands_) {
    line(command->name(), command->summary());
  }
  line("help", "list the commands, or a command's flags (help COMMAND)");
  absl::StrAppend(
      &out, "\n",
      WrapText(absl::StrCat("Exit codes: ", kExitOk, " success; ", kExitFailure,
                            " the command failed (the error is on stderr); ", kExitUsage,
                            " bad usage (unknown command or flag, missing or bad "
                            "flag value); ",
                            kExitSomeInputsFailed,
                            " some inputs (videos) could not be analysed: they are listed, "
                            "and the results cover the others. Some commands give a code a more "
                            "specific meaning: see help COMMAND."),
               0, kHelpWidth));
  return out;
}

std::string CommandRegistry::CommandHelp(const std::string& name) const {
  Command* command = Find(name);
  NN_CHECK(command != nullptr) << "no command '" << name << "'";
  FlagSet flags;
  command->DefineFlags(flags);
  std::string exit_codes = command->ExitCodes();
  if (exit_codes.empty()) {
    exit_codes = absl::StrCat(
        "Exit codes: ", kExitOk, " success, ", kExitFailure, " failure, ", kExitUsage, " bad usage",
        command->MayPartlyFail() ? absl::StrCat(", ", kExitSomeInputsFailed,
                                                " some videos could not be analysed (listed)")
                                 : "",
        ".");
  }
  std::string details;
  for (absl::string_view paragraph :
       absl::StrSplit(command->Details(), "\n\n", absl::SkipEmpty())) {
    if (absl::StartsWith(paragraph, " ")) {
      absl::StrAppend(&details, "\n", paragraph, "\n");
    } else {
      absl::StrAppend(&details, "\n", WrapText(paragraph, 0, kHelpWidth));
    }
  }
  return absl::StrCat(program_, " ", name, ": ", command->summary(), "\n\nUsage: ", program_, " ",
                      name, " ", command->usage(), "\n\n", flags.Help(), details, "\n",
                      WrapText(exit_codes, 0, kHelpWidth));
}

int CommandRegistry::UnknownCommand(const std::string& name, std::ostream& err) const {
  const std::string closest = ClosestName(name, CommandNames());
  err << program_ << ": unknown command '" << name << "'"
      << (closest.empty() ? "" : absl::StrCat(" (did you mean '", closest, "'?)")) << "\n"
      << "Run '" << program_ << " help' for the list of commands.\n";
  return kExitUsage;
}

int CommandRegistry::Run(const std::vector<std::string>& args, std::ostream& out,
                         std::ostream& err) {
  if (args.empty()) {
    err << Help();
    return kExitUsage;
  }
  const std::string& first = args[0];
  if (first == "--version" || first == "-version") {
    out << version_();
    return kExitOk;
  }
  if (IsHelpFlag(first) || first == "help") {
    if (args.size() == 1 || IsHelpFlag(first)) {
      out << Help();
      return kExitOk;
    }
    if (args.size() > 2) {
      err << program_ << " help: unexpected argument '" << args[2] << "'\n";
      return kExitUsage;
    }
    if (args[1] == "help") {
      out << Help();
      return kExitOk;
    }
    if (Find(args[1]) == nullptr) return UnknownCommand(args[1], err);
    out << CommandHelp(args[1]);
    return kExitOk;
  }
  if (first.size() > 1 && first[0] == '-') {
    err << program_ << ": unknown flag '" << first << "' (a command comes first)\n"
        << "Run '" << program_ << " help' for the list of commands.\n";
    return kExitUsage;
  }
  Command* command = Find(first);
  if (command == nullptr) return UnknownCommand(first, err);
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (AsksForHelp(rest)) {
    out << CommandHelp(first);
    return kExitOk;
  }
  FlagSet flags;
  command->DefineFlags(flags);
  std::vector<std::string> positional;
  const absl::Status parsed = flags.Parse(rest, command->TakesPositional() ? &positional : nullptr);
  if (!parsed.ok()) {
    err << program_ << " " << first << ": " << parsed.message() << "\n"
        << "usage: " << program_ << " " << first << " " << command->usage() << "\n"
        << "Run '" << program_ << " help " << first << "' for its flags.\n";
    return kExitUsage;
  }
  return command->Run(positional, out, err);
}

}  // namespace serve::cli
