// Shard selection, result files read back, the resume rule and the fsync'ed journal.
#include "serve/batch_shard.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/atomic_file.h"
#include "base/hash.h"
#include "base/sha256.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"
#include "serve/api/result_json.h"

namespace serve {

namespace fs = std::filesystem;

absl::StatusOr<Shard> ParseShard(absl::string_view text) {
  const auto bad = [&](const std::string& problem) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--shard '", text, "': ", problem,
        " (expected I/N: shard I of N, 0-based, e.g. --shard 2/3 for the third of "
        "three; in a Slurm array --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT)"));
  };
  const std::vector<std::string> parts = absl::StrSplit(text, '/');
  Shard shard;
  if (parts.size() != 2) return bad("not of the form I/N");
  if (!absl::SimpleAtoi(parts[0], &shard.index) || !absl::SimpleAtoi(parts[1], &shard.count) ||
      absl::StripAsciiWhitespace(parts[0]) != parts[0] ||
      absl::StripAsciiWhitespace(parts[1]) != parts[1]) {
    return bad("I and N must be whole numbers");
  }
  if (shard.count < 1) return bad("N must be at least 1");
  if (shard.index < 0 || shard.index >= shard.count) {
    return bad(absl::StrCat("I must be in 0..", shard.count - 1));
  }
  return shard;
}

std::string ShardKey(const std::string& path, const std::string& root) {
  if (root.empty()) return path;
  const fs::path relative = fs::path(path).lexically_relative(root);
  const std::string key = relative.generic_string();
  if (key.empty() || key == "." || key.rfind("..", 0) == 0) return path;
  return key;
}

int ShardOfKey(absl::string_view key, int count) {
  return static_cast<int>(base::Xxh64Bytes(key.data(), key.size()) % static_cast<uint64_t>(count));
}

std::vector<std::string> SelectShard(const std::vector<std::string>& paths, const std::string& root,
                                     const Shard& shard) {
  std::vector<std::string> selected;
  for (const std::string& path : paths) {
    if (ShardOfKey(ShardKey(path, root), shard.count) == shard.index) selected.push_back(path);
  }
  return selected;
}

namespace {

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read failed"));
  return bytes.str();
}

absl::StatusOr<DetectionResult> ParseOne(const nlohmann::json& json, const std::string& where) {
  absl::StatusOr<DetectionResult> result = ResultFromJson(json);
  if (!result.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", result.status().message()));
  }
  return result;
}

// JSONL text -> results; with `tolerate_torn_end`, a last line without "\n" is dropped.
absl::StatusOr<std::vector<DetectionResult>> ParseLines(const std::string& path,
                                                        const std::string& text,
                                                        bool tolerate_torn_end) {
  std::vector<DetectionResult> results;
  size_t start = 0;
  for (int number = 1; start < text.size(); ++number) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) {
      if (tolerate_torn_end) break;
      end = text.size();
    }
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    const nlohmann::json json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    const std::string where = absl::StrCat(path, ":", number);
    if (json.is_discarded()) return absl::InvalidArgumentError(absl::StrCat(where, ": not JSON"));
    ASSIGN_OR_RETURN(DetectionResult result, ParseOne(json, where));
    results.push_back(std::move(result));
  }
  return results;
}

}  // namespace

absl::StatusOr<std::vector<DetectionResult>> ReadResultsFile(const std::string& path) {
  const std::string extension = absl::AsciiStrToLower(fs::path(path).extension().string());
  if (extension == ".csv") {
    return absl::InvalidArgumentError(
        absl::StrCat(path,
                     ": CSV holds no face tracks, so it cannot be read back; write "
                     "shards as .jsonl or .json (merge-results writes CSV from them)"));
  }
  if (extension != ".json" && extension != ".jsonl") {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": unknown format '", extension, "' (results are .json or .jsonl)"));
  }
  ASSIGN_OR_RETURN(const std::string text, ReadWholeFile(path));
  if (extension == ".jsonl") return ParseLines(path, text, /*tolerate_torn_end=*/false);
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return absl::InvalidArgumentError(absl::StrCat(path, ": not JSON"));
  std::vector<DetectionResult> results;
  if (!json.is_array()) {
    ASSIGN_OR_RETURN(DetectionResult result, ParseOne(json, path));
    results.push_back(std::move(result));
    return results;
  }
  for (size_t i = 0; i < json.size(); ++i) {
    ASSIGN_OR_RETURN(DetectionResult result, ParseOne(json[i], absl::StrCat(path, "[", i, "]")));
    results.push_back(std::move(result));
  }
  return results;
}

