// Tensor, Shape and Storage. Device memory goes through nn/cuda/runtime.h when the CUDA
// backend is compiled in (--config=cuda defines NN_HAVE_CUDA); otherwise asking for a CUDA
// tensor is a programmer error that names the missing build option.
#include "nn/tensor.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <sstream>

#include "nn/cpu_allocator.h"
#if NN_HAVE_CUDA
#include "nn/cuda/runtime.h"
#endif

namespace nn {

size_t DTypeSize(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return 4;
    case DType::kFloat16:
    case DType::kBFloat16:
      return 2;
  }
  NN_CHECK(false) << "unknown dtype " << static_cast<int>(dtype);
  return 0;
}

const char* DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return "float32";
    case DType::kFloat16:
      return "float16";
    case DType::kBFloat16:
      return "bfloat16";
  }
  return "unknown";
}

std::string Device::ToString() const { return is_cpu() ? "cpu" : "cuda:" + std::to_string(index); }

std::ostream& operator<<(std::ostream& os, Device device) { return os << device.ToString(); }

// --- Shape ---------------------------------------------------------------------------

Shape::Shape(std::initializer_list<int64_t> dims) { Init(dims.begin(), dims.size()); }

Shape::Shape(const std::vector<int64_t>& dims) { Init(dims.data(), dims.size()); }

void Shape::Init(const int64_t* dims, size_t rank) {
  NN_CHECK_LE(rank, static_cast<size_t>(kMaxRank)) << "too many dimensions";
  rank_ = static_cast<int>(rank);
  for (int i = 0; i < rank_; ++i) {
    // -1 is allowed only as a Reshape() argument, resolved there.
    NN_CHECK(dims[i] >= 0 || dims[i] == -1) << "negative dimension " << dims[i];
    dims_[i] = dims[i];
  }
}

int Shape::NormalizeAxis(int axis) const {
  const int normalized = axis < 0 ? axis + rank_ : axis;
  NN_CHECK(normalized >= 0 && normalized < rank_)
      << "axis " << axis << " out of range for shape " << ToString();
  return normalized;
}

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int i = 0; i < rank_; ++i) n *= dims_[i];
  return n;
}

std::vector<int64_t> Shape::ToVector() const {
  return std::vector<int64_t>(dims_.begin(), dims_.begin() + rank_);
}

std::string Shape::ToString() const {
  std::ostringstream os;
  os << "[";
  for (int i = 0; i < rank_; ++i) os << (i ? ", " : "") << dims_[i];
  os << "]";
  return os.str();
}

bool operator==(const Shape& a, const Shape& b) {
  if (a.rank_ != b.rank_) return false;
  for (int i = 0; i < a.rank_; ++i) {
    if (a.dims_[i] != b.dims_[i]) return false;
  }
  return true;
}

std::ostream& operator<<(std::ostream& os, const Shape& shape) { return os << shape.ToString(); }

// --- Storage -------------------------------------------------------------------------

