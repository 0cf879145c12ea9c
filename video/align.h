// Face crops for the model: the aligned crop (a similarity transform fitted to the eye
// centres and the mouth, so the face is upright and the same size in every frame; a square
// of `margin` x the face box; bilinear resampling with area averaging when shrinking) and
// the jadhav2020 paper's crop (the detector's exact box clipped to the frame, no margin,
// no alignment, resized to a square as cv2.resize does).
#ifndef VIDEO_ALIGN_H_
#define VIDEO_ALIGN_H_

#include <array>
#include <cstdint>
#include <vector>

#include "nn/models/preprocessing.h"
#include "video/face_detector.h"
#include "video/frame.h"
#include "video/landmarks.h"

namespace video {

// kAligned: similarity-aligned square, `margin` x the face box (needs landmarks);
// kExactBox: the detector's box as is (jadhav2020). One enum with the presets' spec.
using CropMode = nn::CropMode;
using nn::CropModeName;  // "aligned", "exact_box"

struct CropOptions {
  CropMode mode = CropMode::kAligned;
  double margin = 1.3;  // side of the aligned crop / side of the face box (kAligned only)
  int size = 224;       // output is size x size
};

// Where the eye centres and the mouth centre of a frontal face lie in dlib's HOG box, as
// fractions of the box (0,0 = top-left, 1,1 = bottom-right). Measured as the mean over 45
// detections on the real-face clips, made left-right symmetric.
inline constexpr double kTemplateEyeY = 0.302;
inline constexpr double kTemplateLeftEyeX = 0.303;
inline constexpr double kTemplateRightEyeX = 0.697;
inline constexpr double kTemplateMouthX = 0.5;
inline constexpr double kTemplateMouthY = 0.764;

// An affine map from crop pixel centres to frame coordinates:
//   frame_x = a*u + b*v + c,  frame_y = d*u + e*v + f   (u, v: crop x, y + 0.5)
struct CropTransform {
  double a = 1, b = 0, c = 0, d = 0, e = 1, f = 0;
};

// The least-squares similarity transform taking the template points (eyes, mouth) of a
// unit face box to `landmarks`, composed with the margin and the output size.
CropTransform AlignedCropTransform(const FaceLandmarks& landmarks, double margin, int size);
// The paper's crop: `box` rounded to whole pixels and clipped to the frame, resized to
// size x size (plain bilinear, clamped to the box: what frame[top:bottom, left:right]
// followed by cv2.resize does). Returns false (and leaves *rgb empty) for a box with no
// pixels inside the frame.
bool ExactBoxCrop(const Frame& frame, const FaceBox& box, int size, std::vector<uint8_t>* rgb);

struct SampleOptions {
  // Average n x n bilinear taps per crop pixel when it covers n > 1 frame pixels (no
  // aliasing when shrinking large faces). Off = plain bilinear, as cv2.resize INTER_LINEAR.
  bool antialias = true;
  // Taps are clamped into [clamp_left, clamp_right) x [clamp_top, clamp_bottom) (integer
  // pixels, as cv2.resize clamps to the image it resizes) when clamp is set; otherwise taps
  // outside the frame are black.
  bool clamp = false;
  int clamp_left = 0, clamp_top = 0, clamp_right = 0, clamp_bottom = 0;
};

// Samples `frame` through `transform` into a size x size RGB image (packed, row-major).
std::vector<uint8_t> SampleCrop(const Frame& frame, const CropTransform& transform, int size,
                                const SampleOptions& options = {});

// The crop `options` asks for: kAligned uses `landmarks` (which must be given),
// kExactBox uses `box` (a box outside the frame gives a black crop).
std::vector<uint8_t> CropFace(const Frame& frame, const FaceBox& box,
                              const FaceLandmarks* landmarks, const CropOptions& options);

}  // namespace video

#endif  // VIDEO_ALIGN_H_
