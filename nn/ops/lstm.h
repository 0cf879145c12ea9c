// Multi-layer, optionally bidirectional LSTM with PyTorch 1.13 nn.LSTM semantics, forward and
// full backpropagation through time (contract: nn/ops/README.md). float32, all tensors on one
// device (CPU kernels, or CUDA: cuBLAS products and per-step cell kernels).
//
// Semantics (as torch.nn.LSTM with zero initial state, no projection):
//   - Gate order i, f, g, o; per step a_t = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh,
//     c_t = sigmoid(a_f) c_{t-1} + sigmoid(a_i) tanh(a_g), h_t = sigmoid(a_o) tanh(c_t).
//   - Layer l > 0 reads the previous layer's output [.., D*H] (D = 2 when bidirectional:
//     forward-direction h in columns [0, H), reverse in [H, 2H)).
//   - Inter-layer dropout: in training, the output of every layer but the last is multiplied
//     by a mask of 0 or 1/(1-p). The mask is a pure function of (dropout_seed, layer,
//     element), so two forwards with one seed use the same mask (see nn/cpu/lstm.h).
//   - h_n / c_n hold the last step of each layer and direction ([L*D, B, H], index l*D + d;
//     the reverse direction's last step is t = 0), before dropout.
//
// Weights in PyTorch layout, one LstmDirectionWeights per layer and direction, index
// l*D + d: w_ih [4H, in_l] (in_0 = input_size, in_l = D*H), w_hh [4H, H], b_ih, b_hh [4H]
// (undefined tensors when bias = false). LstmParameterNames gives the state_dict names in
// the same order as LstmParameters flattens them.
#ifndef NN_OPS_LSTM_H_
#define NN_OPS_LSTM_H_

#include <cstdint>
#include <string>
#include <vector>

#include "nn/tensor.h"

namespace nn {

struct LstmOptions {
  int64_t input_size = 0;
  int64_t hidden_size = 0;
  int num_layers = 1;
  bool bias = true;
  bool batch_first = false;  // input/output [B, T, .] instead of [T, B, .]
  bool bidirectional = false;
  float dropout = 0.0f;  // in [0, 1]; between layers, training only

  int num_directions() const { return bidirectional ? 2 : 1; }
  // Input width of layer l: input_size for l = 0, D*H after.
  int64_t layer_input_size(int layer) const {
    return layer == 0 ? input_size : num_directions() * hidden_size;
  }
};

struct LstmDirectionWeights {
  Tensor w_ih;  // [4H, in_l]
  Tensor w_hh;  // [4H, H]
  Tensor b_ih;  // [4H]; undefined when bias = false
  Tensor b_hh;  // [4H]; undefined when bias = false
};

// PyTorch state_dict names in order: for each layer l, for each direction (suffix "" then
// "_reverse"): weight_ih_l{l}, weight_hh_l{l}, bias_ih_l{l}, bias_hh_l{l} (no biases when
// bias = false). E.g. "weight_hh_l1_reverse".
std::vector<std::string> LstmParameterNames(const LstmOptions& options);
// Zero-filled weights of the right shapes on `device` (e.g. gradient buffers), index l*D + d.
std::vector<LstmDirectionWeights> LstmZeroWeights(const LstmOptions& options,
                                                  Device device = Device::CPU());
// Pointers to the tensors of `weights`, in LstmParameterNames order.
std::vector<Tensor*> LstmParameters(const LstmOptions& options,
                                    std::vector<LstmDirectionWeights>* weights);

// What LstmBackward needs from the forward, all time-major ([T, B, .]). Filled by
// LstmForward; reusing one cache across calls reuses nothing (tensors are replaced).
struct LstmCache {
  int64_t seq_len = 0;  // T
  int64_t batch = 0;    // B
  // [L] input of layer l, [T, B, in_l]: layer 0 is `input` itself when batch_first is false
  // (a view: keep `input` unchanged until backward), a time-major copy otherwise; layer l > 0
  // is the previous layer's output after dropout.
  std::vector<Tensor> layer_inputs;
  // [L] output of layer l before dropout, [T, B, D*H].
  std::vector<Tensor> layer_outputs;
  // [L*D] activated gates i, f, g, o per step, [T, B, 4H].
  std::vector<Tensor> gates;
  // [L*D] cell states c_t, [T, B, H].
  std::vector<Tensor> cells;
  // [L-1] dropout masks (0 or 1/(1-p)) applied to layer_outputs[l], [T, B, D*H]; empty when
  // no dropout ran (inference, p = 0 or one layer).
  std::vector<Tensor> dropout_masks;
};

// input:  [T, B, input_size] ([B, T, input_size] when batch_first), T, B >= 1.
// output: [T, B, D*H] ([B, T, D*H] when batch_first), allocated by the caller.
// h_n, c_n: [L*D, B, H] or null. cache: filled for LstmBackward, or null (inference).
// `training` enables inter-layer dropout (p = options.dropout) with masks from dropout_seed.
void LstmForward(const LstmOptions& options, const std::vector<LstmDirectionWeights>& weights,
                 const Tensor& input, bool training, uint64_t dropout_seed, Tensor* output,
                 Tensor* h_n, Tensor* c_n, LstmCache* cache);

// Backpropagation through time from output_grad (shape of `output`; h_n and c_n are not
// differentiated). Layer by layer from the top, with dY_l = dL/d(output of layer l):
//   per direction, the recurrence of nn/cpu/lstm.h (LstmDirectionBackward) turns dY_l into
//   da_t = dL/d(pre-activation gates) and accumulates dW_ih, dW_hh, db_ih, db_hh;
//   dX_l = sum_d da_d W_ih_d            (gradient w.r.t. layer l's input)
//   dY_{l-1} = dX_l * mask_{l-1}        (through dropout; dX_l when there is none)
//   input_grad += dX_0                  (transposed back when batch_first)
// input_grad (shape of input) and weight_grads (shapes of weights, LstmZeroWeights) are
// accumulated (+=); either may be null (not needed).
void LstmBackward(const LstmOptions& options, const std::vector<LstmDirectionWeights>& weights,
                  const LstmCache& cache, const Tensor& output_grad, Tensor* input_grad,
                  std::vector<LstmDirectionWeights>* weight_grads);

}  // namespace nn

#endif  // NN_OPS_LSTM_H_
