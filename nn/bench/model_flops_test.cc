// The multiply-add counts //nn:bench divides by: ResNeXt-50 32x4d against PyTorch's count
// (forward hooks on torchvision's resnext50_32x4d summing out.numel() x in/groups x kh x kw
// for every Conv2d and out.numel() x in_features for the Linear), the LSTM against its own
// weights' sizes (one multiply-add per weight per step).
#include "nn/bench/model_flops.h"

#include <gtest/gtest.h>

#include "nn/layers/lstm.h"
#include "nn/models/presets.h"

namespace nn {
namespace {

TEST(ModelFlopsTest, ResNeXt50MatchesTorchvisionsCount) {
  ResNeXtOptions options;
  options.num_classes = 1000;
  EXPECT_EQ(ResNeXtForwardMacs(options, 224), 4230479872);
  EXPECT_EQ(ResNeXtForwardMacs(options, 112), 1109659648);
  options.num_classes = 0;  // the trunk: no classifier
  EXPECT_EQ(ResNeXtForwardMacs(options, 224), 4230479872 - 2048 * 1000);
}

TEST(ModelFlopsTest, LstmIsOneMultiplyAddPerWeightPerStep) {
  for (const auto& [layers, bidirectional] :
       std::vector<std::pair<int, bool>>{{1, false}, {2, true}}) {
    LstmOptions options;
    options.input_size = 48;
    options.hidden_size = 16;
    options.num_layers = layers;
    options.bidirectional = bidirectional;
    Lstm lstm(options);
    int64_t weights = 0;
    for (const auto& [name, parameter] : lstm.NamedParameters()) {
      if (name.find("weight") != std::string::npos) weights += parameter->value.numel();
    }
    EXPECT_EQ(LstmForwardMacs(options, 7), 7 * weights);
  }
}

TEST(ModelFlopsTest, TheDetectorIsItsFramesThroughTheTrunkAndTheLstm) {
  const DetectorOptions options = GetPreset("default")->detector;
  EXPECT_EQ(DetectorForwardMacs(options, 16, 224),
            16 * ResNeXtForwardMacs(options.backbone, 224) + LstmForwardMacs(options.lstm, 16));
}

}  // namespace
}  // namespace nn
