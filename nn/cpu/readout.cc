// Readout kernels: plain loops (the readouts touch a few thousand numbers per video).
#include "nn/cpu/readout.h"

namespace nn::cpu {

void MeanOverAxisForward(const float* x, int64_t outer, int64_t length, int64_t inner, float* y) {
  const float divisor = static_cast<float>(length);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      // Each term is divided before it is added: the detector's mean-of-frames rounding.
      float sum = 0.0f;
      for (int64_t t = 0; t < length; ++t) sum += x[(o * length + t) * inner + i] / divisor;
      y[o * inner + i] = sum;
    }
  }
}

void MeanOverAxisBackward(const float* dy, int64_t outer, int64_t length, int64_t inner,
                          float* dx) {
  const float divisor = static_cast<float>(length);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t t = 0; t < length; ++t) {
      float* row = dx + (o * length + t) * inner;
      for (int64_t i = 0; i < inner; ++i) row[i] += dy[o * inner + i] / divisor;
    }
  }
}

void SelectIndexForward(const float* x, int64_t outer, int64_t length, int64_t inner, int64_t index,
                        float* y) {
  for (int64_t o = 0; o < outer; ++o) {
    const float* row = x + (o * length + index) * inner;
    for (int64_t i = 0; i < inner; ++i) y[o * inner + i] = row[i];
  }
}

void SelectIndexBackward(const float* dy, int64_t outer, int64_t length, int64_t inner,
                         int64_t index, float* dx) {
  for (int64_t o = 0; o < outer; ++o) {
    float* row = dx + (o * length + index) * inner;
    for (int64_t i = 0; i < inner; ++i) row[i] += dy[o * inner + i];
  }
}

}  // namespace nn::cpu
