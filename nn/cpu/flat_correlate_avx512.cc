// The flat convolution kernel with AVX-512 (copts in BUILD), 16 lanes.
#define NN_FLAT_LANES 16
#define NN_FLAT_CORRELATE_NAME FlatCorrelateAvx512
#include "nn/cpu/flat_correlate.inc"