std::string JournalPath(const std::string& output_file) {
  return absl::StrCat(output_file, ".partial");
}

absl::StatusOr<std::vector<DetectionResult>> ReadJournal(const std::string& path) {
  std::error_code error;
  if (!fs::exists(path, error)) return std::vector<DetectionResult>();
  ASSIGN_OR_RETURN(const std::string text, ReadWholeFile(path));
  return ParseLines(path, text, /*tolerate_torn_end=*/true);
}

ResultJournal::~ResultJournal() {
  if (fd_ >= 0) ::close(fd_);
}

absl::Status ResultJournal::Open(const std::string& path,
                                 const std::vector<DetectionResult>& results) {
  path_ = path;
  std::string lines;
  for (const DetectionResult& r : results) absl::StrAppend(&lines, ResultToJson(r).dump(), "\n");
  RETURN_IF_ERROR(base::WriteFileAtomically(path, lines));
  fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd_ < 0) {
    return absl::PermissionDeniedError(
        absl::StrCat(path, ": cannot open the journal: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status ResultJournal::Append(const DetectionResult& result) {
  if (fd_ < 0) return absl::FailedPreconditionError(absl::StrCat(path_, ": journal not open"));
  const std::string line = ResultToJson(result).dump() + "\n";
  size_t written = 0;
  while (written < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return absl::DataLossError(absl::StrCat(path_, ": write failed: ", std::strerror(errno)));
    }
    written += static_cast<size_t>(n);
  }
  if (::fdatasync(fd_) != 0) {
    return absl::DataLossError(absl::StrCat(path_, ": fdatasync failed: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status ResultJournal::Remove() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (::unlink(path_.c_str()) != 0 && errno != ENOENT) {
    return absl::PermissionDeniedError(
        absl::StrCat(path_, ": cannot remove the journal: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

bool MayReuse(const DetectionResult& previous, int64_t video_size, const std::string& video_sha256,
              const ModelFacts& model, double threshold) {
  if (previous.verdict == Verdict::kUndetermined &&
      (previous.reason == UndeterminedReason::kUnreadable ||
       previous.reason == UndeterminedReason::kDamaged ||
       previous.reason == UndeterminedReason::kCanceled)) {
    return false;
  }
  return !video_sha256.empty() && previous.video.sha256 == video_sha256 &&
         previous.video.size_bytes == video_size && previous.model.sha256 == model.sha256 &&
         previous.model.preset == model.preset && previous.model.frames == model.frames &&
         previous.model.image_size == model.image_size && previous.threshold == threshold;
}

absl::StatusOr<std::map<std::string, DetectionResult>> ReusableResults(
    const std::string& output_file, const std::vector<std::string>& paths, const ModelFacts& model,
    double threshold) {
  std::map<std::string, DetectionResult> previous;
  std::error_code error;
  if (fs::exists(output_file, error)) {
    ASSIGN_OR_RETURN(std::vector<DetectionResult> done, ReadResultsFile(output_file));
    for (DetectionResult& r : done) previous[r.path] = std::move(r);
  }
  ASSIGN_OR_RETURN(std::vector<DetectionResult> journal, ReadJournal(JournalPath(output_file)));
  for (DetectionResult& r : journal) previous[r.path] = std::move(r);

  std::map<std::string, DetectionResult> reusable;
  for (const std::string& path : paths) {
    const auto it = previous.find(path);
    if (it == previous.end()) continue;
    const uintmax_t size = fs::file_size(path, error);
    if (error) continue;
    absl::StatusOr<std::string> sha256 = base::Sha256FileHex(path);
    if (!sha256.ok()) continue;
    if (MayReuse(it->second, static_cast<int64_t>(size), *sha256, model, threshold)) {
      reusable.emplace(path, std::move(it->second));
    }
  }
  return reusable;
}

}  // namespace serve
