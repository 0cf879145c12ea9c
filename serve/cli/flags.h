// Per-command flags: a FlagSet binds --name to a field of the command's own options, parses
// a command's arguments and writes its help. No process-global flag registry: a flag exists
// only for the commands that define it.
//
// Accepted forms: --name=value, --name value (the next argument, whatever it is), bool flags
// as --name, --name=true|false|1|0 and --noname; list flags as --name a b c (values up to
// the next argument starting with "--") or repeated --name=a --name=b; "--" ends the flags
// (everything after it is positional). "-name" is accepted for "--name".
#ifndef SERVE_CLI_FLAGS_H_
#define SERVE_CLI_FLAGS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace serve::cli {

// A relative `path` given by the user, made absolute against $BUILD_WORKING_DIRECTORY when
// it is set (`bazel run` runs binaries in the runfiles tree and sets it to the directory
// the user ran bazel in); otherwise, and for empty or absolute paths and URLs ("pipe:0",
// "http://...", "file:x"), `path` as given. Every path flag goes through this.
std::string ResolveUserPath(const std::string& path);
// The same with the working directory given (nullptr = not under `bazel run`).
std::string ResolveUserPath(const std::string& path, const char* working_directory);

// The known name closest to `name` by edit distance, when it is close enough to be a likely
// typo (at most 1 edit for names of up to 4 characters, else a third of the length), or "".
std::string ClosestName(absl::string_view name, const std::vector<std::string>& known);

// Help texts are wrapped at this many columns.
inline constexpr int kHelpWidth = 100;

// `text` as lines of at most `width` columns (longer words stay whole), each indented by
// `indent` spaces, ending in a newline.
std::string WrapText(absl::string_view text, int indent, int width);

class FlagSet {
 public:
  // Each Define* binds --name to *target, whose value at definition is the default (shown by
  // Help()). `group` titles the flags in the help ("" = the command's own). Defining a name
  // twice is a programmer error (abort).
  FlagSet& String(const std::string& name, std::string* target, const std::string& help);
  // A file or folder: resolved with ResolveUserPath after parsing.
  FlagSet& Path(const std::string& name, std::string* target, const std::string& help);
  FlagSet& Int(const std::string& name, int* target, const std::string& help);
  FlagSet& Int64(const std::string& name, int64_t* target, const std::string& help);
  FlagSet& Double(const std::string& name, double* target, const std::string& help);
  FlagSet& Bool(const std::string& name, bool* target, const std::string& help);
  FlagSet& StringList(const std::string& name, std::vector<std::string>* target,
                      const std::string& help);
  // The flag defined last must be given (strings and lists: non-empty).
  FlagSet& Required();
  // The group of the flags defined from now on ("" = the command's own).
  void SetGroup(const std::string& group) { group_ = group; }

  // Parses `args` (the arguments after the command name) into the bound fields; arguments
  // that are not flags go to *positional (nullptr: they are an error). Errors
  // (InvalidArgument) name the flag: "unknown flag '--fames' (did you mean '--frames'?)",
  // "--frames: 'x' is not an integer", "--out_dir needs a value",
  // "missing required flag --video_path".
  absl::Status Parse(const std::vector<std::string>& args, std::vector<std::string>* positional);

  // Whether --name was given in the last Parse.
  bool WasSet(const std::string& name) const;
  std::vector<std::string> Names() const;

  // One entry per flag, by group: "  --name=TYPE  (default: X)" or "(required)", then the
  // help text indented on the next line.
  std::string Help() const;

 private:
  enum class Kind { kString, kPath, kInt, kInt64, kDouble, kBool, kList };
  struct Flag {
    std::string name;
    Kind kind;
    std::string help;
    std::string group;
    std::string default_text;
    bool required = false;
    bool set = false;
    // Parses one value into the target; lists append.
    std::function<absl::Status(const std::string& value)> assign;
    std::function<bool()> empty;  // whether the target holds no value (required check)
    std::function<void()> resolve_path;
  };
  FlagSet& Add(Flag flag);
  Flag* Find(absl::string_view name);
  const Flag* Find(absl::string_view name) const;

  std::vector<Flag> flags_;
  std::string group_;
};

}  // namespace serve::cli

#endif  // SERVE_CLI_FLAGS_H_
