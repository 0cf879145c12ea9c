// The flat convolution kernel at the build's baseline (x86-64-v3: AVX2 + FMA), 8 lanes.
#define NN_FLAT_LANES 8
#define NN_FLAT_CORRELATE_NAME FlatCorrelateAvx2
#include "nn/cpu/flat_correlate.inc"
