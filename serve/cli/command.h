// The `deepfake` command registry: each subcommand is a Command with its own flags; the
// registry dispatches `deepfake COMMAND [flags]`, answers `deepfake help [COMMAND]`,
// `deepfake COMMAND --help` and `deepfake --version`, and turns unknown commands and flags
// into a message (with the closest known name) and exit code 2.
#ifndef SERVE_CLI_COMMAND_H_
#define SERVE_CLI_COMMAND_H_

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "serve/cli/flags.h"

namespace serve::cli {

// Process exit codes of every command (listed by `deepfake help`).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the command ran and failed (the error is on stderr)
inline constexpr int kExitUsage = 2;    // bad usage: unknown command or flag, bad flag value
// The command ran, but some of its inputs (videos) could not be analysed: they are listed
// with the reason, and the results cover the others.
inline constexpr int kExitSomeInputsFailed = 3;

class Command {
 public:
  virtual ~Command() = default;
  virtual std::string name() const = 0;
  virtual std::string summary() const = 0;  // one line, for `deepfake help`
  // The arguments after the command name in usage lines, e.g. "--video_path=VIDEO
  // --out_dir=DIR [flags]".
  virtual std::string usage() const { return "[flags]"; }
  // Whether Run may return kExitSomeInputsFailed (listed in the command's help).
  virtual bool MayPartlyFail() const { return false; }
  // The command's own exit codes, when they mean more than the generic ones (e.g. detect:
  // 1 = a video is fake): replaces the generic "Exit codes: ..." sentence of its help.
  virtual std::string ExitCodes() const { return ""; }
  // More help after the flags (output formats, examples); "" = none. Wrapped by the caller
  // per paragraph (lines starting with spaces are kept as they are).
  virtual std::string Details() const { return ""; }
  // Binds the command's flags to its own fields; called once, before parsing.
  virtual void DefineFlags(FlagSet& flags) = 0;
  // Whether positional arguments (not flags) are accepted; they are passed to Run.
  virtual bool TakesPositional() const { return false; }
  // Runs with the flags parsed into the command's fields. Returns an exit code: kExitOk,
  // kExitFailure or kExitUsage (after writing the reason to `err`).
  virtual int Run(const std::vector<std::string>& positional, std::ostream& out,
                  std::ostream& err) = 0;
};

class CommandRegistry {
 public:
  // `program` names the binary in messages ("deepfake"); `description` heads the help;
  // `version` is what --version prints.
  CommandRegistry(std::string program, std::string description,
                  std::function<std::string()> version);

  // Adds a command; its name must be new and not "help" (programmer error otherwise).
  void Add(std::unique_ptr<Command> command);

  // Runs `args` (argv without the program name) and returns the exit code.
  int Run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

  // `deepfake help`: commands with their summaries, the global forms, the exit codes.
  std::string Help() const;
  // `deepfake help COMMAND`: its summary, usage and flags. `command` must be registered.
  std::string CommandHelp(const std::string& command) const;

 private:
  Command* Find(const std::string& name) const;
  std::vector<std::string> CommandNames() const;
  int UnknownCommand(const std::string& name, std::ostream& err) const;

  std::string program_;
  std::string description_;
  std::function<std::string()> version_;
  std::vector<std::unique_ptr<Command>> commands_;
};

}  // namespace serve::cli

#endif  // SERVE_CLI_COMMAND_H_
