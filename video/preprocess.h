// The one preprocessing function training and inference both call: a video becomes, per
// face track, a normalized tensor [T, 3, H, W] in the model preset's size, mean/std and
// channel order, plus what produced it (sampled frame indices and timestamps, boxes,
// landmarks, detector scores, which entries were filled). Stages: sample frames (decoder)
// -> detect faces on downscaled frames + 68 landmarks at full resolution (on worker threads,
// each frame as soon as it is decoded) -> link into tracks -> aligned (or, for jadhav2020,
// exact-box) crops -> tensor.
#ifndef VIDEO_PREPROCESS_H_
#define VIDEO_PREPROCESS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nn/models/presets.h"
#include "nn/tensor.h"
#include "video/align.h"
#include "video/decoder.h"
#include "video/face_detector.h"
#include "video/face_tracker.h"
#include "video/frame.h"
#include "video/sampling.h"

namespace video {

struct PreprocessOptions {
  CropMode crop_mode = CropMode::kAligned;
  double margin = 1.3;  // kAligned: crop side / face box side
  // How frames are picked; num_frames is ignored (it is the preset's `frames`).
  SamplingOptions sampling;
  FaceDetectorOptions detector;
  FaceTrackerOptions tracker;
  // shape_predictor_68_face_landmarks.dat; empty = DefaultLandmarkModelPath().
  std::string landmark_model_path;
  // Fewer decodable frames than this is an error (a single frame has no motion to judge).
  int min_frames = 2;
  // The sampled frames stay in memory until their faces are cropped (frames x width x
  // height x 3 bytes); more than this is an error before decoding (0 = no limit).
  int64_t max_frame_memory_bytes = int64_t{8} << 30;
  // Detect on base::GetNumThreads() - 1 worker threads beside the decoding thread, and
  // crop on base's pool (base/thread_pool.h); false: everything on the calling thread.
  bool parallel = true;
  // PreprocessVideo: called on the calling thread after each sampled frame is decoded
  // (sampled so far, frames wanted), e.g. for a progress display; null = none.
  std::function<void(int sampled, int total)> on_frame_sampled;
  // When set and it becomes true, face finding stops before the next frame and the call
  // returns a Cancelled error ("PATH: canceled"); decoding already under way finishes.
  const std::atomic<bool>* cancel = nullptr;
};

// How the preset was trained: its frame sampling, crop mode and margin (preset.faces; e.g.
// jadhav2020: the first N consecutive frames and the detector's exact box).
PreprocessOptions PreprocessOptionsForPreset(const nn::ModelPreset& preset);

struct SampledFrameInfo {
  int64_t index = 0;  // frame number in the video
  double timestamp_seconds = 0;
  int num_faces = 0;  // faces the detector found (before size filtering)
  // Which detector's faces these are (kHog or kCnn), whether kAuto fell back to the CNN
  // because HOG found nothing, and at what scale it ran (detector px per frame px).
  FaceDetectorKind detector = FaceDetectorKind::kHog;
  bool detector_fell_back = false;
  double detection_scale = 1;
  // The CNN found this frame's faces in its picture area alone (a small picture in a large
  // frame; FaceDetectorOptions::cnn_picture_search): that area, frame pixels; else empty.
  FaceBox picture_area;
  // kAuto's searches of this frame around lost tracks' predicted boxes (cnn_roi_fallback)
  // and the faces they found (included in num_faces; their observations say from_roi).
  int cnn_roi_searches = 0;
  int cnn_roi_found = 0;
  double detect_ms = 0;  // detection (both detectors when it fell back, the region searches)
};

struct PreprocessedTrack {
  FaceTrack track;   // per sampled frame: box, landmarks, filled; id; statistics
  nn::Tensor faces;  // [T, 3, H, W] float32, normalized, planes in the channel order
};

// Wall-clock milliseconds per stage. Detection (with landmarks) starts on each frame as
// soon as it is decoded, on worker threads, so decode_ms includes detection of the frames
// decoded so far and detect_ms is only what detection needed after decoding ended
// (PreprocessFrames: all of it). The *_cpu_ms fields sum the per-frame work across
// threads, to say where the time goes.
struct StageTimes {
  double decode_ms = 0;
  double detect_ms = 0;
  double detector_cpu_ms = 0;
  double landmarks_cpu_ms = 0;
  double track_ms = 0;
  double crop_ms = 0;  // crops + normalization into tensors
  double total_ms = 0;
};

struct PreprocessedVideo {
  std::string path;
  int width = 0, height = 0;  // of the decoded (rotated) frames
  nn::Preprocessing preprocessing;
  CropMode crop_mode = CropMode::kAligned;
  double margin = 1.3;
  std::vector<SampledFrameInfo> frames;   // T entries
  std::vector<PreprocessedTrack> tracks;  // one per person, by first appearance
  TrackingSummary tracking;
  DecodeReport decode_report;  // damage found while decoding (warnings name the file)
  // The decoder's facts (codec, container, frame rate, duration, rotation); PreprocessFrames
  // sets only path, width and height.
  VideoInfo info;
  StageTimes times;
};

// What stopped PreprocessVideo / PreprocessFrames, attached to their errors as a payload so
// callers classify failures without parsing messages.
enum class PreprocessFailure {
  kOther,         // none attached (bad arguments, the landmark model, an internal error)
  kUnreadable,    // cannot be opened: missing, empty, not a video, unsupported codec, too large
  kDamaged,       // a video container that cannot be opened or decoded past its damage
  kTooFewFrames,  // fewer decodable frames than min_frames
  kNoFace,        // no face in any sampled frame
  kFaceTooSmall,  // faces found, but every one below tracker.min_face_size
  kNoFaceTrack,   // large-enough faces found, but none in enough frames to form a track
};
const char* PreprocessFailureName(PreprocessFailure failure);  // "unreadable", ...
// The failure kind of a status returned by PreprocessVideo / PreprocessFrames (kOther for
// OK and for statuses without one).
PreprocessFailure PreprocessFailureOf(const absl::Status& status);
// `status` with `failure` attached (what PreprocessVideo does to its errors).
absl::Status WithPreprocessFailure(absl::Status status, PreprocessFailure failure);

// Samples preprocessing.frames frames of the video at `path` and preprocesses them.
// Errors name the file: those of decoding (missing, empty, not a video, too large, ...),
// "PATH: N frames of WxH need X GiB ..." (over max_frame_memory_bytes),
// "PATH: no face found in any of N sampled frames", "PATH: no face track: ..." (faces too
// small or too brief), "PATH: only N decodable frame(s) ...".
absl::StatusOr<PreprocessedVideo> PreprocessVideo(const std::string& path,
                                                  const nn::Preprocessing& preprocessing,
                                                  const PreprocessOptions& options);
// With the preset's preprocessing and crop (PreprocessOptionsForPreset).
absl::StatusOr<PreprocessedVideo> PreprocessVideo(const std::string& path,
                                                  const nn::ModelPreset& preset);

// The same on frames already decoded (a webcam, tests); `name` is used in messages.
absl::StatusOr<PreprocessedVideo> PreprocessFrames(const std::string& name,
                                                   const std::vector<Frame>& frames,
                                                   const nn::Preprocessing& preprocessing,
                                                   const PreprocessOptions& options);

// Packed RGB crops (size x size x 3 bytes each) -> [T, 3, size, size], x/255, planes in
// `preprocessing.channel_order`, minus mean, over std (both given in that order).
absl::StatusOr<nn::Tensor> CropsToTensor(const std::vector<std::vector<uint8_t>>& crops,
                                         const nn::Preprocessing& preprocessing);
// The inverse for entry t of such a tensor: packed RGB bytes (for PNGs and inspection).
std::vector<uint8_t> TensorFrameToRgb(const nn::Tensor& faces, int64_t t,
                                      const nn::Preprocessing& preprocessing);

}  // namespace video

#endif  // VIDEO_PREPROCESS_H_
