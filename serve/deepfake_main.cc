// deepfake: the command-line front end. Today it reports versions (`deepfake --version`);
// detection, face extraction and the dashboard arrive as subcommands.
#include <cstdio>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "serve/version.h"

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Video deepfake detector.\n"
      "Usage: deepfake --version");
  absl::FlagsUsageConfig config;
  config.version_string = &serve::VersionReport;
  config.normalize_filename = [](absl::string_view f) { return std::string(f); };
  absl::SetFlagsUsageConfig(config);
  // Handles --version (prints VersionReport() and exits 0) and --help.
  const std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() <= 1) {
    std::fprintf(stderr, "%s\n", absl::ProgramUsageMessage().data());
    return 2;
  }
  std::fprintf(stderr, "deepfake: unknown command '%s'\nTry: deepfake --version\n", args[1]);
  return 2;
}
