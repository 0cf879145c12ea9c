// deepfake: the command-line front end. Every subcommand is registered here and owns its
// flags (serve/cli/command.h): `deepfake help` lists them, `deepfake --version` reports the
// build; `deepfake detect` says whether videos are fake; `deepfake evaluate` measures a
// checkpoint on labelled videos; `deepfake merge-results` combines the
// shards of a batch; `deepfake serve` runs the web dashboard.
#include <iostream>
#include <string>
#include <vector>

#include "serve/cli/command.h"
#include "serve/detect_command.h"
#include "serve/evaluate_command.h"
#include "serve/faces_command.h"
#include "serve/merge_results_command.h"
#include "serve/serve_command.h"
#include "serve/version.h"

int main(int argc, char** argv) {
  serve::cli::CommandRegistry registry("deepfake", "deepfake: a video deepfake detector.",
                                       &serve::VersionReport);
  registry.Add(serve::MakeFacesCommand());
  registry.Add(serve::MakeDetectCommand());
  registry.Add(serve::MakeEvaluateCommand());
  registry.Add(serve::MakeMergeResultsCommand());
  registry.Add(serve::MakeServeCommand());
  const std::vector<std::string> args(argv + 1, argv + argc);
  return registry.Run(args, std::cout, std::cerr);
}
