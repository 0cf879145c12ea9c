// Pooling kernels: one plane (image, channel) per task, so any thread count gives the
// same bits.
#include "nn/cpu/pool.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "base/thread_pool.h"
#include "nn/cpu/vec8.h"

namespace nn::cpu {

namespace {

// The larger of a and b, NaN if either is one; a (the earlier element) on a tie.
inline float MaxKeepFirst(float a, float b) { return (b > a || b != b) ? b : a; }

using internal::Load8;
using internal::Store8;
using internal::Vec8;
typedef int Mask8 __attribute__((vector_size(32)));

// Eight lanes of MaxKeepFirst.
inline Vec8 MaxKeepFirst8(Vec8 a, Vec8 b) {
  const Mask8 take = (b > a) | (b != b);
  return take ? b : a;
}

// m[i] = MaxKeepFirst(m[i], row[i]) for i < n.
void MaxRowInto(const float* row, int64_t n, float* m) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) Store8(m + i, MaxKeepFirst8(Load8(m + i), Load8(row + i)));
  for (; i < n; ++i) m[i] = MaxKeepFirst(m[i], row[i]);
}

// y[ow] for ow in [*ow, ...) while 8 windows of 3 columns at stride 2 lie inside m[0, in_w):
// the maximum of m[s], m[s + 1], m[s + 2] with s = 2 * ow - pad, in that order (the order of
// the scalar loop). Advances *ow past what it wrote.
void MaxOf3Stride2(const float* m, int64_t in_w, int64_t pad, int64_t out_w, float* y,
                   int64_t* ow) {
  for (; *ow + 8 <= out_w && 2 * *ow - pad >= 0 && 2 * *ow - pad + 18 <= in_w; *ow += 8) {
    const float* p = m + 2 * *ow - pad;
    const Vec8 a = Load8(p), b = Load8(p + 8), c = Load8(p + 2), d = Load8(p + 10);
    const Vec8 left = __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14);
    const Vec8 mid = __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15);
    const Vec8 right = __builtin_shufflevector(c, d, 0, 2, 4, 6, 8, 10, 12, 14);
    Store8(y + *ow, MaxKeepFirst8(MaxKeepFirst8(left, mid), right));
  }
}

// Along one axis, the inputs of output position `o`'s window that lie inside [0, size):
// first, first + dilation, ... below end (none when first >= end: a dilated window wholly
// in the padding), walked as PyTorch's kernel walks them.
struct WindowSpan {
  int64_t first, end;
};
inline WindowSpan Window(int64_t o, int64_t stride, int64_t pad, int64_t kernel,
                         int64_t dilation, int64_t size) {
  int64_t first = o * stride - pad;
  const int64_t end = std::min(first + (kernel - 1) * dilation + 1, size);
  while (first < 0) first += dilation;
  return {first, end};
}

// Without argmax (inference) the window's maximum is separable: per output row, the
// maximum over the window's input rows of each input column (contiguous, so it vectorizes),
// then per output column the maximum of that row over the window's columns. The same
// values as the windowed loop below, NaN included (only the sign of a zero that ties with
// another zero may differ).
void MaxPool2dForwardSeparable(const Pool2dGeometry& g, const float* input, float* output) {
  const int64_t in_plane = g.in_h * g.in_w;
  const int64_t out_plane = g.out_h * g.out_w;
  const bool vector_columns = g.kernel_w == 3 && g.stride_w == 2 && g.dilation_w == 1;
  base::ParallelFor(g.planes, [&](int64_t begin, int64_t end) {
    std::vector<float> column_max(static_cast<size_t>(g.in_w));
    float* m = column_max.data();
    for (int64_t plane = begin; plane < end; ++plane) {
      const float* x = input + plane * in_plane;
      float* y = output + plane * out_plane;
      for (int64_t oh = 0; oh < g.out_h; ++oh) {
        const WindowSpan rows =
            Window(oh, g.stride_h, g.pad_h, g.kernel_h, g.dilation_h, g.in_h);
        float* y_row = y + oh * g.out_w;
        if (rows.first >= rows.end) {
          std::fill(y_row, y_row + g.out_w, -std::numeric_limits<float>::infinity());
          continue;
        }
        std::copy(x + rows.first * g.in_w, x + (rows.first + 1) * g.in_w, m);
        for (int64_t ih = rows.first + g.dilation_h; ih < rows.end; ih += g.dilation_h) {
          MaxRowInto(x + ih * g.in_w, g.in_w, m);
        }
        for (int64_t ow = 0; ow < g.out_w; ++ow) {
          if (vector_columns) {  // ResNet's stem pool: 3 columns at stride 2
            MaxOf3Stride2(m, g.in_w, g.pad_w, g.out_w, y_row, &ow);
            if (ow == g.out_w) break;
          }
          const WindowSpan cols =
              Window(ow, g.stride_w, g.pad_w, g.kernel_w, g.dilation_w, g.in_w);
          float best = -std::numeric_limits<float>::infinity();
          for (int64_t iw = cols.first; iw < cols.end; iw += g.dilation_w) {
            best = MaxKeepFirst(best, m[iw]);
          }
          y_row[ow] = best;
        }
      }
    }
  });
}

}  // namespace

