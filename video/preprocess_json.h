// PreprocessedVideo's metadata as JSON (everything but the tensors): what `deepfake faces`
// writes to faces.json and what the face cache stores beside the tensors.
#ifndef VIDEO_PREPROCESS_JSON_H_
#define VIDEO_PREPROCESS_JSON_H_

#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "video/preprocess.h"

namespace video {

// {"path", "width", "height", "preprocessing": {...}, "crop": {"mode", "margin"},
//  "frames": [{"index", "timestamp_seconds", "num_faces"}],
//  "tracks": [{"id", "num_detections", "mean_score", "median_face_size",
//              "frames": [{"frame_index", "timestamp_seconds", "filled", "score",
//                          "box": [left, top, right, bottom], "landmarks": [[x, y] x 68]}]}],
//  "tracking": {...}, "decode": {...}, "times_ms": {...}}
nlohmann::json PreprocessedVideoToJson(const PreprocessedVideo& video);

// The inverse, without tensors (tracks[i].faces is left undefined). An error names what
// is missing or malformed.
absl::StatusOr<PreprocessedVideo> PreprocessedVideoFromJson(const nlohmann::json& json);

}  // namespace video

#endif  // VIDEO_PREPROCESS_JSON_H_
