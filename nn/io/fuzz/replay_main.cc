// Replays a fuzz corpus through a target's FuzzOneInput without libFuzzer (any compiler),
// for the regression tests in `bazel test //...`. Arguments are files or directories of
// files; `--valid=NAME,NAME,...` names (by file name) the known-good seeds among them, which
// must also parse without error, so a target cannot silently stop reaching its parser. Exits
// non-zero when a valid input fails or is absent, or nothing was replayed; a crash is a
// crash.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "nn/io/fuzz/fuzz_target.h"

namespace {

std::vector<std::filesystem::path> Files(const std::string& arg) {
  std::vector<std::filesystem::path> files;
  if (std::filesystem::is_directory(arg)) {
    for (const auto& entry : std::filesystem::directory_iterator(arg)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
  } else {
    files.emplace_back(arg);
  }
  return files;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string valid_flag = "--valid=";
  std::set<std::string> valid_names;
  std::vector<std::string> inputs;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.compare(0, valid_flag.size(), valid_flag) == 0) {
      for (absl::string_view name : absl::StrSplit(arg.substr(valid_flag.size()), ',')) {
        valid_names.emplace(name);
      }
    } else {
      inputs.push_back(arg);
    }
  }
  int replayed = 0, failures = 0;
  std::set<std::string> valid_seen;
  for (const std::string& input : inputs) {
    for (const auto& file : Files(input)) {
      std::ifstream in(file, std::ios::binary);
      if (!in) {
        std::printf("FAIL: cannot read %s\n", file.c_str());
        ++failures;
        continue;
      }
      const std::string bytes((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
      const absl::Status status = nn::io::fuzz::FuzzOneInput(bytes);
      const bool must_parse = valid_names.count(file.filename().string()) > 0;
      std::printf("%s %s (%zu bytes): %s\n", must_parse ? "valid" : "input", file.c_str(),
                  bytes.size(), status.ok() ? "OK" : std::string(status.message()).c_str());
      if (must_parse) {
        valid_seen.insert(file.filename().string());
        if (!status.ok()) {
          std::printf("FAIL: %s is a known-good input but did not parse\n", file.c_str());
          ++failures;
        }
      }
      ++replayed;
    }
  }
  for (const std::string& name : valid_names) {
    if (valid_seen.count(name) == 0) {
      std::printf("FAIL: the known-good input %s was not among the inputs\n", name.c_str());
      ++failures;
    }
  }
  std::printf("%d inputs replayed without a crash, %d failures\n", replayed, failures);
  return replayed > 0 && failures == 0 ? 0 : 1;
}
