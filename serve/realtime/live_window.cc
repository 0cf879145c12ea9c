// Per-frame face finding and per-window scoring of real-time mode.
#include "serve/realtime/live_window.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "base/thread_pool.h"
#include "nn/check.h"
#include "video/align.h"
#include "video/library_versions.h"

namespace serve::realtime {
namespace {

double MillisecondsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

}  // namespace

video::CropOptions CropOptionsOf(const Detector& detector) {
  video::CropOptions crop;
  crop.mode = detector.preprocess_options().crop_mode;
  crop.margin = detector.preprocess_options().margin;
  crop.size = detector.preset().preprocessing.image_size;
  return crop;
}

absl::StatusOr<std::unique_ptr<FrameAnalyser>> FrameAnalyser::Create(
    const video::PreprocessOptions& options, const video::CropOptions& crop) {
  const std::string path = options.landmark_model_path.empty() ? video::DefaultLandmarkModelPath()
                                                               : options.landmark_model_path;
  ASSIGN_OR_RETURN(std::shared_ptr<const video::LandmarkModel> landmarks,
                   video::LandmarkModel::Load(path));
  video::FaceDetector::Preload();
  return std::unique_ptr<FrameAnalyser>(new FrameAnalyser(options, crop, std::move(landmarks)));
}

FrameAnalyser::FrameAnalyser(const video::PreprocessOptions& options,
                             const video::CropOptions& crop,
                             std::shared_ptr<const video::LandmarkModel> landmarks)
    : detector_(options.detector),
      crop_(crop),
      min_face_size_(options.tracker.min_face_size),
      landmarks_(std::move(landmarks)) {}

absl::StatusOr<FramePtr> FrameAnalyser::Analyse(const std::string& source, video::Frame frame,
                                                Clock::time_point arrival) const {
  auto analysed = std::make_shared<AnalysedFrame>();
  analysed->frame = std::move(frame);
  analysed->arrival = arrival;
  absl::StatusOr<std::vector<video::FaceBox>> boxes = detector_.Detect(analysed->frame);
  if (!boxes.ok()) {
    return absl::Status(
        boxes.status().code(),
        absl::StrCat(source, ": frame ", analysed->frame.index, ": ", boxes.status().message()));
  }
  analysed->num_faces = static_cast<int>(boxes->size());
  for (const video::FaceBox& box : *boxes) {
    absl::StatusOr<video::FaceLandmarks> points = landmarks_->Predict(analysed->frame, box);
    if (!points.ok()) {
      return absl::Status(
          points.status().code(),
          absl::StrCat(source, ": frame ", analysed->frame.index, ": ", points.status().message()));
    }
    analysed->faces.push_back({box, *std::move(points)});
    const video::FaceObservation& face = analysed->faces.back();
    // Faces the tracker ignores (too small) are not cropped.
    analysed->crops.push_back(
        face.box.size() < min_face_size_
            ? std::vector<uint8_t>()
            : video::CropFace(analysed->frame, face.box, &face.landmarks, crop_));
  }
  return FramePtr(std::move(analysed));
}

void SlidingWindow::Add(FramePtr frame) {
  frames_.push_back(std::move(frame));
  while (static_cast<int>(frames_.size()) > capacity_) frames_.pop_front();
}

WindowScore ScoreWindow(const Detector& detector, const std::vector<FramePtr>& window) {
  WindowScore score;
  const int num_frames = static_cast<int>(window.size());
  score.num_frames = num_frames;
  if (num_frames == 0) {
    score.no_track_reason = "no_face";
    return score;
  }
  score.first_index = window.front()->frame.index;
  score.last_index = window.back()->frame.index;
  score.time_seconds = window.back()->frame.timestamp_seconds;
  for (const FramePtr& f : window) score.frame_indices.push_back(f->frame.index);
  const video::PreprocessOptions& options = detector.preprocess_options();

  Clock::time_point start = Clock::now();
  std::vector<std::vector<video::FaceObservation>> observations(num_frames);
  for (int f = 0; f < num_frames; ++f) observations[f] = window[f]->faces;
  video::TrackingSummary summary;
  std::vector<video::FaceTrack> tracks = video::TrackFaces(observations, options.tracker, &summary);
  score.track_ms = MillisecondsSince(start);
  if (tracks.empty()) {
    bool any_face = false;
    for (const FramePtr& f : window) any_face = any_face || f->num_faces > 0;
    score.no_track_reason = any_face ? "no_face_track" : "no_face";
    return score;
  }

  // Crops: a detected face's was made as its frame arrived; filled-in entries (no
  // detection there) are cropped now, on base's pool. Then one tensor per track.
  start = Clock::now();
  const nn::Preprocessing& preprocessing = detector.preset().preprocessing;
  const video::CropOptions crop = CropOptionsOf(detector);
  const int num_tracks = static_cast<int>(tracks.size());
  std::vector<std::vector<std::vector<uint8_t>>> crops(
      num_tracks, std::vector<std::vector<uint8_t>>(num_frames));
  std::vector<int64_t> to_crop;  // t * num_frames + f
  for (int t = 0; t < num_tracks; ++t) {
    for (int f = 0; f < num_frames; ++f) {
      const video::TrackedFace& face = tracks[t].faces[f];
      const AnalysedFrame& frame = *window[f];
      bool found = false;
      for (size_t d = 0; !face.filled && d < frame.crops.size() && !found; ++d) {
        const video::FaceBox& box = frame.faces[d].box;
        if (!frame.crops[d].empty() && box.left == face.box.left && box.top == face.box.top &&
            box.right == face.box.right && box.bottom == face.box.bottom) {
          crops[t][f] = frame.crops[d];
          found = true;
        }
      }
      if (!found) to_crop.push_back(static_cast<int64_t>(t) * num_frames + f);
    }
  }
  base::ParallelForEach(static_cast<int64_t>(to_crop.size()), [&](int64_t i) {
    const int t = static_cast<int>(to_crop[i] / num_frames);
    const int f = static_cast<int>(to_crop[i] % num_frames);
    const video::TrackedFace& face = tracks[t].faces[f];
    crops[t][f] = video::CropFace(window[f]->frame, face.box, &face.landmarks, crop);
  });
  std::vector<nn::Tensor> inputs;
  for (int t = 0; t < num_tracks; ++t) {
    absl::StatusOr<nn::Tensor> faces = video::CropsToTensor(crops[t], preprocessing);
    NN_CHECK(faces.ok()) << faces.status();  // crops are the preset's size by construction
    inputs.push_back(*std::move(faces));
  }
  score.crop_ms = MillisecondsSince(start);

  start = Clock::now();
  const std::vector<Detector::TrackScores> scores = detector.ScoreFaceTracks(inputs);
  score.model_ms = MillisecondsSince(start);
  NN_CHECK_EQ(scores.size(), inputs.size()) << "ScoreFaceTracks";
  for (int t = 0; t < num_tracks; ++t) {
    const video::TrackedFace& newest = tracks[t].faces.back();
    score.tracks.push_back({tracks[t].id, scores[t].fake_probability, newest.box, !newest.filled});
    score.fake_probability = std::max(score.fake_probability, scores[t].fake_probability);
  }
  return score;
}

}  // namespace serve::realtime
