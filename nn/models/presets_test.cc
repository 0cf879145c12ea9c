// The preset table's consistency, the enum names' round trips and the errors for unknown
// names.
#include "nn/models/presets.h"

#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nn/models/preprocessing.h"

namespace nn {
namespace {

TEST(PresetsTest, TableIsConsistent) {
  std::set<std::string> names;
  for (const ModelPreset& preset : Presets()) {
    SCOPED_TRACE(preset.name);
    EXPECT_FALSE(preset.name.empty());
    EXPECT_TRUE(names.insert(preset.name).second) << "duplicate preset name";
    EXPECT_FALSE(preset.description.empty());
    EXPECT_EQ(preset.detector.lstm.input_size, preset.detector.backbone.feature_channels());
    EXPECT_GT(preset.detector.lstm.hidden_size, 0);
    EXPECT_GE(preset.detector.num_outputs, 1);
    // One output: labels[1] is what sigmoid(logit) is the probability of; else one per output.
    EXPECT_EQ(preset.labels.size(),
              preset.detector.num_outputs == 1 ? 2u : size_t(preset.detector.num_outputs));
    EXPECT_GT(preset.preprocessing.frames, 1);
    EXPECT_GT(preset.preprocessing.image_size, 0);
    EXPECT_GT(preset.faces.margin, 0);
    if (preset.faces.crop_mode == CropMode::kExactBox) {
      EXPECT_EQ(preset.faces.margin, 1.0);
    }
    EXPECT_TRUE(ParseChannelOrder(ChannelOrderName(preset.preprocessing.channel_order)).ok());
    EXPECT_TRUE(ParseDetectorReadout(DetectorReadoutName(preset.detector.readout)).ok());
  }
  EXPECT_EQ(PresetNames(), std::vector<std::string>({"default", "jadhav2020", "small", "tiny"}));
  for (const std::string& name : PresetNames()) EXPECT_EQ(GetPreset(name)->name, name);
}

TEST(PresetsTest, PaperPresetIsTyped) {
  const ModelPreset paper = *GetPreset("jadhav2020");
  EXPECT_EQ(paper.preprocessing.image_size, 112);
  EXPECT_EQ(paper.preprocessing.frames, 20);
  EXPECT_EQ(paper.preprocessing.channel_order, ChannelOrder::kBgr);
  EXPECT_EQ(paper.faces.crop_mode, CropMode::kExactBox);
  EXPECT_EQ(paper.faces.sampling, FrameSampling::kFirstConsecutive);
  EXPECT_EQ(paper.detector.readout, DetectorReadout::kPaperLastStep);
  EXPECT_EQ(paper.detector.num_outputs, 2);
  EXPECT_FLOAT_EQ(paper.detector.logit_dropout, 0.4f);
  EXPECT_FALSE(paper.detector.lstm.bias);
  EXPECT_FALSE(paper.detector.lstm.batch_first);
  EXPECT_EQ(paper.labels, std::vector<std::string>({"FAKE", "REAL"}));

  const ModelPreset standard = *GetPreset("default");
  EXPECT_EQ(standard.preprocessing.channel_order, ChannelOrder::kRgb);
  EXPECT_EQ(standard.faces.crop_mode, CropMode::kAligned);
  EXPECT_DOUBLE_EQ(standard.faces.margin, 1.3);
  EXPECT_EQ(standard.faces.sampling, FrameSampling::kEvenlySpaced);
  EXPECT_EQ(standard.detector.readout, DetectorReadout::kMeanOfFrames);
  EXPECT_EQ(standard.detector.lstm.hidden_size, 256);
  EXPECT_EQ(standard.detector.lstm.num_layers, 2);
  EXPECT_TRUE(standard.detector.lstm.bidirectional);
  EXPECT_FLOAT_EQ(standard.detector.feature_dropout, 0.3f);
}

TEST(PresetsTest, UnknownPresetNamesTheKnownOnes) {
  const absl::StatusOr<ModelPreset> unknown = GetPreset("resnet");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(unknown.status().message(),
            "unknown model preset 'resnet'; known presets: default, jadhav2020, small, tiny");
}

// The names are in files (checkpoints, faces.json, face-cache keys): they must not change.
TEST(PreprocessingNamesTest, RoundTripsAndStableNames) {
  for (ChannelOrder order : {ChannelOrder::kRgb, ChannelOrder::kBgr}) {
    EXPECT_EQ(*ParseChannelOrder(ChannelOrderName(order)), order);
  }
  EXPECT_STREQ(ChannelOrderName(ChannelOrder::kRgb), "RGB");
  EXPECT_STREQ(ChannelOrderName(ChannelOrder::kBgr), "BGR");
  for (CropMode mode : {CropMode::kAligned, CropMode::kExactBox}) {
    EXPECT_EQ(*ParseCropMode(CropModeName(mode)), mode);
  }
  EXPECT_STREQ(CropModeName(CropMode::kAligned), "aligned");
  EXPECT_STREQ(CropModeName(CropMode::kExactBox), "exact_box");
  for (FrameSampling sampling :
       {FrameSampling::kEvenlySpaced, FrameSampling::kFirstConsecutive, FrameSampling::kEveryKth}) {
    EXPECT_EQ(*ParseFrameSampling(FrameSamplingName(sampling)), sampling);
  }
  EXPECT_STREQ(FrameSamplingName(FrameSampling::kFirstConsecutive), "first");
  // Face-cache keys hold the sampling as a number.
  EXPECT_EQ(static_cast<int>(FrameSampling::kEvenlySpaced), 0);
  EXPECT_EQ(static_cast<int>(FrameSampling::kFirstConsecutive), 1);
  EXPECT_EQ(static_cast<int>(FrameSampling::kEveryKth), 2);
  for (DetectorReadout readout :
       {DetectorReadout::kMeanOfFrames, DetectorReadout::kPaperLastStep}) {
    EXPECT_EQ(*ParseDetectorReadout(DetectorReadoutName(readout)), readout);
  }
}

TEST(PreprocessingNamesTest, UnknownNamesListTheAllowedOnes) {
  EXPECT_EQ(ParseChannelOrder("GRB").status().message(),
            "unknown channel order 'GRB' (allowed: RGB, BGR)");
  EXPECT_EQ(ParseChannelOrder("rgb").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseCropMode("tight").status().message(),
            "unknown crop mode 'tight' (allowed: aligned, exact_box)");
  EXPECT_EQ(ParseFrameSampling("random").status().message(),
            "unknown frame sampling 'random' (allowed: evenly, first, every)");
  EXPECT_EQ(ParseDetectorReadout("max").status().message(),
            "unknown detector readout 'max' (allowed: mean_of_frames, paper_last_step)");
}

}  // namespace
}  // namespace nn
