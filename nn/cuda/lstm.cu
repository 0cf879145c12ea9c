// The LSTM on the GPU, step by step as the CPU kernels (nn/cpu/lstm.h has the math): the
// matrix products on cuBLAS (FP32), one kernel per step for the gate nonlinearities and the
// cell (forward) or the gate gradients (backward), one thread per (b, k < H). The host walks
// the steps; everything runs in order on the legacy default stream.
#include <cuda_runtime.h>

#include "nn/cpu/dropout_draw.h"
#include "nn/cuda/cublas_handle.h"
#include "nn/cuda/cuda_check.h"
#include "nn/cuda/device_buffer.h"
#include "nn/cuda/launch.h"
#include "nn/cuda/lstm.h"

namespace nn::cuda {
namespace {

int Int(int64_t v) {
  NN_CHECK(v >= 0 && v <= INT32_MAX)
      << "LSTM on CUDA: dimension " << v << " exceeds cuBLAS's int range";
  return static_cast<int>(v);
}

// C[M, N] (= or +=) op(A) op(B), row-major with leading dimensions, as nn/cpu/gemm.h: in
// cuBLAS's column-major terms C^T = op(B)^T op(A)^T.
void Gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
          const float* B, int64_t ldb, bool accumulate, float* C, int64_t ldc) {
  if (M == 0 || N == 0) return;
  const float one = 1.0f, beta = accumulate ? 1.0f : 0.0f;
  if (K == 0) {
    if (!accumulate) NN_CUDA_CHECK(cudaMemset2D(C, sizeof(float) * ldc, 0, sizeof(float) * N, M));
    return;
  }
  NN_CUBLAS_CHECK(cublasSgemm(CublasHandle(), trans_b ? CUBLAS_OP_T : CUBLAS_OP_N,
                              trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, Int(N), Int(M), Int(K), &one, B,
                              Int(ldb), A, Int(lda), &beta, C, Int(ldc)));
}

__device__ inline float Sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

// gates[r, j] += b_ih[j] + b_hh[j] (the sum rounded first, as the CPU).
__global__ void AddBiasesKernel(const float* b_ih, const float* b_hh, int64_t G, int64_t n,
                                float* gates) {
  NN_CUDA_GRID_STRIDE(k, n) {
    const int64_t j = k % G;
    gates[k] += b_ih[j] + b_hh[j];
  }
}

// One step: activate the gates of step t in place, c_t and h_t (first: no previous cell).
__global__ void CellForwardKernel(int64_t B, int64_t H, float* a, const float* c_prev, float* c,
                                  float* h, int64_t ldh) {
  NN_CUDA_GRID_STRIDE(k, B * H) {
    const int64_t b = k / H, j = k % H;
    float* ab = a + b * 4 * H;
    const float i = Sigmoid(ab[j]), f = Sigmoid(ab[H + j]), g = tanhf(ab[2 * H + j]),
                o = Sigmoid(ab[3 * H + j]);
    ab[j] = i;
    ab[H + j] = f;
    ab[2 * H + j] = g;
    ab[3 * H + j] = o;
    const float cell = c_prev != nullptr ? f * c_prev[b * H + j] + i * g : i * g;
    c[b * H + j] = cell;
    h[b * ldh + j] = o * tanhf(cell);
  }
}

// One step backwards: da of step t from dh_out, dh_next and dc_next; dc_next becomes dc * f.
__global__ void CellBackwardKernel(int64_t B, int64_t H, const float* gates, const float* c,
                                   const float* c_prev, const float* dh_out, int64_t ldh,
                                   const float* dh_next, float* dc_next, float* da) {
  NN_CUDA_GRID_STRIDE(k, B * H) {
    const int64_t b = k / H, j = k % H;
    const float* gb = gates + b * 4 * H;
    const float i = gb[j], f = gb[H + j], g = gb[2 * H + j], o = gb[3 * H + j];
    const float dh = dh_out[b * ldh + j] + dh_next[b * H + j];
    const float tanh_c = tanhf(c[b * H + j]);
    const float dc = dh * o * (1.0f - tanh_c * tanh_c) + dc_next[b * H + j];
    float* dab = da + b * 4 * H;
    dab[j] = dc * g * i * (1.0f - i);
    dab[H + j] = c_prev != nullptr ? dc * c_prev[b * H + j] * f * (1.0f - f) : 0.0f;
    dab[2 * H + j] = dc * i * (1.0f - g * g);
    dab[3 * H + j] = dh * tanh_c * o * (1.0f - o);
    dc_next[b * H + j] = dc * f;
  }
}

// db_ih[j] += sum_r da[r, j] and db_hh likewise, one thread per column, rows in order.
__global__ void BiasGradKernel(const float* da, int64_t rows, int64_t G, float* db_ih,
                               float* db_hh) {
  NN_CUDA_GRID_STRIDE(j, G) {
    float sum = 0.0f;
    for (int64_t r = 0; r < rows; ++r) sum += da[r * G + j];
    if (db_ih != nullptr) db_ih[j] += sum;
    if (db_hh != nullptr) db_hh[j] += sum;
  }
}

__global__ void DropoutMaskKernel(uint64_t stream, float p, float scale, int64_t n, float* mask) {
  NN_CUDA_GRID_STRIDE(k, n) { mask[k] = cpu::MaskEntry(cpu::LstmDropoutBits(stream, k), p, scale); }
}

void Check() { NN_CUDA_CHECK(cudaGetLastError()); }

}  // namespace

