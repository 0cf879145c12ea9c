// Multiply-adds of the benchmarked models, counted from their options (the layers
// torchvision's ResNeXt and nn.LSTM run), so //nn:bench can say GFLOP/s and % of peak.
// 1 multiply-add = 2 FLOPs. Batch norm, ReLU, pooling and the residual adds are left out
// (they are a few per cent of a ResNeXt-50's work and no FMA-bound kernel runs them).
#ifndef NN_BENCH_MODEL_FLOPS_H_
#define NN_BENCH_MODEL_FLOPS_H_

#include <cstdint>

#include "nn/models/detector.h"
#include "nn/models/resnext.h"

namespace nn {

// Convolutions (and the classifier when num_classes > 0) of one image of side `image_size`.
int64_t ResNeXtForwardMacs(const ResNeXtOptions& options, int image_size);
// The LSTM over `steps` time steps of one sequence (every layer and direction).
int64_t LstmForwardMacs(const LstmOptions& options, int steps);
// One video of `frames` frames through the detector: trunk per frame + LSTM (the linear
// head is negligible and left out).
int64_t DetectorForwardMacs(const DetectorOptions& options, int frames, int image_size);

}  // namespace nn

#endif  // NN_BENCH_MODEL_FLOPS_H_
