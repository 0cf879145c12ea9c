#include "nn/tensor.h"

#include <cstdint>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nn {
namespace {

using ::testing::ElementsAre;

TEST(ShapeTest, RankNumelAndNegativeAxes) {
  const Shape shape{2, 3, 224, 224};
  EXPECT_EQ(shape.rank(), 4);
  EXPECT_EQ(shape.numel(), 2 * 3 * 224 * 224);
  EXPECT_EQ(shape[0], 2);
  EXPECT_EQ(shape[-1], 224);
  EXPECT_EQ(shape.dim(-3), 3);
  EXPECT_EQ(shape.ToString(), "[2, 3, 224, 224]");
  EXPECT_THAT(shape.ToVector(), ElementsAre(2, 3, 224, 224));
}

TEST(ShapeTest, ScalarAndEmpty) {
  EXPECT_EQ(Shape{}.rank(), 0);
  EXPECT_EQ(Shape{}.numel(), 1);
  EXPECT_EQ((Shape{4, 0, 3}).numel(), 0);
}

TEST(ShapeTest, Equality) {
  EXPECT_EQ((Shape{1, 2}), (Shape{1, 2}));
  EXPECT_NE((Shape{1, 2}), (Shape{2, 1}));
  EXPECT_NE((Shape{1, 2}), (Shape{1, 2, 1}));
}

TEST(ShapeDeathTest, AxisOutOfRangeNamesTheShape) {
  const Shape shape{2, 3};
  EXPECT_DEATH(shape.dim(2), "axis 2 out of range for shape \\[2, 3\\]");
  EXPECT_DEATH(shape.dim(-3), "axis -3 out of range");
}

TEST(ShapeDeathTest, TooManyDimensions) {
  EXPECT_DEATH((Shape{1, 1, 1, 1, 1, 1, 1, 1, 1}), "too many dimensions");
}

TEST(DTypeTest, SizesAndNames) {
  EXPECT_EQ(DTypeSize(DType::kFloat32), 4u);
  EXPECT_EQ(DTypeSize(DType::kFloat16), 2u);
  EXPECT_EQ(DTypeSize(DType::kBFloat16), 2u);
  EXPECT_STREQ(DTypeName(DType::kBFloat16), "bfloat16");
}

TEST(TensorTest, EmptyIsAlignedAndSized) {
  for (int64_t n : {1, 3, 17, 1000}) {
    Tensor t = Tensor::Empty({n, 3});
    EXPECT_EQ(t.numel(), n * 3);
    EXPECT_EQ(t.bytes(), static_cast<size_t>(n * 3 * 4));
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw_data()) % Storage::kCpuAlignment, 0u);
    EXPECT_EQ(t.device(), Device::CPU());
  }
}

TEST(TensorTest, UndefinedByDefault) {
  Tensor t;
  EXPECT_FALSE(t.defined());
  EXPECT_EQ(t.DebugString(), "Tensor(undefined)");
}