namespace {

// Blocks of 1 MiB and more (activations, most weights) come from nn/cpu_allocator.h's
// cache of mapped blocks, apart from the malloc heap. Smaller tensors are freed and
// reallocated every step too: glibc serves blocks above its mmap threshold (dynamic) with
// fresh mmap()s, which the kernel zero-fills page by page on first touch, and returns heap
// tops above the trim threshold to the kernel. Keeping both high lets freed blocks be
// reused as they are: measured ~3% of a training step in page faults otherwise.
void ConfigureAllocatorOnce() {
  static const bool configured = [] {
    mallopt(M_MMAP_THRESHOLD, 512 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    return true;
  }();
  (void)configured;
}

}  // namespace

Storage::Storage(size_t bytes, Device device) : bytes_(bytes), device_(device) {
  if (device.is_cpu()) {
    ConfigureAllocatorOnce();
    data_ = AllocateHost(bytes, kCpuAlignment);
    return;
  }
#if NN_HAVE_CUDA
  data_ = cuda::Malloc(bytes, device.index);
#else
  NN_CHECK(false) << "a " << device << " tensor needs the CUDA backend: build with "
                  << "--config=cuda";
#endif
}

Storage::~Storage() {
  if (device_.is_cpu()) {
    FreeHost(data_, bytes_);
    return;
  }
#if NN_HAVE_CUDA
  cuda::Free(data_, device_.index);
#endif
}

// --- Tensor --------------------------------------------------------------------------

namespace {

// Copies `bytes` between any two devices.
void CopyBytes(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes) {
  if (bytes == 0) return;
  if (dst_device.is_cpu() && src_device.is_cpu()) {
    std::memcpy(dst, src, bytes);
    return;
  }
#if NN_HAVE_CUDA
  if (dst_device.is_cuda() && src_device.is_cpu()) {
    cuda::CopyHostToDevice(dst, src, bytes, dst_device.index);
  } else if (dst_device.is_cpu() && src_device.is_cuda()) {
    cuda::CopyDeviceToHost(dst, src, bytes, src_device.index);
  } else {
    cuda::CopyDeviceToDevice(dst, dst_device.index, src, src_device.index, bytes);
  }
#else
  NN_CHECK(false) << "copy between " << src_device << " and " << dst_device
                  << " needs the CUDA backend: build with --config=cuda";
#endif
}

}  // namespace

Tensor::Tensor(std::shared_ptr<Storage> storage, size_t offset_bytes, const Shape& shape,
               DType dtype)
    : storage_(std::move(storage)), offset_bytes_(offset_bytes), shape_(shape), dtype_(dtype) {}

Tensor Tensor::Empty(const Shape& shape, DType dtype, Device device) {
  for (int i = 0; i < shape.rank(); ++i) {
    NN_CHECK_GE(shape[i], 0) << "Empty: unresolved dimension in " << shape;
  }
  const size_t bytes = static_cast<size_t>(shape.numel()) * DTypeSize(dtype);
  return Tensor(std::make_shared<Storage>(bytes, device), 0, shape, dtype);
}

Tensor Tensor::Zeros(const Shape& shape, DType dtype, Device device) {
  Tensor t = Empty(shape, dtype, device);
  t.SetZero();
  return t;
}

Tensor Tensor::Full(const Shape& shape, float value) {
  Tensor t = Empty(shape);
  t.Fill(value);
  return t;
}

Tensor Tensor::FromVector(const Shape& shape, const std::vector<float>& values) {
  NN_CHECK_EQ(shape.numel(), static_cast<int64_t>(values.size()))
      << "FromVector: shape " << shape << " needs " << shape.numel() << " values";
  Tensor t = Empty(shape);
  std::memcpy(t.raw_data(), values.data(), values.size() * sizeof(float));
  return t;
}

Device Tensor::device() const {
  NN_CHECK(defined()) << "device() of an undefined tensor";
  return storage_->device();
}

void* Tensor::raw_data() {
  NN_CHECK(defined()) << "data of an undefined tensor";
  return static_cast<char*>(storage_->data()) + offset_bytes_;
}

const void* Tensor::raw_data() const {
  NN_CHECK(defined()) << "data of an undefined tensor";
  return static_cast<const char*>(storage_->data()) + offset_bytes_;
}

void Tensor::CheckTypedAccess(DType requested) const {
  NN_CHECK(defined()) << "data of an undefined tensor";
  NN_CHECK(dtype_ == requested) << "tensor is " << DTypeName(dtype_) << ", accessed as "
                                << DTypeName(requested);
  NN_CHECK(storage_->device().is_cpu())
      << "typed host access to a " << storage_->device() << " tensor; copy it To(cpu)";
}

Tensor Tensor::Reshape(const Shape& shape) const {
  NN_CHECK(defined()) << "Reshape of an undefined tensor";
  std::vector<int64_t> dims = shape.ToVector();
  int inferred = -1;
  int64_t known = 1;
  for (int i = 0; i < static_cast<int>(dims.size()); ++i) {
    if (dims[i] == -1) {
      NN_CHECK_EQ(inferred, -1) << "Reshape: more than one -1 in " << shape;
      inferred = i;
    } else {
      known *= dims[i];
    }
  }
  if (inferred >= 0) {
    NN_CHECK(known > 0 && numel() % known == 0)
        << "Reshape: cannot infer -1 in " << shape << " from " << shape_;
    dims[inferred] = numel() / known;
  }
  const Shape resolved(dims);
  NN_CHECK_EQ(resolved.numel(), numel())
      << "Reshape: " << shape_ << " has " << numel() << " elements, " << resolved << " has "
      << resolved.numel();
  return Tensor(storage_, offset_bytes_, resolved, dtype_);
}

Tensor Tensor::Slice(int64_t begin, int64_t end) const {
  NN_CHECK(defined() && rank() >= 1) << "Slice needs a tensor of rank >= 1";
  NN_CHECK(0 <= begin && begin <= end && end <= dim(0))
      << "Slice [" << begin << ", " << end << ") out of range for " << shape_;
  std::vector<int64_t> dims = shape_.ToVector();
  const size_t row_bytes =
      static_cast<size_t>(dims[0] == 0 ? 0 : numel() / dims[0]) * DTypeSize(dtype_);
  dims[0] = end - begin;
  return Tensor(storage_, offset_bytes_ + static_cast<size_t>(begin) * row_bytes, Shape(dims),
                dtype_);
}

Tensor Tensor::Clone() const { return To(device()); }

Tensor Tensor::To(Device device) const {
  Tensor copy = Empty(shape_, dtype_, device);
  copy.CopyFrom(*this);
  return copy;
}

void Tensor::CopyFrom(const Tensor& src) {
  NN_CHECK(defined() && src.defined()) << "CopyFrom with an undefined tensor";
  NN_CHECK(shape_ == src.shape_) << "CopyFrom: " << src.shape_ << " into " << shape_;
  NN_CHECK(dtype_ == src.dtype_) << "CopyFrom: " << DTypeName(src.dtype_) << " into "
                                 << DTypeName(dtype_);
  CopyBytes(raw_data(), device(), src.raw_data(), src.device(), bytes());
}

void Tensor::Fill(float value) {
  float* p = data<float>();
  for (int64_t i = 0, n = numel(); i < n; ++i) p[i] = value;
}

void Tensor::SetZero() {
  if (device().is_cpu()) {
    std::memset(raw_data(), 0, bytes());
    return;
  }
#if NN_HAVE_CUDA
  cuda::SetZero(raw_data(), bytes(), device().index);
#endif
}

std::string Tensor::DebugString() const {
  if (!defined()) return "Tensor(undefined)";
  std::ostringstream os;
  os << "Tensor(" << DTypeName(dtype_) << ", " << device() << ", " << shape_ << ")";
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const Tensor& tensor) {
  return os << tensor.DebugString();
}

}  // namespace nn
