// The element types checkpoint files store, in one table: their safetensors names ("F32",
// "BF16", ...), sizes, PyTorch storage class names (torch.FloatStorage, ...) and the one
// conversion to float32 that every reader uses (nn/io/safetensors.cc,
// nn/io/pytorch_checkpoint.cc). Also the exact widening of IEEE half and bfloat16.
#ifndef NN_IO_DTYPES_H_
#define NN_IO_DTYPES_H_

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "nn/tensor.h"

namespace nn::io {

enum class StoredDType { kF32, kF16, kBF16, kF64, kI64, kI32, kU8, kBool };

struct StoredDTypeInfo {
  StoredDType type;
  const char* name;           // safetensors spelling: "F32"
  int bytes;                  // per element
  const char* torch_storage;  // "torch.FloatStorage"; null where torch.save has none we read
};

// The entry for a safetensors dtype name, or null for one nn/io does not read.
const StoredDTypeInfo* FindStoredDType(std::string_view name);
// The entry for a PyTorch storage class ("torch.HalfStorage"), or null.
const StoredDTypeInfo* FindTorchStorage(std::string_view storage_class);
// The safetensors name of a tensor dtype ("F32", "F16", "BF16").
const char* StoredDTypeName(DType dtype);

// Converts `count` elements of `type` at `raw` (any alignment) to float32 at `out`. Integers
// must be exact in float32 (|v| <= 2^24): otherwise returns false and, when
// `first_inexact` is not null, stores the first offending value there.
bool ConvertToFloat32(StoredDType type, const void* raw, int64_t count, float* out,
                      int64_t* first_inexact = nullptr);

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

// Float32 to IEEE half, rounding to nearest even (as numpy's astype(float16)): values
// beyond the half range become +-inf, tiny ones subnormal or zero, NaN stays NaN.
inline uint16_t FloatToHalf(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  const uint32_t abs = bits & 0x7fffffff;
  if (abs >= 0x7f800000) return sign | (abs > 0x7f800000 ? 0x7e00 : 0x7c00);  // NaN, inf
  if (abs >= 0x477ff000) return sign | 0x7c00;  // rounds to beyond 65504: inf
  if (abs < 0x38800000) {                       // below 2^-14: subnormal half (or zero)
    if (abs < 0x33000000) return sign;          // below 2^-25: rounds to zero
    const uint32_t mantissa = (abs & 0x7fffff) | 0x800000;
    const int shift = 126 - static_cast<int>(abs >> 23);  // 14..24
    uint32_t half = mantissa >> shift;
    const uint32_t rest = mantissa & ((1u << shift) - 1), midpoint = 1u << (shift - 1);
    if (rest > midpoint || (rest == midpoint && (half & 1))) ++half;
    return sign | static_cast<uint16_t>(half);
  }
  uint32_t half = ((abs >> 13) - (112u << 10));  // rebias exponent 127 -> 15
  const uint32_t rest = abs & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (half & 1))) ++half;  // may carry into the exponent
  return sign | static_cast<uint16_t>(half);
}

inline float BFloat16ToFloat(uint16_t b) {
  const uint32_t bits = static_cast<uint32_t>(b) << 16;
  float value;
  std::memcpy(&value, &bits, 4);
  return value;
}

}  // namespace nn::io

#endif  // NN_IO_DTYPES_H_