TEST(TensorTest, ZerosFullFromVector) {
  Tensor z = Tensor::Zeros({2, 2});
  EXPECT_THAT(std::vector<float>(z.data<float>(), z.data<float>() + 4), ElementsAre(0, 0, 0, 0));
  Tensor f = Tensor::Full({3}, 1.5f);
  EXPECT_THAT(std::vector<float>(f.data<float>(), f.data<float>() + 3),
              ElementsAre(1.5f, 1.5f, 1.5f));
  Tensor v = Tensor::FromVector({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(v.data<float>()[4], 5.0f);
}

TEST(TensorTest, HalfPrecisionStorage) {
  Tensor t = Tensor::Zeros({5, 7}, DType::kFloat16);
  EXPECT_EQ(t.bytes(), 5u * 7u * 2u);
  EXPECT_EQ(static_cast<const uint16_t*>(t.raw_data())[34], 0);
  EXPECT_EQ(t.DebugString(), "Tensor(float16, cpu, [5, 7])");
}

TEST(TensorTest, CopiesAreShallowCloneIsDeep) {
  Tensor a = Tensor::Full({4}, 1.0f);
  Tensor shallow = a;
  Tensor deep = a.Clone();
  a.data<float>()[0] = 7.0f;
  EXPECT_EQ(shallow.data<float>()[0], 7.0f);
  EXPECT_EQ(deep.data<float>()[0], 1.0f);
  EXPECT_TRUE(shallow.SharesStorageWith(a));
  EXPECT_FALSE(deep.SharesStorageWith(a));
}

TEST(TensorTest, ReshapeIsAViewAndInfersMinusOne) {
  Tensor a = Tensor::FromVector({2, 3}, {0, 1, 2, 3, 4, 5});
  Tensor b = a.Reshape({3, -1});
  EXPECT_EQ(b.shape(), (Shape{3, 2}));
  EXPECT_TRUE(b.SharesStorageWith(a));
  b.data<float>()[5] = 50;
  EXPECT_EQ(a.data<float>()[5], 50);
}

TEST(TensorTest, SliceViewsRowsOfAxisZero) {
  Tensor frames = Tensor::FromVector({4, 2}, {0, 1, 2, 3, 4, 5, 6, 7});
  Tensor middle = frames.Slice(1, 3);
  EXPECT_EQ(middle.shape(), (Shape{2, 2}));
  EXPECT_EQ(middle.data<float>()[0], 2);
  EXPECT_EQ(middle.data<float>()[3], 5);
  middle.Fill(-1);
  EXPECT_EQ(frames.data<float>()[1], 1);
  EXPECT_EQ(frames.data<float>()[2], -1);
  EXPECT_EQ(frames.data<float>()[6], 6);
  EXPECT_EQ(frames.Slice(4, 4).numel(), 0);
}

TEST(TensorTest, CopyFromAndToCpu) {
  Tensor a = Tensor::FromVector({3}, {1, 2, 3});
  Tensor b = Tensor::Zeros({3});
  b.CopyFrom(a);
  EXPECT_EQ(b.data<float>()[2], 3);
  Tensor c = a.To(Device::CPU());
  EXPECT_FALSE(c.SharesStorageWith(a));
  EXPECT_EQ(c.data<float>()[1], 2);
}

TEST(TensorDeathTest, ReshapeMismatchPrintsBothShapes) {
  Tensor a = Tensor::Zeros({2, 3});
  EXPECT_DEATH(a.Reshape({4, 2}), "\\[2, 3\\] has 6 elements, \\[4, 2\\] has 8");
  EXPECT_DEATH(a.Reshape({-1, -1}), "more than one -1");
  EXPECT_DEATH(a.Reshape({4, -1}), "cannot infer -1");
}

TEST(TensorDeathTest, TypedAccessChecksDType) {
  Tensor h = Tensor::Zeros({2}, DType::kBFloat16);
  EXPECT_DEATH(h.data<float>(), "tensor is bfloat16, accessed as float32");
}

TEST(TensorDeathTest, SliceOutOfRange) {
  Tensor a = Tensor::Zeros({4, 2});
  EXPECT_DEATH(a.Slice(3, 5), "Slice \\[3, 5\\) out of range for \\[4, 2\\]");
}

TEST(TensorDeathTest, CopyFromShapeMismatch) {
  Tensor a = Tensor::Zeros({3});
  Tensor b = Tensor::Zeros({4});
  EXPECT_DEATH(b.CopyFrom(a), "CopyFrom: \\[3\\] into \\[4\\]");
}

#if !NN_HAVE_CUDA
TEST(TensorDeathTest, CudaTensorWithoutCudaBuildNamesTheOption) {
  EXPECT_DEATH(Tensor::Empty({2}, DType::kFloat32, Device::CUDA()),
               "cuda:0 tensor needs the CUDA backend: build with --config=cuda");
}
#endif

}  // namespace
}  // namespace nn
