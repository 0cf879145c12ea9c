// Losses: argument checks (OpCheck) and device dispatch to the kernels in nn/cpu/loss.h or
// nn/cuda/loss.h. Cross-entropy targets are class indices in host memory on every device
// (the CUDA kernels copy them over).
#include "nn/ops/loss.h"

#include "nn/cpu/loss.h"
#include "nn/ops/internal/dispatch.h"
#include "nn/ops/internal/op_check.h"
#if NN_HAVE_CUDA
#include "nn/cuda/loss.h"
#endif

namespace nn {
namespace {

using ops_internal::Data;
using ops_internal::DataOrNull;
using ops_internal::Dispatch;
using ops_internal::MutableData;
using ops_internal::OpCheck;

void CheckBCEArguments(OpCheck& check, const Tensor& logits, const Tensor& targets,
                       const Tensor* pos_weight) {
  check.Arg("logits", logits).Arg("targets", targets, logits.shape());
  if (pos_weight != nullptr) {
    check.Arg("pos_weight", *pos_weight);
    const int64_t classes = logits.rank() > 0 ? logits.dim(-1) : 1;
    NN_CHECK(pos_weight->rank() == 1 && (pos_weight->dim(0) == classes || pos_weight->dim(0) == 1))
        << check.op() << ": pos_weight " << pos_weight->shape()
        << " does not broadcast over the last axis of logits " << logits.shape();
  }
}

void CheckCrossEntropyArguments(OpCheck& check, const Tensor& logits,
                                const std::vector<int64_t>& targets,
                                const CrossEntropyOptions& options) {
  NN_CHECK(logits.rank() == 2) << check.op() << ": logits must be [N, C], got " << logits.shape();
  check.Arg("logits", logits);
  const int64_t rows = logits.dim(0), classes = logits.dim(1);
  NN_CHECK(static_cast<int64_t>(targets.size()) == rows)
      << check.op() << ": " << targets.size() << " targets for logits " << logits.shape();
  for (int64_t i = 0; i < rows; ++i) {
    NN_CHECK(targets[i] == options.ignore_index || (targets[i] >= 0 && targets[i] < classes))
        << check.op() << ": target " << targets[i] << " of row " << i
        << " is not a class of logits " << logits.shape();
  }
  check.Optional("class weights", options.class_weights, Shape({classes}));
  NN_CHECK(options.label_smoothing >= 0.0f && options.label_smoothing <= 1.0f)
      << check.op() << ": label_smoothing " << options.label_smoothing << " is not in [0, 1]";
}

}  // namespace

float BCEWithLogitsForward(const Tensor& logits, const Tensor& targets, const Tensor* pos_weight) {
  OpCheck check("BCEWithLogitsForward");
  CheckBCEArguments(check, logits, targets, pos_weight);
  return static_cast<float>(
      Dispatch(check.op(), check.device(), &cpu::BCEWithLogits, NN_CUDA_KERNEL(BCEWithLogits),
               Data(logits), Data(targets), DataOrNull(pos_weight),
               pos_weight != nullptr ? pos_weight->numel() : 1, logits.numel()));
}

void BCEWithLogitsBackward(const Tensor& logits, const Tensor& targets, const Tensor* pos_weight,
                           float dloss, Tensor* dlogits) {
  OpCheck check("BCEWithLogitsBackward");
  CheckBCEArguments(check, logits, targets, pos_weight);
  if (dlogits == nullptr) return;
  check.Arg("logits gradient", *dlogits, logits.shape());
  const int64_t n = logits.numel();
  if (n == 0) return;
  Dispatch(check.op(), check.device(), &cpu::BCEWithLogitsBackward,
           NN_CUDA_KERNEL(BCEWithLogitsBackward), Data(logits), Data(targets),
           DataOrNull(pos_weight), pos_weight != nullptr ? pos_weight->numel() : 1, n,
           dloss / static_cast<float>(n), MutableData(dlogits));
}

float CrossEntropyForward(const Tensor& logits, const std::vector<int64_t>& targets,
                          const CrossEntropyOptions& options) {
  OpCheck check("CrossEntropyForward");
  CheckCrossEntropyArguments(check, logits, targets, options);
  return static_cast<float>(Dispatch(check.op(), check.device(), &cpu::CrossEntropy,
                                     NN_CUDA_KERNEL(CrossEntropy), Data(logits), targets.data(),
                                     DataOrNull(options.class_weights), logits.dim(0),
                                     logits.dim(1), options.label_smoothing, options.ignore_index));
}

void CrossEntropyBackward(const Tensor& logits, const std::vector<int64_t>& targets,
                          const CrossEntropyOptions& options, float dloss, Tensor* dlogits) {
  OpCheck check("CrossEntropyBackward");
  CheckCrossEntropyArguments(check, logits, targets, options);
  if (dlogits == nullptr) return;
  check.Arg("logits gradient", *dlogits, logits.shape());
  Dispatch(check.op(), check.device(), &cpu::CrossEntropyBackward,
           NN_CUDA_KERNEL(CrossEntropyBackward), Data(logits), targets.data(),
           DataOrNull(options.class_weights), logits.dim(0), logits.dim(1), options.label_smoothing,
           options.ignore_index, dloss, MutableData(dlogits));
}

}  // namespace nn
