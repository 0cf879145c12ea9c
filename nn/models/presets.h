// Named model configurations: one code path (nn/models/detector.h), several presets.
//   default    ResNeXt-50 32x4d -> BiLSTM (2 layers, hidden 256) -> Linear(512, 1):
//              sigmoid(logit) = P(fake); 16 frames of 224x224 RGB, ImageNet mean/std.
//   jadhav2020 the published ResNeXt+LSTM paper model (checkpoints model_*_acc_*_frames_*.pt):
//              LSTM(2048, 2048, 1 layer, bias=False, batch_first=False), Linear(2048, 2),
//              labels FAKE=0 / REAL=1, 112x112 crops, ImageNet mean/std applied to BGR
//              frames, dropout 0.4 on the logits, prediction from the last LSTM step.
//   small      a narrower, shallower ResNeXt for CPU demos (8 frames of 112x112).
//   tiny       for tests: 4 frames of 32x32, a few thousand parameters per stage.
#ifndef NN_MODELS_PRESETS_H_
#define NN_MODELS_PRESETS_H_

#include <array>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nn/models/detector.h"

namespace nn {

struct Preprocessing {
  int frames = 16;       // per video (or per face track)
  int image_size = 224;  // square crops
  std::array<float, 3> mean = {0.485f, 0.456f, 0.406f};  // in the channel order below
  std::array<float, 3> std = {0.229f, 0.224f, 0.225f};
  std::string channel_order = "RGB";  // "RGB" or "BGR": the order of the input planes
};

struct ModelPreset {
  std::string name;
  DetectorOptions detector;
  Preprocessing preprocessing;
  // Meaning of the outputs: with one output, labels[1] is what sigmoid(logit) is the
  // probability of; with several, labels[k] names output k.
  std::vector<std::string> labels;
};

absl::StatusOr<ModelPreset> GetPreset(const std::string& name);
std::vector<std::string> PresetNames();

}  // namespace nn

#endif  // NN_MODELS_PRESETS_H_
