// dlib-backed landmark source and whole-clip landmark tracking.
#include "train/synth/face_track.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace train::synth {

DlibLandmarkSource::DlibLandmarkSource(std::shared_ptr<const video::LandmarkModel> model,
                                       int detection_side)
    : model_(std::move(model)), detector_([&] {
        video::FaceDetectorOptions options;
        options.max_detection_side = detection_side;
        return options;
      }()) {}

absl::StatusOr<std::unique_ptr<DlibLandmarkSource>> DlibLandmarkSource::Create(
    const std::string& model_path, int detection_side) {
  ASSIGN_OR_RETURN(std::shared_ptr<const video::LandmarkModel> model,
                   video::LandmarkModel::Load(model_path));
  return std::unique_ptr<DlibLandmarkSource>(new DlibLandmarkSource(model, detection_side));
}

absl::StatusOr<std::optional<Landmarks>> DlibLandmarkSource::Detect(
    const video::Frame& frame, const std::optional<Landmarks>& previous) const {
  ASSIGN_OR_RETURN(const std::vector<video::FaceBox> boxes, detector_.Detect(frame));
  const video::FaceBox* chosen = nullptr;
  if (!boxes.empty()) {
    chosen = &boxes[0];
    if (previous.has_value()) {
      double px = 0, py = 0;
      for (const Point& p : *previous) px += p.x / previous->size(), py += p.y / previous->size();
      double best = 1e300;
      for (const video::FaceBox& box : boxes) {
        const double d = std::hypot(box.center_x() - px, box.center_y() - py);
        if (d < best) best = d, chosen = &box;
      }
    }
  }
  video::FaceBox box;
  if (chosen != nullptr) {
    box = *chosen;
  } else if (previous.has_value()) {
    // Missed detection: predict within the previous landmarks' box (the face moved little).
    double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
    for (const Point& p : *previous) {
      x0 = std::min(x0, p.x), y0 = std::min(y0, p.y), x1 = std::max(x1, p.x),
      y1 = std::max(y1, p.y);
    }
    box.left = x0, box.top = y0, box.right = x1, box.bottom = y1;
  } else {
    return std::optional<Landmarks>();
  }
  ASSIGN_OR_RETURN(const video::FaceLandmarks predicted, model_->Predict(frame, box));
  Landmarks lm(video::FaceLandmarks::kNumPoints);
  for (int i = 0; i < video::FaceLandmarks::kNumPoints; ++i) {
    lm[i] = {predicted.points[i].x, predicted.points[i].y};
  }
  return std::optional<Landmarks>(std::move(lm));
}

absl::StatusOr<std::vector<Landmarks>> TrackLandmarks(const std::vector<video::Frame>& frames,
                                                      const LandmarkSource& source,
                                                      double sigma_frames,
                                                      const std::string& clip_name) {
  std::vector<std::optional<Landmarks>> raw(frames.size());
  std::optional<Landmarks> previous;
  for (size_t t = 0; t < frames.size(); ++t) {
    auto detected = source.Detect(frames[t], previous);
    if (!detected.ok()) {
      return absl::Status(detected.status().code(), absl::StrCat(clip_name, ": frame ", t, ": ",
                                                                 detected.status().message()));
    }
    raw[t] = *detected;
    if (raw[t].has_value()) previous = raw[t];
  }
  auto smoothed = SmoothLandmarkTrack(raw, sigma_frames);
  if (!smoothed.ok()) {
    return absl::Status(smoothed.status().code(),
                        absl::StrCat(clip_name, ": ", smoothed.status().message()));
  }
  return smoothed;
}

}  // namespace train::synth
