// Convolution as tiled GEMMs: im2col/col2im over a column space that spans the batch,
// Eigen SGEMM per tile, bias/residual/ReLU applied while the output tile is in cache.
#include "nn/cpu/conv.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "nn/check.h"
#include "nn/cpu/gemm.h"
#include "nn/cpu/thread_pool.h"

namespace nn::cpu {
namespace {

// Tile sizes: fixed (never derived from the thread count), so the bits do not depend on it.
constexpr int64_t kRowTile = 256;   // output channels of one forward / weight-gradient tile
constexpr int64_t kColTile = 512;   // output pixels (columns j) of one tile
constexpr int64_t kGradRows = 256;  // target rows (channel x KH x KW) of dcol and dW tiles
// The weight gradient is a reduction over all columns; with fewer tiles than this it is
// also split over column ranges into partial sums (a fixed count, summed in a fixed order).
constexpr int64_t kMinWeightGradTasks = 8;

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Sizes derived from the geometry.
struct Dims {
  explicit Dims(const Conv2dGeometry& g)
      : cin_g(g.in_channels / g.groups),
        cout_g(g.out_channels / g.groups),
        kk(g.kernel_h * g.kernel_w),
        k(cin_g * kk),
        hw(g.in_h * g.in_w),
        p(g.out_h * g.out_w),
        cols(g.batch * p),
        direct(g.kernel_h == 1 && g.kernel_w == 1 && g.stride_h == 1 && g.stride_w == 1 &&
               g.pad_h == 0 && g.pad_w == 0),
        // No input pixel lies in two windows: col2im of different columns never collide.
        disjoint_windows((g.kernel_h - 1) * g.dilation_h < g.stride_h &&
                         (g.kernel_w - 1) * g.dilation_w < g.stride_w) {}
  int64_t cin_g, cout_g, kk, k, hw, p, cols;
  bool direct, disjoint_windows;
  // Whether columns [j0, j0 + len) lie in one image; sets its index and in-image offset.
  bool OneImage(int64_t j0, int64_t len, int64_t* n, int64_t* offset) const {
    *n = j0 / p;
    *offset = j0 - *n * p;
    return *offset + len <= p;
  }
};

// Per-thread scratch, grown on demand and reused across calls.
float* Scratch(int slot, int64_t size) {
  thread_local std::vector<float> buffers[3];
  std::vector<float>& buffer = buffers[slot];
  if (static_cast<int64_t>(buffer.size()) < size) buffer.resize(size);
  return buffer.data();
}

// Calls fn(n, offset_in_image, offset_in_range, length) for the per-image pieces of
// columns [j0, j0 + len).
template <typename Fn>
void ForEachImageSegment(int64_t j0, int64_t len, int64_t p, Fn&& fn) {
  int64_t j = j0;
  while (j < j0 + len) {
    const int64_t n = j / p;
    const int64_t offset = j - n * p;
    const int64_t seg = std::min(p - offset, j0 + len - j);
    fn(n, offset, j - j0, seg);
    j += seg;
  }
}

// buf[r, t] = t_nchw[n(j), c0 + r, pixel(j)] for r < rows, j = j0 + t: a [rows, len] copy of
// columns that may span images (tensor of `channels` channels and p pixels per plane).
void GatherColumns(const float* t_nchw, int64_t channels, int64_t c0, int64_t rows, int64_t p,
                   int64_t j0, int64_t len, float* buf) {
  for (int64_t r = 0; r < rows; ++r) {
    ForEachImageSegment(j0, len, p, [&](int64_t n, int64_t offset, int64_t t, int64_t seg) {
      std::copy_n(t_nchw + (n * channels + c0 + r) * p + offset, seg, buf + r * len + t);
    });
  }
}

// Columns t in [lo, hi) of an output row segment read input column iw0 + t * stride inside
// [0, width); the others read padding.
void ValidRange(int64_t iw0, int64_t stride, int64_t width, int64_t seg, int64_t* lo, int64_t* hi) {
  *lo = iw0 >= 0 ? 0 : std::min(seg, CeilDiv(-iw0, stride));
  *hi = width - iw0 <= 0 ? 0 : std::min(seg, CeilDiv(width - iw0, stride));
  *hi = std::max(*hi, *lo);
}

// Walks the im2col matrix rows r = (c - c_begin) * KH*KW + kh * KW + kw for channels
// [c_begin, c_end) and columns j in [j0, j0 + len), calling
// fn(row_of_col, input_row_or_null, iw0, seg) per output-row segment, where
// row_of_col points at col[r, t] and the segment's element t reads input_row[iw0 + t*stride_w].
template <typename Fn>
void WalkIm2Col(const Conv2dGeometry& g, int64_t c_begin, int64_t c_end, int64_t j0, int64_t len,
                int64_t ld, Fn&& fn) {
  const int64_t p = g.out_h * g.out_w;
  for (int64_t c = c_begin; c < c_end; ++c) {
    for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
      for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
        const int64_t r = ((c - c_begin) * g.kernel_h + kh) * g.kernel_w + kw;
        int64_t t = 0;
        int64_t n = j0 / p;
        int64_t oh = (j0 - n * p) / g.out_w;
        int64_t ow = (j0 - n * p) % g.out_w;
        while (t < len) {
          const int64_t seg = std::min(g.out_w - ow, len - t);
          const int64_t ih = oh * g.stride_h - g.pad_h + kh * g.dilation_h;
          const int64_t row_offset =
              (ih >= 0 && ih < g.in_h) ? ((n * g.in_channels + c) * g.in_h + ih) * g.in_w : -1;
          fn(r * ld + t, row_offset, ow * g.stride_w - g.pad_w + kw * g.dilation_w, seg);
          t += seg;
          ow = 0;
          if (++oh == g.out_h) {
            oh = 0;
            ++n;
          }
        }
      }
    }
  }
}

