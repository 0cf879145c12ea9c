// PyTorch 1.13.1 parity of conv2d, max_pool2d and adaptive_avg_pool2d(1), forward and all
// gradients, against tests/fixtures/conv_pool.safetensors
// (regenerate: /usr/bin/python3 tools/pytorch_ref/gen_conv_fixtures.py).
#include <algorithm>
#include <cmath>
#include <string>

#include "gtest/gtest.h"
#include "nn/io/safetensors.h"
#include "nn/ops/conv.h"
#include "nn/ops/pool.h"
#include "nn/testing/tensor_matchers.h"

namespace nn {
namespace {

constexpr char kFixture[] = "tests/fixtures/conv_pool.safetensors";

class ConvPoolParityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto tensors = io::ReadSafetensors(kFixture);
    ASSERT_TRUE(tensors.ok()) << tensors.status();
    fixture_ = new io::TensorMap(*std::move(tensors));
  }
  static void TearDownTestSuite() {
    delete fixture_;
    fixture_ = nullptr;
  }

  static const Tensor& Get(const std::string& name) {
    auto it = fixture_->find(name);
    NN_CHECK(it != fixture_->end()) << kFixture << ": no tensor " << name;
    return it->second;
  }
  static bool Has(const std::string& name) { return fixture_->count(name) > 0; }

  // |got - want| <= 1e-4 * max(1, max |want|) for every element.
  static void ExpectMatchesFixture(const Tensor& got, const std::string& name) {
    EXPECT_TRUE(testing::TensorsNear(got, Get(name), testing::RelativeToLargest(1e-4))) << name;
  }

  static void CheckConv(const std::string& name, int stride, int pad, int dilation, int groups) {
    SCOPED_TRACE(name);
    Conv2dParams p;
    p.stride_h = p.stride_w = stride;
    p.pad_h = p.pad_w = pad;
    p.dilation_h = p.dilation_w = dilation;
    p.groups = groups;
    const Tensor& x = Get(name + "/x");
    const Tensor& w = Get(name + "/w");
    const bool has_bias = Has(name + "/b");
    const Tensor* b = has_bias ? &Get(name + "/b") : nullptr;
    Tensor y = Tensor::Empty(Conv2dOutputShape(x.shape(), w.shape(), p));
    Conv2dForward(x, w, b, p, &y);
    ExpectMatchesFixture(y, name + "/y");

    Tensor dx = Tensor::Zeros(x.shape()), dw = Tensor::Zeros(w.shape());
    Tensor db = Tensor::Zeros({w.dim(0)});
    Conv2dBackward(x, w, Get(name + "/dy"), p, &dx, &dw, has_bias ? &db : nullptr);
    ExpectMatchesFixture(dx, name + "/dx");
    ExpectMatchesFixture(dw, name + "/dw");
    if (has_bias) ExpectMatchesFixture(db, name + "/db");
  }

  static io::TensorMap* fixture_;
};

io::TensorMap* ConvPoolParityTest::fixture_ = nullptr;

TEST_F(ConvPoolParityTest, PlainConv) { CheckConv("conv_plain", 1, 1, 1, 1); }
TEST_F(ConvPoolParityTest, Stride2) { CheckConv("conv_stride2", 2, 1, 1, 1); }
TEST_F(ConvPoolParityTest, Dilation2) { CheckConv("conv_dilation2", 1, 2, 2, 1); }
TEST_F(ConvPoolParityTest, ResNeXtGroups32Stride2) { CheckConv("conv_groups32", 2, 1, 1, 32); }
TEST_F(ConvPoolParityTest, Pointwise1x1) { CheckConv("conv_1x1", 1, 0, 1, 1); }
TEST_F(ConvPoolParityTest, Stem7x7Stride2) { CheckConv("conv_stem", 2, 3, 1, 1); }

TEST_F(ConvPoolParityTest, FusedBiasResidualRelu) {
  const Tensor& x = Get("conv_epilogue/x");
  const Tensor& w = Get("conv_epilogue/w");
  Conv2dParams p;
  p.pad_h = p.pad_w = 1;
  Tensor y = Tensor::Empty(Conv2dOutputShape(x.shape(), w.shape(), p));
  Conv2dForward(x, w, &Get("conv_epilogue/b"), p, &y,
                {nullptr, &Get("conv_epilogue/residual"), true});
  ExpectMatchesFixture(y, "conv_epilogue/y");
}

TEST_F(ConvPoolParityTest, MaxPool3x3Stride2Pad1) {
  MaxPool2dParams p;
  p.kernel_h = p.kernel_w = 3;
  p.stride_h = p.stride_w = 2;
  p.pad_h = p.pad_w = 1;
  const Tensor& x = Get("maxpool/x");
  Tensor y = Tensor::Empty(MaxPool2dOutputShape(x.shape(), p));
  MaxPool2dIndices indices;
  MaxPool2dForward(x, p, &y, &indices);
  ExpectMatchesFixture(y, "maxpool/y");
  Tensor dx = Tensor::Zeros(x.shape());
  MaxPool2dBackward(Get("maxpool/dy"), indices, &dx);
  ExpectMatchesFixture(dx, "maxpool/dx");
}

TEST_F(ConvPoolParityTest, GlobalAvgPool) {
  const Tensor& x = Get("avgpool/x");
  Tensor y = Tensor::Empty({x.dim(0), x.dim(1), 1, 1});
  GlobalAvgPool2dForward(x, &y);
  ExpectMatchesFixture(y, "avgpool/y");
  Tensor dx = Tensor::Zeros(x.shape());
  GlobalAvgPool2dBackward(Get("avgpool/dy"), &dx);
  ExpectMatchesFixture(dx, "avgpool/dx");
}

}  // namespace
}  // namespace nn
