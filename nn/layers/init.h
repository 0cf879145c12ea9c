// Parameter initialisation as PyTorch's defaults, from a process-wide seeded generator
// (SetInitSeed) so that model construction is reproducible.
#ifndef NN_LAYERS_INIT_H_
#define NN_LAYERS_INIT_H_

#include <cstdint>

#include "nn/tensor.h"

namespace nn {

void SetInitSeed(uint64_t seed);
// U(-b, b) with b = 1/sqrt(fan_in): kaiming_uniform_(a=sqrt(5)) as torch.nn.Conv2d,
// Linear and LSTM (which uses 1/sqrt(hidden)) initialise weights.
Tensor KaimingUniform(const Shape& shape, int64_t fan_in);
// The same bound for biases.
Tensor BiasUniform(const Shape& shape, int64_t fan_in);

}  // namespace nn

#endif  // NN_LAYERS_INIT_H_
