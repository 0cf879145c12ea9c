// Losses: argument checks and dispatch to the CPU kernels in nn/cpu/loss.h.
#include "nn/ops/loss.h"

#include "nn/cpu/loss.h"

namespace nn {
namespace {

void CheckTensor(const char* op, const char* what, const Tensor& t, const Shape& shape) {
  NN_CHECK(t.defined()) << op << ": " << what << " is undefined";
  NN_CHECK(t.dtype() == DType::kFloat32 && t.device().is_cpu())
      << op << ": " << what << " must be float32 on the CPU (only a CPU kernel exists), got " << t;
  NN_CHECK(t.shape() == shape) << op << ": " << what << " " << t.shape() << ", expected " << shape;
}

void CheckBCEArguments(const char* op, const Tensor& logits, const Tensor& targets,
                       const Tensor* pos_weight) {
  CheckTensor(op, "logits", logits, logits.shape());
  CheckTensor(op, "targets", targets, logits.shape());
  if (pos_weight != nullptr) {
    CheckTensor(op, "pos_weight", *pos_weight, pos_weight->shape());
    const int64_t classes = logits.rank() > 0 ? logits.dim(-1) : 1;
    NN_CHECK(pos_weight->rank() == 1 && (pos_weight->dim(0) == classes || pos_weight->dim(0) == 1))
        << op << ": pos_weight " << pos_weight->shape()
        << " does not broadcast over the last axis of logits " << logits.shape();
  }
}

void CheckCrossEntropyArguments(const char* op, const Tensor& logits,
                                const std::vector<int64_t>& targets,
                                const CrossEntropyOptions& options) {
  NN_CHECK(logits.rank() == 2) << op << ": logits must be [N, C], got " << logits.shape();
  CheckTensor(op, "logits", logits, logits.shape());
  const int64_t rows = logits.dim(0), classes = logits.dim(1);
  NN_CHECK(static_cast<int64_t>(targets.size()) == rows)
      << op << ": " << targets.size() << " targets for logits " << logits.shape();
  for (int64_t i = 0; i < rows; ++i) {
    NN_CHECK(targets[i] == options.ignore_index || (targets[i] >= 0 && targets[i] < classes))
        << op << ": target " << targets[i] << " of row " << i << " is not a class of logits "
        << logits.shape();
  }
  if (options.class_weights != nullptr) {
    CheckTensor(op, "class weights", *options.class_weights, Shape({classes}));
  }
  NN_CHECK(options.label_smoothing >= 0.0f && options.label_smoothing <= 1.0f)
      << op << ": label_smoothing " << options.label_smoothing << " is not in [0, 1]";
}

}  // namespace

float BCEWithLogitsForward(const Tensor& logits, const Tensor& targets, const Tensor* pos_weight) {
  CheckBCEArguments("BCEWithLogitsForward", logits, targets, pos_weight);
  return static_cast<float>(
      cpu::BCEWithLogits(logits.data<float>(), targets.data<float>(),
                         pos_weight != nullptr ? pos_weight->data<float>() : nullptr,
                         pos_weight != nullptr ? pos_weight->numel() : 1, logits.numel()));
}

void BCEWithLogitsBackward(const Tensor& logits, const Tensor& targets, const Tensor* pos_weight,
                           float dloss, Tensor* dlogits) {
  CheckBCEArguments("BCEWithLogitsBackward", logits, targets, pos_weight);
  if (dlogits == nullptr) return;
  CheckTensor("BCEWithLogitsBackward", "logits gradient", *dlogits, logits.shape());
  const int64_t n = logits.numel();
  if (n == 0) return;
  cpu::BCEWithLogitsBackward(logits.data<float>(), targets.data<float>(),
                             pos_weight != nullptr ? pos_weight->data<float>() : nullptr,
                             pos_weight != nullptr ? pos_weight->numel() : 1, n,
                             dloss / static_cast<float>(n), dlogits->data<float>());
}

float CrossEntropyForward(const Tensor& logits, const std::vector<int64_t>& targets,
                          const CrossEntropyOptions& options) {
  CheckCrossEntropyArguments("CrossEntropyForward", logits, targets, options);
  return static_cast<float>(cpu::CrossEntropy(
      logits.data<float>(), targets.data(),
      options.class_weights != nullptr ? options.class_weights->data<float>() : nullptr,
      logits.dim(0), logits.dim(1), options.label_smoothing, options.ignore_index));
}

void CrossEntropyBackward(const Tensor& logits, const std::vector<int64_t>& targets,
                          const CrossEntropyOptions& options, float dloss, Tensor* dlogits) {
  CheckCrossEntropyArguments("CrossEntropyBackward", logits, targets, options);
  if (dlogits == nullptr) return;
  CheckTensor("CrossEntropyBackward", "logits gradient", *dlogits, logits.shape());
  cpu::CrossEntropyBackward(
      logits.data<float>(), targets.data(),
      options.class_weights != nullptr ? options.class_weights->data<float>() : nullptr,
      logits.dim(0), logits.dim(1), options.label_smoothing, options.ignore_index, dloss,
      dlogits->data<float>());
}

}  // namespace nn