// col[r, t] = input at (channel, kh, kw) of row r and output pixel j0 + t, 0 in the padding.
void Im2Col(const Conv2dGeometry& g, const float* input, int64_t c_begin, int64_t c_end, int64_t j0,
            int64_t len, float* col) {
  const int64_t sw = g.stride_w;
  WalkIm2Col(g, c_begin, c_end, j0, len, len,
             [&](int64_t col_offset, int64_t row_offset, int64_t iw0, int64_t seg) {
               float* dst = col + col_offset;
               if (row_offset < 0) {
                 std::fill_n(dst, seg, 0.0f);
                 return;
               }
               const float* src = input + row_offset;
               int64_t lo, hi;
               ValidRange(iw0, sw, g.in_w, seg, &lo, &hi);
               std::fill_n(dst, lo, 0.0f);
               if (sw == 1) {
                 std::copy_n(src + iw0 + lo, hi - lo, dst + lo);
               } else {
                 for (int64_t t = lo; t < hi; ++t) dst[t] = src[iw0 + t * sw];
               }
               std::fill_n(dst + hi, seg - hi, 0.0f);
             });
}

// The adjoint of Im2Col: input_grad at each (channel, kh, kw, pixel) += dcol[r, t].
void Col2ImAdd(const Conv2dGeometry& g, const float* dcol, int64_t c_begin, int64_t c_end,
               int64_t j0, int64_t len, float* input_grad) {
  const int64_t sw = g.stride_w;
  WalkIm2Col(g, c_begin, c_end, j0, len, len,
             [&](int64_t col_offset, int64_t row_offset, int64_t iw0, int64_t seg) {
               if (row_offset < 0) return;
               const float* src = dcol + col_offset;
               float* dst = input_grad + row_offset;
               int64_t lo, hi;
               ValidRange(iw0, sw, g.in_w, seg, &lo, &hi);
               for (int64_t t = lo; t < hi; ++t) dst[iw0 + t * sw] += src[t];
             });
}

// Below this many output channels per group, forward runs DirectConvGroup: with a handful
// of rows in W_g (ResNeXt's grouped 3x3 convolutions have 4 to 32), im2col and Eigen's
// packing cost more than the arithmetic.
// Narrow outputs waste most of the 16-column register blocks; measured on ResNeXt-50's
// 56x56 (faster, ~2x) versus 28x28 and smaller (no gain) grouped layers.
constexpr int64_t kSmallGemmMaxRows = 48;
constexpr int64_t kDirectMinOutputWidth = 32;

