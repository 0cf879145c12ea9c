// The stored-dtype table, the float32 conversion and the little-endian reader/writer.
#include "nn/io/dtypes.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "gtest/gtest.h"
#include "nn/io/little_endian.h"

namespace nn::io {
namespace {

TEST(StoredDTypesTest, TableAgreesWithBothSpellings) {
  EXPECT_EQ(FindStoredDType("BF16")->bytes, 2);
  EXPECT_EQ(FindStoredDType("I64")->bytes, 8);
  EXPECT_EQ(FindStoredDType("BOOL")->bytes, 1);
  EXPECT_EQ(FindStoredDType("F8_E4M3"), nullptr);
  EXPECT_EQ(FindStoredDType("f32"), nullptr);  // names are case-sensitive
  EXPECT_STREQ(FindTorchStorage("torch.HalfStorage")->name, "F16");
  EXPECT_STREQ(FindTorchStorage("torch.LongStorage")->name, "I64");
  EXPECT_EQ(FindTorchStorage("torch.IntStorage"), nullptr);
  EXPECT_STREQ(StoredDTypeName(DType::kBFloat16), "BF16");
}

TEST(StoredDTypesTest, ConvertsEveryTypeToFloat32) {
  float out[2];
  const uint16_t half[2] = {0x3c00, 0xc000};  // 1, -2
  ASSERT_TRUE(ConvertToFloat32(StoredDType::kF16, half, 2, out));
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], -2.0f);
  const uint16_t bf16[2] = {0x3f80, 0x4040};  // 1, 3
  ASSERT_TRUE(ConvertToFloat32(StoredDType::kBF16, bf16, 2, out));
  EXPECT_EQ(out[1], 3.0f);
  const double f64[2] = {0.5, -1e300};
  ASSERT_TRUE(ConvertToFloat32(StoredDType::kF64, f64, 2, out));
  EXPECT_EQ(out[0], 0.5f);
  EXPECT_EQ(out[1], -INFINITY);
  const int32_t i32[2] = {-(1 << 24), 7};
  ASSERT_TRUE(ConvertToFloat32(StoredDType::kI32, i32, 2, out));
  EXPECT_EQ(out[0], -16777216.0f);
  const uint8_t u8[2] = {0, 255};
  ASSERT_TRUE(ConvertToFloat32(StoredDType::kU8, u8, 2, out));
  EXPECT_EQ(out[1], 255.0f);
  // Unaligned input: the reader's buffers carry no alignment guarantee.
  std::vector<char> unaligned(1 + 2 * sizeof(float));
  const float f32[2] = {1.5f, -0.25f};
  std::memcpy(unaligned.data() + 1, f32, sizeof(f32));
  ASSERT_TRUE(ConvertToFloat32(StoredDType::kF32, unaligned.data() + 1, 2, out));
  EXPECT_EQ(out[1], -0.25f);
}

TEST(StoredDTypesTest, FloatToHalfInvertsHalfToFloatAndRoundsToNearestEven) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const bool nan = (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0;
    if (nan) continue;
    ASSERT_EQ(FloatToHalf(HalfToFloat(static_cast<uint16_t>(h))), h) << std::hex << h;
  }
  EXPECT_EQ(FloatToHalf(NAN) & 0x7c00, 0x7c00);
  EXPECT_NE(FloatToHalf(NAN) & 0x3ff, 0);
  // Ties go to the even neighbour; anything above a tie rounds up.
  EXPECT_EQ(FloatToHalf(1.0f + 1.0f / 2048), 0x3c00);           // 1 + half an ulp: 1
  EXPECT_EQ(FloatToHalf(1.0f + 3.0f / 2048), 0x3c02);           // 1 + 1.5 ulp: 1 + 2 ulp
  EXPECT_EQ(FloatToHalf(1.0f + 1.0f / 2048 + 1e-7f), 0x3c01);  // just above the tie
  EXPECT_EQ(FloatToHalf(65504.0f), 0x7bff);
  EXPECT_EQ(FloatToHalf(65519.0f), 0x7bff);  // below the tie with 65536
  EXPECT_EQ(FloatToHalf(65520.0f), 0x7c00);  // the tie rounds to even: inf
  EXPECT_EQ(FloatToHalf(-1e9f), 0xfc00);
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -24)), 0x0001);          // the smallest subnormal
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -25)), 0x0000);          // its half: tie to even 0
  EXPECT_EQ(FloatToHalf(std::ldexp(3.0f, -26)), 0x0001);          // 0.75 ulp rounds up
  EXPECT_EQ(FloatToHalf(std::ldexp(3.0f, -25)), 0x0002);          // 1.5 ulp: tie to even 2
  EXPECT_EQ(FloatToHalf(std::ldexp(1023.5f, -24)), 0x0400);       // carries into the normals
  EXPECT_EQ(FloatToHalf(-0.0f), 0x8000);
}

TEST(StoredDTypesTest, IntegersBeyondFloat32PrecisionAreReported) {
  float out[3];
  const int64_t values[3] = {1, (1 << 24) + 1, -(int64_t{1} << 40)};
  int64_t first_inexact = 0;
  EXPECT_FALSE(ConvertToFloat32(StoredDType::kI64, values, 3, out, &first_inexact));
  EXPECT_EQ(first_inexact, (1 << 24) + 1);
  EXPECT_FALSE(ConvertToFloat32(StoredDType::kI64, values + 2, 1, out));  // no out-parameter
}

TEST(LittleEndianTest, LoadsAndStoresIndependentlyOfTheHost) {
  const unsigned char bytes[8] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x88};
  EXPECT_EQ(LoadLittleEndian(bytes, 1), 0x01u);
  EXPECT_EQ(LoadLittleEndian(bytes, 2), 0x0201u);
  EXPECT_EQ(LoadLittleEndian(bytes, 4), 0x04030201u);
  EXPECT_EQ(LoadLittleEndian(bytes, 8), 0x8807060504030201u);
  EXPECT_EQ(LoadLittleEndian(bytes, 0), 0u);
  unsigned char stored[8];
  StoreLittleEndian64(0x8807060504030201u, stored);
  EXPECT_EQ(std::memcmp(stored, bytes, 8), 0);
}

}  // namespace
}  // namespace nn::io
