// Tensor: an n-dimensional, row-major (contiguous) array with a shape, an element type and
// a device, over reference-counted storage. No autograd graph: ops in nn/ops/ take tensors
// and write tensors; backward passes are explicit functions beside the forward ones.
//
// Copying a Tensor is shallow (both copies view the same storage, as in PyTorch); Clone()
// copies the data. Reshape() and Slice() are views that share storage.
#ifndef NN_TENSOR_H_
#define NN_TENSOR_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "nn/check.h"

namespace nn {

// Element types. Kernels compute in float32; the 16-bit types are storage formats (weights
// read from checkpoints, activations kept in half precision on the GPU).
enum class DType : uint8_t { kFloat32, kFloat16, kBFloat16 };

size_t DTypeSize(DType dtype);
const char* DTypeName(DType dtype);  // "float32", "float16", "bfloat16"

template <typename T>
struct DTypeOf;
template <>
struct DTypeOf<float> {
  static constexpr DType value = DType::kFloat32;
};

enum class DeviceType : uint8_t { kCPU, kCUDA };

struct Device {
  DeviceType type = DeviceType::kCPU;
  int index = 0;  // GPU ordinal; 0 for the CPU

  static Device CPU() { return {DeviceType::kCPU, 0}; }
  static Device CUDA(int index = 0) { return {DeviceType::kCUDA, index}; }
  bool is_cpu() const { return type == DeviceType::kCPU; }
  bool is_cuda() const { return type == DeviceType::kCUDA; }
  std::string ToString() const;  // "cpu", "cuda:0"
  friend bool operator==(Device a, Device b) { return a.type == b.type && a.index == b.index; }
  friend bool operator!=(Device a, Device b) { return !(a == b); }
};
std::ostream& operator<<(std::ostream& os, Device device);

// Up to kMaxRank dimensions, stored inline. Rank 0 is a scalar (one element).
class Shape {
 public:
  static constexpr int kMaxRank = 8;

  Shape() = default;
  Shape(std::initializer_list<int64_t> dims);
  explicit Shape(const std::vector<int64_t>& dims);

  int rank() const { return rank_; }
  // Negative axes count from the end, as in PyTorch: dim(-1) is the last.
  int64_t dim(int axis) const { return dims_[NormalizeAxis(axis)]; }
  int64_t operator[](int axis) const { return dim(axis); }
  int64_t numel() const;
  int NormalizeAxis(int axis) const;
  std::vector<int64_t> ToVector() const;
  std::string ToString() const;  // "[2, 3, 224, 224]"

  friend bool operator==(const Shape& a, const Shape& b);
  friend bool operator!=(const Shape& a, const Shape& b) { return !(a == b); }

 private:
  void Init(const int64_t* dims, size_t rank);

  std::array<int64_t, kMaxRank> dims_{};
  int rank_ = 0;
};
std::ostream& operator<<(std::ostream& os, const Shape& shape);

// Owned bytes on one device. CPU storage is 64-byte aligned (a cache line, one AVX-512
// register); CUDA storage comes from cudaMalloc (256-byte aligned).
class Storage {
 public:
  static constexpr size_t kCpuAlignment = 64;

  Storage(size_t bytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() { return data_; }
  const void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  Device device() const { return device_; }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
  Device device_;
};

class Tensor {
 public:
  Tensor() = default;  // undefined: no storage; defined() is false

  // Uninitialized contents.
  static Tensor Empty(const Shape& shape, DType dtype = DType::kFloat32,
                      Device device = Device::CPU());
  static Tensor Zeros(const Shape& shape, DType dtype = DType::kFloat32,
                      Device device = Device::CPU());
  // float32 on the CPU.
  static Tensor Full(const Shape& shape, float value);
  static Tensor FromVector(const Shape& shape, const std::vector<float>& values);

  bool defined() const { return storage_ != nullptr; }
  const Shape& shape() const { return shape_; }
  int rank() const { return shape_.rank(); }
  int64_t dim(int axis) const { return shape_.dim(axis); }
  int64_t numel() const { return shape_.numel(); }
  DType dtype() const { return dtype_; }
  Device device() const;
  size_t bytes() const { return static_cast<size_t>(numel()) * DTypeSize(dtype_); }

  // Typed access to CPU data; checks that T matches dtype() and the tensor is on the CPU.
  template <typename T>
  T* data() {
    CheckTypedAccess(DTypeOf<T>::value);
    return static_cast<T*>(raw_data());
  }
  template <typename T>
  const T* data() const {
    CheckTypedAccess(DTypeOf<T>::value);
    return static_cast<const T*>(raw_data());
  }
  // Untyped pointer on the tensor's device (a device pointer for CUDA tensors).
  void* raw_data();
  const void* raw_data() const;

  // Views sharing storage. Reshape allows one -1 dimension, inferred from numel().
  Tensor Reshape(const Shape& shape) const;
  // Rows [begin, end) of axis 0.
  Tensor Slice(int64_t begin, int64_t end) const;

  Tensor Clone() const;              // deep copy on the same device
  Tensor To(Device device) const;    // deep copy onto `device`
  void CopyFrom(const Tensor& src);  // same shape and dtype, any devices
  void Fill(float value);            // float32 on the CPU
  void SetZero();                    // any dtype, any device

  bool SharesStorageWith(const Tensor& other) const {
    return storage_ != nullptr && storage_ == other.storage_;
  }
  std::string DebugString() const;  // "Tensor(float32, cpu, [2, 3])"

 private:
  Tensor(std::shared_ptr<Storage> storage, size_t offset_bytes, const Shape& shape, DType dtype);
  void CheckTypedAccess(DType requested) const;

  std::shared_ptr<Storage> storage_;
  size_t offset_bytes_ = 0;
  Shape shape_;
  DType dtype_ = DType::kFloat32;
};
std::ostream& operator<<(std::ostream& os, const Tensor& tensor);

}  // namespace nn

#endif  // NN_TENSOR_H_
