// CPU (Eigen) kernels for the LSTM on raw float arrays: one direction of one layer over a
// whole sequence, forward and backward through time, plus inter-layer dropout masks. The
// layer/direction orchestration, shape checks and batch_first handling live in
// nn/ops/lstm.h; everything here is time-major, row-major and float32.
//
// Gates are in PyTorch's order i, f, g, o: row block k of W_ih [4H, in], W_hh [4H, H] and
// of the biases [4H] belongs to gate k. Per step (zero initial state):
//   a_t = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh          [B, 4H]
//   i = sigmoid(a_i), f = sigmoid(a_f), g = tanh(a_g), o = sigmoid(a_o)
//   c_t = f * c_{t-1} + i * g,   h_t = o * tanh(c_t)
// A reverse direction walks t = T-1 .. 0, its "previous" step being t+1.
//
// Matrix products go through nn/cpu/gemm.h (Eigen on row-major maps); large ones run as
// ParallelSgemm's fixed tiles on base::ParallelFor. Nothing reduces across threads, so
// the results are the same bits for any thread count.
#ifndef NN_CPU_LSTM_H_
#define NN_CPU_LSTM_H_

#include <cstdint>

namespace nn::cpu {

// Input projection of one direction of one layer for all steps at once (one GEMM):
//   gates[t*B + b] = x_t W_ih^T + b_ih + b_hh
//   x [T*B, in] (time-major, contiguous), w_ih [4H, in], b_ih, b_hh [4H] or both null
//   (bias = false), gates [T*B, 4H] out.
void LstmInputProjection(int64_t TB, int64_t in, int64_t H, const float* x, const float* w_ih,
                         const float* b_ih, const float* b_hh, float* gates);

// The recurrence of one direction of one layer over T steps, after LstmInputProjection:
//   gates  [T, B, 4H]  in: the input projection; out: activated gates i, f, g, o per step
//   w_hh   [4H, H]
//   cells  [T, B, H]   out: c_t per step
//   h      [T, B, ldh] out: h_t written to columns [0, H) of rows of stride ldh (the caller
//                      offsets the pointer by dir*H to interleave directions)
void LstmDirectionForward(int64_t T, int64_t B, int64_t H, bool reverse, const float* w_hh,
                          float* gates, float* cells, float* h, int64_t ldh);

// Backward through time of one direction of one layer, given the forward's gates, cells and
// h (as LstmDirectionForward wrote them) and dh_out [T, B, ldh] (columns [0, H)): the
// gradient of the loss w.r.t. h_t from above (the layer output) only. With
// da_t = dL/da_t [B, 4H] (pre-activation gates), walking the steps backwards from the
// direction's last step, with dh_next = dc_next = 0 there:
//   dh   = dh_out_t + dh_next                     (dh_next = da_{t+1} W_hh: the recurrence)
//   dc   = dh * o * (1 - tanh(c_t)^2) + dc_next   (dc_next = dc_{t+1} * f_{t+1})
//   da_i = dc * g * i (1 - i)         da_f = dc * c_{t-1} * f (1 - f)
//   da_g = dc * i * (1 - g^2)         da_o = dh * tanh(c_t) * o (1 - o)
// then, summed over all steps (h_{t-1} = 0 at the direction's first step, so it drops out):
//   dW_hh += sum_t da_t^T h_{t-1}
//   db_ih += sum_t,b da_t           db_hh += sum_t,b da_t
// Writes da [T, B, 4H]; accumulates into dw_hh, db_ih, db_hh (each may be null: not
// needed). The input side is LstmInputProjectionBackward.
void LstmDirectionBackward(int64_t T, int64_t B, int64_t H, bool reverse, const float* w_hh,
                           const float* gates, const float* cells, const float* h, int64_t ldh,
                           const float* dh_out, float* da, float* dw_hh, float* db_ih,
                           float* db_hh);

// Backward of LstmInputProjection, summed over all T*B rows:
//   dx [T*B, in] += da [T*B, 4H] W_ih      dW_ih [4H, in] += da^T x
// dx and dw_ih may be null (not needed).
void LstmInputProjectionBackward(int64_t TB, int64_t in, int64_t H, const float* x,
                                 const float* w_ih, const float* da, float* dx, float* dw_ih);

// Inter-layer dropout mask: mask[k] = (u_k >= p) ? 1/(1-p) : 0 (all zeros when p = 1),
// for k in [0, n), where u_k in [0, 1) is a hash of (seed, layer, k) (SplitMix64). A pure
// function of its arguments: the same seed gives the same mask on every call and thread
// count, so a repeated forward (e.g. a gradient check) sees the same mask.
void LstmDropoutMask(uint64_t seed, int64_t layer, float p, int64_t n, float* mask);

}  // namespace nn::cpu

#endif  // NN_CPU_LSTM_H_
