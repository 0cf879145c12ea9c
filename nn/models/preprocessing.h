// What a model preset expects of its input, as typed values: the tensor (frames, crop size,
// mean/std, channel order), how faces are cropped and how frames are sampled. video/ reads
// these (video/preprocess.h) without knowing any preset by name. The enums' names are
// written to files (checkpoint metadata, faces.json, face-cache keys): they never change.
#ifndef NN_MODELS_PREPROCESSING_H_
#define NN_MODELS_PREPROCESSING_H_

#include <array>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace nn {

// The order of the input tensor's colour planes.
enum class ChannelOrder { kRgb, kBgr };

// How a face becomes a square crop.
enum class CropMode {
  kAligned,   // similarity-aligned square, `margin` x the face box (needs landmarks)
  kExactBox,  // the detector's box as is (the jadhav2020 paper's app)
};

// Which frames of a video become the model's input. The values are part of face-cache keys
// (video/face_cache.cc): append, never renumber.
enum class FrameSampling {
  kEvenlySpaced = 0,      // N frames evenly spaced over the whole video
  kFirstConsecutive = 1,  // the first N consecutive frames (what the paper did)
  kEveryKth = 2,          // every k-th frame from the start
};

// Names, as written to files and given on command lines, and their parsers. Parsing an
// unknown name is an InvalidArgument error naming the value and the allowed ones, e.g.
// "unknown channel order 'GRB' (allowed: RGB, BGR)".
const char* ChannelOrderName(ChannelOrder order);  // "RGB", "BGR"
absl::StatusOr<ChannelOrder> ParseChannelOrder(absl::string_view name);
const char* CropModeName(CropMode mode);  // "aligned", "exact_box"
absl::StatusOr<CropMode> ParseCropMode(absl::string_view name);
const char* FrameSamplingName(FrameSampling sampling);  // "evenly", "first", "every"
absl::StatusOr<FrameSampling> ParseFrameSampling(absl::string_view name);

// The input tensor of a preset: per video (or face track) [frames, 3, image_size,
// image_size], x/255, planes in `channel_order`, minus mean, over std.
struct Preprocessing {
  int frames = 16;                                       // per video (or per face track)
  int image_size = 224;                                  // square crops
  std::array<float, 3> mean = {0.485f, 0.456f, 0.406f};  // in the channel order below
  std::array<float, 3> std = {0.229f, 0.224f, 0.225f};
  ChannelOrder channel_order = ChannelOrder::kRgb;
};

// How faces are found in a video for a preset: the crop and the frame sampling it was
// trained with.
struct FaceInput {
  CropMode crop_mode = CropMode::kAligned;
  double margin = 1.3;  // kAligned: crop side / face box side
  FrameSampling sampling = FrameSampling::kEvenlySpaced;
};

}  // namespace nn

#endif  // NN_MODELS_PREPROCESSING_H_
