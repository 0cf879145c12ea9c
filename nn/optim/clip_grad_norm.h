// Gradient clipping by total norm, torch.nn.utils.clip_grad_norm_ (PyTorch 1.13.1,
// error_if_nonfinite=False).
#ifndef NN_OPTIM_CLIP_GRAD_NORM_H_
#define NN_OPTIM_CLIP_GRAD_NORM_H_

#include <limits>
#include <vector>

#include "nn/module.h"
#include "nn/optim/optimizer.h"

namespace nn::optim {

// total = || (||g_1||_p, ..., ||g_n||_p) ||_p   (p = inf: the largest |g|)
// coef  = min(max_norm / (total + 1e-6), 1), in float32
// Every gradient is multiplied by coef (also when coef is 1, as PyTorch does); returns total.
// A non-finite total makes the gradients non-finite, as in PyTorch. norm_type > 0 or inf.
// Per-tensor sums accumulate in double over fixed blocks: the result does not depend on
// the thread count.
float ClipGradNorm(const std::vector<Parameter*>& parameters, double max_norm,
                   double norm_type = 2.0);
float ClipGradNorm(const NamedParameterList& parameters, double max_norm, double norm_type = 2.0);

}  // namespace nn::optim

#endif  // NN_OPTIM_CLIP_GRAD_NORM_H_
