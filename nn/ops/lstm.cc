// LSTM orchestration: contract checks (OpCheck), batch_first transposes, layers, directions
// (run in parallel) and inter-layer dropout, every data movement a kernel dispatched by
// device: nn/cpu/lstm.h, nn/cpu/copy.h, nn/cpu/dropout.h, nn/cpu/elementwise.h, or their
// nn/cuda/ counterparts.
#include "nn/ops/lstm.h"

#include "base/thread_pool.h"
#include "nn/cpu/copy.h"
#include "nn/cpu/dropout.h"
#include "nn/cpu/elementwise.h"
#include "nn/cpu/lstm.h"
#include "nn/ops/internal/dispatch.h"
#include "nn/ops/internal/op_check.h"
#if NN_HAVE_CUDA
#include "nn/cuda/copy.h"
#include "nn/cuda/dropout.h"
#include "nn/cuda/elementwise.h"
#include "nn/cuda/lstm.h"
#endif

namespace nn {
namespace {

using ops_internal::Data;
using ops_internal::Dispatch;
using ops_internal::MutableData;
using ops_internal::OpCheck;

void CheckOptions(const char* op, const LstmOptions& o) {
  NN_CHECK(o.input_size > 0 && o.hidden_size > 0 && o.num_layers >= 1 && o.dropout >= 0.0f &&
           o.dropout <= 1.0f)
      << op << ": bad options: input_size " << o.input_size << ", hidden_size " << o.hidden_size
      << ", num_layers " << o.num_layers << ", dropout " << o.dropout;
}

void CheckWeights(OpCheck& check, const LstmOptions& o,
                  const std::vector<LstmDirectionWeights>& weights, const char* what) {
  const int D = o.num_directions();
  const int64_t H = o.hidden_size;
  NN_CHECK_EQ(weights.size(), static_cast<size_t>(o.num_layers * D))
      << check.op() << ": " << what << " needs num_layers * num_directions entries";
  const std::vector<std::string> names = LstmParameterNames(o);
  size_t n = 0;
  // The names are temporaries: OpCheck keeps only the first argument's name, and the input
  // is always checked before the weights.
  auto arg = [&](const Tensor& t, const Shape& shape) {
    check.Arg((std::string(what) + " " + names[n++]).c_str(), t, shape);
  };
  for (int l = 0; l < o.num_layers; ++l) {
    for (int d = 0; d < D; ++d) {
      const LstmDirectionWeights& w = weights[l * D + d];
      arg(w.w_ih, {4 * H, o.layer_input_size(l)});
      arg(w.w_hh, {4 * H, H});
      if (o.bias) {
        arg(w.b_ih, {4 * H});
        arg(w.b_hh, {4 * H});
      } else {
        NN_CHECK(!w.b_ih.defined() && !w.b_hh.defined())
            << check.op() << ": " << what << " of layer " << l << " direction " << d
            << " has biases but options.bias is false";
      }
    }
  }
}

// [A, B, C] -> [B, A, C] (a copy on x's device): batch_first <-> time-major.
Tensor SwapLeadingAxes(const OpCheck& check, const Tensor& x) {
  const int64_t A = x.dim(0), B = x.dim(1), C = x.dim(2);
  Tensor y = Tensor::Empty({B, A, C}, DType::kFloat32, check.device());
  Dispatch(check.op(), check.device(), &cpu::SwapLeadingAxes, NN_CUDA_KERNEL(SwapLeadingAxes), A, B,
           C, Data(x), MutableData(y));
  return y;
}

const float* DataOrNull(const Tensor& t) { return t.defined() ? Data(t) : nullptr; }
float* MutableDataOrNull(Tensor& t) { return t.defined() ? MutableData(t) : nullptr; }

}  // namespace

std::vector<std::string> LstmParameterNames(const LstmOptions& options) {
  std::vector<std::string> names;
  for (int l = 0; l < options.num_layers; ++l) {
    for (int d = 0; d < options.num_directions(); ++d) {
      const std::string suffix = std::to_string(l) + (d == 1 ? "_reverse" : "");
      names.push_back("weight_ih_l" + suffix);
      names.push_back("weight_hh_l" + suffix);
      if (options.bias) {
        names.push_back("bias_ih_l" + suffix);
        names.push_back("bias_hh_l" + suffix);
      }
    }
  }
  return names;
}

std::vector<LstmDirectionWeights> LstmZeroWeights(const LstmOptions& options, Device device) {
  CheckOptions("LstmZeroWeights", options);
  const int64_t H = options.hidden_size;
  std::vector<LstmDirectionWeights> weights;
  for (int l = 0; l < options.num_layers; ++l) {
    for (int d = 0; d < options.num_directions(); ++d) {
      LstmDirectionWeights w;
      w.w_ih = Tensor::Zeros({4 * H, options.layer_input_size(l)}, DType::kFloat32, device);
      w.w_hh = Tensor::Zeros({4 * H, H}, DType::kFloat32, device);
      if (options.bias) {
        w.b_ih = Tensor::Zeros({4 * H}, DType::kFloat32, device);
        w.b_hh = Tensor::Zeros({4 * H}, DType::kFloat32, device);
      }
      weights.push_back(std::move(w));
    }
  }
  return weights;
}

std::vector<Tensor*> LstmParameters(const LstmOptions& options,
                                    std::vector<LstmDirectionWeights>* weights) {
  NN_CHECK_EQ(weights->size(), static_cast<size_t>(options.num_layers * options.num_directions()))
      << "LstmParameters: weights per layer and direction";
  std::vector<Tensor*> params;
  for (LstmDirectionWeights& w : *weights) {
    params.push_back(&w.w_ih);
    params.push_back(&w.w_hh);
    if (options.bias) {
      params.push_back(&w.b_ih);
      params.push_back(&w.b_hh);
    }
  }
  return params;
}

void LstmForward(const LstmOptions& options, const std::vector<LstmDirectionWeights>& weights,
                 const Tensor& input, bool training, uint64_t dropout_seed, Tensor* output,
                 Tensor* h_n, Tensor* c_n, LstmCache* cache) {
  OpCheck check("LstmForward");
  CheckOptions(check.op(), options);
  check.Arg("input", input);
  NN_CHECK(input.rank() == 3 && input.dim(2) == options.input_size && input.dim(0) >= 1 &&
           input.dim(1) >= 1)
      << check.op() << ": input is " << input.shape() << ", expected "
      << (options.batch_first ? "[B, T, " : "[T, B, ") << options.input_size << "], T, B >= 1";
  CheckWeights(check, options, weights, "weights");
  const int L = options.num_layers;
  const int D = options.num_directions();
  const int64_t H = options.hidden_size;
  const int64_t T = options.batch_first ? input.dim(1) : input.dim(0);
  const int64_t B = options.batch_first ? input.dim(0) : input.dim(1);
  NN_CHECK(output != nullptr) << check.op() << ": output is required";
  check.Arg("output", *output, options.batch_first ? Shape{B, T, D * H} : Shape{T, B, D * H});
  check.Optional("h_n", h_n, {L * D, B, H}).Optional("c_n", c_n, {L * D, B, H});
  const bool dropout = training && options.dropout > 0.0f && L > 1;
  const Device device = check.device();
  auto empty = [device](const Shape& shape) {
    return Tensor::Empty(shape, DType::kFloat32, device);
  };

  if (cache != nullptr) {
    *cache = LstmCache{};
    cache->seq_len = T;
    cache->batch = B;
  }
  Tensor layer_input = options.batch_first ? SwapLeadingAxes(check, input) : input;
  Tensor layer_output;
  for (int l = 0; l < L; ++l) {
    const int64_t in = options.layer_input_size(l);
    layer_output = empty({T, B, D * H});
    std::vector<Tensor> gates(D), cells(D);
    for (int d = 0; d < D; ++d) {
      const LstmDirectionWeights& w = weights[l * D + d];
      gates[d] = empty({T, B, 4 * H});
      cells[d] = empty({T, B, H});
      // One GEMM over all steps, using the whole pool.
      Dispatch(check.op(), device, &cpu::LstmInputProjection, NN_CUDA_KERNEL(LstmInputProjection),
               T * B, in, H, Data(layer_input), Data(w.w_ih), DataOrNull(w.b_ih),
               DataOrNull(w.b_hh), MutableData(gates[d]));
    }
    // The sequential recurrences of the directions are independent: one thread each.
    base::ParallelFor(D, [&](int64_t d0, int64_t d1) {
      for (int64_t d = d0; d < d1; ++d) {
        Dispatch(check.op(), device, &cpu::LstmDirectionForward,
                 NN_CUDA_KERNEL(LstmDirectionForward), T, B, H,
                 /*reverse=*/d == 1, Data(weights[l * D + d].w_hh), MutableData(gates[d]),
                 MutableData(cells[d]), MutableData(layer_output) + d * H, D * H);
      }
    });
    // h_n, c_n: the direction's last step (t = T-1 forward, t = 0 reverse), B rows of H.
    for (int d = 0; d < D; ++d) {
      const int64_t t_last = d == 0 ? T - 1 : 0;
      const int64_t row = (l * D + d) * B;
      if (h_n != nullptr) {
        Dispatch(check.op(), device, &cpu::CopyRows, NN_CUDA_KERNEL(CopyRows), B, H,
                 Data(layer_output) + t_last * B * D * H + d * H, D * H, MutableData(h_n) + row * H,
                 H);
      }
      if (c_n != nullptr) {
        Dispatch(check.op(), device, &cpu::CopyRows, NN_CUDA_KERNEL(CopyRows), B, H,
                 Data(cells[d]) + t_last * B * H, H, MutableData(c_n) + row * H, H);
      }
    }
    if (cache != nullptr) {
      cache->layer_inputs.push_back(layer_input);
      cache->layer_outputs.push_back(layer_output);
      for (int d = 0; d < D; ++d) {
        cache->gates.push_back(gates[d]);
        cache->cells.push_back(cells[d]);
      }
    }
    if (l + 1 < L) {
      if (dropout) {
        // next input = output * mask, mask in {0, 1/(1-p)}, a pure function of the seed.
        const int64_t n = layer_output.numel();
        Tensor mask = empty(layer_output.shape());
        Dispatch(check.op(), device, &cpu::LstmDropoutMask, NN_CUDA_KERNEL(LstmDropoutMask),
                 dropout_seed, l, options.dropout, n, MutableData(mask));
        Tensor dropped = empty(layer_output.shape());
        Dispatch(check.op(), device, &cpu::DropoutApply, NN_CUDA_KERNEL(DropoutApply),
                 Data(layer_output), Data(mask), MutableData(dropped), n);
        if (cache != nullptr) cache->dropout_masks.push_back(mask);
        layer_input = dropped;
      } else {
        layer_input = layer_output;
      }
    }
  }
  if (options.batch_first) {
    output->CopyFrom(SwapLeadingAxes(check, layer_output));
  } else {
    output->CopyFrom(layer_output);
  }
}

void LstmBackward(const LstmOptions& options, const std::vector<LstmDirectionWeights>& weights,
                  const LstmCache& cache, const Tensor& output_grad, Tensor* input_grad,
                  std::vector<LstmDirectionWeights>* weight_grads) {
  OpCheck check("LstmBackward");
  CheckOptions(check.op(), options);
  check.Arg("output_grad", output_grad);
  CheckWeights(check, options, weights, "weights");
  const int L = options.num_layers;
  const int D = options.num_directions();
  const int64_t H = options.hidden_size;
  const int64_t T = cache.seq_len;
  const int64_t B = cache.batch;
  NN_CHECK(cache.layer_inputs.size() == static_cast<size_t>(L) &&
           cache.layer_outputs.size() == static_cast<size_t>(L) &&
           cache.gates.size() == static_cast<size_t>(L * D) &&
           cache.cells.size() == static_cast<size_t>(L * D))
      << check.op() << ": cache was not filled by LstmForward with these options (" << L
      << " layers, " << D << " directions; cache has " << cache.layer_outputs.size() << " layers, "
      << cache.gates.size() << " layer-directions)";
  check.Arg("output_grad", output_grad,
            options.batch_first ? Shape{B, T, D * H} : Shape{T, B, D * H});
  check.Optional(
      "input_grad", input_grad,
      options.batch_first ? Shape{B, T, options.input_size} : Shape{T, B, options.input_size});
  if (weight_grads != nullptr) CheckWeights(check, options, *weight_grads, "weight_grads");
  const bool dropout = !cache.dropout_masks.empty();
  NN_CHECK(!dropout || cache.dropout_masks.size() == static_cast<size_t>(L - 1))
      << check.op() << ": cache has " << cache.dropout_masks.size() << " dropout masks for " << L
      << " layers";
  const Device device = check.device();

  // dY of the top layer, time-major.
  Tensor layer_output_grad =
      options.batch_first ? SwapLeadingAxes(check, output_grad) : output_grad;
  for (int l = L - 1; l >= 0; --l) {
    const int64_t in = options.layer_input_size(l);
    const Tensor& x = cache.layer_inputs[l];
    const Tensor& y = cache.layer_outputs[l];
    std::vector<Tensor> da(D);
    for (int d = 0; d < D; ++d) da[d] = Tensor::Empty({T, B, 4 * H}, DType::kFloat32, device);
    auto grad_of = [&](int d) -> LstmDirectionWeights* {
      return weight_grads != nullptr ? &(*weight_grads)[l * D + d] : nullptr;
    };
    // The recurrences, one thread per direction: da, dW_hh, db.
    base::ParallelFor(D, [&](int64_t d0, int64_t d1) {
      for (int64_t d = d0; d < d1; ++d) {
        LstmDirectionWeights* g = grad_of(d);
        Dispatch(check.op(), device, &cpu::LstmDirectionBackward,
                 NN_CUDA_KERNEL(LstmDirectionBackward), T, B, H,
                 /*reverse=*/d == 1, Data(weights[l * D + d].w_hh), Data(cache.gates[l * D + d]),
                 Data(cache.cells[l * D + d]), Data(y) + d * H, D * H,
                 Data(layer_output_grad) + d * H, MutableData(da[d]),
                 g != nullptr ? MutableData(g->w_hh) : nullptr,
                 g != nullptr ? MutableDataOrNull(g->b_ih) : nullptr,
                 g != nullptr ? MutableDataOrNull(g->b_hh) : nullptr);
      }
    });
    // dX_l = sum_d da_d W_ih_d, dW_ih += da_d^T X_l: big GEMMs over the whole pool.
    const bool need_dx = l > 0 || input_grad != nullptr;
    Tensor dx = need_dx ? Tensor::Zeros({T, B, in}, DType::kFloat32, device) : Tensor();
    for (int d = 0; d < D; ++d) {
      LstmDirectionWeights* g = grad_of(d);
      Dispatch(check.op(), device, &cpu::LstmInputProjectionBackward,
               NN_CUDA_KERNEL(LstmInputProjectionBackward), T * B, in, H, Data(x),
               Data(weights[l * D + d].w_ih), Data(da[d]), need_dx ? MutableData(dx) : nullptr,
               g != nullptr ? MutableData(g->w_ih) : nullptr);
    }
    if (l > 0) {
      // Through dropout: dY_{l-1} = dX_l * mask_{l-1}.
      if (dropout) {
        Dispatch(check.op(), device, &cpu::DropoutApply, NN_CUDA_KERNEL(DropoutApply), Data(dx),
                 Data(cache.dropout_masks[l - 1]), MutableData(dx), dx.numel());
      }
      layer_output_grad = dx;
    } else if (input_grad != nullptr) {
      const Tensor dx_input = options.batch_first ? SwapLeadingAxes(check, dx) : dx;
      Dispatch(check.op(), device, &cpu::Accumulate, NN_CUDA_KERNEL(Accumulate), Data(dx_input),
               MutableData(input_grad), dx_input.numel());
    }
  }
}

}  // namespace nn
