// Named model configurations: one code path (nn/models/detector.h), several presets, each
// one typed value defined by one entry of the table in presets.cc.
//   default    ResNeXt-50 32x4d -> BiLSTM (2 layers, hidden 256) -> Linear(512, 1):
//              sigmoid(logit) = P(fake); 16 evenly spaced frames, aligned 224x224 RGB
//              crops, ImageNet mean/std.
//   jadhav2020 the published ResNeXt+LSTM paper model (checkpoints model_*_acc_*_frames_*.pt):
//              LSTM(2048, 2048, 1 layer, bias=False, batch_first=False), Linear(2048, 2),
//              labels FAKE=0 / REAL=1, the first 20 frames, the detector's exact box at
//              112x112, ImageNet mean/std applied to BGR frames, dropout 0.4 on the logits,
//              prediction from the last LSTM step.
//   small      a narrower, shallower ResNeXt for CPU demos (8 frames of 112x112).
//   tiny       for tests: 4 frames of 32x32, a few thousand parameters per stage.
// Code that uses a preset reads its fields (readout, channel order, crop, sampling) and
// never compares its name.
#ifndef NN_MODELS_PRESETS_H_
#define NN_MODELS_PRESETS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nn/models/detector.h"
#include "nn/models/preprocessing.h"

namespace nn {

struct ModelPreset {
  std::string name;
  std::string description;   // one line, for help texts
  DetectorOptions detector;  // architecture and readout
  Preprocessing preprocessing;
  FaceInput faces;  // crop and frame sampling
  // Meaning of the outputs: with one output, labels[1] is what sigmoid(logit) is the
  // probability of; with several, labels[k] names output k.
  std::vector<std::string> labels;
};

// Every preset, in table order.
const std::vector<ModelPreset>& Presets();
// Their names, in table order.
std::vector<std::string> PresetNames();
// NotFound "unknown model preset 'NAME'; known presets: default, jadhav2020, small, tiny".
absl::StatusOr<ModelPreset> GetPreset(const std::string& name);

// "mean_of_frames", "paper_last_step", and the parser (InvalidArgument naming the value and
// the allowed ones).
const char* DetectorReadoutName(DetectorReadout readout);
absl::StatusOr<DetectorReadout> ParseDetectorReadout(absl::string_view name);

}  // namespace nn

#endif  // NN_MODELS_PRESETS_H_