void MaxPool2dForward(const Pool2dGeometry& g, const float* input, float* output, int32_t* argmax) {
  if (argmax == nullptr) {
    MaxPool2dForwardSeparable(g, input, output);
    return;
  }
  const int64_t in_plane = g.in_h * g.in_w;
  const int64_t out_plane = g.out_h * g.out_w;
  base::ParallelFor(g.planes, [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      const float* x = input + plane * in_plane;
      float* y = output + plane * out_plane;
      int32_t* index = argmax + plane * out_plane;
      for (int64_t oh = 0; oh < g.out_h; ++oh) {
        const WindowSpan rows =
            Window(oh, g.stride_h, g.pad_h, g.kernel_h, g.dilation_h, g.in_h);
        for (int64_t ow = 0; ow < g.out_w; ++ow) {
          const WindowSpan cols =
              Window(ow, g.stride_w, g.pad_w, g.kernel_w, g.dilation_w, g.in_w);
          // -1: a dilated window with no element inside the plane (its gradient goes nowhere).
          int64_t best_index =
              rows.first < rows.end && cols.first < cols.end ? rows.first * g.in_w + cols.first
                                                             : -1;
          float best = -std::numeric_limits<float>::infinity();
          for (int64_t ih = rows.first; ih < rows.end; ih += g.dilation_h) {
            for (int64_t iw = cols.first; iw < cols.end; iw += g.dilation_w) {
              const float v = x[ih * g.in_w + iw];
              if (v > best || std::isnan(v)) {  // strict: ties keep the first maximum
                best = v;
                best_index = ih * g.in_w + iw;
              }
            }
          }
          y[oh * g.out_w + ow] = best;
          index[oh * g.out_w + ow] = static_cast<int32_t>(best_index);
        }
      }
    }
  });
}

void MaxPool2dBackward(const Pool2dGeometry& g, const float* output_grad, const int32_t* argmax,
                       float* input_grad) {
  const int64_t in_plane = g.in_h * g.in_w;
  const int64_t out_plane = g.out_h * g.out_w;
  // dX[plane, argmax[o]] += dY[plane, o]: the gradient flows to the maximum only.
  base::ParallelFor(g.planes, [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      const float* dy = output_grad + plane * out_plane;
      const int32_t* index = argmax + plane * out_plane;
      float* dx = input_grad + plane * in_plane;
      for (int64_t o = 0; o < out_plane; ++o) {
        if (index[o] >= 0) dx[index[o]] += dy[o];
      }
    }
  });
}

void GlobalAvgPool2dForward(int64_t planes, int64_t hw, const float* input, float* output) {
  base::ParallelFor(planes, [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      const float* x = input + plane * hw;
      double sum = 0;
      for (int64_t i = 0; i < hw; ++i) sum += x[i];
      output[plane] = static_cast<float>(sum / static_cast<double>(hw));
    }
  });
}

void GlobalAvgPool2dBackward(int64_t planes, int64_t hw, const float* output_grad,
                             float* input_grad) {
  // y = (1/HW) sum_i x_i, so dX[plane, i] += dY[plane] / HW.
  base::ParallelFor(planes, [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      const float share = output_grad[plane] / static_cast<float>(hw);
      float* dx = input_grad + plane * hw;
      for (int64_t i = 0; i < hw; ++i) dx[i] += share;
    }
  });
}

}  // namespace nn::cpu
