#include "serve/detect_output.h"

#include <algorithm>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/atomic_file.h"
#include "base/status_macros.h"
#include "serve/api/result_json.h"

namespace serve {

namespace fs = std::filesystem;

int DetectExitCode(const std::vector<DetectionResult>& results) {
  bool fake = false;
  for (const DetectionResult& r : results) {
    if (r.verdict == Verdict::kUndetermined) return kExitNotAnalysed;
    fake = fake || r.verdict == Verdict::kFake;
  }
  return fake ? kExitFakeFound : kExitNoFake;
}

std::string HumanLine(const DetectionResult& r) {
  const std::string probability =
      r.fake_probability < 0 ? std::string("-     ") : absl::StrFormat("%.4f", r.fake_probability);
  int fake_tracks = 0;
  for (const TrackResult& t : r.tracks) fake_tracks += t.fake ? 1 : 0;
  std::string faces = absl::StrCat("faces ", r.tracks.size());
  if (r.tracks.size() > 1 && fake_tracks > 0) absl::StrAppend(&faces, " (", fake_tracks, " fake)");
  std::string line =
      absl::StrFormat("%-12s  P(fake) %s  threshold %.4f  %s  %.1f s  %s", VerdictName(r.verdict),
                      probability, r.threshold, faces, r.times.total / 1000, r.path);
  if (r.verdict == Verdict::kUndetermined) {
    absl::StrAppend(&line, "  (", ReasonCode(r.reason), r.message.empty() ? "" : ": ", r.message,
                    ")");
  }
  return line;
}

absl::StatusOr<ResultFormat> ResultFormatForPath(const std::string& path) {
  const std::string extension = absl::AsciiStrToLower(fs::path(path).extension().string());
  if (extension == ".json") return ResultFormat::kJson;
  if (extension == ".jsonl") return ResultFormat::kJsonl;
  if (extension == ".csv") return ResultFormat::kCsv;
  return absl::InvalidArgumentError(
      absl::StrCat("--output_file ", path, ": unknown format '", extension,
                   "' (the extension chooses it: .json, .jsonl or .csv)"));
}

std::string FormatResults(const std::vector<DetectionResult>& results, ResultFormat format) {
  switch (format) {
    case ResultFormat::kJson: {
      nlohmann::json array = nlohmann::json::array();
      for (const DetectionResult& r : results) array.push_back(ResultToJson(r));
      return array.dump(2) + "\n";
    }
    case ResultFormat::kJsonl: {
      std::string out;
      for (const DetectionResult& r : results) absl::StrAppend(&out, ResultToJson(r).dump(), "\n");
      return out;
    }
    case ResultFormat::kCsv: {
      std::string out = CsvHeader() + "\n";
      for (const DetectionResult& r : results) absl::StrAppend(&out, ResultToCsvRow(r), "\n");
      return out;
    }
  }
  return "";
}

std::string UniqueStem(const std::string& video_path, std::vector<std::string>* used) {
  std::string base = fs::path(video_path).stem().string();
  if (base.empty()) base = "video";
  std::string stem = base;
  for (int n = 2; std::find(used->begin(), used->end(), stem) != used->end(); ++n) {
    stem = absl::StrCat(base, "_", n);
  }
  used->push_back(stem);
  return stem;
}

absl::StatusOr<std::vector<std::string>> WriteExplanations(const DetectionResult& result,
                                                           const std::string& dir,
                                                           const std::string& stem) {
  std::vector<std::string> written;
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) {
    return absl::PermissionDeniedError(
        absl::StrCat("--explain ", dir, ": cannot create the folder: ", error.message()));
  }
  for (const TrackResult& track : result.tracks) {
    int width = 0, height = 0;
    for (const Heatmap& h : track.heatmaps) {
      width += h.overlay.width;
      height = std::max(height, h.overlay.height);
    }
    if (width == 0 || height == 0) continue;
    Image strip;
    strip.width = width;
    strip.height = height;
    strip.rgb.assign(static_cast<size_t>(width) * height * 3, 0);
    int x0 = 0;
    for (const Heatmap& h : track.heatmaps) {
      const Image& o = h.overlay;
      for (int y = 0; y < o.height; ++y) {
        std::copy_n(o.rgb.data() + static_cast<size_t>(y) * o.width * 3, o.width * 3,
                    strip.rgb.data() + (static_cast<size_t>(y) * width + x0) * 3);
      }
      x0 += o.width;
    }
    const std::string path =
        (fs::path(dir) / absl::StrCat(stem, "_track", track.track_id, ".png")).string();
    RETURN_IF_ERROR(base::WriteFileAtomically(path, EncodePng(strip)));
    written.push_back(path);
  }
  return written;
}

}  // namespace serve
