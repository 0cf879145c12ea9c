// Video -> per-track normalized face tensors: sampling, detection, landmarks, tracking,
// crops, normalization.
#include "video/preprocess.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <memory>
#include <mutex>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "nn/cpu/thread_pool.h"
#include "video/landmarks.h"
#include "video/library_versions.h"

namespace video {
namespace {

using Clock = std::chrono::steady_clock;

double MillisecondsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Calls fn(i) for i in [0, n), on the thread pool when `parallel`.
void ForEach(int64_t n, bool parallel, const std::function<void(int64_t)>& fn) {
  if (!parallel || n <= 1) {
    for (int64_t i = 0; i < n; ++i) fn(i);
    return;
  }
  nn::cpu::ParallelFor(n, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) fn(i);
  });
}

// Byte offset (0 = R, 1 = G, 2 = B) of each output plane, or an error.
absl::StatusOr<std::array<int, 3>> PlaneSources(const std::string& channel_order) {
  if (channel_order == "RGB") return std::array<int, 3>{0, 1, 2};
  if (channel_order == "BGR") return std::array<int, 3>{2, 1, 0};
  return absl::InvalidArgumentError(
      absl::StrCat("channel order '", channel_order, "' is not RGB or BGR"));
}

}  // namespace

PreprocessOptions PreprocessOptionsForPreset(const nn::ModelPreset& preset) {
  PreprocessOptions options;
  if (preset.name == "jadhav2020") {
    options.crop_mode = CropMode::kExactBox;
    options.margin = 1.0;
  }
  return options;
}

absl::StatusOr<nn::Tensor> CropsToTensor(const std::vector<std::vector<uint8_t>>& crops,
                                         const nn::Preprocessing& preprocessing) {
  absl::StatusOr<std::array<int, 3>> sources = PlaneSources(preprocessing.channel_order);
  if (!sources.ok()) return sources.status();
  const int64_t size = preprocessing.image_size;
  const int64_t plane = size * size;
  nn::Tensor faces =
      nn::Tensor::Empty(nn::Shape{static_cast<int64_t>(crops.size()), 3, size, size});
  float* out = faces.data<float>();
  for (size_t t = 0; t < crops.size(); ++t) {
    NN_CHECK_EQ(crops[t].size(), static_cast<size_t>(plane * 3)) << "crop " << t;
    for (int c = 0; c < 3; ++c) {
      const float scale = 1.0f / (255.0f * preprocessing.std[c]);
      const float offset = -preprocessing.mean[c] / preprocessing.std[c];
      const uint8_t* in = crops[t].data() + (*sources)[c];
      float* dst = out + (t * 3 + c) * plane;
      for (int64_t i = 0; i < plane; ++i) dst[i] = in[3 * i] * scale + offset;
    }
  }
  return faces;
}

std::vector<uint8_t> TensorFrameToRgb(const nn::Tensor& faces, int64_t t,
                                      const nn::Preprocessing& preprocessing) {
  NN_CHECK(faces.rank() == 4 && faces.dim(1) == 3) << "faces " << faces.shape();
  NN_CHECK(t >= 0 && t < faces.dim(0)) << "entry " << t << " of " << faces.shape();
  absl::StatusOr<std::array<int, 3>> sources = PlaneSources(preprocessing.channel_order);
  NN_CHECK(sources.ok()) << sources.status().message();
  const int64_t plane = faces.dim(2) * faces.dim(3);
  std::vector<uint8_t> rgb(plane * 3);
  const float* in = faces.data<float>() + t * 3 * plane;
  for (int c = 0; c < 3; ++c) {
    const float* src = in + c * plane;
    for (int64_t i = 0; i < plane; ++i) {
      const float value = (src[i] * preprocessing.std[c] + preprocessing.mean[c]) * 255.0f;
      rgb[3 * i + (*sources)[c]] = static_cast<uint8_t>(std::clamp(std::lround(value), 0L, 255L));
    }
  }
  return rgb;
}

