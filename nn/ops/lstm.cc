// LSTM orchestration: contract checks, batch_first transposes, layers, directions (run in
// parallel) and inter-layer dropout around the CPU kernels of nn/cpu/lstm.h.
#include "nn/ops/lstm.h"

#include <cstring>

#include "base/thread_pool.h"
#include "nn/cpu/lstm.h"

namespace nn {
namespace {

void CheckOptions(const char* op, const LstmOptions& o) {
  NN_CHECK(o.input_size > 0 && o.hidden_size > 0 && o.num_layers >= 1 && o.dropout >= 0.0f &&
           o.dropout <= 1.0f)
      << op << ": bad options: input_size " << o.input_size << ", hidden_size " << o.hidden_size
      << ", num_layers " << o.num_layers << ", dropout " << o.dropout;
}

void CheckCpuFloat(const char* op, const char* name, const Tensor& t) {
  NN_CHECK(t.defined() && t.dtype() == DType::kFloat32 && t.device().is_cpu())
      << op << ": " << name << " must be a defined float32 CPU tensor (the LSTM has no CUDA "
      << "kernel), got " << (t.defined() ? t.DebugString() : std::string("undefined"));
}

void CheckShape(const char* op, const std::string& name, const Tensor& t, const Shape& shape) {
  CheckCpuFloat(op, name.c_str(), t);
  NN_CHECK(t.shape() == shape) << op << ": " << name << " is " << t.shape() << ", expected "
                               << shape;
}

void CheckWeights(const char* op, const LstmOptions& o,
                  const std::vector<LstmDirectionWeights>& weights, const char* what) {
  const int D = o.num_directions();
  const int64_t H = o.hidden_size;
  NN_CHECK_EQ(weights.size(), static_cast<size_t>(o.num_layers * D))
      << op << ": " << what << " needs num_layers * num_directions entries";
  const std::vector<std::string> names = LstmParameterNames(o);
  size_t n = 0;
  for (int l = 0; l < o.num_layers; ++l) {
    for (int d = 0; d < D; ++d) {
      const LstmDirectionWeights& w = weights[l * D + d];
      CheckShape(op, std::string(what) + " " + names[n++], w.w_ih, {4 * H, o.layer_input_size(l)});
      CheckShape(op, std::string(what) + " " + names[n++], w.w_hh, {4 * H, H});
      if (o.bias) {
        CheckShape(op, std::string(what) + " " + names[n++], w.b_ih, {4 * H});
        CheckShape(op, std::string(what) + " " + names[n++], w.b_hh, {4 * H});
      } else {
        NN_CHECK(!w.b_ih.defined() && !w.b_hh.defined())
            << op << ": " << what << " of layer " << l << " direction " << d
            << " has biases but options.bias is false";
      }
    }
  }
}

// [A, B, C] -> [B, A, C] (a copy): batch_first <-> time-major.
Tensor SwapLeadingAxes(const Tensor& x) {
  const int64_t A = x.dim(0), B = x.dim(1), C = x.dim(2);
  Tensor y = Tensor::Empty({B, A, C});
  const float* src = x.data<float>();
  float* dst = y.data<float>();
  for (int64_t a = 0; a < A; ++a) {
    for (int64_t b = 0; b < B; ++b) {
      std::memcpy(dst + (b * A + a) * C, src + (a * B + b) * C, C * sizeof(float));
    }
  }
  return y;
}

const float* DataOrNull(const Tensor& t) { return t.defined() ? t.data<float>() : nullptr; }
float* DataOrNull(Tensor& t) { return t.defined() ? t.data<float>() : nullptr; }

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

std::vector<LstmDirectionWeights> LstmZeroWeights(const LstmOptions& options) {
  CheckOptions("LstmZeroWeights", options);
  const int64_t H = options.hidden_size;
  std::vector<LstmDirectionWeights> weights;
  for (int l = 0; l < options.num_layers; ++l) {
    for (int d = 0; d < options.num_directions(); ++d) {
      LstmDirectionWeights w;
      w.w_ih = Tensor::Zeros({4 * H, options.layer_input_size(l)});
      w.w_hh = Tensor::Zeros({4 * H, H});
      if (options.bias) {
        w.b_ih = Tensor::Zeros({4 * H});
        w.b_hh = Tensor::Zeros({4 * H});
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
  constexpr const char* kOp = "LstmForward";
  CheckOptions(kOp, options);
  CheckWeights(kOp, options, weights, "weights");
  CheckCpuFloat(kOp, "input", input);
  NN_CHECK(input.rank() == 3 && input.dim(2) == options.input_size && input.dim(0) >= 1 &&
           input.dim(1) >= 1)
      << kOp << ": input is " << input.shape() << ", expected "
      << (options.batch_first ? "[B, T, " : "[T, B, ") << options.input_size << "], T, B >= 1";
  const int L = options.num_layers;
  const int D = options.num_directions();
  const int64_t H = options.hidden_size;
  const int64_t T = options.batch_first ? input.dim(1) : input.dim(0);
  const int64_t B = options.batch_first ? input.dim(0) : input.dim(1);
  NN_CHECK(output != nullptr) << kOp << ": output is required";
  CheckShape(kOp, "output", *output, options.batch_first ? Shape{B, T, D * H} : Shape{T, B, D * H});
  if (h_n != nullptr) CheckShape(kOp, "h_n", *h_n, {L * D, B, H});
  if (c_n != nullptr) CheckShape(kOp, "c_n", *c_n, {L * D, B, H});
  const bool dropout = training && options.dropout > 0.0f && L > 1;

  if (cache != nullptr) {
    *cache = LstmCache{};
    cache->seq_len = T;
    cache->batch = B;
  }
  Tensor layer_input = options.batch_first ? SwapLeadingAxes(input) : input;
  Tensor layer_output;
  for (int l = 0; l < L; ++l) {
    const int64_t in = options.layer_input_size(l);
    layer_output = Tensor::Empty({T, B, D * H});
    std::vector<Tensor> gates(D), cells(D);
    for (int d = 0; d < D; ++d) {
      const LstmDirectionWeights& w = weights[l * D + d];
      gates[d] = Tensor::Empty({T, B, 4 * H});
      cells[d] = Tensor::Empty({T, B, H});
      // One GEMM over all steps, using the whole pool.
      cpu::LstmInputProjection(T * B, in, H, layer_input.data<float>(), w.w_ih.data<float>(),
                               DataOrNull(w.b_ih), DataOrNull(w.b_hh), gates[d].data<float>());
    }
    // The sequential recurrences of the directions are independent: one thread each.
    base::ParallelFor(D, [&](int64_t d0, int64_t d1) {
      for (int64_t d = d0; d < d1; ++d) {
        cpu::LstmDirectionForward(T, B, H, /*reverse=*/d == 1,
                                  weights[l * D + d].w_hh.data<float>(), gates[d].data<float>(),
                                  cells[d].data<float>(), layer_output.data<float>() + d * H,
                                  D * H);
      }
    });
    // h_n, c_n: the direction's last step (t = T-1 forward, t = 0 reverse).
    for (int d = 0; d < D; ++d) {
      const int64_t t_last = d == 0 ? T - 1 : 0;
      for (int64_t b = 0; b < B; ++b) {
        const int64_t row = (l * D + d) * B + b;
        if (h_n != nullptr) {
          std::memcpy(h_n->data<float>() + row * H,
                      layer_output.data<float>() + (t_last * B + b) * D * H + d * H,
                      H * sizeof(float));
        }
        if (c_n != nullptr) {
          std::memcpy(c_n->data<float>() + row * H, cells[d].data<float>() + (t_last * B + b) * H,
                      H * sizeof(float));
        }
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
        Tensor mask = Tensor::Empty(layer_output.shape());
        cpu::LstmDropoutMask(dropout_seed, l, options.dropout, n, mask.data<float>());
        Tensor dropped = Tensor::Empty(layer_output.shape());
        const float* y = layer_output.data<float>();
        const float* m = mask.data<float>();
        float* z = dropped.data<float>();
        for (int64_t k = 0; k < n; ++k) z[k] = y[k] * m[k];
        if (cache != nullptr) cache->dropout_masks.push_back(mask);
        layer_input = dropped;
      } else {
        layer_input = layer_output;
      }
    }
  }
  if (options.batch_first) {
    output->CopyFrom(SwapLeadingAxes(layer_output));
  } else {
    output->CopyFrom(layer_output);
  }
}

void LstmBackward(const LstmOptions& options, const std::vector<LstmDirectionWeights>& weights,
                  const LstmCache& cache, const Tensor& output_grad, Tensor* input_grad,
                  std::vector<LstmDirectionWeights>* weight_grads) {
  constexpr const char* kOp = "LstmBackward";
  CheckOptions(kOp, options);
  CheckWeights(kOp, options, weights, "weights");
  const int L = options.num_layers;
  const int D = options.num_directions();
  const int64_t H = options.hidden_size;
  const int64_t T = cache.seq_len;
  const int64_t B = cache.batch;
  NN_CHECK(cache.layer_inputs.size() == static_cast<size_t>(L) &&
           cache.layer_outputs.size() == static_cast<size_t>(L) &&
           cache.gates.size() == static_cast<size_t>(L * D) &&
           cache.cells.size() == static_cast<size_t>(L * D))
      << kOp << ": cache was not filled by LstmForward with these options (" << L << " layers, "
      << D << " directions; cache has " << cache.layer_outputs.size() << " layers, "
      << cache.gates.size() << " layer-directions)";
  CheckShape(kOp, "output_grad", output_grad,
             options.batch_first ? Shape{B, T, D * H} : Shape{T, B, D * H});
  if (input_grad != nullptr) {
    CheckShape(
        kOp, "input_grad", *input_grad,
        options.batch_first ? Shape{B, T, options.input_size} : Shape{T, B, options.input_size});
  }
  if (weight_grads != nullptr) CheckWeights(kOp, options, *weight_grads, "weight_grads");
  const bool dropout = !cache.dropout_masks.empty();
  NN_CHECK(!dropout || cache.dropout_masks.size() == static_cast<size_t>(L - 1))
      << kOp << ": cache has " << cache.dropout_masks.size() << " dropout masks for " << L
      << " layers";

  // dY of the top layer, time-major.
  Tensor layer_output_grad = options.batch_first ? SwapLeadingAxes(output_grad) : output_grad;
  for (int l = L - 1; l >= 0; --l) {
    const int64_t in = options.layer_input_size(l);
    const Tensor& x = cache.layer_inputs[l];
    const Tensor& y = cache.layer_outputs[l];
    std::vector<Tensor> da(D);
    for (int d = 0; d < D; ++d) da[d] = Tensor::Empty({T, B, 4 * H});
    auto grad_of = [&](int d) -> LstmDirectionWeights* {
      return weight_grads != nullptr ? &(*weight_grads)[l * D + d] : nullptr;
    };
    // The recurrences, one thread per direction: da, dW_hh, db.
    base::ParallelFor(D, [&](int64_t d0, int64_t d1) {
      for (int64_t d = d0; d < d1; ++d) {
        LstmDirectionWeights* g = grad_of(d);
        cpu::LstmDirectionBackward(
            T, B, H, /*reverse=*/d == 1, weights[l * D + d].w_hh.data<float>(),
            cache.gates[l * D + d].data<float>(), cache.cells[l * D + d].data<float>(),
            y.data<float>() + d * H, D * H, layer_output_grad.data<float>() + d * H,
            da[d].data<float>(), g != nullptr ? g->w_hh.data<float>() : nullptr,
            g != nullptr ? DataOrNull(g->b_ih) : nullptr,
            g != nullptr ? DataOrNull(g->b_hh) : nullptr);
      }
    });
    // dX_l = sum_d da_d W_ih_d, dW_ih += da_d^T X_l: big GEMMs over the whole pool.
    const bool need_dx = l > 0 || input_grad != nullptr;
    Tensor dx = need_dx ? Tensor::Zeros({T, B, in}) : Tensor();
    for (int d = 0; d < D; ++d) {
      LstmDirectionWeights* g = grad_of(d);
      cpu::LstmInputProjectionBackward(
          T * B, in, H, x.data<float>(), weights[l * D + d].w_ih.data<float>(), da[d].data<float>(),
          need_dx ? dx.data<float>() : nullptr, g != nullptr ? g->w_ih.data<float>() : nullptr);
    }
    if (l > 0) {
      // Through dropout: dY_{l-1} = dX_l * mask_{l-1}.
      if (dropout) {
        const float* m = cache.dropout_masks[l - 1].data<float>();
        float* p = dx.data<float>();
        for (int64_t k = 0; k < dx.numel(); ++k) p[k] *= m[k];
      }
      layer_output_grad = dx;
    } else if (input_grad != nullptr) {
      const Tensor dx_input = options.batch_first ? SwapLeadingAxes(dx) : dx;
      const float* src = dx_input.data<float>();
      float* dst = input_grad->data<float>();
      for (int64_t k = 0; k < dx_input.numel(); ++k) dst[k] += src[k];
    }
  }
}

}  // namespace nn
