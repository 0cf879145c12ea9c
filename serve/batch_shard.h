// Batch detection as array jobs (Slurm job arrays, Kubernetes indexed Jobs): which videos
// shard I of N analyses (`deepfake detect --shard I/N`), reading result files back, the
// resume rule (which earlier results a re-run reuses) and the journal that makes a
// running batch durable video by video (OUTPUT.partial, JSONL, fsync'ed per result).
//
// Sharding is by a stable hash (XXH64, base/hash.h) of each video's path relative to
// --batch_dir, not by its index in the sorted list: a video stays in its shard when other
// videos are added to or removed from the folder, so a re-run after the folder grew reuses
// every result already done. The cost is balance: shards differ in size by chance
// (binomially; about ±sqrt(V/N) videos).
#ifndef SERVE_BATCH_SHARD_H_
#define SERVE_BATCH_SHARD_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "serve/api/detector.h"

namespace serve {

struct Shard {
  int index = 0;  // 0-based
  int count = 1;
};

// "I/N" with 0 <= I < N (0-based, as $SLURM_ARRAY_TASK_ID with --array=0-(N-1) and
// $JOB_COMPLETION_INDEX). InvalidArgument naming --shard and the problem otherwise.
absl::StatusOr<Shard> ParseShard(absl::string_view text);

// The key a video is sharded by: its path relative to `root` ('/'-separated) when it lies
// under `root`, else the path as given.
std::string ShardKey(const std::string& path, const std::string& root);
// XXH64(key) mod count: stable across runs, machines and builds.
int ShardOfKey(absl::string_view key, int count);
// The paths of `paths` in shard `shard` (by ShardKey against `root`), in their order.
std::vector<std::string> SelectShard(const std::vector<std::string>& paths, const std::string& root,
                                     const Shard& shard);

// Results from a .json (an array of result objects, or one object) or .jsonl (one object
// per line) file in the layout of serve/api/result_schema.json (serve/api/result_json.h).
// Errors name the file and the place: "r.jsonl:3: $.verdict: missing", "r.json[2]: ...",
// "r.json: not JSON: ...", "r.csv: CSV holds no face tracks; ...".
absl::StatusOr<std::vector<DetectionResult>> ReadResultsFile(const std::string& path);

// The journal beside an output file: OUTPUT.partial.
std::string JournalPath(const std::string& output_file);
// The results in a journal, in order. A last line without its line break (the process was
// killed while writing it) is ignored; any other line that does not parse is an error
// naming the file and line. A missing journal is empty.
absl::StatusOr<std::vector<DetectionResult>> ReadJournal(const std::string& path);

// Appends results to a journal, one JSON line each, each fsync'ed before Append returns.
class ResultJournal {
 public:
  ResultJournal() = default;
  ~ResultJournal();
  ResultJournal(const ResultJournal&) = delete;
  ResultJournal& operator=(const ResultJournal&) = delete;

  // Replaces the journal atomically with `results` (the ones a resumed run keeps) and opens
  // it for appending. Errors name the file.
  absl::Status Open(const std::string& path, const std::vector<DetectionResult>& results);
  absl::Status Append(const DetectionResult& result);
  // Closes and deletes the journal (after the output file is written).
  absl::Status Remove();

 private:
  std::string path_;
  int fd_ = -1;
};

// Whether a re-run may keep `previous` for the video at previous.path instead of analysing
// it again: the file has the same size and SHA-256, the result came from the same model
// (sha256, preset, frames, image size) and threshold, and it is not a failure that may be
// transient (UNDETERMINED unreadable / damaged / canceled: a file still being copied, a
// network filesystem's hiccup, a killed run; those are retried). Deterministic outcomes
// (REAL, FAKE, no face, too few frames, ...) are kept. `video_sha256` is the file's now
// ("" when it cannot be read).
bool MayReuse(const DetectionResult& previous, int64_t video_size, const std::string& video_sha256,
              const ModelFacts& model, double threshold);

// What a resumed run starts from: for each of `paths`, the earlier result it may keep
// (MayReuse), read from `output_file` (when it exists) and its journal (later entries win).
// Errors: an output file or journal that exists but is not a results file (naming it).
absl::StatusOr<std::map<std::string, DetectionResult>> ReusableResults(
    const std::string& output_file, const std::vector<std::string>& paths, const ModelFacts& model,
    double threshold);

}  // namespace serve

#endif  // SERVE_BATCH_SHARD_H_