// Eight floats, unaligned: GCC vector extensions compile to AVX2 (or AVX-512VL) FMAs.
typedef float Vec8 __attribute__((vector_size(32)));
inline Vec8 Load8(const float* p) {
  Vec8 v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline void Store8(float* p, Vec8 v) { std::memcpy(p, &v, sizeof(v)); }

// Direct convolution of one (image, group) for few output channels per group, without
// im2col: the group's input planes are copied once, zero-padded and split by column phase
// (phase q holds padded columns q, q + stride_w, ...), so that the input of output column
// ow under kernel column kw is phase[(kw*dw) % sw][ow + (kw*dw) / sw], contiguous in ow.
// R output channels x 16 output columns accumulate in registers over (ci, kh, kw).
struct PhasedInput {
  int64_t padded_h = 0, row_len = 0;  // rows per plane, floats per phase row
  int64_t phase_size = 0;             // floats per phase (all channels)
  const float* data = nullptr;        // [phase][ci][padded_h][row_len]
  int64_t Offset(int64_t phase, int64_t ci) const {
    return phase * phase_size + ci * padded_h * row_len;
  }
};

template <int R>
void DirectConvRows(const Conv2dGeometry& g, const PhasedInput& in, int64_t cin_g, const float* w,
                    float* y) {
  const int64_t k = cin_g * g.kernel_h * g.kernel_w;
  const int64_t plane = g.out_h * g.out_w;
  alignas(32) float tail[R][16];
  for (int64_t oh = 0; oh < g.out_h; ++oh) {
    for (int64_t ow = 0; ow < g.out_w; ow += 16) {
      Vec8 acc[R][2] = {};
      for (int64_t ci = 0; ci < cin_g; ++ci) {
        for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
          const int64_t ih = oh * g.stride_h + kh * g.dilation_h;
          for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
            const int64_t shift = kw * g.dilation_w;
            const float* x = in.data + in.Offset(shift % g.stride_w, ci) + ih * in.row_len +
                             shift / g.stride_w + ow;
            const Vec8 x0 = Load8(x);
            const Vec8 x1 = Load8(x + 8);
            const int64_t wi = (ci * g.kernel_h + kh) * g.kernel_w + kw;
            for (int r = 0; r < R; ++r) {
              const float s = w[r * k + wi];
              acc[r][0] += s * x0;
              acc[r][1] += s * x1;
            }
          }
        }
      }
      const int64_t n = std::min<int64_t>(16, g.out_w - ow);
      for (int r = 0; r < R; ++r) {
        float* dst = y + r * plane + oh * g.out_w + ow;
        if (n == 16) {
          Store8(dst, acc[r][0]);
          Store8(dst + 8, acc[r][1]);
        } else {
          Store8(tail[r], acc[r][0]);
          Store8(tail[r] + 8, acc[r][1]);
          std::copy_n(tail[r], n, dst);
        }
      }
    }
  }
}

// Y[n, group's channels] = conv of image n's group `group` (no bias/epilogue).
void DirectConvGroup(const Conv2dGeometry& g, const Dims& d, const float* input,
                     const float* weight, int64_t n, int64_t group, float* output) {
  const int64_t sw = g.stride_w;
  const int64_t padded_h = g.in_h + 2 * g.pad_h;
  const int64_t padded_w = g.in_w + 2 * g.pad_w;
  // Reads reach phase column ow + shift/sw + 15 for ow < round_up(OW, 16).
  const int64_t row_len = std::max(
      CeilDiv(padded_w, sw), CeilDiv(g.out_w, 16) * 16 + (g.kernel_w - 1) * g.dilation_w / sw);
  PhasedInput in;
  in.padded_h = padded_h;
  in.row_len = row_len;
  in.phase_size = d.cin_g * padded_h * row_len;
  float* buffer = Scratch(2, sw * in.phase_size);
  std::fill_n(buffer, sw * in.phase_size, 0.0f);
  for (int64_t ci = 0; ci < d.cin_g; ++ci) {
    const float* src = input + (n * g.in_channels + group * d.cin_g + ci) * d.hw;
    for (int64_t ih = 0; ih < g.in_h; ++ih) {
      const float* src_row = src + ih * g.in_w;
      const int64_t row = (ih + g.pad_h) * row_len;
      if (sw == 1) {
        std::copy_n(src_row, g.in_w, buffer + in.Offset(0, ci) + row + g.pad_w);
        continue;
      }
      for (int64_t iw = 0; iw < g.in_w; ++iw) {
        const int64_t col = iw + g.pad_w;
        buffer[in.Offset(col % sw, ci) + row + col / sw] = src_row[iw];
      }
    }
  }
  in.data = buffer;
  const float* w = weight + group * d.cout_g * d.k;
  float* y = output + (n * g.out_channels + group * d.cout_g) * d.p;
  int64_t r = 0;
  for (; r + 4 <= d.cout_g; r += 4) DirectConvRows<4>(g, in, d.cin_g, w + r * d.k, y + r * d.p);
  switch (d.cout_g - r) {
    case 3:
      DirectConvRows<3>(g, in, d.cin_g, w + r * d.k, y + r * d.p);
      break;
    case 2:
      DirectConvRows<2>(g, in, d.cin_g, w + r * d.k, y + r * d.p);
      break;
    case 1:
      DirectConvRows<1>(g, in, d.cin_g, w + r * d.k, y + r * d.p);
      break;
  }
}

