// Convolution on cuDNN (legacy API): descriptors per call, the algorithm of each direction
// chosen once per shape by cuDNN's heuristics and cached (deterministic algorithms only,
// workspace <= kMaxCudnnWorkspace, FMA math: no TF32, so results stay within float32
// tolerance of the CPU). The forward's epilogue (scale, bias, residual, ReLU, in the CPU's
// order) is a kernel after cudnnConvolutionForward; the backward accumulates (beta = 1).
#include <cuda_runtime.h>

#include <map>
#include <mutex>
#include <tuple>

#include "nn/cuda/conv.h"
#include "nn/cuda/cuda_check.h"
#include "nn/cuda/cudnn_handle.h"
#include "nn/cuda/launch.h"

namespace nn::cuda {
namespace {

using cpu::Conv2dGeometry;

int Int(int64_t v, const char* what) {
  NN_CHECK(v >= 0 && v <= INT32_MAX)
      << "Conv2d on CUDA: " << what << " " << v << " exceeds cuDNN's int range";
  return static_cast<int>(v);
}

// The descriptors of one convolution, destroyed with it.
struct Descriptors {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr, bias = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;

  explicit Descriptors(const Conv2dGeometry& g) {
    NN_CUDNN_CHECK(cudnnCreateTensorDescriptor(&x));
    NN_CUDNN_CHECK(cudnnCreateTensorDescriptor(&y));
    NN_CUDNN_CHECK(cudnnCreateTensorDescriptor(&bias));
    NN_CUDNN_CHECK(cudnnCreateFilterDescriptor(&w));
    NN_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&conv));
    NN_CUDNN_CHECK(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT,
                                              Int(g.batch, "batch"), Int(g.in_channels, "channels"),
                                              Int(g.in_h, "height"), Int(g.in_w, "width")));
    NN_CUDNN_CHECK(cudnnSetTensor4dDescriptor(
        y, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, Int(g.batch, "batch"),
        Int(g.out_channels, "channels"), Int(g.out_h, "height"), Int(g.out_w, "width")));
    NN_CUDNN_CHECK(cudnnSetTensor4dDescriptor(bias, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 1,
                                              Int(g.out_channels, "channels"), 1, 1));
    NN_CUDNN_CHECK(cudnnSetFilter4dDescriptor(
        w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, Int(g.out_channels, "channels"),
        Int(g.in_channels / g.groups, "channels"), Int(g.kernel_h, "kernel"),
        Int(g.kernel_w, "kernel")));
    NN_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(
        conv, Int(g.pad_h, "padding"), Int(g.pad_w, "padding"), Int(g.stride_h, "stride"),
        Int(g.stride_w, "stride"), Int(g.dilation_h, "dilation"), Int(g.dilation_w, "dilation"),
        CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    NN_CUDNN_CHECK(cudnnSetConvolutionGroupCount(conv, Int(g.groups, "groups")));
    NN_CUDNN_CHECK(cudnnSetConvolutionMathType(conv, CUDNN_FMA_MATH));
  }
  ~Descriptors() {
    cudnnDestroyConvolutionDescriptor(conv);
    cudnnDestroyFilterDescriptor(w);
    cudnnDestroyTensorDescriptor(bias);
    cudnnDestroyTensorDescriptor(y);
    cudnnDestroyTensorDescriptor(x);
  }
  Descriptors(const Descriptors&) = delete;
  Descriptors& operator=(const Descriptors&) = delete;
};

enum class Direction { kForward, kBackwardData, kBackwardFilter };

// The cache key: the device, the direction and every field of the geometry.
using Key =
    std::tuple<int, int, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
               int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t>;
Key KeyOf(Direction direction, const Conv2dGeometry& g) {
  int device = 0;
  NN_CUDA_CHECK(cudaGetDevice(&device));
  return Key(device, static_cast<int>(direction), g.batch, g.in_channels, g.in_h, g.in_w,
             g.out_channels, g.out_h, g.out_w, g.kernel_h, g.kernel_w, g.stride_h, g.stride_w,
             g.pad_h, g.pad_w, g.dilation_h, g.dilation_w, g.groups);
}

struct Choice {
  int algo = 0;
  size_t workspace = 0;
};

// The first of cuDNN's ranked candidates that succeeded, is deterministic and fits the
// workspace bound. `Perf` is one of cuDNN's *AlgoPerf_t structs.
template <typename Perf>
Choice Pick(const Perf* perf, int count, const char* direction, const Conv2dGeometry& g) {
  for (int i = 0; i < count; ++i) {
    if (perf[i].status == CUDNN_STATUS_SUCCESS && perf[i].determinism == CUDNN_DETERMINISTIC &&
        perf[i].memory <= kMaxCudnnWorkspace) {
      return {static_cast<int>(perf[i].algo), perf[i].memory};
    }
  }
  NN_CHECK(false) << "Conv2d on CUDA: cuDNN has no deterministic " << direction
                  << " algorithm within " << (kMaxCudnnWorkspace >> 20) << " MiB for batch "
                  << g.batch << ", " << g.in_channels << "->" << g.out_channels << " channels, "
                  << g.kernel_h << "x" << g.kernel_w << " kernel, groups " << g.groups;
  return {};
}

