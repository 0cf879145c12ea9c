// Temporal smoothing of per-frame landmark tracks: fills frames where detection failed and
// removes detector jitter with a zero-phase Gaussian filter over time, so a face swapped
// along the track does not shimmer more than a real deepfake does.
#ifndef TRAIN_SYNTH_LANDMARK_SMOOTHING_H_
#define TRAIN_SYNTH_LANDMARK_SMOOTHING_H_

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "train/synth/image.h"

namespace train::synth {

using Landmarks = std::vector<Point>;  // dlib's 68 points

// Missing frames (nullopt) take the linear interpolation of the nearest detected frames
// (or the nearest one at the ends); then each coordinate is convolved over time with a
// Gaussian of `sigma_frames` (the track is extended past its ends by point reflection). An error
// when no frame has landmarks.
absl::StatusOr<std::vector<Landmarks>> SmoothLandmarkTrack(
    const std::vector<std::optional<Landmarks>>& track, double sigma_frames);

// Mean over frames and points of |l(t+1) - 2 l(t) + l(t-1)| (pixels): the high-frequency
// motion that jitter adds and smooth head motion does not.
double LandmarkJitter(const std::vector<Landmarks>& track);

}  // namespace train::synth

#endif  // TRAIN_SYNTH_LANDMARK_SMOOTHING_H_
