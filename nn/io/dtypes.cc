// The stored-dtype table and the conversion to float32 (nn/io/dtypes.h).
#include "nn/io/dtypes.h"

namespace nn::io {
namespace {

constexpr StoredDTypeInfo kStoredDTypes[] = {
    {StoredDType::kF32, "F32", 4, "torch.FloatStorage"},
    {StoredDType::kF16, "F16", 2, "torch.HalfStorage"},
    {StoredDType::kBF16, "BF16", 2, "torch.BFloat16Storage"},
    {StoredDType::kF64, "F64", 8, "torch.DoubleStorage"},
    {StoredDType::kI64, "I64", 8, "torch.LongStorage"},
    {StoredDType::kI32, "I32", 4, nullptr},
    {StoredDType::kU8, "U8", 1, nullptr},
    {StoredDType::kBool, "BOOL", 1, nullptr},
};

// One loop per stored type: the type is decided once per call, not per element.
template <typename T, typename ToFloat>
void Widen(const void* raw, int64_t count, float* out, ToFloat to_float) {
  const auto* bytes = static_cast<const char*>(raw);
  for (int64_t i = 0; i < count; ++i) {
    T v;
    std::memcpy(&v, bytes + i * sizeof(T), sizeof(T));
    out[i] = to_float(v);
  }
}

template <typename T>
bool WidenIntegers(const void* raw, int64_t count, float* out, int64_t* first_inexact) {
  const auto* bytes = static_cast<const char*>(raw);
  for (int64_t i = 0; i < count; ++i) {
    T v;
    std::memcpy(&v, bytes + i * sizeof(T), sizeof(T));
    const int64_t wide = static_cast<int64_t>(v);
    if (wide > (1 << 24) || wide < -(1 << 24)) {
      if (first_inexact != nullptr) *first_inexact = wide;
      return false;
    }
    out[i] = static_cast<float>(wide);
  }
  return true;
}

}  // namespace

const StoredDTypeInfo* FindStoredDType(std::string_view name) {
  for (const StoredDTypeInfo& info : kStoredDTypes) {
    if (name == info.name) return &info;
  }
  return nullptr;
}

const StoredDTypeInfo* FindTorchStorage(std::string_view storage_class) {
  for (const StoredDTypeInfo& info : kStoredDTypes) {
    if (info.torch_storage != nullptr && storage_class == info.torch_storage) return &info;
  }
  return nullptr;
}

const char* StoredDTypeName(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return "F32";
    case DType::kFloat16:
      return "F16";
    case DType::kBFloat16:
      return "BF16";
  }
  return "?";
}

bool ConvertToFloat32(StoredDType type, const void* raw, int64_t count, float* out,
                      int64_t* first_inexact) {
  switch (type) {
    case StoredDType::kF32:
      if (count > 0) std::memcpy(out, raw, static_cast<size_t>(count) * sizeof(float));
      return true;
    case StoredDType::kF16:
      Widen<uint16_t>(raw, count, out, [](uint16_t v) { return HalfToFloat(v); });
      return true;
    case StoredDType::kBF16:
      Widen<uint16_t>(raw, count, out, [](uint16_t v) { return BFloat16ToFloat(v); });
      return true;
    case StoredDType::kF64:
      Widen<double>(raw, count, out, [](double v) { return static_cast<float>(v); });
      return true;
    case StoredDType::kU8:
    case StoredDType::kBool:
      Widen<uint8_t>(raw, count, out, [](uint8_t v) { return static_cast<float>(v); });
      return true;
    case StoredDType::kI64:
      return WidenIntegers<int64_t>(raw, count, out, first_inexact);
    case StoredDType::kI32:
      return WidenIntegers<int32_t>(raw, count, out, first_inexact);
  }
  return false;
}

}  // namespace nn::io
