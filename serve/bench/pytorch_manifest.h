// What the PyTorch pipeline of the benchmark (tools/pytorch_ref/detect_pipeline.py) needs
// to make the same crops as ours without a face detector of its own (Debian has no dlib for
// Python): per video, the sampled frames and, per face track and frame, the aligned crop's
// affine map (video/align.h CropTransform), plus our crops themselves to check against, and
// what finding the faces cost us on one thread (which a Python pipeline calling dlib's
// binding would pay too).
#ifndef SERVE_BENCH_PYTORCH_MANIFEST_H_
#define SERVE_BENCH_PYTORCH_MANIFEST_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "nn/models/presets.h"
#include "video/preprocess.h"

namespace serve::bench {

// One manifest entry for `video` (preprocessed on one thread, options.parallel = false, so
// its stage times are single-thread work):
//   {"path", "width", "height", "frame_indices": [T], "timestamps": [T],
//    "tracks": [{"transforms": [[a, b, c, d, e, f] x T]}],
//    "crops_file": raw uint8 [tracks, T, size, size, 3] RGB (our crops, for the check),
//    "faces_ms": detector + landmarks + tracking on one thread, "decode_ms", "crop_ms"}.
// Writes the crops to `crops_path`. Errors name the file.
absl::StatusOr<nlohmann::json> ManifestEntry(const video::PreprocessedVideo& video,
                                             const std::string& crops_path);

// The preprocessing every entry shares: {"frames", "image_size", "mean", "std",
// "channel_order", "crop_mode", "margin"}.
nlohmann::json ManifestPreprocessing(const video::PreprocessedVideo& video);

// Preprocesses every clip with `preset` on one thread and returns the manifest
// {"preset", "preprocessing", "videos": [ManifestEntry...]}, the crops written to
// `work_dir`/crops_<i>.u8. A clip that cannot be preprocessed is left out (said on stderr).
absl::StatusOr<nlohmann::json> PytorchManifest(const std::vector<std::string>& clips,
                                               const nn::ModelPreset& preset,
                                               const std::string& landmark_model_path,
                                               const std::string& work_dir);

}  // namespace serve::bench

#endif  // SERVE_BENCH_PYTORCH_MANIFEST_H_