absl::StatusOr<PreprocessedVideo> PreprocessFrames(const std::string& name,
                                                   const std::vector<Frame>& frames,
                                                   const nn::Preprocessing& preprocessing,
                                                   const PreprocessOptions& options) {
  const Clock::time_point start = Clock::now();
  if (preprocessing.image_size <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": crop size ", preprocessing.image_size, " is not positive"));
  }
  if (!PlaneSources(preprocessing.channel_order).ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, ": channel order '", preprocessing.channel_order, "' is not RGB or BGR"));
  }
  if (static_cast<int>(frames.size()) < std::max(1, options.min_frames)) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": only ", frames.size(), " decodable frame(s); at least ",
                     std::max(1, options.min_frames), " are needed for a face sequence"));
  }
  const std::string model_path = options.landmark_model_path.empty() ? DefaultLandmarkModelPath()
                                                                     : options.landmark_model_path;
  absl::StatusOr<std::shared_ptr<const LandmarkModel>> model = LandmarkModel::Load(model_path);
  if (!model.ok()) return model.status();

  PreprocessedVideo result;
  result.path = name;
  result.width = frames.front().width;
  result.height = frames.front().height;
  result.preprocessing = preprocessing;
  result.crop_mode = options.crop_mode;
  result.margin = options.margin;

  // Detection + landmarks, per frame.
  const Clock::time_point detect_start = Clock::now();
  const int num_frames = static_cast<int>(frames.size());
  FaceDetector detector(options.detector);
  std::vector<std::vector<FaceObservation>> observations(num_frames);
  std::vector<absl::Status> errors(num_frames);
  std::vector<double> detector_ms(num_frames, 0), landmarks_ms(num_frames, 0);
  std::vector<int> num_faces(num_frames, 0);
  ForEach(num_frames, options.parallel, [&](int64_t i) {
    const Clock::time_point t0 = Clock::now();
    absl::StatusOr<std::vector<FaceBox>> boxes = detector.Detect(frames[i]);
    detector_ms[i] = MillisecondsSince(t0);
    if (!boxes.ok()) {
      errors[i] = boxes.status();
      return;
    }
    num_faces[i] = static_cast<int>(boxes->size());
    const Clock::time_point t1 = Clock::now();
    for (const FaceBox& box : *boxes) {
      absl::StatusOr<FaceLandmarks> landmarks = (*model)->Predict(frames[i], box);
      if (!landmarks.ok()) {
        errors[i] = landmarks.status();
        return;
      }
      observations[i].push_back({box, *landmarks});
    }
    landmarks_ms[i] = MillisecondsSince(t1);
  });
  for (int i = 0; i < num_frames; ++i) {
    if (!errors[i].ok()) {
      return absl::Status(errors[i].code(), absl::StrCat(name, ": ", errors[i].message()));
    }
    result.times.detector_cpu_ms += detector_ms[i];
    result.times.landmarks_cpu_ms += landmarks_ms[i];
    result.frames.push_back({frames[i].index, frames[i].timestamp_seconds, num_faces[i]});
  }
  result.times.detect_ms = MillisecondsSince(detect_start);

  const Clock::time_point track_start = Clock::now();
  std::vector<FaceTrack> tracks = TrackFaces(observations, options.tracker, &result.tracking);
  result.times.track_ms = MillisecondsSince(track_start);
  if (tracks.empty()) {
    int frames_with_any_face = 0;
    for (int n : num_faces) frames_with_any_face += n > 0;
    if (frames_with_any_face == 0) {
      return absl::NotFoundError(
          absl::StrCat(name, ": no face found in any of ", num_frames, " sampled frames"));
    }
    return absl::NotFoundError(
        absl::StrCat(name, ": no face track: faces found in ", frames_with_any_face, " of ",
                     num_frames, " sampled frames, but ", result.tracking.faces_too_small,
                     " were smaller than ", options.tracker.min_face_size, " px and ",
                     result.tracking.tracks_too_brief, " track(s) were seen in too few frames"));
  }

  // Crops, in parallel over (track, frame), then one tensor per track.
  const Clock::time_point crop_start = Clock::now();
  CropOptions crop;
  crop.mode = options.crop_mode;
  crop.margin = options.margin;
  crop.size = preprocessing.image_size;
  const int num_tracks = static_cast<int>(tracks.size());
  std::vector<std::vector<std::vector<uint8_t>>> crops(
      num_tracks, std::vector<std::vector<uint8_t>>(num_frames));
  ForEach(static_cast<int64_t>(num_tracks) * num_frames, options.parallel, [&](int64_t k) {
    const int t = static_cast<int>(k / num_frames), f = static_cast<int>(k % num_frames);
    const TrackedFace& face = tracks[t].faces[f];
    crops[t][f] = CropFace(frames[f], face.box, &face.landmarks, crop);
  });
  for (int t = 0; t < num_tracks; ++t) {
    absl::StatusOr<nn::Tensor> faces = CropsToTensor(crops[t], preprocessing);
    if (!faces.ok()) return faces.status();
    result.tracks.push_back({std::move(tracks[t]), *std::move(faces)});
  }
  result.times.crop_ms = MillisecondsSince(crop_start);
  result.times.total_ms = MillisecondsSince(start);
  return result;
}

absl::StatusOr<PreprocessedVideo> PreprocessVideo(const std::string& path,
                                                  const nn::Preprocessing& preprocessing,
                                                  const PreprocessOptions& options) {
  const Clock::time_point start = Clock::now();
  if (preprocessing.frames <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", preprocessing.frames, " frames requested"));
  }
  SamplingOptions sampling = options.sampling;
  sampling.num_frames = preprocessing.frames;
  DecodeReport report;
  absl::StatusOr<std::vector<Frame>> frames = SampleFrames(path, sampling, &report);
  if (!frames.ok()) return frames.status();
  const double decode_ms = MillisecondsSince(start);
  absl::StatusOr<PreprocessedVideo> result =
      PreprocessFrames(path, *frames, preprocessing, options);
  if (!result.ok()) return result.status();
  result->decode_report = std::move(report);
  result->times.decode_ms = decode_ms;
  result->times.total_ms = MillisecondsSince(start);
  return result;
}

absl::StatusOr<PreprocessedVideo> PreprocessVideo(const std::string& path,
                                                  const nn::ModelPreset& preset) {
  return PreprocessVideo(path, preset.preprocessing, PreprocessOptionsForPreset(preset));
}

}  // namespace video
