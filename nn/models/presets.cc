// The preset table: one entry per preset, every value set by a named setter.
#include "nn/models/presets.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace nn {
namespace {

// A ResNeXt trunk (no classifier, the paper's sequential child names).
class Trunk {
 public:
  Trunk() {
    options_.num_classes = 0;
    options_.sequential_names = true;
  }
  Trunk& Depths(std::vector<int> depths) {
    options_.depths = std::move(depths);
    return *this;
  }
  Trunk& Groups(int groups) {
    options_.groups = groups;
    return *this;
  }
  Trunk& WidthPerGroup(int width) {
    options_.width_per_group = width;
    return *this;
  }
  Trunk& BaseWidth(int width) {
    options_.base_width = width;
    return *this;
  }
  const ResNeXtOptions& options() const { return options_; }

 private:
  ResNeXtOptions options_;
};

// The temporal LSTM; its input size is the trunk's feature width (set by Preset::Build).
class Temporal {
 public:
  Temporal& Hidden(int64_t size) {
    options_.hidden_size = size;
    return *this;
  }
  Temporal& Layers(int layers) {
    options_.num_layers = layers;
    return *this;
  }
  Temporal& Bias(bool bias) {
    options_.bias = bias;
    return *this;
  }
  Temporal& BatchFirst(bool batch_first) {
    options_.batch_first = batch_first;
    return *this;
  }
  Temporal& Bidirectional(bool bidirectional) {
    options_.bidirectional = bidirectional;
    return *this;
  }
  Temporal& Dropout(float dropout) {
    options_.dropout = dropout;
    return *this;
  }
  const LstmOptions& options() const { return options_; }

 private:
  LstmOptions options_;
};

// One table entry. Unset fields keep the defaults of DetectorOptions, Preprocessing
// (ImageNet mean/std, RGB) and FaceInput (aligned 1.3x crops, evenly spaced frames).
class Preset {
 public:
  Preset(const char* name, const char* description) {
    preset_.name = name;
    preset_.description = description;
  }
  Preset& Backbone(const Trunk& trunk) {
    preset_.detector.backbone = trunk.options();
    return *this;
  }
  Preset& Lstm(const Temporal& lstm) {
    preset_.detector.lstm = lstm.options();
    return *this;
  }
  Preset& Outputs(int num_outputs) {
    preset_.detector.num_outputs = num_outputs;
    return *this;
  }
  Preset& Readout(DetectorReadout readout) {
    preset_.detector.readout = readout;
    return *this;
  }
  Preset& FeatureDropout(float p) {
    preset_.detector.feature_dropout = p;
    return *this;
  }
  Preset& LogitDropout(float p) {
    preset_.detector.logit_dropout = p;
    return *this;
  }
  Preset& Frames(int frames) {
    preset_.preprocessing.frames = frames;
    return *this;
  }
  Preset& ImageSize(int size) {
    preset_.preprocessing.image_size = size;
    return *this;
  }
  Preset& Channels(ChannelOrder order) {
    preset_.preprocessing.channel_order = order;
    return *this;
  }
  Preset& Crop(CropMode mode) {
    preset_.faces.crop_mode = mode;
    return *this;
  }
  Preset& Margin(double margin) {
    preset_.faces.margin = margin;
    return *this;
  }
  Preset& Sampling(FrameSampling sampling) {
    preset_.faces.sampling = sampling;
    return *this;
  }
  Preset& Labels(std::vector<std::string> labels) {
    preset_.labels = std::move(labels);
    return *this;
  }
  ModelPreset Build() const {
    ModelPreset preset = preset_;
    preset.detector.lstm.input_size = preset.detector.backbone.feature_channels();
    return preset;
  }

