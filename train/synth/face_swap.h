// Landmark face swap (the FaceForensics++ "FaceSwap" recipe): the face of a source identity
// is warped triangle by triangle onto a target frame's 68 landmarks, colour-matched in Lab,
// optionally degraded in resolution, and blended in with a feathered hull mask (alpha or
// Poisson). Frame-to-frame colour statistics are smoothed to keep the swap stable in time.
#ifndef TRAIN_SYNTH_FACE_SWAP_H_
#define TRAIN_SYNTH_FACE_SWAP_H_

#include <random>
#include <vector>

#include "train/synth/color_transfer.h"
#include "train/synth/delaunay.h"
#include "train/synth/image.h"
#include "train/synth/landmark_smoothing.h"
#include "train/synth/mask.h"

namespace train::synth {

enum class BlendMode { kAlpha, kPoisson };

struct FaceSwapParams {
  MaskOptions mask;
  BlendMode blend = BlendMode::kPoisson;
  double blend_ratio = 1.0;               // (0, 1]: weight of the swapped face inside the mask
  double color_strength = 1.0;            // [0, 1]: how fully the Lab statistics are matched
  float color_offset_lab[3] = {0, 0, 0};  // deliberate colour mismatch added after transfer
  double source_resolution = 1.0;  // (0, 1]: the face is downscaled to this and upscaled back
  double color_momentum = 0.8;     // EMA weight of past frames' colour statistics
};

// Colour statistics carried from frame to frame of one clip.
struct FaceSwapState {
  LabStats source, target;
};

// The triangulation used for a whole clip: Delaunay of the mean of the target track (a fixed
// topology, so triangles do not flip between frames).
std::vector<Triangle> FaceSwapTriangles(const std::vector<Landmarks>& target_track);

// Random parameters of one swap, spread like real deepfakes: mask shape, feathering and
// deformation, Poisson or alpha blend, blend ratio, colour match (sometimes deliberately
// off), and a lower-resolution source half the time.
FaceSwapParams SampleFaceSwapParams(std::mt19937_64& rng);

// Returns `target` with the face of `source` (at `source_landmarks`) swapped onto
// `target_landmarks`. `mask_out` (optional) receives the blend weight per pixel
// (blend_ratio * feathered mask): outside it the frame is unchanged.
Image SwapFace(const Image& source, const Landmarks& source_landmarks, const Image& target,
               const Landmarks& target_landmarks, const std::vector<Triangle>& triangles,
               const FaceSwapParams& params, FaceSwapState* state, Mask* mask_out);

}  // namespace train::synth

#endif  // TRAIN_SYNTH_FACE_SWAP_H_
