// The merge-results subcommand: read and validate every shard's results, check they agree,
// sort by path, write one file, print the summary.
#include "serve/merge_results_command.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/atomic_file.h"
#include "base/video_files.h"
#include "serve/api/result_json.h"
#include "serve/batch_shard.h"
#include "serve/cli/flags.h"
#include "serve/detect_output.h"

namespace serve {
namespace {

constexpr char kCommand[] = "deepfake merge-results";

// A result as JSON without what differs between two runs of the same analysis (timings).
std::string ComparableJson(const DetectionResult& result) {
  nlohmann::json json = ResultToJson(result);
  json.erase("times_ms");
  return json.dump();
}

std::string Short(const std::string& sha256) { return sha256.substr(0, 12); }

class MergeResultsCommand : public cli::Command {
 public:
  std::string name() const override { return "merge-results"; }
  std::string summary() const override {
    return "combine the result files of a sharded batch (detect --shard I/N) into one";
  }
  std::string usage() const override {
    return "--output_file=ALL.json|.jsonl|.csv SHARD.jsonl... [--batch_dir=DIR]";
  }
  bool TakesPositional() const override { return true; }
  std::string ExitCodes() const override {
    return "Exit codes: 0 merged; 1 an input is missing or not a results file, or the inputs "
           "disagree (a video with different results in two files, different models or "
           "thresholds): nothing is written; also when the output cannot be written; 2 usage "
           "error; 3 merged, but videos under --batch_dir have no result (listed: re-run their "
           "shards).";
  }
  std::string Details() const override {
    return "Inputs are result files of deepfake detect (.jsonl or .json in the layout of "
           "serve/api/result_schema.json; CSV cannot be read back). A video found in several "
           "inputs is kept once when its results agree apart from times_ms. The output is "
           "sorted by path, the order of an unsharded detect --batch_dir run, so merging the "
           "shards of a batch gives the unsharded run's file (apart from the timings). A "
           "summary line goes to stdout.\n\n"
           "Example (three shards):\n\n"
           "  deepfake detect --batch_dir=videos/ --shard=0/3 --output_file=out/shard0.jsonl\n"
           "  ... (1/3, 2/3)\n"
           "  deepfake merge-results --output_file=all.json --batch_dir=videos/ "
           "out/shard*.jsonl";
  }
  void DefineFlags(cli::FlagSet& flags) override {
    flags
        .Path("output_file", &output_file_,
              "the merged results; the extension picks the format: .json, .jsonl, .csv")
        .Required();
    flags.Path("batch_dir", &batch_dir_,
               "the batch's folder: list the videos under it that have no result (exit 3)");
  }
  int Run(const std::vector<std::string>& positional, std::ostream& out,
          std::ostream& err) override;

