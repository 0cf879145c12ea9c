// deepfake: the command-line front end. `deepfake --version` reports the build; subcommands
// do the work (`deepfake faces`); detection and the dashboard arrive as more subcommands.
#include <cstdio>
#include <cstring>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "serve/faces_command.h"
#include "serve/version.h"

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Video deepfake detector.\n"
      "Usage: deepfake --version\n"
      "       deepfake faces --video_path VIDEO --out_dir DIR [--preset default|jadhav2020]");
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
  if (std::strcmp(args[1], "faces") == 0 && args.size() == 2) return serve::FacesMain();
  if (std::strcmp(args[1], "faces") == 0) {
    std::fprintf(stderr, "deepfake faces: unexpected argument '%s'\n", args[2]);
    return 2;
  }
  std::fprintf(stderr, "deepfake: unknown command '%s'\nTry: deepfake --version\n", args[1]);
  return 2;
}
