// Optimizer updates on the GPU: every element on its own (grid-stride loops), with the CPU
// kernels' formulas, their fused multiply-adds as fmaf and every other operation rounded on
// its own (__fmul_rn and friends: nvcc would otherwise fuse them, which the CPU kernels,
// built with -ffp-contract=off, do not), so the updates give the CPU's bits.
// The norm reduces blocks of kNormBlock elements in double on the device (one CUDA block
// each, a tree in shared memory) and combines the block results on the host with the CPU
// kernel's NormFromBlocks.
#include <cuda_runtime.h>

#include <cmath>
#include <vector>

#include "nn/cpu/optimizer_ops.h"
#include "nn/cuda/cuda_check.h"
#include "nn/cuda/device_buffer.h"
#include "nn/cuda/launch.h"
#include "nn/cuda/optimizer_ops.h"

namespace nn::cuda {
namespace {

using cpu::kNormBlock;

__global__ void SgdStepKernel(const float* grad, float* p, float* b, int64_t n, float neg_lr,
                              float weight_decay, float momentum, float one_minus_dampening,
                              bool first_step, bool nesterov) {
  NN_CUDA_GRID_STRIDE(i, n) {
    float d = grad[i];
    if (weight_decay != 0) d = fmaf(p[i], weight_decay, d);
    if (b != nullptr) {
      b[i] = first_step ? d : fmaf(d, one_minus_dampening, __fmul_rn(b[i], momentum));
      d = nesterov ? fmaf(b[i], momentum, d) : b[i];
    }
    p[i] = fmaf(d, neg_lr, p[i]);
  }
}

__global__ void AdamStepKernel(const float* grad, float* p, float* m, float* v, int64_t n,
                               float beta1, float beta2, float one_minus_beta1,
                               float one_minus_beta2, float neg_step_size,
                               float bias_correction2_sqrt, float eps, float weight_decay,
                               float decay_factor, bool decoupled) {
  const bool l2 = !decoupled && weight_decay != 0;
  NN_CUDA_GRID_STRIDE(i, n) {
    float g = grad[i];
    if (decoupled) p[i] = __fmul_rn(p[i], decay_factor);
    if (l2) g = fmaf(p[i], weight_decay, g);
    m[i] = fmaf(g, one_minus_beta1, __fmul_rn(m[i], beta1));
    v[i] = __fadd_rn(__fmul_rn(v[i], beta2), __fmul_rn(__fmul_rn(one_minus_beta2, g), g));
    const float denom = __fadd_rn(__fdiv_rn(__fsqrt_rn(v[i]), bias_correction2_sqrt), eps);
    p[i] = __fadd_rn(p[i], __fdiv_rn(__fmul_rn(neg_step_size, m[i]), denom));
  }
}

// partial[block] = the reduction of x's kNormBlock-element block `blockIdx.x`: sum |x|^p
// (max |x|, NaN winning, for p = inf).
__global__ void NormBlocksKernel(const float* x, int64_t n, double p, bool is_inf,
                                 double* partial) {
  __shared__ double shared[kThreadsPerBlock];
  const int64_t begin = blockIdx.x * kNormBlock;
  const int64_t end = begin + kNormBlock < n ? begin + kNormBlock : n;
  double acc = 0;
  for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) {
    const double a = fabs(static_cast<double>(x[i]));
    if (is_inf) {
      acc = (a > acc || isnan(a)) ? a : acc;
    } else if (p == 2.0) {
      acc += a * a;
    } else if (p == 1.0) {
      acc += a;
    } else {
      acc += pow(a, p);
    }
  }
  shared[threadIdx.x] = acc;
  __syncthreads();
  for (int s = kThreadsPerBlock / 2; s > 0; s /= 2) {
    if (threadIdx.x < s) {
      const double a = shared[threadIdx.x], b = shared[threadIdx.x + s];
      shared[threadIdx.x] = is_inf ? ((b > a || isnan(b)) ? b : a) : a + b;
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) partial[blockIdx.x] = shared[0];
}

__global__ void ScaleKernel(float* x, int64_t n, float factor) {
  NN_CUDA_GRID_STRIDE(i, n) { x[i] = __fmul_rn(x[i], factor); }
}

}  // namespace

void SgdStep(const float* grad, float* param, float* momentum_buffer, int64_t n, float neg_lr,
             float weight_decay, float momentum, float one_minus_dampening, bool first_step,
             bool nesterov) {
  if (n == 0) return;
  SgdStepKernel<<<BlocksFor(n), kThreadsPerBlock>>>(grad, param, momentum_buffer, n, neg_lr,
                                                    weight_decay, momentum, one_minus_dampening,
                                                    first_step, nesterov);
  NN_CUDA_CHECK(cudaGetLastError());
}

void AdamStep(const float* grad, float* param, float* exp_avg, float* exp_avg_sq, int64_t n,
              float beta1, float beta2, float one_minus_beta1, float one_minus_beta2,
              float neg_step_size, float bias_correction2_sqrt, float eps, float weight_decay,
              float decay_factor, bool decoupled) {
  if (n == 0) return;
  AdamStepKernel<<<BlocksFor(n), kThreadsPerBlock>>>(
      grad, param, exp_avg, exp_avg_sq, n, beta1, beta2, one_minus_beta1, one_minus_beta2,
      neg_step_size, bias_correction2_sqrt, eps, weight_decay, decay_factor, decoupled);
  NN_CUDA_CHECK(cudaGetLastError());
}

float VectorNorm(const float* x, int64_t n, double p) {
  if (n == 0) return 0.0f;
  const int64_t blocks = (n + kNormBlock - 1) / kNormBlock;
  NN_CHECK_LE(blocks, int64_t{INT32_MAX}) << "VectorNorm: " << n << " elements";
  const bool is_inf = std::isinf(p);
  const DeviceBuffer<double> partial(blocks);
  NormBlocksKernel<<<static_cast<unsigned>(blocks), kThreadsPerBlock>>>(x, n, p, is_inf,
                                                                        partial.get());
  NN_CUDA_CHECK(cudaGetLastError());
  std::vector<double> host(blocks);
  NN_CUDA_CHECK(
      cudaMemcpy(host.data(), partial.get(), sizeof(double) * blocks, cudaMemcpyDeviceToHost));
  return cpu::NormFromBlocks(host.data(), blocks, p);
}

void ScaleInPlace(float* x, int64_t n, float factor) {
  if (n == 0) return;
  ScaleKernel<<<BlocksFor(n), kThreadsPerBlock>>>(x, n, factor);
  NN_CUDA_CHECK(cudaGetLastError());
}

}  // namespace nn::cuda
