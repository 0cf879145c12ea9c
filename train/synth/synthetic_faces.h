// Test helper: synthetic "faces" with known 68 landmarks. Each identity has its own skin
// colour and a texture attached to the face (stripes in face coordinates), so tests can
// tell whose face a region shows; the landmarks follow from the frame size and index.
#ifndef TRAIN_SYNTH_SYNTHETIC_FACES_H_
#define TRAIN_SYNTH_SYNTHETIC_FACES_H_

#include <optional>

#include "train/synth/face_track.h"
#include "train/synth/image.h"
#include "video/frame.h"

namespace train::synth::testing {

// The face of frame `index` in a width x height frame: the mean face, 55% of the smaller
// side wide, centred, drifting a few pixels with the index.
Landmarks SyntheticLandmarks(int width, int height, int64_t index);

// Identity 0: warm skin, horizontal stripes; 1: pale skin, vertical stripes; 2: dark skin,
// checkerboard; 3: medium skin, diagonal stripes. The background is a diagonal gradient that
// differs per identity.
Image RenderSyntheticFace(int width, int height, int64_t index, int identity);

// Landmark-aligned face distance: `image`'s face (at `landmarks`) is warped onto
// `reference_landmarks`, and the mean absolute difference to `reference` over the inner face
// is returned, each channel normalized to zero mean and unit deviation first (so a colour
// transfer alone does not count, only which face's structure is there).
double AlignedFaceDistance(const Image& image, const Landmarks& landmarks, const Image& reference,
                           const Landmarks& reference_landmarks);

// Landmarks from SyntheticLandmarks(frame.width, frame.height, frame.index).
class SyntheticLandmarkSource : public LandmarkSource {
 public:
  absl::StatusOr<std::optional<Landmarks>> Detect(
      const video::Frame& frame, const std::optional<Landmarks>& previous) const override;
};

}  // namespace train::synth::testing

#endif  // TRAIN_SYNTH_SYNTHETIC_FACES_H_
