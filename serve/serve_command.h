// `deepfake serve`: the web dashboard and its REST API (serve/web/API.md) on this machine:
// upload videos in a browser (or with curl), watch the analyses run, read the results and
// the history. Runs until Ctrl-C / SIGTERM, then stops cleanly (running analyses are
// re-run at the next start).
#ifndef SERVE_SERVE_COMMAND_H_
#define SERVE_SERVE_COMMAND_H_

#include <memory>

#include "serve/cli/command.h"
#include "serve/cli/common_flags.h"

namespace serve {

// The detector flags serve shares with detect (no --preset: the checkpoint has one).
inline constexpr unsigned kServeCommonFlags = cli::kFramesFlag | cli::kSamplingFlag |
                                              cli::kThreadsFlag | cli::kDeviceFlag |
                                              cli::kFaceDetectorFlag;

std::unique_ptr<cli::Command> MakeServeCommand();

}  // namespace serve

#endif  // SERVE_SERVE_COMMAND_H_