void LstmInputProjection(int64_t TB, int64_t in, int64_t H, const float* x, const float* w_ih,
                         const float* b_ih, const float* b_hh, float* gates) {
  const int64_t G = 4 * H;
  Gemm(false, true, TB, G, in, x, in, w_ih, in, /*accumulate=*/false, gates, G);
  if (b_ih != nullptr && TB * G > 0) {
    AddBiasesKernel<<<BlocksFor(TB * G), kThreadsPerBlock>>>(b_ih, b_hh, G, TB * G, gates);
    Check();
  }
}

void LstmDirectionForward(int64_t T, int64_t B, int64_t H, bool reverse, const float* w_hh,
                          float* gates, float* cells, float* h, int64_t ldh) {
  const int64_t G = 4 * H;
  if (B * H == 0) return;
  for (int64_t s = 0; s < T; ++s) {
    const int64_t t = reverse ? T - 1 - s : s;
    const int64_t t_prev = reverse ? t + 1 : t - 1;
    float* a = gates + t * B * G;
    if (s > 0) Gemm(false, true, B, G, H, h + t_prev * B * ldh, ldh, w_hh, H, true, a, G);
    CellForwardKernel<<<BlocksFor(B * H), kThreadsPerBlock>>>(
        B, H, a, s > 0 ? cells + t_prev * B * H : nullptr, cells + t * B * H, h + t * B * ldh, ldh);
    Check();
  }
}

void LstmDirectionBackward(int64_t T, int64_t B, int64_t H, bool reverse, const float* w_hh,
                           const float* gates, const float* cells, const float* h, int64_t ldh,
                           const float* dh_out, float* da, float* dw_hh, float* db_ih,
                           float* db_hh) {
  const int64_t G = 4 * H;
  if (T == 0 || B * H == 0) return;
  const DeviceBuffer<float> dh_buffer(B * H), dc_buffer(B * H);
  float *dh_next = dh_buffer.get(), *dc_next = dc_buffer.get();
  NN_CUDA_CHECK(cudaMemset(dh_next, 0, sizeof(float) * B * H));
  NN_CUDA_CHECK(cudaMemset(dc_next, 0, sizeof(float) * B * H));
  for (int64_t s = T - 1; s >= 0; --s) {
    const int64_t t = reverse ? T - 1 - s : s;
    const int64_t t_prev = reverse ? t + 1 : t - 1;
    CellBackwardKernel<<<BlocksFor(B * H), kThreadsPerBlock>>>(
        B, H, gates + t * B * G, cells + t * B * H, s > 0 ? cells + t_prev * B * H : nullptr,
        dh_out + t * B * ldh, ldh, dh_next, dc_next, da + t * B * G);
    Check();
    if (s > 0) Gemm(false, false, B, H, G, da + t * B * G, G, w_hh, H, false, dh_next, H);
  }
  if (dw_hh != nullptr && T > 1) {
    const float* da_rows = reverse ? da : da + B * G;
    const float* h_rows = reverse ? h + B * ldh : h;
    Gemm(true, false, G, H, (T - 1) * B, da_rows, G, h_rows, ldh, true, dw_hh, H);
  }
  if (db_ih != nullptr || db_hh != nullptr) {
    BiasGradKernel<<<BlocksFor(G), kThreadsPerBlock>>>(da, T * B, G, db_ih, db_hh);
    Check();
  }
}

void LstmInputProjectionBackward(int64_t TB, int64_t in, int64_t H, const float* x,
                                 const float* w_ih, const float* da, float* dx, float* dw_ih) {
  const int64_t G = 4 * H;
  if (dx != nullptr) Gemm(false, false, TB, in, G, da, G, w_ih, in, true, dx, in);
  if (dw_ih != nullptr) Gemm(true, false, G, in, TB, da, G, x, in, true, dw_ih, in);
}

void LstmDropoutMask(uint64_t seed, int64_t layer, float p, int64_t n, float* mask) {
  if (n == 0) return;
  DropoutMaskKernel<<<BlocksFor(n), kThreadsPerBlock>>>(cpu::LstmDropoutStream(seed, layer), p,
                                                        cpu::KeepScale(p), n, mask);
  Check();
}

}  // namespace nn::cuda