 private:
  int Usage(const std::string& message, std::ostream& err) const {
    err << kCommand << ": " << message << "\nusage: " << kCommand << " " << usage() << "\n";
    return cli::kExitUsage;
  }
  std::string output_file_;
  std::string batch_dir_;
};

int MergeResultsCommand::Run(const std::vector<std::string>& positional, std::ostream& out,
                             std::ostream& err) {
  if (positional.empty()) return Usage("no input files: give the shards' result files", err);
  absl::StatusOr<ResultFormat> format = ResultFormatForPath(output_file_);
  if (!format.ok()) return Usage(std::string(format.status().message()), err);
  std::vector<std::string> inputs;
  for (const std::string& input : positional) {
    const std::string path = cli::ResolveUserPath(input);
    if (path == output_file_) {
      return Usage(absl::StrCat("--output_file ", output_file_, " is also an input"), err);
    }
    inputs.push_back(path);
  }
  std::vector<std::string> under_dir;
  if (!batch_dir_.empty()) {
    absl::StatusOr<std::vector<std::string>> listed = base::ListVideoFiles(batch_dir_);
    if (!listed.ok()) return Usage(absl::StrCat("--batch_dir: ", listed.status().message()), err);
    under_dir = *std::move(listed);
  }

  std::vector<std::pair<std::string, std::vector<DetectionResult>>> read;
  for (const std::string& input : inputs) {
    absl::StatusOr<std::vector<DetectionResult>> results = ReadResultsFile(input);
    if (!results.ok()) {
      err << kCommand << ": " << results.status().message() << "\n";
      return cli::kExitFailure;
    }
    read.emplace_back(input, *std::move(results));
  }
  absl::StatusOr<std::vector<DetectionResult>> merged = MergeResults(std::move(read));
  if (!merged.ok()) {
    err << kCommand << ": " << merged.status().message() << "\n";
    return cli::kExitFailure;
  }
  if (absl::Status written =
          base::WriteFileAtomically(output_file_, FormatResults(*merged, *format));
      !written.ok()) {
    err << kCommand << ": " << written.message() << "\n";
    return cli::kExitFailure;
  }
  int fake = 0, undetermined = 0;
  for (const DetectionResult& r : *merged) {
    fake += r.verdict == Verdict::kFake;
    undetermined += r.verdict == Verdict::kUndetermined;
  }
  out << absl::StrFormat(
      "merged %d file(s): %d video(s), %d fake, %d real, %d undetermined -> %s\n", inputs.size(),
      merged->size(), fake, static_cast<int>(merged->size()) - fake - undetermined, undetermined,
      output_file_);
  if (!batch_dir_.empty()) {
    std::set<std::string> have;
    for (const DetectionResult& r : *merged) have.insert(r.path);
    std::vector<std::string> missing;
    for (const std::string& path : under_dir) {
      if (have.count(path) == 0) missing.push_back(path);
    }
    if (!missing.empty()) {
      err << kCommand << ": " << missing.size() << " of " << under_dir.size() << " video(s) under "
          << batch_dir_ << " have no result (re-run their shards):\n";
      for (const std::string& path : missing) err << "  " << path << "\n";
      return cli::kExitSomeInputsFailed;
    }
  }
  return cli::kExitOk;
}

}  // namespace

absl::StatusOr<std::vector<DetectionResult>> MergeResults(
    std::vector<std::pair<std::string, std::vector<DetectionResult>>> inputs) {
  struct Seen {
    const std::string* file;
    DetectionResult result;
  };
  std::map<std::string, Seen> by_path;
  const std::string* model_file = nullptr;
  ModelFacts model;
  double threshold = 0;
  for (auto& [file, results] : inputs) {
    for (DetectionResult& r : results) {
      if (model_file == nullptr) {
        model_file = &file;
        model = r.model;
        threshold = r.threshold;
      } else if (r.model.sha256 != model.sha256) {
        return absl::FailedPreconditionError(
            absl::StrCat("mixed models: ", *model_file, " has results of ", model.name, " (sha256 ",
                         Short(model.sha256), "), ", file, " of ", r.model.name, " (sha256 ",
                         Short(r.model.sha256), ", ", r.path, "); merge the shards of one run"));
      } else if (r.threshold != threshold) {
        return absl::FailedPreconditionError(
            absl::StrCat("mixed thresholds: ", *model_file, " used ", threshold, ", ", file,
                         " used ", r.threshold, " (", r.path, "); merge the shards of one run"));
      }
      const auto it = by_path.find(r.path);
      if (it == by_path.end()) {
        std::string path = r.path;  // before r is moved from
        by_path.emplace(std::move(path), Seen{&file, std::move(r)});
        continue;
      }
      if (ComparableJson(it->second.result) != ComparableJson(r)) {
        return absl::FailedPreconditionError(absl::StrFormat(
            "conflicting results for %s: %s says %s (P(fake) %.4f), %s says %s (P(fake) %.4f)",
            r.path, *it->second.file, VerdictName(it->second.result.verdict),
            it->second.result.fake_probability, file, VerdictName(r.verdict), r.fake_probability));
      }
    }
  }
  std::vector<DetectionResult> merged;
  merged.reserve(by_path.size());
  for (auto& [path, seen] : by_path) merged.push_back(std::move(seen.result));  // by path
  return merged;
}

std::unique_ptr<cli::Command> MakeMergeResultsCommand() {
  return std::make_unique<MergeResultsCommand>();
}

}  // namespace serve
