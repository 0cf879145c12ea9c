// CPU kernels for the losses on raw float arrays: binary cross-entropy with logits and
// cross-entropy over classes, mean reduction, PyTorch 1.13 semantics; called through the
// façade in nn/ops/loss.h.
#ifndef NN_CPU_LOSS_H_
#define NN_CPU_LOSS_H_

#include <cstdint>

namespace nn::cpu {

// Mean over the n elements of
//   l_i = (1 - t_i) x_i + (1 + (pw_i - 1) t_i) softplus(-x_i),
// pw_i = pos_weight[i % pos_weight_size] (pos_weight null: 1).
double BCEWithLogits(const float* logits, const float* targets, const float* pos_weight,
                     int64_t pos_weight_size, int64_t n);
// dlogits_i += scale * ((1 + (pw_i - 1) t_i) sigmoid(x_i) - pw_i t_i); scale = dloss / n.
void BCEWithLogitsBackward(const float* logits, const float* targets, const float* pos_weight,
                           int64_t pos_weight_size, int64_t n, float scale, float* dlogits);

// D of cross-entropy: the sum of the targets' class weights (1 each when class_weights is
// null) over the rows whose target is not ignore_index, in row order. Host memory; the
// CUDA kernels call it on host copies.
double TargetWeightSum(const int64_t* targets, const float* class_weights, int64_t rows,
                       int64_t ignore_index);

// logits [rows, classes], targets [rows] in [0, classes) or == ignore_index, class_weights
// [classes] or null (all 1). With logp = log_softmax(logits), w_i = weight[t_i],
// eps = label_smoothing and D = sum of w_i over the rows not ignored:
//   loss = sum_i [(1 - eps) w_i (-logp[i, t_i]) + eps / C sum_c weight[c] (-logp[i, c])] / D
double CrossEntropy(const float* logits, const int64_t* targets, const float* class_weights,
                    int64_t rows, int64_t classes, float label_smoothing, int64_t ignore_index);
// dlogits[i, j] += dloss / D * [(1 - eps) w_i (p_ij - [j == t_i])
//                               + eps / C (p_ij sum_c weight[c] - weight[j])], p = softmax.
void CrossEntropyBackward(const float* logits, const int64_t* targets, const float* class_weights,
                          int64_t rows, int64_t classes, float label_smoothing,
                          int64_t ignore_index, float dloss, float* dlogits);

}  // namespace nn::cpu

#endif  // NN_CPU_LOSS_H_
