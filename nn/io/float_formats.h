// The 16-bit float formats checkpoints store, widened to float32 exactly: IEEE 754 half
// (F16, PyTorch's float16) and bfloat16 (BF16, the top half of a float32).
#ifndef NN_IO_FLOAT_FORMATS_H_
#define NN_IO_FLOAT_FORMATS_H_

#include <cmath>
#include <cstdint>
#include <cstring>

namespace nn::io {

inline float HalfToFloat(uint16_t h) {
  const uint32_t sign = (h >> 15) & 1, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  float value;
  if (exponent == 0) {
    value = std::ldexp(static_cast<float>(mantissa), -24);  // zero or subnormal
  } else if (exponent == 31) {
    value = mantissa ? NAN : INFINITY;
  } else {
    value = std::ldexp(static_cast<float>(mantissa | 0x400), static_cast<int>(exponent) - 25);
  }
  return sign ? -value : value;
}

inline float BFloat16ToFloat(uint16_t b) {
  const uint32_t bits = static_cast<uint32_t>(b) << 16;
  float value;
  std::memcpy(&value, &bits, 4);
  return value;
}

}  // namespace nn::io

#endif  // NN_IO_FLOAT_FORMATS_H_
