// The preset table.
#include "nn/models/presets.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace nn {
namespace {

ResNeXtOptions Trunk(std::vector<int> depths, int groups, int width_per_group, int base) {
  ResNeXtOptions options;
  options.depths = std::move(depths);
  options.groups = groups;
  options.width_per_group = width_per_group;
  options.base_width = base;
  options.num_classes = 0;
  options.sequential_names = true;
  return options;
}

LstmOptions BiLstm(int64_t input, int64_t hidden, int layers, float dropout) {
  LstmOptions options;
  options.input_size = input;
  options.hidden_size = hidden;
  options.num_layers = layers;
  options.bias = true;
  options.batch_first = true;
  options.bidirectional = true;
  options.dropout = dropout;
  return options;
}

ModelPreset MeanOfFramesPreset(const std::string& name, ResNeXtOptions trunk, int64_t hidden,
                               float lstm_dropout, float feature_dropout, int frames, int size) {
  ModelPreset preset;
  preset.name = name;
  preset.detector.backbone = trunk;
  preset.detector.lstm = BiLstm(trunk.feature_channels(), hidden, 2, lstm_dropout);
  preset.detector.num_outputs = 1;
  preset.detector.readout = DetectorReadout::kMeanOfFrames;
  preset.detector.feature_dropout = feature_dropout;
  preset.preprocessing.frames = frames;
  preset.preprocessing.image_size = size;
  preset.labels = {"REAL", "FAKE"};
  return preset;
}

ModelPreset Jadhav2020() {
  ModelPreset preset;
  preset.name = "jadhav2020";
  preset.detector.backbone = Trunk({3, 4, 6, 3}, 32, 4, 64);
  LstmOptions lstm;
  lstm.input_size = 2048;
  lstm.hidden_size = 2048;
  lstm.num_layers = 1;
  lstm.bias = false;  // nn.LSTM(latent_dim, hidden_dim, lstm_layers, bidirectional=False)
  lstm.batch_first = false;
  lstm.bidirectional = false;
  preset.detector.lstm = lstm;
  preset.detector.num_outputs = 2;
  preset.detector.readout = DetectorReadout::kPaperLastStep;
  preset.detector.logit_dropout = 0.4f;
  preset.preprocessing.frames = 20;
  preset.preprocessing.image_size = 112;
  // The paper normalizes OpenCV (BGR) frames with ImageNet's RGB mean/std as given.
  preset.preprocessing.channel_order = "BGR";
  preset.labels = {"FAKE", "REAL"};
  return preset;
}

}  // namespace

std::vector<std::string> PresetNames() { return {"default", "jadhav2020", "small", "tiny"}; }

absl::StatusOr<ModelPreset> GetPreset(const std::string& name) {
  if (name == "default") {
    return MeanOfFramesPreset(name, Trunk({3, 4, 6, 3}, 32, 4, 64), 256, 0.2f, 0.3f, 16, 224);
  }
  if (name == "jadhav2020") return Jadhav2020();
  if (name == "small") {
    return MeanOfFramesPreset(name, Trunk({1, 2, 2, 1}, 8, 8, 32), 64, 0.1f, 0.2f, 8, 112);
  }
  if (name == "tiny") {
    return MeanOfFramesPreset(name, Trunk({1, 1, 1, 1}, 4, 16, 8), 8, 0.0f, 0.0f, 4, 32);
  }
  return absl::NotFoundError(absl::StrCat("unknown model preset '", name,
                                          "'; known presets: ", absl::StrJoin(PresetNames(), ", ")));
}

}  // namespace nn
