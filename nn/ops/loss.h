// Losses with mean reduction, PyTorch 1.13 semantics: binary cross-entropy on logits
// (torch.nn.BCEWithLogitsLoss) and cross-entropy over classes (torch.nn.CrossEntropyLoss).
// Forward returns the scalar loss; backward accumulates (+=) dloss * d loss / d logits.
#ifndef NN_OPS_LOSS_H_
#define NN_OPS_LOSS_H_

#include <cstdint>
#include <vector>

#include "nn/tensor.h"

namespace nn {

// logits and targets (probabilities in [0, 1]) of one shape; pos_weight null or [C] with
// C = logits.dim(-1) (or [1]), broadcast over the last axis. With pw the element's
// pos_weight (1 without) and lw = 1 + (pw - 1) t:
//   loss = mean_i [(1 - t_i) x_i + lw_i * softplus(-x_i)]
//        = mean_i -[pw_i t_i log sigmoid(x_i) + (1 - t_i) log(1 - sigmoid(x_i))],
// softplus(-x) = max(-x, 0) + log1p(exp(-|x|)) (no overflow for any x).
float BCEWithLogitsForward(const Tensor& logits, const Tensor& targets,
                           const Tensor* pos_weight = nullptr);
// dlogits_i += dloss / n * (lw_i * sigmoid(x_i) - pw_i * t_i), n = logits.numel().
void BCEWithLogitsBackward(const Tensor& logits, const Tensor& targets, const Tensor* pos_weight,
                           float dloss, Tensor* dlogits);

struct CrossEntropyOptions {
  const Tensor* class_weights = nullptr;  // [C], or null: every class weighs 1
  float label_smoothing = 0.0f;           // in [0, 1]
  int64_t ignore_index = -100;            // rows with this target add nothing
};

// logits [N, C], targets: N class indices in [0, C) (or ignore_index). With
// logp = log_softmax(logits), weight[c] the class weights, w_i = weight[t_i], eps the label
// smoothing and D = sum of w_i over the rows not ignored (their count without weights):
//   loss = sum_i [(1 - eps) w_i (-logp[i, t_i]) + eps / C sum_c weight[c] (-logp[i, c])] / D
// (the smoothed target puts eps / C on every class, as PyTorch 1.13; D is 0 when every row
// is ignored and the loss is NaN, as PyTorch).
float CrossEntropyForward(const Tensor& logits, const std::vector<int64_t>& targets,
                          const CrossEntropyOptions& options = {});
// With p = softmax(logits), over the rows not ignored:
//   dlogits_ij += dloss / D * [(1 - eps) w_i (p_ij - [j == t_i])
//                              + eps / C (p_ij sum_c weight[c] - weight[j])]
void CrossEntropyBackward(const Tensor& logits, const std::vector<int64_t>& targets,
                          const CrossEntropyOptions& options, float dloss, Tensor* dlogits);

}  // namespace nn

#endif  // NN_OPS_LOSS_H_