 private:
  ModelPreset preset_;
};

std::vector<ModelPreset> BuildTable() {
  const Preset entries[] = {
      Preset("default",
             "ResNeXt-50 32x4d + BiLSTM 2x256, 16 evenly spaced aligned 224 px RGB "
             "crops, P(fake)")
          .Backbone(Trunk().Depths({3, 4, 6, 3}).Groups(32).WidthPerGroup(4).BaseWidth(64))
          .Lstm(Temporal().Hidden(256).Layers(2).Bidirectional(true).BatchFirst(true).Dropout(0.2f))
          .Outputs(1)
          .Readout(DetectorReadout::kMeanOfFrames)
          .FeatureDropout(0.3f)
          .Frames(16)
          .ImageSize(224)
          .Labels({"REAL", "FAKE"}),
      // The paper's app: the first 20 frames, each cut to the detector's exact box; OpenCV
      // (BGR) frames normalized with ImageNet's RGB mean/std as given.
      Preset("jadhav2020",
             "the published ResNeXt+LSTM paper model (first 20 frames, exact "
             "112 px boxes, BGR, last-step readout)")
          .Backbone(Trunk().Depths({3, 4, 6, 3}).Groups(32).WidthPerGroup(4).BaseWidth(64))
          // nn.LSTM(latent_dim, hidden_dim, lstm_layers, bidirectional=False)
          .Lstm(
              Temporal().Hidden(2048).Layers(1).Bias(false).Bidirectional(false).BatchFirst(false))
          .Outputs(2)
          .Readout(DetectorReadout::kPaperLastStep)
          .LogitDropout(0.4f)
          .Frames(20)
          .ImageSize(112)
          .Channels(ChannelOrder::kBgr)
          .Crop(CropMode::kExactBox)
          .Margin(1.0)
          .Sampling(FrameSampling::kFirstConsecutive)
          .Labels({"FAKE", "REAL"}),
      Preset("small",
             "a narrower, shallower ResNeXt + BiLSTM 2x64 for CPU demos, 8 frames of "
             "112 px")
          .Backbone(Trunk().Depths({1, 2, 2, 1}).Groups(8).WidthPerGroup(8).BaseWidth(32))
          .Lstm(Temporal().Hidden(64).Layers(2).Bidirectional(true).BatchFirst(true).Dropout(0.1f))
          .Outputs(1)
          .Readout(DetectorReadout::kMeanOfFrames)
          .FeatureDropout(0.2f)
          .Frames(8)
          .ImageSize(112)
          .Labels({"REAL", "FAKE"}),
      Preset("tiny", "for tests: 4 frames of 32 px, a few thousand parameters per stage")
          .Backbone(Trunk().Depths({1, 1, 1, 1}).Groups(4).WidthPerGroup(16).BaseWidth(8))
          .Lstm(Temporal().Hidden(8).Layers(2).Bidirectional(true).BatchFirst(true).Dropout(0.0f))
          .Outputs(1)
          .Readout(DetectorReadout::kMeanOfFrames)
          .FeatureDropout(0.0f)
          .Frames(4)
          .ImageSize(32)
          .Labels({"REAL", "FAKE"}),
  };
  std::vector<ModelPreset> table;
  for (const Preset& entry : entries) table.push_back(entry.Build());
  return table;
}

}  // namespace

const std::vector<ModelPreset>& Presets() {
  static const auto* table = new std::vector<ModelPreset>(BuildTable());
  return *table;
}

std::vector<std::string> PresetNames() {
  std::vector<std::string> names;
  for (const ModelPreset& preset : Presets()) names.push_back(preset.name);
  return names;
}

absl::StatusOr<ModelPreset> GetPreset(const std::string& name) {
  for (const ModelPreset& preset : Presets()) {
    if (preset.name == name) return preset;
  }
  return absl::NotFoundError(absl::StrCat(
      "unknown model preset '", name, "'; known presets: ", absl::StrJoin(PresetNames(), ", ")));
}

const char* DetectorReadoutName(DetectorReadout readout) {
  switch (readout) {
    case DetectorReadout::kMeanOfFrames:
      return "mean_of_frames";
    case DetectorReadout::kPaperLastStep:
      return "paper_last_step";
  }
  return "?";
}

absl::StatusOr<DetectorReadout> ParseDetectorReadout(absl::string_view name) {
  for (DetectorReadout readout :
       {DetectorReadout::kMeanOfFrames, DetectorReadout::kPaperLastStep}) {
    if (name == DetectorReadoutName(readout)) return readout;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown detector readout '", name,
                                                 "' (allowed: mean_of_frames, paper_last_step)"));
}

}  // namespace nn
