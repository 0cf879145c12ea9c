// CUDA kernels for the LSTM; same contracts as nn/cpu/lstm.h (time-major, PyTorch's gate
// order), on device pointers. Called through the façade in nn/ops/lstm.h.
#ifndef NN_CUDA_LSTM_H_
#define NN_CUDA_LSTM_H_

#include <cstdint>

namespace nn::cuda {

void LstmInputProjection(int64_t TB, int64_t in, int64_t H, const float* x, const float* w_ih,
                         const float* b_ih, const float* b_hh, float* gates);
void LstmDirectionForward(int64_t T, int64_t B, int64_t H, bool reverse, const float* w_hh,
                          float* gates, float* cells, float* h, int64_t ldh);
void LstmDirectionBackward(int64_t T, int64_t B, int64_t H, bool reverse, const float* w_hh,
                           const float* gates, const float* cells, const float* h, int64_t ldh,
                           const float* dh_out, float* da, float* dw_hh, float* db_ih,
                           float* db_hh);
void LstmInputProjectionBackward(int64_t TB, int64_t in, int64_t H, const float* x,
                                 const float* w_ih, const float* da, float* dx, float* dw_ih);
void LstmDropoutMask(uint64_t seed, int64_t layer, float p, int64_t n, float* mask);

}  // namespace nn::cuda

#endif  // NN_CUDA_LSTM_H_
