// Pooling on the GPU. Max pooling: one thread per output scans its window in the CPU's order
// (first maximum wins ties, NaN wins); the backward gathers, one thread per input element,
// the gradients of the outputs whose argmax it is, in output order: the CPU's sums, with no
// atomics, so the same bits. Global average pooling: one thread per plane sums it in double,
// in order; the backward spreads each plane's share.
#include <cuda_runtime.h>

#include "nn/cuda/cuda_check.h"
#include "nn/cuda/launch.h"
#include "nn/cuda/pool.h"

namespace nn::cuda {
namespace {

using cpu::Pool2dGeometry;

// The window of output o along one axis: input positions first, first + dilation, ... < end.
__device__ inline void Window(int64_t o, int64_t stride, int64_t pad, int64_t kernel,
                              int64_t dilation, int64_t size, int64_t* first, int64_t* end) {
  int64_t f = o * stride - pad;
  const int64_t e = f + (kernel - 1) * dilation + 1;
  *end = e < size ? e : size;
  while (f < 0) f += dilation;
  *first = f;
}

__global__ void MaxForwardKernel(Pool2dGeometry g, const float* input, float* output,
                                 int32_t* argmax) {
  const int64_t out_plane = g.out_h * g.out_w;
  NN_CUDA_GRID_STRIDE(k, g.planes * out_plane) {
    const int64_t plane = k / out_plane, oh = (k % out_plane) / g.out_w, ow = k % g.out_w;
    const float* x = input + plane * g.in_h * g.in_w;
    int64_t row_first, row_end, col_first, col_end;
    Window(oh, g.stride_h, g.pad_h, g.kernel_h, g.dilation_h, g.in_h, &row_first, &row_end);
    Window(ow, g.stride_w, g.pad_w, g.kernel_w, g.dilation_w, g.in_w, &col_first, &col_end);
    int64_t best_index =
        row_first < row_end && col_first < col_end ? row_first * g.in_w + col_first : -1;
    float best = -INFINITY;
    for (int64_t ih = row_first; ih < row_end; ih += g.dilation_h) {
      for (int64_t iw = col_first; iw < col_end; iw += g.dilation_w) {
        const float v = x[ih * g.in_w + iw];
        if (v > best || isnan(v)) {
          best = v;
          best_index = ih * g.in_w + iw;
        }
      }
    }
    output[k] = best;
    if (argmax != nullptr) argmax[k] = static_cast<int32_t>(best_index);
  }
}

// Outputs along one axis whose windows may hold input position i: o in [*lo, *hi].
__device__ inline void Covering(int64_t i, int64_t stride, int64_t pad, int64_t kernel,
                                int64_t dilation, int64_t outputs, int64_t* lo, int64_t* hi) {
  const int64_t reach = i + pad - (kernel - 1) * dilation;  // o * stride >= reach
  int64_t l = reach <= 0 ? 0 : (reach + stride - 1) / stride;
  int64_t h = (i + pad) / stride;  // o * stride <= i + pad
  *lo = l;
  *hi = h < outputs - 1 ? h : outputs - 1;
}

__global__ void MaxBackwardKernel(Pool2dGeometry g, const float* output_grad, const int32_t* argmax,
                                  float* input_grad) {
  const int64_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
  NN_CUDA_GRID_STRIDE(k, g.planes * in_plane) {
    const int64_t plane = k / in_plane, position = k % in_plane;
    const int64_t ih = position / g.in_w, iw = position % g.in_w;
    int64_t oh_lo, oh_hi, ow_lo, ow_hi;
    Covering(ih, g.stride_h, g.pad_h, g.kernel_h, g.dilation_h, g.out_h, &oh_lo, &oh_hi);
    Covering(iw, g.stride_w, g.pad_w, g.kernel_w, g.dilation_w, g.out_w, &ow_lo, &ow_hi);
    const int32_t* index = argmax + plane * out_plane;
    const float* dy = output_grad + plane * out_plane;
    float sum = input_grad[k];
    for (int64_t oh = oh_lo; oh <= oh_hi; ++oh) {
      for (int64_t ow = ow_lo; ow <= ow_hi; ++ow) {
        const int64_t o = oh * g.out_w + ow;
        if (index[o] == position) sum += dy[o];
      }
    }
    input_grad[k] = sum;
  }
}

__global__ void GlobalAvgForwardKernel(int64_t planes, int64_t hw, const float* input,
                                       float* output) {
  NN_CUDA_GRID_STRIDE(plane, planes) {
    const float* x = input + plane * hw;
    double sum = 0;
    for (int64_t i = 0; i < hw; ++i) sum += x[i];
    output[plane] = static_cast<float>(sum / static_cast<double>(hw));
  }
}

__global__ void GlobalAvgBackwardKernel(int64_t planes, int64_t hw, const float* output_grad,
                                        float* input_grad) {
  NN_CUDA_GRID_STRIDE(k, planes * hw) {
    input_grad[k] += output_grad[k / hw] / static_cast<float>(hw);
  }
}

}  // namespace

void MaxPool2dForward(const Pool2dGeometry& g, const float* input, float* output, int32_t* argmax) {
  const int64_t n = g.planes * g.out_h * g.out_w;
  if (n == 0) return;
  MaxForwardKernel<<<BlocksFor(n), kThreadsPerBlock>>>(g, input, output, argmax);
  NN_CUDA_CHECK(cudaGetLastError());
}

void MaxPool2dBackward(const Pool2dGeometry& g, const float* output_grad, const int32_t* argmax,
                       float* input_grad) {
  const int64_t n = g.planes * g.in_h * g.in_w;
  if (n == 0 || g.out_h * g.out_w == 0) return;
  MaxBackwardKernel<<<BlocksFor(n), kThreadsPerBlock>>>(g, output_grad, argmax, input_grad);
  NN_CUDA_CHECK(cudaGetLastError());
}

void GlobalAvgPool2dForward(int64_t planes, int64_t hw, const float* input, float* output) {
  if (planes == 0) return;
  GlobalAvgForwardKernel<<<BlocksFor(planes), kThreadsPerBlock>>>(planes, hw, input, output);
  NN_CUDA_CHECK(cudaGetLastError());
}

void GlobalAvgPool2dBackward(int64_t planes, int64_t hw, const float* output_grad,
                             float* input_grad) {
  if (planes * hw == 0) return;
  GlobalAvgBackwardKernel<<<BlocksFor(planes * hw), kThreadsPerBlock>>>(planes, hw, output_grad,
                                                                        input_grad);
  NN_CUDA_CHECK(cudaGetLastError());
}

}  // namespace nn::cuda
