// FlagSet: per-command flag definitions, parsing and help.
#include "serve/cli/flags.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "nn/check.h"

namespace serve::cli {
namespace {

// "scheme:" of a URL or an FFmpeg protocol (pipe:0, http://, file:x): two or more letters,
// digits, '+', '-' or '.', starting with a letter, then ':'.
bool HasUrlScheme(const std::string& path) {
  const size_t colon = path.find(':');
  if (colon == std::string::npos || colon < 2 || !std::isalpha(static_cast<unsigned char>(path[0])))
    return false;
  for (size_t i = 0; i < colon; ++i) {
    const unsigned char c = path[i];
    if (!std::isalnum(c) && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

// Edits (insert, delete, substitute, swap two neighbours) that turn `a` into `b`: the
// optimal string alignment distance, so "hlep" is one edit from "help".
size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min(
          {d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

absl::Status BadValue(const std::string& name, const std::string& value, const char* what) {
  return absl::InvalidArgumentError(absl::StrCat("--", name, ": '", value, "' is not ", what));
}

std::string Quoted(const std::string& s) { return absl::StrCat("\"", s, "\""); }

}  // namespace

std::string WrapText(absl::string_view text, int indent, int width) {
  const std::string margin(indent, ' ');
  std::string out = margin;
  size_t column = indent;
  bool line_empty = true;
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (!line_empty && column + 1 + word.size() > static_cast<size_t>(width)) {
      absl::StrAppend(&out, "\n", margin);
      column = indent;
      line_empty = true;
    }
    if (!line_empty) {
      out += ' ';
      ++column;
    }
    absl::StrAppend(&out, word);
    column += word.size();
    line_empty = false;
  }
  return out + "\n";
}

namespace {}  // namespace

std::string ResolveUserPath(const std::string& path, const char* working_directory) {
  if (path.empty() || working_directory == nullptr || *working_directory == '\0') return path;
  if (std::filesystem::path(path).is_absolute() || HasUrlScheme(path)) return path;
  return (std::filesystem::path(working_directory) / path).lexically_normal().string();
}

std::string ResolveUserPath(const std::string& path) {
  return ResolveUserPath(path, std::getenv("BUILD_WORKING_DIRECTORY"));
}

std::string ClosestName(absl::string_view name, const std::vector<std::string>& known) {
  const size_t allowed = name.size() <= 4 ? 1 : std::max<size_t>(2, name.size() / 3);
  std::string best;
  size_t best_distance = allowed + 1;
  for (const std::string& candidate : known) {
    const size_t d = EditDistance(name, candidate);
    if (d < best_distance) {
      best = candidate;
      best_distance = d;
    }
  }
  return best;
}

FlagSet& FlagSet::Add(Flag flag) {
  NN_CHECK(Find(flag.name) == nullptr) << "flag --" << flag.name << " defined twice";
  flag.group = group_;
  flags_.push_back(std::move(flag));
  return *this;
}

FlagSet& FlagSet::String(const std::string& name, std::string* target, const std::string& help) {
  Flag flag{name, Kind::kString, help};
  flag.default_text = Quoted(*target);
  flag.assign = [target](const std::string& value) {
    *target = value;
    return absl::OkStatus();
  };
  flag.empty = [target] { return target->empty(); };
  return Add(std::move(flag));
}

FlagSet& FlagSet::Path(const std::string& name, std::string* target, const std::string& help) {
  String(name, target, help);
  flags_.back().kind = Kind::kPath;
  flags_.back().resolve_path = [target] { *target = ResolveUserPath(*target); };
  return *this;
}

FlagSet& FlagSet::Int(const std::string& name, int* target, const std::string& help) {
  Flag flag{name, Kind::kInt, help};
  flag.default_text = std::to_string(*target);
  flag.assign = [name, target](const std::string& value) {
    return absl::SimpleAtoi(value, target) ? absl::OkStatus() : BadValue(name, value, "an integer");
  };
  flag.empty = [] { return false; };
  return Add(std::move(flag));
}

FlagSet& FlagSet::Int64(const std::string& name, int64_t* target, const std::string& help) {
  Flag flag{name, Kind::kInt64, help};
  flag.default_text = std::to_string(*target);
  flag.assign = [name, target](const std::string& value) {
    return absl::SimpleAtoi(value, target) ? absl::OkStatus() : BadValue(name, value, "an integer");
  };
  flag.empty = [] { return false; };
  return Add(std::move(flag));
}

FlagSet& FlagSet::Double(const std::string& name, double* target, const std::string& help) {
  Flag flag{name, Kind::kDouble, help};
  flag.default_text = absl::StrCat(*target);
  flag.assign = [name, target](const std::string& value) {
    return absl::SimpleAtod(value, target) ? absl::OkStatus() : BadValue(name, value, "a number");
  };
  flag.empty = [] { return false; };
  return Add(std::move(flag));
}

FlagSet& FlagSet::Bool(const std::string& name, bool* target, const std::string& help) {
  Flag flag{name, Kind::kBool, help};
  flag.default_text = *target ? "true" : "false";
  flag.assign = [name, target](const std::string& value) {
    return absl::SimpleAtob(value, target) ? absl::OkStatus()
                                           : BadValue(name, value, "true or false");
  };
  flag.empty = [] { return false; };
  return Add(std::move(flag));
}

FlagSet& FlagSet::StringList(const std::string& name, std::vector<std::string>* target,
                             const std::string& help) {
  Flag flag{name, Kind::kList, help};
  flag.default_text = target->empty() ? "none" : absl::StrJoin(*target, " ");
  flag.assign = [target, cleared = false](const std::string& value) mutable {
    if (!cleared) target->clear();  // the first value given replaces the default
    cleared = true;
    target->push_back(value);
    return absl::OkStatus();
  };
  flag.empty = [target] { return target->empty(); };
  return Add(std::move(flag));
}

FlagSet& FlagSet::Required() {
  NN_CHECK(!flags_.empty()) << "Required() before any flag";
  flags_.back().required = true;
  return *this;
}

FlagSet::Flag* FlagSet::Find(absl::string_view name) {
  for (Flag& flag : flags_) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

const FlagSet::Flag* FlagSet::Find(absl::string_view name) const {
  return const_cast<FlagSet*>(this)->Find(name);
}

std::vector<std::string> FlagSet::Names() const {
  std::vector<std::string> names;
  for (const Flag& flag : flags_) names.push_back(flag.name);
  return names;
}

bool FlagSet::WasSet(const std::string& name) const {
  const Flag* flag = Find(name);
  return flag != nullptr && flag->set;
}

absl::Status FlagSet::Parse(const std::vector<std::string>& args,
                            std::vector<std::string>* positional) {
  auto add_positional = [&](const std::string& arg) {
    if (positional == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument '", arg, "'"));
    }
    positional->push_back(arg);
    return absl::OkStatus();
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      for (++i; i < args.size(); ++i) {
        if (absl::Status s = add_positional(args[i]); !s.ok()) return s;
      }
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      if (absl::Status s = add_positional(arg); !s.ok()) return s;
      continue;
    }
    absl::string_view body = arg;
    if (!absl::ConsumePrefix(&body, "--")) absl::ConsumePrefix(&body, "-");
    const size_t equals = body.find('=');
    const std::string name(body.substr(0, equals));
    const bool has_value = equals != absl::string_view::npos;
    std::string value = has_value ? std::string(body.substr(equals + 1)) : "";
    Flag* flag = Find(name);
    if (flag == nullptr && !has_value && absl::StartsWith(name, "no")) {
      Flag* negated = Find(name.substr(2));
      if (negated != nullptr && negated->kind == Kind::kBool) {
        negated->set = true;
        if (absl::Status s = negated->assign("false"); !s.ok()) return s;
        continue;
      }
    }
    if (flag == nullptr) {
      const std::string closest = ClosestName(name, Names());
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag '--", name, "'",
                       closest.empty() ? "" : absl::StrCat(" (did you mean '--", closest, "'?)")));
    }
    flag->set = true;
    if (flag->kind == Kind::kBool) {
      if (absl::Status s = flag->assign(has_value ? value : "true"); !s.ok()) return s;
      continue;
    }
    if (flag->kind == Kind::kList) {
      if (has_value) {
        if (absl::Status s = flag->assign(value); !s.ok()) return s;
        continue;
      }
      size_t taken = 0;
      for (; i + 1 < args.size() && !absl::StartsWith(args[i + 1], "--"); ++i, ++taken) {
        if (absl::Status s = flag->assign(args[i + 1]); !s.ok()) return s;
      }
      if (taken == 0) return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
      continue;
    }
    if (!has_value) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
      }
      value = args[++i];
    }
    if (absl::Status s = flag->assign(value); !s.ok()) return s;
  }
  for (Flag& flag : flags_) {
    if (flag.required && (!flag.set || flag.empty())) {
      return absl::InvalidArgumentError(absl::StrCat("missing required flag --", flag.name));
    }
    if (flag.resolve_path) flag.resolve_path();
  }
  return absl::OkStatus();
}

std::string FlagSet::Help() const {
  static constexpr const char* kTypeNames[] = {"STRING", "PATH", "INT", "INT",
                                               "NUMBER", "BOOL", "LIST"};
  std::vector<std::string> groups;
  for (const Flag& flag : flags_) {
    if (std::find(groups.begin(), groups.end(), flag.group) == groups.end()) {
      groups.push_back(flag.group);
    }
  }
  std::string out;
  for (const std::string& group : groups) {
    absl::StrAppend(&out, out.empty() ? "" : "\n", group.empty() ? "Flags" : group, ":\n");
    for (const Flag& flag : flags_) {
      if (flag.group != group) continue;
      const char* type = kTypeNames[static_cast<int>(flag.kind)];
      const std::string form = flag.kind == Kind::kBool ? absl::StrCat("--", flag.name)
                               : flag.kind == Kind::kList
                                   ? absl::StrCat("--", flag.name, " ", type, "...")
                                   : absl::StrCat("--", flag.name, "=", type);
      absl::StrAppend(&out, "  ", form, "  (",
                      flag.required ? "required" : absl::StrCat("default: ", flag.default_text),
                      ")\n", WrapText(flag.help, 6, kHelpWidth));
    }
  }
  return out;
}

}  // namespace serve::cli
