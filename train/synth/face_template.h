// A canonical 68-point face (dlib's mean face shape, with a jaw line added) and its position
// in an aligned face crop, for masks on crops that come without landmarks.
#ifndef TRAIN_SYNTH_FACE_TEMPLATE_H_
#define TRAIN_SYNTH_FACE_TEMPLATE_H_

#include "train/synth/landmark_smoothing.h"

namespace train::synth {

// dlib's mean shape (points 17..67, from get_face_chip_details) in its unit frame, plus an
// elliptic jaw line (points 0..16) through the temples and the chin.
Landmarks MeanFaceLandmarks();

// The mean face placed as video/align.h places a face in a `size` x `size` aligned crop
// with `margin` (the eye and mouth centres land on video's template points).
Landmarks AlignedCropLandmarks(int size, double margin);

// The least-squares similarity transform (scale, rotation, translation) mapping `from`
// onto `to` (same length, >= 2 points), applied to `points`.
Landmarks ApplySimilarity(const Landmarks& from, const Landmarks& to, const Landmarks& points);

}  // namespace train::synth

#endif  // TRAIN_SYNTH_FACE_TEMPLATE_H_
