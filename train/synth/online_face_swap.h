// Training-time landmark face swaps (FaceForensics++'s FaceSwap, Face X-ray's blended
// images): the face of another real clip is warped triangle by triangle onto a real clip's
// landmarks, colour-matched and blended in, inside the data loader. Self-blends teach the
// boundary of a face blended with itself; swaps add two people's faces meeting at that
// boundary (texture, shape and lighting that disagree). Works on the loader's tensors:
// [T, 3, H, W] float RGB in [0, 1], before normalization, landmarks in crop pixels.
#ifndef TRAIN_SYNTH_ONLINE_FACE_SWAP_H_
#define TRAIN_SYNTH_ONLINE_FACE_SWAP_H_

#include <random>
#include <vector>

#include "nn/tensor.h"
#include "train/synth/landmark_smoothing.h"

namespace train::synth {

// Swaps frame t of `source` onto frame t of `target`, in place: one parameter set for the
// clip (SampleFaceSwapParams from `rng`), the triangulation of the target's mean landmarks,
// colour statistics carried from frame to frame. Both tensors [T, 3, H, W] float32 CPU of
// one shape, one set of 68 landmarks per frame each; other input is a programmer error.
void SwapFaceCrops(nn::Tensor* target, const std::vector<Landmarks>& target_landmarks,
                   const nn::Tensor& source, const std::vector<Landmarks>& source_landmarks,
                   std::mt19937_64& rng);

// The index of the candidate whose landmarks are nearest `target` (sum of squared point
// distances; the first of equals), as Face X-ray picks a swap's source. -1 if none.
int NearestLandmarks(const Landmarks& target, const std::vector<const Landmarks*>& candidates);

}  // namespace train::synth

#endif  // TRAIN_SYNTH_ONLINE_FACE_SWAP_H_
