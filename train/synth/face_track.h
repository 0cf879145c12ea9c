// Landmark tracks for the generator: 68 dlib landmarks of the main face in every frame of a
// clip (video::FaceDetector + video::LandmarkModel), gaps filled and jitter smoothed.
// The LandmarkSource interface lets tests supply known landmarks for synthetic faces.
#ifndef TRAIN_SYNTH_FACE_TRACK_H_
#define TRAIN_SYNTH_FACE_TRACK_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "train/synth/landmark_smoothing.h"
#include "video/face_detector.h"
#include "video/frame.h"
#include "video/landmarks.h"

namespace train::synth {

// Finds the 68 landmarks of the main face in one frame; nullopt when there is no face.
// Implementations must be safe to call from several threads.
class LandmarkSource {
 public:
  virtual ~LandmarkSource() = default;
  // `previous`: the previous frame's landmarks of the same clip, if any (for tracking).
  virtual absl::StatusOr<std::optional<Landmarks>> Detect(
      const video::Frame& frame, const std::optional<Landmarks>& previous) const = 0;
};

// dlib HOG detection (on a copy downscaled to `detection_side`) + the 68-point predictor.
// Picks the face nearest the previous frame's face, else the highest-scoring one.
class DlibLandmarkSource : public LandmarkSource {
 public:
  static absl::StatusOr<std::unique_ptr<DlibLandmarkSource>> Create(const std::string& model_path,
                                                                    int detection_side = 320);
  absl::StatusOr<std::optional<Landmarks>> Detect(
      const video::Frame& frame, const std::optional<Landmarks>& previous) const override;

 private:
  DlibLandmarkSource(std::shared_ptr<const video::LandmarkModel> model, int detection_side);
  std::shared_ptr<const video::LandmarkModel> model_;
  video::FaceDetector detector_;
};

// Landmarks of every frame, smoothed over time with `sigma_frames` (SmoothLandmarkTrack).
// `clip_name` names the clip in errors (e.g. when no frame has a face).
absl::StatusOr<std::vector<Landmarks>> TrackLandmarks(const std::vector<video::Frame>& frames,
                                                      const LandmarkSource& source,
                                                      double sigma_frames,
                                                      const std::string& clip_name);

}  // namespace train::synth

#endif  // TRAIN_SYNTH_FACE_TRACK_H_