// dst[i] = relu?(src[i] + bias + residual[i]); src may be dst, residual may be null.
void Epilogue(const float* src, float bias, const float* residual, bool relu, int64_t len,
              float* dst) {
  if (residual != nullptr) {
    for (int64_t i = 0; i < len; ++i) dst[i] = src[i] + bias + residual[i];
  } else {
    for (int64_t i = 0; i < len; ++i) dst[i] = src[i] + bias;
  }
  if (relu) {
    for (int64_t i = 0; i < len; ++i) dst[i] = std::max(dst[i], 0.0f);
  }
}

}  // namespace

void Conv2dForward(const Conv2dGeometry& g, const float* input, const float* weight,
                   const float* bias, const float* residual, bool relu, float* output) {
  const Dims d(g);
  if (d.cout_g < kSmallGemmMaxRows && !d.direct && g.out_w >= kDirectMinOutputWidth) {
    // One (image, group) per task; the epilogue runs on the group's planes while hot.
    ParallelFor(g.batch * g.groups, [&](int64_t begin, int64_t end) {
      for (int64_t task = begin; task < end; ++task) {
        const int64_t n = task / g.groups, group = task % g.groups;
        DirectConvGroup(g, d, input, weight, n, group, output);
        if (bias == nullptr && residual == nullptr && !relu) continue;
        for (int64_t c = group * d.cout_g; c < (group + 1) * d.cout_g; ++c) {
          const int64_t at = (n * g.out_channels + c) * d.p;
          Epilogue(output + at, bias != nullptr ? bias[c] : 0.0f,
                   residual != nullptr ? residual + at : nullptr, relu, d.p, output + at);
        }
      }
    });
    return;
  }
  // Y_g[rows, j] = W_g[rows, K] * col_g[K, j] per (group, row tile, column tile).
  const int64_t row_tiles = CeilDiv(d.cout_g, kRowTile);
  const int64_t col_tiles = CeilDiv(d.cols, kColTile);
  ParallelFor(g.groups * row_tiles * col_tiles, [&](int64_t begin, int64_t end) {
    for (int64_t task = begin; task < end; ++task) {
      const int64_t group = task / (row_tiles * col_tiles);
      const int64_t m0 = (task / col_tiles % row_tiles) * kRowTile;
      const int64_t rows = std::min(kRowTile, d.cout_g - m0);
      const int64_t j0 = (task % col_tiles) * kColTile;
      const int64_t len = std::min(kColTile, d.cols - j0);
      const int64_t c_in0 = group * d.cin_g;
      const int64_t c_out0 = group * d.cout_g + m0;
      int64_t n, offset;
      const bool one_image = d.OneImage(j0, len, &n, &offset);

      const float* col;
      int64_t ld_col;
      if (d.direct && one_image) {  // 1x1: col_g is X_g itself
        col = input + (n * g.in_channels + c_in0) * d.hw + offset;
        ld_col = d.hw;
      } else {
        float* buffer = Scratch(0, d.k * len);
        Im2Col(g, input, c_in0, c_in0 + d.cin_g, j0, len, buffer);
        col = buffer;
        ld_col = len;
      }
      float* y;
      int64_t ld_y;
      if (one_image) {
        y = output + (n * g.out_channels + c_out0) * d.p + offset;
        ld_y = d.p;
      } else {
        y = Scratch(1, rows * len);
        ld_y = len;
      }
      Sgemm(false, false, rows, len, d.k, 1.0f, weight + c_out0 * d.k, d.k, col, ld_col, 0.0f, y,
            ld_y);
      if (one_image && bias == nullptr && residual == nullptr && !relu) continue;
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t c = c_out0 + r;
        ForEachImageSegment(j0, len, d.p, [&](int64_t n, int64_t offset, int64_t t, int64_t seg) {
          const int64_t at = (n * g.out_channels + c) * d.p + offset;
          Epilogue(y + r * ld_y + t, bias != nullptr ? bias[c] : 0.0f,
                   residual != nullptr ? residual + at : nullptr, relu, seg, output + at);
        });
      }
    }
  });
}