Choice Algorithm(Direction direction, const Conv2dGeometry& g, const Descriptors& d) {
  static std::mutex mutex;
  static std::map<Key, Choice> cache;
  const Key key = KeyOf(direction, g);
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
  }
  constexpr int kCandidates = 16;
  int found = 0;
  Choice choice;
  cudnnHandle_t handle = CudnnHandle();
  if (direction == Direction::kForward) {
    cudnnConvolutionFwdAlgoPerf_t perf[kCandidates];
    NN_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(handle, d.x, d.w, d.conv, d.y,
                                                          kCandidates, &found, perf));
    choice = Pick(perf, found, "forward", g);
  } else if (direction == Direction::kBackwardData) {
    cudnnConvolutionBwdDataAlgoPerf_t perf[kCandidates];
    NN_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(handle, d.w, d.y, d.conv, d.x,
                                                               kCandidates, &found, perf));
    choice = Pick(perf, found, "backward-data", g);
  } else {
    cudnnConvolutionBwdFilterAlgoPerf_t perf[kCandidates];
    NN_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(handle, d.x, d.y, d.conv, d.w,
                                                                 kCandidates, &found, perf));
    choice = Pick(perf, found, "backward-filter", g);
  }
  std::lock_guard<std::mutex> lock(mutex);
  cache.emplace(key, choice);
  return choice;
}

// y = relu?(y * scale[c] + bias[c] + residual), the CPU epilogue's order.
__global__ void EpilogueKernel(float* y, const float* scale, const float* bias,
                               const float* residual, bool relu, int64_t channels, int64_t plane,
                               int64_t n) {
  NN_CUDA_GRID_STRIDE(i, n) {
    const int64_t c = (i / plane) % channels;
    float v = y[i];
    if (scale != nullptr) v = v * scale[c];
    if (bias != nullptr) v = v + bias[c];
    if (residual != nullptr) v = v + residual[i];
    if (relu) v = (v < 0.0f) ? 0.0f : v;  // NaN stays NaN
    y[i] = v;
  }
}

}  // namespace

void Conv2dForward(const Conv2dGeometry& g, const float* input, const float* weight,
                   const float* scale, const float* bias, const float* residual, bool relu,
                   float* output) {
  const int64_t n = g.batch * g.out_channels * g.out_h * g.out_w;
  if (n == 0) return;
  const Descriptors d(g);
  const Choice choice = Algorithm(Direction::kForward, g, d);
  const float one = 1.0f, zero = 0.0f;
  {
    std::unique_lock<std::mutex> lock;
    void* workspace = CudnnWorkspace(choice.workspace, &lock);
    NN_CUDNN_CHECK(cudnnConvolutionForward(CudnnHandle(), &one, d.x, input, d.w, weight, d.conv,
                                           static_cast<cudnnConvolutionFwdAlgo_t>(choice.algo),
                                           workspace, choice.workspace, &zero, d.y, output));
  }
  if (scale != nullptr || bias != nullptr || residual != nullptr || relu) {
    EpilogueKernel<<<BlocksFor(n), kThreadsPerBlock>>>(output, scale, bias, residual, relu,
                                                       g.out_channels, g.out_h * g.out_w, n);
    NN_CUDA_CHECK(cudaGetLastError());
  }
}

void Conv2dBackward(const Conv2dGeometry& g, const float* input, const float* weight,
                    const float* output_grad, float* input_grad, float* weight_grad,
                    float* bias_grad) {
  if (g.batch * g.out_channels * g.out_h * g.out_w == 0) return;
  const Descriptors d(g);
  const float one = 1.0f;
  if (input_grad != nullptr) {
    const Choice choice = Algorithm(Direction::kBackwardData, g, d);
    std::unique_lock<std::mutex> lock;
    void* workspace = CudnnWorkspace(choice.workspace, &lock);
    NN_CUDNN_CHECK(
        cudnnConvolutionBackwardData(CudnnHandle(), &one, d.w, weight, d.y, output_grad, d.conv,
                                     static_cast<cudnnConvolutionBwdDataAlgo_t>(choice.algo),
                                     workspace, choice.workspace, &one, d.x, input_grad));
  }
  if (weight_grad != nullptr) {
    const Choice choice = Algorithm(Direction::kBackwardFilter, g, d);
    std::unique_lock<std::mutex> lock;
    void* workspace = CudnnWorkspace(choice.workspace, &lock);
    NN_CUDNN_CHECK(
        cudnnConvolutionBackwardFilter(CudnnHandle(), &one, d.x, input, d.y, output_grad, d.conv,
                                       static_cast<cudnnConvolutionBwdFilterAlgo_t>(choice.algo),
                                       workspace, choice.workspace, &one, d.w, weight_grad));
  }
  if (bias_grad != nullptr) {
    NN_CUDNN_CHECK(cudnnConvolutionBackwardBias(CudnnHandle(), &one, d.y, output_grad, &one, d.bias,
                                                bias_grad));
  }
}

}  // namespace nn::cuda
