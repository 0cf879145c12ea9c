// `deepfake detect`: is this video fake, how sure, and why? One video (--video_path), a
// batch (--batch_paths a.mp4 b.mp4 ... | --batch_dir DIR) or a live source (--realtime),
// through serve::Detector (serve/api/detector.h), so the answer is the API's. A line per
// video on stdout (serve/detect_output.h), a progress bar for batches on stderr, the
// results as JSON/JSONL/CSV with --output_file, Grad-CAM PNGs with --explain DIR, the
// annotated video with --annotate OUT.mp4 (serve/annotate/). Without --model_path the
// shipped model is used once there is one (serve/shipped_model.h).
//
// Exit codes (serve/detect_output.h): 0 every video analysed and none fake, 1 at least one
// fake, 2 usage or setup error (nothing analysed), 3 at least one video could not be
// analysed (the others are reported; 3 wins over 1).
//
// Array jobs: --shard I/N analyses the videos of shard I (serve/batch_shard.h), each result
// appended to OUTPUT.partial and fsync'ed as it finishes, the output written atomically at
// the end; a re-run (or --resume) skips videos already done. `deepfake merge-results`
// (serve/merge_results_command.h) combines the shards.
#ifndef SERVE_DETECT_COMMAND_H_
#define SERVE_DETECT_COMMAND_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "serve/cli/command.h"
#include "serve/cli/common_flags.h"

namespace serve {

inline constexpr unsigned kDetectCommonFlags = cli::kPresetFlag | cli::kFramesFlag |
                                               cli::kSamplingFlag | cli::kThreadsFlag |
                                               cli::kDeviceFlag | cli::kFaceDetectorFlag;

struct DetectCommandOptions {
  std::string model_path;                // "" = the shipped model
  std::string video_path;                // one video, or the live source with --realtime
  std::vector<std::string> batch_paths;  // files (folders are listed recursively)
  std::string batch_dir;                 // every video under it, recursively
  std::string output_file;               // .json / .jsonl / .csv ("" = none)
  double confidence_threshold = -1;      // < 0: the checkpoint's
  std::string explain_dir;               // Grad-CAM PNGs ("" = none)
  std::string annotate_path;             // annotated MP4 ("" = none)
  int batch_size = 8;                    // face tracks per forward pass
  std::string landmark_model;            // "" = the libdlib-data install
  // Array jobs (serve/batch_shard.h): "I/N" = analyse shard I of N of the batch ("" = all);
  // resume = reuse the results of an earlier run in --output_file and its journal (implied
  // by shard).
  std::string shard;
  bool resume = false;
  // --realtime and its flags.
  bool realtime = false;
  int every = 8;
  int window = 0;
  double max_seconds = 0;
  std::string input_format;
  bool show_window = false;
  double read_timeout = 30;
};

// Usage errors (InvalidArgument naming the flag): no or several input forms, a threshold
// outside [0, 1], an output file of unknown format, --annotate without a single video,
// --realtime with batch flags, realtime flags without --realtime, bad counts, a bad --shard
// or --shard / --resume without a batch and a .json / .jsonl --output_file.
absl::Status CheckDetectOptions(const DetectCommandOptions& options);

// The command for the registry.
std::unique_ptr<cli::Command> MakeDetectCommand();

}  // namespace serve

#endif  // SERVE_DETECT_COMMAND_H_
