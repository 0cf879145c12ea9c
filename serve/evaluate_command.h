// `deepfake evaluate`: scores labelled videos with a trained checkpoint and reports what
// an ML engineer compares models by: video- and frame-level ROC AUC, EER, average
// precision, log loss, accuracy at the checkpoint's threshold, the best balanced-accuracy
// threshold and the expected calibration error; writes DIR/per_video.csv,
// DIR/metrics.json and DIR/roc.png. Training's validation runs the same code (eval/).
#ifndef SERVE_EVALUATE_COMMAND_H_
#define SERVE_EVALUATE_COMMAND_H_

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "serve/cli/command.h"
#include "serve/cli/common_flags.h"

namespace serve {

// The common flags `evaluate` takes (the preset comes from the checkpoint).
inline constexpr unsigned kEvaluateCommonFlags = cli::kThreadsFlag | cli::kDeviceFlag;

// Exit code when the evaluation ran but some videos could not be analysed (they are
// listed, and the metrics cover the others).
inline constexpr int kExitSomeVideosNotAnalysed = cli::kExitSomeInputsFailed;

struct EvaluateCommandOptions {
  std::string model_path;
  // Either labelled path lists (globs, folders, .txt/.lst lists, files: train/data) ...
  std::vector<std::string> real_paths, fake_paths;
  // ... or a dataset manifest and one of its splits ("all" = every entry).
  std::string manifest;
  std::string split = "test";
  std::string out_dir;
  double threshold = -1;  // < 0: the checkpoint's
  std::string cache_dir;  // face cache ("" = none)
  int batch_size = 8;     // face tracks per forward pass
  std::string landmark_model;
};

// Usage errors (InvalidArgument naming the flag).
absl::Status CheckEvaluateOptions(const EvaluateCommandOptions& options);

struct EvaluateOutcome {
  int videos = 0, scored = 0, not_scored = 0;
};

// Runs the evaluation: progress and the summary on `out`, the files in options.out_dir.
// Errors (model, dataset, output folder) name the file.
absl::StatusOr<EvaluateOutcome> RunEvaluateCommand(const EvaluateCommandOptions& options,
                                                   const cli::CommonFlags::Applied& common,
                                                   std::ostream& out);

// The command for the registry: exit 0 ok, 1 failure, 2 usage, 3 some videos not analysed.
std::unique_ptr<cli::Command> MakeEvaluateCommand();

}  // namespace serve

#endif  // SERVE_EVALUATE_COMMAND_H_
