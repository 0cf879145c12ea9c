// `deepfake merge-results`: the result files of a sharded batch (`deepfake detect --shard
// I/N`, serve/batch_shard.h) as one file, in the order an unsharded --batch_dir run writes
// (sorted by path), in any result format (.json / .jsonl / .csv by extension). Each input
// is validated (the versioned layout of serve/api/result_schema.json); a video in two
// inputs with different results, or inputs from different models or thresholds, are
// refused with the files named. With --batch_dir, videos under it without a result are
// listed (a shard that did not finish).
//
// Exit codes: 0 merged; 1 an input is missing, not a results file, or the inputs disagree
// (nothing written), or the output could not be written; 2 usage; 3 merged, but videos
// under --batch_dir have no result (they are listed).
#ifndef SERVE_MERGE_RESULTS_COMMAND_H_
#define SERVE_MERGE_RESULTS_COMMAND_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "serve/api/detector.h"
#include "serve/cli/command.h"

namespace serve {

// The results of `inputs` (files already read: name, results) merged: duplicates that
// agree (apart from times_ms) kept once, sorted by path. FailedPrecondition naming the
// files when a video has different results in two of them, or the results come from
// different models (sha256) or thresholds.
absl::StatusOr<std::vector<DetectionResult>> MergeResults(
    std::vector<std::pair<std::string, std::vector<DetectionResult>>> inputs);

std::unique_ptr<cli::Command> MakeMergeResultsCommand();

}  // namespace serve

#endif  // SERVE_MERGE_RESULTS_COMMAND_H_
