// What `deepfake detect` reports: the human-readable line per video, the result files
// (JSON / JSONL / CSV in the versioned layout of serve/api/result_json.h), the Grad-CAM
// PNGs of --explain, and the exit code of a set of results.
#ifndef SERVE_DETECT_OUTPUT_H_
#define SERVE_DETECT_OUTPUT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "serve/api/detector.h"

namespace serve {

// Exit codes of `deepfake detect` (serve/cli/command.h has the shared ones).
inline constexpr int kExitNoFake = 0;       // every video analysed, none fake
inline constexpr int kExitFakeFound = 1;    // at least one video FAKE, every video analysed
inline constexpr int kExitDetectUsage = 2;  // = cli::kExitUsage (also: no model, unusable output)
inline constexpr int kExitNotAnalysed = 3;  // = cli::kExitSomeInputsFailed; wins over 1

// 3 when any result is UNDETERMINED (it could not be analysed; this wins, so a script never
// takes an incomplete batch for a complete one), else 1 when any is FAKE, else 0.
int DetectExitCode(const std::vector<DetectionResult>& results);

// "FAKE          P(fake) 0.8731  threshold 0.5000  faces 2 (1 fake)  1.9 s  a.mp4";
// UNDETERMINED lines end with "  (REASON: MESSAGE)". No newline.
std::string HumanLine(const DetectionResult& result);

enum class ResultFormat { kJson, kJsonl, kCsv };
// From the file name's extension (.json, .jsonl, .csv; any case); InvalidArgument naming
// the file otherwise.
absl::StatusOr<ResultFormat> ResultFormatForPath(const std::string& path);

// The file's contents. JSON: an array of result objects (ResultToJson: each carries
// "schema_version"), indented; JSONL: one result object per line; CSV: CsvHeader() and one
// ResultToCsvRow per video. Per-frame entries (boxes, scores) are included, thumbnails not.
std::string FormatResults(const std::vector<DetectionResult>& results, ResultFormat format);

// The base name used for a video's --explain files: its file name without the extension,
// made unique within `used` (a "_2", "_3" ... suffix), which it is added to.
std::string UniqueStem(const std::string& video_path, std::vector<std::string>* used);

// Writes one PNG per face track with Grad-CAM heatmaps: DIR/STEM_track<ID>.png, the track's
// overlays (the crops with the heatmap blended in) left to right in frame order. Creates
// DIR. Returns the paths written (none for a result without heatmaps). Errors name the file.
absl::StatusOr<std::vector<std::string>> WriteExplanations(const DetectionResult& result,
                                                           const std::string& dir,
                                                           const std::string& stem);

}  // namespace serve

#endif  // SERVE_DETECT_OUTPUT_H_
