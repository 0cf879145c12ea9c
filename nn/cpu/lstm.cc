// LSTM CPU kernels: Eigen GEMMs for the input projection, the recurrence and the weight
// gradients, vectorized Eigen array code for the gate nonlinearities.
#include "nn/cpu/lstm.h"

#include <Eigen/Core>
#include <vector>

#include "base/thread_pool.h"
#include "nn/cpu/dropout_draw.h"
#include "nn/cpu/gemm.h"

namespace nn::cpu {
namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Stride = Eigen::OuterStride<>;
using MatrixMap = Eigen::Map<RowMatrix, Eigen::Unaligned, Stride>;
using ConstMatrixMap = Eigen::Map<const RowMatrix, Eigen::Unaligned, Stride>;
using ArrayMap = Eigen::Map<Eigen::ArrayXf>;
using ConstArrayMap = Eigen::Map<const Eigen::ArrayXf>;

// Products below this many flops run on the calling thread: a fork-join costs more. The
// choice depends on the sizes only, so results stay independent of the thread count.
constexpr double kParallelFlops = 2.0 * (1 << 20);

// C[M, N] (= or +=) op(A) op(B) on row-major operands with leading dimensions (gemm.h).
void Gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
          const float* B, int64_t ldb, bool accumulate, float* C, int64_t ldc) {
  // Eigen's GEMM packs both operands on every call; with 2 or 3 rows (the recurrence at
  // B = 2, 3) one matrix-vector product per row is about twice as fast.
  if (!trans_a && M > 1 && M < 4) {
    for (int64_t m = 0; m < M; ++m) {
      Gemm(false, trans_b, 1, N, K, A + m * lda, lda, B, ldb, accumulate, C + m * ldc, ldc);
    }
    return;
  }
  const float beta = accumulate ? 1.0f : 0.0f;
  if (2.0 * static_cast<double>(M) * N * K < kParallelFlops) {
    Sgemm(trans_a, trans_b, M, N, K, 1.0f, A, lda, B, ldb, beta, C, ldc);
  } else {
    ParallelSgemm(trans_a, trans_b, M, N, K, 1.0f, A, lda, B, ldb, beta, C, ldc);
  }
}

}  // namespace

void LstmInputProjection(int64_t TB, int64_t in, int64_t H, const float* x, const float* w_ih,
                         const float* b_ih, const float* b_hh, float* gates) {
  const int64_t G = 4 * H;
  // gates = x W_ih^T: [T*B, in] x [in, 4H], all steps in one GEMM.
  Gemm(/*trans_a=*/false, /*trans_b=*/true, TB, G, in, x, in, w_ih, in, /*accumulate=*/false, gates,
       G);
  if (b_ih != nullptr) {
    const Eigen::RowVectorXf bias = Eigen::Map<const Eigen::RowVectorXf>(b_ih, G) +
                                    Eigen::Map<const Eigen::RowVectorXf>(b_hh, G);
    MatrixMap(gates, TB, G, Stride(G)).rowwise() += bias;
  }
}

void LstmDirectionForward(int64_t T, int64_t B, int64_t H, bool reverse, const float* w_hh,
                          float* gates, float* cells, float* h, int64_t ldh) {
  const int64_t G = 4 * H;
  for (int64_t s = 0; s < T; ++s) {  // s: position in the direction's walk
    const int64_t t = reverse ? T - 1 - s : s;
    const int64_t t_prev = reverse ? t + 1 : t - 1;  // valid when s > 0
    float* a = gates + t * B * G;
    // The recurrence: a_t += h_{t-1} W_hh^T (h_{-1} = 0 adds nothing).
    if (s > 0) {
      Gemm(false, true, B, G, H, h + t_prev * B * ldh, ldh, w_hh, H, /*accumulate=*/true, a, G);
    }
    for (int64_t b = 0; b < B; ++b) {
      float* ab = a + b * G;
      ArrayMap i(ab, H), f(ab + H, H), g(ab + 2 * H, H), o(ab + 3 * H, H);
      i = i.logistic();
      f = f.logistic();
      g = g.tanh();
      o = o.logistic();
      ArrayMap c(cells + (t * B + b) * H, H);
      if (s > 0) {
        c = f * ConstArrayMap(cells + (t_prev * B + b) * H, H) + i * g;
      } else {
        c = i * g;
      }
      ArrayMap(h + (t * B + b) * ldh, H) = o * c.tanh();
    }
  }
}