void Conv2dBackward(const Conv2dGeometry& g, const float* input, const float* weight,
                    const float* output_grad, float* input_grad, float* weight_grad,
                    float* bias_grad) {
  const Dims d(g);

  // db[c] += sum over images and pixels of dY[n, c]; one channel per task, fixed order.
  if (bias_grad != nullptr) {
    ParallelFor(g.out_channels, [&](int64_t begin, int64_t end) {
      for (int64_t c = begin; c < end; ++c) {
        double sum = 0;
        for (int64_t n = 0; n < g.batch; ++n) {
          const float* row = output_grad + (n * g.out_channels + c) * d.p;
          float partial = 0;
          for (int64_t i = 0; i < d.p; ++i) partial += row[i];
          sum += partial;
        }
        bias_grad[c] += static_cast<float>(sum);
      }
    });
  }

  // dcol_g[rows, j] = W_g[:, rows]^T * dY_g[:, j], then dX += col2im(dcol_g). Tasks own
  // disjoint input channels; with overlapping windows also whole images (col2im of columns
  // in one image collide), otherwise column tiles.
  if (input_grad != nullptr) {
    const int64_t tile_channels = std::min(d.cin_g, std::max<int64_t>(1, kGradRows / d.kk));
    const int64_t channel_tiles = CeilDiv(d.cin_g, tile_channels);
    const int64_t col_tiles = d.disjoint_windows ? CeilDiv(d.cols, kColTile) : g.batch;
    ParallelFor(g.groups * channel_tiles * col_tiles, [&](int64_t begin, int64_t end) {
      for (int64_t task = begin; task < end; ++task) {
        const int64_t group = task / (channel_tiles * col_tiles);
        const int64_t c0 = (task / col_tiles % channel_tiles) * tile_channels;
        const int64_t channels = std::min(tile_channels, d.cin_g - c0);
        const int64_t c_in0 = group * d.cin_g + c0;
        const int64_t c_out0 = group * d.cout_g;
        const int64_t tile = task % col_tiles;
        const int64_t range_begin = d.disjoint_windows ? tile * kColTile : tile * d.p;
        const int64_t range_end =
            d.disjoint_windows ? std::min(d.cols, range_begin + kColTile) : range_begin + d.p;
        for (int64_t j0 = range_begin; j0 < range_end; j0 += kColTile) {
          const int64_t len = std::min(kColTile, range_end - j0);
          int64_t n, offset;
          const bool one_image = d.OneImage(j0, len, &n, &offset);
          const float* dy;
          int64_t ld_dy;
          if (one_image) {
            dy = output_grad + (n * g.out_channels + c_out0) * d.p + offset;
            ld_dy = d.p;
          } else {
            float* buffer = Scratch(1, d.cout_g * len);
            GatherColumns(output_grad, g.out_channels, c_out0, d.cout_g, d.p, j0, len, buffer);
            dy = buffer;
            ld_dy = len;
          }
          const float* w = weight + c_out0 * d.k + c0 * d.kk;  // W_g[:, rows], ld K
          if (d.direct && one_image) {  // dX_g[rows, j] += W_g[:, rows]^T * dY_g[:, j]
            Sgemm(true, false, channels, len, d.cout_g, 1.0f, w, d.k, dy, ld_dy, 1.0f,
                  input_grad + (n * g.in_channels + c_in0) * d.hw + offset, d.hw);
          } else {
            float* dcol = Scratch(0, channels * d.kk * len);
            Sgemm(true, false, channels * d.kk, len, d.cout_g, 1.0f, w, d.k, dy, ld_dy, 0.0f, dcol,
                  len);
            Col2ImAdd(g, dcol, c_in0, c_in0 + channels, j0, len, input_grad);
          }
        }
      }
    });
  }

  // dW_g[rows, cols] += dY_g[rows, j] * col_g[cols, j]^T summed over column tiles j in
  // order. Tasks own (group, output-channel tile, input-channel tile) blocks of dW; when
  // they are few, each block's sum is also split over `splits` column ranges into partial
  // buffers that are added afterwards, in split order.
  if (weight_grad != nullptr) {
    const int64_t tile_channels = std::min(d.cin_g, std::max<int64_t>(1, kGradRows / d.kk));
    const int64_t channel_tiles = CeilDiv(d.cin_g, tile_channels);
    const int64_t row_tiles = CeilDiv(d.cout_g, kRowTile);
    const int64_t blocks = g.groups * row_tiles * channel_tiles;
    const int64_t col_tiles = CeilDiv(d.cols, kColTile);
    const int64_t splits =
        std::max<int64_t>(1, std::min(col_tiles, CeilDiv(kMinWeightGradTasks, blocks)));
    const int64_t weight_size = g.out_channels * d.k;
    std::vector<float> partials(splits > 1 ? splits * weight_size : 0);
    ParallelFor(blocks * splits, [&](int64_t begin, int64_t end) {
      for (int64_t task = begin; task < end; ++task) {
        const int64_t block = task / splits;
        const int64_t split = task % splits;
        const int64_t group = block / (row_tiles * channel_tiles);
        const int64_t m0 = (block / channel_tiles % row_tiles) * kRowTile;
        const int64_t rows = std::min(kRowTile, d.cout_g - m0);
        const int64_t c0 = (block % channel_tiles) * tile_channels;
        const int64_t channels = std::min(tile_channels, d.cin_g - c0);
        const int64_t c_in0 = group * d.cin_g + c0;
        const int64_t c_out0 = group * d.cout_g + m0;
        float* dw = (splits > 1 ? partials.data() + split * weight_size : weight_grad) +
                    c_out0 * d.k + c0 * d.kk;
        float beta = splits > 1 ? 0.0f : 1.0f;
        for (int64_t tile = split * col_tiles / splits; tile < (split + 1) * col_tiles / splits;
             ++tile) {
          const int64_t j0 = tile * kColTile;
          const int64_t len = std::min(kColTile, d.cols - j0);
          int64_t n, offset;
          const bool one_image = d.OneImage(j0, len, &n, &offset);
          const float* dy;
          int64_t ld_dy;
          if (one_image) {
            dy = output_grad + (n * g.out_channels + c_out0) * d.p + offset;
            ld_dy = d.p;
          } else {
            float* buffer = Scratch(1, rows * len);
            GatherColumns(output_grad, g.out_channels, c_out0, rows, d.p, j0, len, buffer);
            dy = buffer;
            ld_dy = len;
          }
          const float* col;
          int64_t ld_col;
          if (d.direct && one_image) {
            col = input + (n * g.in_channels + c_in0) * d.hw + offset;
            ld_col = d.hw;
          } else {
            float* buffer = Scratch(0, channels * d.kk * len);
            Im2Col(g, input, c_in0, c_in0 + channels, j0, len, buffer);
            col = buffer;
            ld_col = len;
          }
          Sgemm(false, true, rows, channels * d.kk, len, 1.0f, dy, ld_dy, col, ld_col, beta, dw,
                d.k);
          beta = 1.0f;
        }
        if (beta == 0.0f) {  // an empty split still defines its partial block
          for (int64_t r = 0; r < rows; ++r) std::fill_n(dw + r * d.k, channels * d.kk, 0.0f);
        }
      }
    });
    if (splits > 1) {
      ParallelFor(weight_size, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
          float sum = partials[i];
          for (int64_t s = 1; s < splits; ++s) sum += partials[s * weight_size + i];
          weight_grad[i] += sum;
        }
      });
    }
  }
}

}  // namespace nn::cpu