void LstmDirectionBackward(int64_t T, int64_t B, int64_t H, bool reverse, const float* w_hh,
                           const float* gates, const float* cells, const float* h, int64_t ldh,
                           const float* dh_out, float* da, float* dw_hh, float* db_ih,
                           float* db_hh) {
  const int64_t G = 4 * H;
  // dh_next = dL/dh_t through step t+1's gates; dc_next = dL/dc_t through c_{t+1}.
  std::vector<float> dh_next(B * H, 0.0f), dc_next(B * H, 0.0f);
  Eigen::ArrayXf dh(H), dc(H), tanh_c(H);
  for (int64_t s = T - 1; s >= 0; --s) {  // s: position in the direction's walk
    const int64_t t = reverse ? T - 1 - s : s;
    const int64_t t_prev = reverse ? t + 1 : t - 1;  // valid when s > 0
    for (int64_t b = 0; b < B; ++b) {
      const float* gb = gates + (t * B + b) * G;
      const ConstArrayMap i(gb, H), f(gb + H, H), g(gb + 2 * H, H), o(gb + 3 * H, H);
      float* dab = da + (t * B + b) * G;
      ArrayMap da_i(dab, H), da_f(dab + H, H), da_g(dab + 2 * H, H), da_o(dab + 3 * H, H);
      ArrayMap dh_nb(dh_next.data() + b * H, H), dc_nb(dc_next.data() + b * H, H);
      // dh = dh_out_t + dh_next;  dc = dh * o * (1 - tanh(c_t)^2) + dc_next.
      dh = ConstArrayMap(dh_out + (t * B + b) * ldh, H) + dh_nb;
      tanh_c = ConstArrayMap(cells + (t * B + b) * H, H).tanh();
      dc = dh * o * (1.0f - tanh_c.square()) + dc_nb;
      // Through the nonlinearities: sigmoid' = s (1 - s), tanh' = 1 - tanh^2.
      da_i = dc * g * i * (1.0f - i);
      if (s > 0) {
        da_f = dc * ConstArrayMap(cells + (t_prev * B + b) * H, H) * f * (1.0f - f);
      } else {
        da_f.setZero();  // c_{t-1} = 0
      }
      da_g = dc * i * (1.0f - g.square());
      da_o = dh * tanh_c * o * (1.0f - o);
      // dc_{t-1} gets dc * f through c_t = f * c_{t-1} + i * g.
      dc_nb = dc * f;
    }
    // dh_{t-1} = da_t W_hh, through a_t = ... + h_{t-1} W_hh^T.
    if (s > 0) {
      Gemm(false, false, B, H, G, da + t * B * G, G, w_hh, H, /*accumulate=*/false, dh_next.data(),
           H);
    }
  }
  // dW_hh += sum_t da_t^T h_{t-1}; the direction's first step has h_{t-1} = 0. Forward:
  // da rows of t = 1..T-1 with h of t = 0..T-2; reverse: da of t = 0..T-2 with h of 1..T-1.
  if (dw_hh != nullptr && T > 1) {
    const float* da_rows = reverse ? da : da + B * G;
    const float* h_rows = reverse ? h + B * ldh : h;
    Gemm(true, false, G, H, (T - 1) * B, da_rows, G, h_rows, ldh, /*accumulate=*/true, dw_hh, H);
  }
  // db_ih += sum_{t,b} da;  db_hh likewise (both enter a_t the same way).
  if (db_ih != nullptr || db_hh != nullptr) {
    const Eigen::RowVectorXf db = ConstMatrixMap(da, T * B, G, Stride(G)).colwise().sum();
    if (db_ih != nullptr) Eigen::Map<Eigen::RowVectorXf>(db_ih, G) += db;
    if (db_hh != nullptr) Eigen::Map<Eigen::RowVectorXf>(db_hh, G) += db;
  }
}

void LstmInputProjectionBackward(int64_t TB, int64_t in, int64_t H, const float* x,
                                 const float* w_ih, const float* da, float* dx, float* dw_ih) {
  const int64_t G = 4 * H;
  // dx += da W_ih: [T*B, 4H] x [4H, in].
  if (dx != nullptr) Gemm(false, false, TB, in, G, da, G, w_ih, in, /*accumulate=*/true, dx, in);
  // dW_ih += da^T x: [4H, T*B] x [T*B, in].
  if (dw_ih != nullptr) {
    Gemm(true, false, G, in, TB, da, G, x, in, /*accumulate=*/true, dw_ih, in);
  }
}

void LstmDropoutMask(uint64_t seed, int64_t layer, float p, int64_t n, float* mask) {
  const float scale = KeepScale(p);
  const uint64_t stream = LstmDropoutStream(seed, layer);
  base::ParallelFor(
      n,
      [&](int64_t begin, int64_t end) {
        for (int64_t k = begin; k < end; ++k) {
          mask[k] = MaskEntry(LstmDropoutBits(stream, k), p, scale);
        }
      },
      /*min_chunk=*/4096);
}

}  // namespace nn::cpu
