// Convolution as tiled GEMMs: im2col/col2im over a column space that spans the batch; the
// forward on our own GEMM (SgemmNN: weights read in place, bias/residual/ReLU applied in its
// registers), the backward on Eigen's (Sgemm).
#include "nn/cpu/conv.h"

#include <algorithm>
#include <vector>

#include "base/thread_pool.h"
#include "nn/check.h"
#include "nn/cpu/flat_correlate.h"
#include "nn/cpu/gemm.h"
#include "nn/cpu/scratch.h"
#include "nn/cpu/vec8.h"

namespace nn::cpu {
namespace {

// Tile sizes: fixed (never derived from the thread count), so the bits do not depend on it.
constexpr int64_t kRowTile = 256;  // output channels of one forward / weight-gradient tile
constexpr int64_t kColTile = 512;  // output pixels (columns j) of one backward tile, at most
constexpr int64_t kForwardColTile = 1024;  // forward: pixels of one tile, at most
constexpr int64_t kMinForwardTasks = 8;    // forward: blocks of images shrink to make this many
constexpr int64_t kMinColTile = 64;        // forward splits columns into tiles of at least this
constexpr int64_t kGradRows = 256;         // target rows (channel x KH x KW) of dcol and dW tiles
// The weight gradient is a reduction over all columns; with fewer tiles than this it is
// also split over column ranges into partial sums (a fixed count, summed in a fixed order).
constexpr int64_t kMinWeightGradTasks = 8;

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t RoundUp(int64_t a, int64_t b) { return CeilDiv(a, b) * b; }

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

// The forward's column tiles: pieces of one image (large images, or a lone image that must
// split for an even task count), or blocks of whole images. Fixed by the geometry alone (and
// the bits do not depend on them: every output is one chain of sums in SgemmNN).
struct ForwardTiles {
  ForwardTiles(const Conv2dGeometry& g, const Dims& d, int64_t row_tiles) {
    // Blocks: as many images as fit kForwardColTile columns, preferring a count whose gathered
    // columns (past each image's last whole panel of 48) fill whole 16-lane vectors.
    const int64_t most = std::min(g.batch, std::max<int64_t>(1, kForwardColTile / d.p));
    per_block = most;
    for (int64_t b = most; b >= 1; --b) {
      if (b * (d.p % 48) % 16 == 0) {
        per_block = b;
        break;
      }
    }
    if (per_block < most / 2) per_block = most;
    // Enough tasks for the threads: halve the blocks while there are fewer.
    while (per_block > 1 && g.groups * row_tiles * CeilDiv(g.batch, per_block) < kMinForwardTasks) {
      per_block = CeilDiv(per_block, 2);
    }
    if (d.p >= kForwardColTile / 2 || per_block == 1) {  // pieces of single images
      per_block = 1;
      pieces = CeilDiv(d.p, kForwardColTile);
      if ((g.groups * row_tiles * g.batch * pieces) % 2 == 1 && d.p >= 2 * kMinColTile) ++pieces;
      step = RoundUp(CeilDiv(d.p, pieces), 16);
      pieces = CeilDiv(d.p, step);
      col_tiles = g.batch * pieces;
      max_cols = step;
    } else {
      pieces = 1;
      step = d.p;
      col_tiles = CeilDiv(g.batch, per_block);
      max_cols = per_block * d.p;
    }
    batch = g.batch;
    p = d.p;
  }
  // Tile `tile`: `images` images from image n, columns [offset, offset + len) of each.
  void Tile(int64_t tile, int64_t* n, int64_t* offset, int64_t* len, int64_t* images) const {
    if (per_block == 1) {
      *n = tile / pieces;
      *offset = (tile % pieces) * step;
      *len = std::min(step, p - *offset);
      *images = 1;
    } else {
      *n = tile * per_block;
      *offset = 0;
      *len = p;
      *images = std::min(per_block, batch - *n);
    }
  }
  int64_t per_block, pieces, step, col_tiles, max_cols, batch, p;
};

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

using internal::Load8;
using internal::Store8;
using internal::Vec8;

// Direct convolution on "flat phase planes", for few channels per group (ResNeXt's grouped
// 3x3 convolutions: 4 to 32), where im2col and GEMM packing cost more than the arithmetic.
//
// Layout. A channel's zero-padded input plane (ph, pw in [0, H+2*pad_h) x [0, W+2*pad_w)) is
// split into sh*sw phases: phase q = (ph % sh) * sw + pw % sw stores pixel (ph, pw) at flat
// index (ph / sh) * wq + pw / sw of a [hq, wq] plane. Output pixel (oh, ow) gets flat index
// i = oh * wq + ow (columns ow >= OW are junk, computed and dropped). Tap t = (kh, kw) reads
// padded (oh*sh + kh*dh, ow*sw + kw*dw), i.e. phase q(t) = ((kh*dh) % sh) * sw + (kw*dw) % sw
// at flat index i + shift(t), shift(t) = (kh*dh / sh) * wq + kw*dw / sw. So
//   forward  y[co][i]  = sum_{ci, t} W[co, ci, t] * P[q(t)][ci][i + shift(t)]
//   backward dP[q][ci][m] = sum_{co, t: q(t) = q} W[co, ci, t] * dYf[co][m - shift(t)]
//            dW[co, ci, t] += sum_i dYf[co][i] * P[q(t)][ci][i + shift(t)]
// with dYf = dY in the flat layout, zero in junk columns and outside [0, OH*wq). Every sum
// is a constant-shift correlation that is contiguous in i: FlatCorrelate vectorizes it over
// 8 or 16 * V consecutive i and R output rows, all in registers (flat_correlate.inc).
constexpr int64_t kFlatMaxChannelsPerGroup = 64;
constexpr int64_t kFlatMaxStemChannels = 4;
// Flat lengths are padded to multiples of this: the kernel's rounding (flat_correlate.h).
constexpr int64_t kFlatPad = internal::kFlatCorrelateSlack;
// Forward tasks cover a whole (image, group), or with fewer than kFlatMinTasks of those (a
// stem at batch 1), chunks of kFlatRowsPerTask output channels, each packing the input again.
constexpr int64_t kFlatRowsPerTask = 16;
constexpr int64_t kFlatMinTasks = 16;

struct FlatLayout {
  FlatLayout(const Conv2dGeometry& g, int64_t cin_g)
      : sh(g.stride_h),
        sw(g.stride_w),
        phases(sh * sw),
        hq(CeilDiv(g.in_h + 2 * g.pad_h, sh)),
        wq(CeilDiv(g.in_w + 2 * g.pad_w, sw)),
        plane(hq * wq),
        len(g.out_h * wq),
        taps(g.kernel_h * g.kernel_w) {
    for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
      for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
        const int64_t h = kh * g.dilation_h, w = kw * g.dilation_w;
        tap_phase.push_back((h % sh) * sw + w % sw);
        tap_shift.push_back((h / sh) * wq + w / sw);
        max_shift = std::max(max_shift, tap_shift.back());
      }
    }
    // P holds [phase][ci][plane]; reads reach max_shift + RoundUp(len) past the last plane.
    input_size = phases * cin_g * plane + max_shift + RoundUp(std::max(len, plane), kFlatPad);
    lead = RoundUp(max_shift, 8);
    dy_stride = lead + RoundUp(std::max(len, plane), kFlatPad) + kFlatPad;
  }
  int64_t sh, sw, phases, hq, wq, plane, len, taps;
  std::vector<int64_t> tap_phase, tap_shift;
  int64_t max_shift = 0;
  int64_t input_size = 0;  // floats of the packed input P, with zero slack
  int64_t lead = 0;        // zeros before each dYf row (reads at m - shift >= -lead)
  int64_t dy_stride = 0;   // floats per dYf row
};

// dst[0, len) = src[0, len) for short rows, without a call to memmove.
inline void CopyRow(const float* src, int64_t len, float* dst) {
  int64_t i = 0;
  for (; i + 8 <= len; i += 8) Store8(dst + i, Load8(src + i));
  for (; i < len; ++i) dst[i] = src[i];
}

// P[q][ci][...] = the zero-padded, phase-split planes of channels [c0, c0 + channels) of image
// n (buffer of layout.input_size floats). Packing writes the same positions for every image
// and group, so the zeros (padding, slack) need writing only once per buffer: `zero`.
void PackFlatInput(const Conv2dGeometry& g, const FlatLayout& l, const float* input, int64_t n,
                   int64_t c0, int64_t channels, bool zero, float* p) {
  if (zero) std::fill_n(p, l.input_size, 0.0f);
  // Column phase qw holds input columns iw0[qw] + k * sw at (iw0[qw] + pad_w) / sw + k. Hoisted
  // out of the row loop: rows can be as short as 7 pixels, and divisions cost more.
  std::vector<int64_t> iw0(l.sw), at0(l.sw);
  for (int64_t qw = 0; qw < l.sw; ++qw) {
    iw0[qw] = ((qw - g.pad_w) % l.sw + l.sw) % l.sw;
    at0[qw] = qw * channels * l.plane + (iw0[qw] + g.pad_w) / l.sw;
  }
  const int64_t vector_cols = l.sw == 2 ? g.in_w / 16 * 16 : 0;  // stride-2 fast path
  // Stride 2: the phases of input columns 0 (even) and 1 (odd).
  float* const even = l.sw == 2 ? p + at0[g.pad_w % 2] : nullptr;
  float* const odd = l.sw == 2 ? p + at0[(g.pad_w + 1) % 2] : nullptr;
  for (int64_t ci = 0; ci < channels; ++ci) {
    const float* src = input + ((n * g.in_channels + c0 + ci) * g.in_h) * g.in_w;
    int64_t qh = g.pad_h % l.sh, r = g.pad_h / l.sh;  // padded row ih + pad_h = r * sh + qh
    for (int64_t ih = 0; ih < g.in_h; ++ih) {
      const int64_t row = (qh * l.sw * channels + ci) * l.plane + r * l.wq;
      if (++qh == l.sh) {
        qh = 0;
        ++r;
      }
      const float* src_row = src + ih * g.in_w;
      if (l.sw == 1) {
        CopyRow(src_row, g.in_w, p + row + g.pad_w);
        continue;
      }
      // Stride 2: even input columns 2k go to one phase at k + const, odd ones to the other.
      for (int64_t done = 0; done < vector_cols; done += 16) {
        const Vec8 a = Load8(src_row + done), b = Load8(src_row + done + 8);
        Store8(even + row + done / 2, __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14));
        Store8(odd + row + done / 2, __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15));
      }
      for (int64_t qw = 0; qw < l.sw; ++qw) {  // the rest, from column vector_cols on
        float* dst = p + row + at0[qw] + vector_cols / l.sw;
        for (int64_t iw = vector_cols + iw0[qw], k = 0; iw < g.in_w; iw += l.sw, ++k) {
          dst[k] = src_row[iw];
        }
      }
    }
  }
}

// The flat kernel (flat_correlate.h) with this process's vectors: 16 lanes with AVX-512,
// else 8; the same bits either way.
void FlatCorrelateAuto(const float* in, int64_t in_stride, int64_t channels, const int64_t* shift,
                       int64_t taps, const float* w, int64_t ldw, int64_t rows, int64_t len,
                       float* out, int64_t ldo) {
  (UseAvx512Kernels() ? internal::FlatCorrelateAvx512 : internal::FlatCorrelateAvx2)(
      in, in_stride, channels, shift, taps, w, ldw, rows, len, out, ldo);
}

// out[k] = the sum of the lanes of the k-th vector, by a transpose-and-add tree.
inline void SumLanes4(Vec8 a, Vec8 b, Vec8 c, Vec8 d, float* out) {
  // __builtin_shufflevector (GCC 12+ and clang) takes the lane indices as constants.
  // [a0+a1, b0+b1, a2+a3, b2+b3, a4+a5, b4+b5, a6+a7, b6+b7], likewise for c, d.
  const Vec8 ab = __builtin_shufflevector(a, b, 0, 8, 2, 10, 4, 12, 6, 14) +
                  __builtin_shufflevector(a, b, 1, 9, 3, 11, 5, 13, 7, 15);
  const Vec8 cd = __builtin_shufflevector(c, d, 0, 8, 2, 10, 4, 12, 6, 14) +
                  __builtin_shufflevector(c, d, 1, 9, 3, 11, 5, 13, 7, 15);
  // [a0..3, b0..3, c0..3, d0..3, a4..7, b4..7, c4..7, d4..7]
  const Vec8 abcd = __builtin_shufflevector(ab, cd, 0, 1, 8, 9, 4, 5, 12, 13) +
                    __builtin_shufflevector(ab, cd, 2, 3, 10, 11, 6, 7, 14, 15);
  for (int k = 0; k < 4; ++k) out[k] = abcd[k] + abcd[k + 4];
}

// dw[r * ldw + j] += sum_{i < len} dy[r * ldy + i] * x[j][i] for r < 4, j < 3 (len a
// multiple of 8; reads past len must be valid).
void FlatDot4x3(const float* dy, int64_t ldy, const float* const* x, int64_t len, float* dw,
                int64_t ldw) {
  Vec8 acc[4][3] = {};
  for (int64_t i = 0; i < len; i += 8) {
    const Vec8 x0 = Load8(x[0] + i), x1 = Load8(x[1] + i), x2 = Load8(x[2] + i);
    for (int r = 0; r < 4; ++r) {
      const Vec8 d = Load8(dy + r * ldy + i);
      acc[r][0] += d * x0;
      acc[r][1] += d * x1;
      acc[r][2] += d * x2;
    }
  }
  for (int j = 0; j < 3; ++j) {
    float sums[4];
    SumLanes4(acc[0][j], acc[1][j], acc[2][j], acc[3][j], sums);
    for (int r = 0; r < 4; ++r) dw[r * ldw + j] += sums[r];
  }
}

// Grouped convolutions with few channels per group, and (forward only) convolutions of few
// input channels such as a 7x7 stem, where im2col would copy each input pixel KH*KW times.
// Backward runs one task per group, so it needs several groups.
bool UseFlatDirect(const Conv2dGeometry& g, const Dims& d, bool forward) {
  if (d.direct || d.cout_g > kFlatMaxChannelsPerGroup || d.cin_g > kFlatMaxChannelsPerGroup) {
    return false;
  }
  return g.groups > 1 || (forward && d.cin_g <= kFlatMaxStemChannels);
}
// One pass over the row for each combination (the ReLU is not a second pass).
template <bool kResidual, bool kRelu>
void EpilogueRow(const float* src, float scale, float bias, const float* residual, int64_t len,
                 float* dst) {
  for (int64_t i = 0; i < len; ++i) {
    float v = src[i] * scale + bias;
    if constexpr (kResidual) v += residual[i];
    if constexpr (kRelu) v = std::max(v, 0.0f);
    dst[i] = v;
  }
}

// dst[i] = relu?(src[i] * scale + bias + residual[i]); src may be dst, residual may be
// null.
void Epilogue(const float* src, float scale, float bias, const float* residual, bool relu,
              int64_t len, float* dst) {
  if (residual != nullptr) {
    relu ? EpilogueRow<true, true>(src, scale, bias, residual, len, dst)
         : EpilogueRow<true, false>(src, scale, bias, residual, len, dst);
  } else {
    relu ? EpilogueRow<false, true>(src, scale, bias, residual, len, dst)
         : EpilogueRow<false, false>(src, scale, bias, residual, len, dst);
  }
}

// The sum of row[0, len) in a fixed order: 32 lanes of partial sums, then the tail.
float SumRow(const float* row, int64_t len) {
  Vec8 acc[4] = {};
  int64_t i = 0;
  for (; i + 32 <= len; i += 32) {
    for (int v = 0; v < 4; ++v) acc[v] += Load8(row + i + 8 * v);
  }
  float sums[4];
  SumLanes4(acc[0], acc[1], acc[2], acc[3], sums);
  float sum = (sums[0] + sums[1]) + (sums[2] + sums[3]);
  for (; i < len; ++i) sum += row[i];
  return sum;
}

// Forward of UseFlatDirect convolutions: one task per (image, group, chunk of output
// channels); the epilogue runs on the task's rows while hot.
void FlatForward(const Conv2dGeometry& g, const Dims& d, const float* input, const float* weight,
                 const float* scale, const float* bias, const float* residual, bool relu,
                 float* output) {
  const FlatLayout l(g, d.cin_g);
  std::vector<int64_t> shift(l.taps);  // P[q(t)][ci][i + shift(t)] as P + ci*plane + shift[t]
  for (int64_t t = 0; t < l.taps; ++t) {
    shift[t] = l.tap_phase[t] * d.cin_g * l.plane + l.tap_shift[t];
  }
  const int64_t chunk_rows =
      g.batch * g.groups >= kFlatMinTasks ? d.cout_g : std::min(d.cout_g, kFlatRowsPerTask);
  const int64_t chunks = CeilDiv(d.cout_g, chunk_rows);
  const int64_t ld_y = RoundUp(l.len, kFlatPad);
  base::ParallelFor(g.batch * g.groups * chunks, [&](int64_t begin, int64_t end) {
    ScratchBuffer p_buffer, y_buffer;
    float* p = p_buffer.Floats(l.input_size);
    float* y = y_buffer.Floats(chunk_rows * ld_y);
    int64_t packed = -1;  // the (image, group) whose input p holds
    for (int64_t task = begin; task < end; ++task) {
      const int64_t image_group = task / chunks;
      const int64_t n = image_group / g.groups, group = image_group % g.groups;
      const int64_t r0 = (task % chunks) * chunk_rows;
      const int64_t rows = std::min(chunk_rows, d.cout_g - r0);
      if (packed != image_group) {
        PackFlatInput(g, l, input, n, group * d.cin_g, d.cin_g, /*zero=*/packed < 0, p);
        packed = image_group;
      }
      const int64_t c0 = group * d.cout_g + r0;
      FlatCorrelateAuto(p, l.plane, d.cin_g, shift.data(), l.taps, weight + c0 * d.k, d.k, rows,
                        l.len, y, ld_y);
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t c = c0 + r;
        for (int64_t oh = 0; oh < g.out_h; ++oh) {
          const int64_t at = ((n * g.out_channels + c) * g.out_h + oh) * g.out_w;
          Epilogue(y + r * ld_y + oh * l.wq, scale != nullptr ? scale[c] : 1.0f,
                   bias != nullptr ? bias[c] : 0.0f, residual != nullptr ? residual + at : nullptr,
                   relu, g.out_w, output + at);
        }
      }
    }
  });
}

// Backward of UseFlatDirect convolutions: one task per group, over all images in order (so
// dW_g sums in a fixed order): dYf per image, then dX by phase, then dW (formulas above).
void FlatBackward(const Conv2dGeometry& g, const Dims& d, const float* input, const float* weight,
                  const float* output_grad, float* input_grad, float* weight_grad) {
  const FlatLayout l(g, d.cin_g);
  // Taps of each phase and their backward shifts; wt_offset[q]: phase q's block of wt.
  std::vector<std::vector<int64_t>> phase_taps(l.phases), phase_shift(l.phases);
  for (int64_t t = 0; t < l.taps; ++t) {
    phase_taps[l.tap_phase[t]].push_back(t);
    phase_shift[l.tap_phase[t]].push_back(-l.tap_shift[t]);
  }
  const int64_t rows_pad = RoundUp(d.cout_g, 4);
  const int64_t ld_dp = RoundUp(l.plane, kFlatPad) + kFlatPad;  // slack: row ranges start at m0
  const int64_t cols = d.k, cols_pad = RoundUp(cols, 3);        // dW_g columns j = ci * taps + t
  const int64_t len8 = RoundUp(l.len, 8);
  base::ParallelFor(g.groups, [&](int64_t begin, int64_t end) {
    ScratchBuffer dyf_buffer, wt_buffer, dw_buffer, p_buffer, dp_buffer;
    float* dyf = dyf_buffer.Floats(rows_pad * l.dy_stride);
    float* wt = wt_buffer.Floats(d.cout_g * d.k);
    float* dw = dw_buffer.Floats(rows_pad * cols_pad);
    float* p = p_buffer.Floats(l.input_size);
    float* dp = dp_buffer.Floats(d.cin_g * ld_dp);
    std::vector<const float*> x(cols_pad);
    for (int64_t group = begin; group < end; ++group) {
      const int64_t c_in0 = group * d.cin_g, c_out0 = group * d.cout_g;
      const float* w = weight + c_out0 * d.k;
      // wt[phase q block][ci][co][s] = W_g[co, ci, phase_taps[q][s]]: the transposed weights
      // of each phase, as FlatCorrelate's [rows = ci][channels = co][taps] operand.
      int64_t offset = 0;
      std::vector<int64_t> wt_offset(l.phases);
      for (int64_t q = 0; q < l.phases; ++q) {
        wt_offset[q] = offset;
        const int64_t nq = phase_taps[q].size();
        for (int64_t ci = 0; ci < d.cin_g; ++ci) {
          for (int64_t co = 0; co < d.cout_g; ++co) {
            for (int64_t s = 0; s < nq; ++s) {
              wt[offset + (ci * d.cout_g + co) * nq + s] =
                  w[co * d.k + ci * l.taps + phase_taps[q][s]];
            }
          }
        }
        offset += d.cin_g * d.cout_g * nq;
      }
      std::fill_n(dyf, rows_pad * l.dy_stride, 0.0f);  // junk columns and slack stay zero
      std::fill_n(dw, rows_pad * cols_pad, 0.0f);
      for (int64_t n = 0; n < g.batch; ++n) {
        for (int64_t co = 0; co < d.cout_g; ++co) {
          const float* src = output_grad + (n * g.out_channels + c_out0 + co) * d.p;
          for (int64_t oh = 0; oh < g.out_h; ++oh) {
            CopyRow(src + oh * g.out_w, g.out_w, dyf + co * l.dy_stride + l.lead + oh * l.wq);
          }
        }
        if (input_grad != nullptr) {
          for (int64_t q = 0; q < l.phases; ++q) {
            const int64_t nq = phase_taps[q].size();
            if (nq == 0) continue;  // no tap reads this phase: its pixels get no gradient
            // Only phase rows r whose padded row ph = r * sh + qh is an input row are needed.
            const int64_t qh = q / l.sw, qw = q % l.sw;
            const int64_t row_lo = CeilDiv(std::max<int64_t>(0, g.pad_h - qh), l.sh);
            const int64_t row_hi = std::min(l.hq, CeilDiv(g.pad_h + g.in_h - qh, l.sh));
            if (row_hi <= row_lo) continue;
            const int64_t m0 = row_lo * l.wq;
            FlatCorrelateAuto(dyf + l.lead + m0, l.dy_stride, d.cout_g, phase_shift[q].data(), nq,
                              wt + wt_offset[q], d.cout_g * nq, d.cin_g, (row_hi - row_lo) * l.wq,
                              dp + m0, ld_dp);
            // dX at padded (ph, pw) of phase q += dp[ci][(ph / sh) * wq + pw / sw].
            const int64_t iw0 = ((qw - g.pad_w) % l.sw + l.sw) % l.sw;
            const int64_t at0 = (iw0 + g.pad_w) / l.sw;
            for (int64_t ci = 0; ci < d.cin_g; ++ci) {
              float* dx = input_grad + (n * g.in_channels + c_in0 + ci) * d.hw;
              for (int64_t r = row_lo; r < row_hi; ++r) {  // padded row r * sh + qh
                const float* src = dp + ci * ld_dp + r * l.wq + at0;
                float* dst = dx + (r * l.sh + qh - g.pad_h) * g.in_w;
                for (int64_t iw = iw0, k = 0; iw < g.in_w; iw += l.sw, ++k) dst[iw] += src[k];
              }
            }
          }
        }
        if (weight_grad != nullptr) {
          PackFlatInput(g, l, input, n, c_in0, d.cin_g, /*zero=*/group == begin && n == 0, p);
          for (int64_t j = 0; j < cols_pad; ++j) {
            const int64_t ci = j < cols ? j / l.taps : 0, t = j < cols ? j % l.taps : 0;
            x[j] = p + (l.tap_phase[t] * d.cin_g + ci) * l.plane + l.tap_shift[t];
          }
          for (int64_t r = 0; r < rows_pad; r += 4) {
            for (int64_t j = 0; j < cols_pad; j += 3) {
              FlatDot4x3(dyf + l.lead + r * l.dy_stride, l.dy_stride, x.data() + j, len8,
                         dw + r * cols_pad + j, cols_pad);
            }
          }
        }
      }
      if (weight_grad != nullptr) {
        for (int64_t co = 0; co < d.cout_g; ++co) {
          float* dst = weight_grad + (c_out0 + co) * d.k;
          for (int64_t j = 0; j < cols; ++j) dst[j] += dw[co * cols_pad + j];
        }
      }
    }
  });
}

}  // namespace

void Conv2dForward(const Conv2dGeometry& g, const float* input, const float* weight,
                   const float* scale, const float* bias, const float* residual, bool relu,
                   float* output) {
  const Dims d(g);
  if (UseFlatDirect(g, d, /*forward=*/true)) {
    FlatForward(g, d, input, weight, scale, bias, residual, relu, output);
    return;
  }
  // Y_g[rows, j] = W_g[rows, K] * col_g[K, j] per (group, row tile, column tile). A column
  // tile is a piece of one image, or (small images) a block of whole images that SgemmNN
  // takes at once, gathering the pixels past each image's last whole panel into shared ones
  // (gemm_nn_args.h). Either way the GEMM applies the epilogue in registers and writes the
  // output in place, and 1x1 convolutions read their input in place.
  const int64_t row_tiles = CeilDiv(d.cout_g, kRowTile);
  const ForwardTiles t(g, d, row_tiles);
  // Tiles that read the input in place take row tiles outermost (consecutive tasks share
  // weights); tiles that copy it (im2col) take them innermost, and a thread copies each
  // column tile once for all its row tiles.
  const bool copies = !d.direct;
  base::ParallelFor(g.groups * row_tiles * t.col_tiles, [&](int64_t begin, int64_t end) {
    ScratchBuffer col_buffer;
    int64_t copied = -1;  // the (group, column tile) that col_buffer holds
    for (int64_t task = begin; task < end; ++task) {
      const int64_t group = task / (row_tiles * t.col_tiles);
      const int64_t m0 = (copies ? task % row_tiles : task / t.col_tiles % row_tiles) * kRowTile;
      const int64_t rows = std::min(kRowTile, d.cout_g - m0);
      const int64_t tile = copies ? task / row_tiles % t.col_tiles : task % t.col_tiles;
      int64_t n, offset, len, images;  // first image, offset in it, columns per image, images
      t.Tile(tile, &n, &offset, &len, &images);
      const int64_t c_in0 = group * d.cin_g;
      const int64_t c_out0 = group * d.cout_g + m0;

      const float* col;
      int64_t ld_col, image_stride;
      if (d.direct) {  // 1x1: col_g is X_g itself
        col = input + (n * g.in_channels + c_in0) * d.hw + offset;
        ld_col = d.hw;
        image_stride = g.in_channels * d.hw;
      } else {
        float* buffer = col_buffer.Floats(d.k * t.max_cols);
        if (copied != group * t.col_tiles + tile) {
          Im2Col(g, input, c_in0, c_in0 + d.cin_g, n * d.p + offset, images * len, buffer);
          copied = group * t.col_tiles + tile;
        }
        col = buffer;
        ld_col = images * len;
        image_stride = len;
      }
      const int64_t at = (n * g.out_channels + c_out0) * d.p + offset;
      const RowEpilogue epilogue{scale != nullptr ? scale + c_out0 : nullptr,
                                 bias != nullptr ? bias + c_out0 : nullptr,
                                 residual != nullptr ? residual + at : nullptr, d.p, relu};
      const int64_t out_stride = g.out_channels * d.p;
      SgemmNN(rows, len, d.k, weight + c_out0 * d.k, d.k, col, ld_col, output + at, d.p, epilogue,
              {images, image_stride, out_stride, out_stride});
    }
  });
}

void Conv2dBackward(const Conv2dGeometry& g, const float* input, const float* weight,
                    const float* output_grad, float* input_grad, float* weight_grad,
                    float* bias_grad) {
  const Dims d(g);

  // db[c] += sum over images and pixels of dY[n, c]; one channel per task, fixed order.
  if (bias_grad != nullptr) {
    base::ParallelFor(g.out_channels, [&](int64_t begin, int64_t end) {
      for (int64_t c = begin; c < end; ++c) {
        double sum = 0;
        for (int64_t n = 0; n < g.batch; ++n) {
          const float* row = output_grad + (n * g.out_channels + c) * d.p;
          sum += SumRow(row, d.p);
        }
        bias_grad[c] += static_cast<float>(sum);
      }
    });
  }

  if (UseFlatDirect(g, d, /*forward=*/false)) {
    if (input_grad != nullptr || weight_grad != nullptr) {
      FlatBackward(g, d, input, weight, output_grad, input_grad, weight_grad);
    }
    return;
  }

  // dcol_g[rows, j] = W_g[:, rows]^T * dY_g[:, j], then dX += col2im(dcol_g). Tasks own
  // disjoint input channels; with overlapping windows also whole images (col2im of columns
  // in one image collide), otherwise column tiles.
  if (input_grad != nullptr) {
    const int64_t tile_channels = std::min(d.cin_g, std::max<int64_t>(1, kGradRows / d.kk));
    const int64_t channel_tiles = CeilDiv(d.cin_g, tile_channels);
    const int64_t col_tiles = d.disjoint_windows ? CeilDiv(d.cols, kColTile) : g.batch;
    base::ParallelFor(g.groups * channel_tiles * col_tiles, [&](int64_t begin, int64_t end) {
      ScratchBuffer dy_buffer, dcol_buffer;
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
            float* buffer = dy_buffer.Floats(d.cout_g * len);
            GatherColumns(output_grad, g.out_channels, c_out0, d.cout_g, d.p, j0, len, buffer);
            dy = buffer;
            ld_dy = len;
          }
          const float* w = weight + c_out0 * d.k + c0 * d.kk;  // W_g[:, rows], ld K
          if (d.direct && one_image) {  // dX_g[rows, j] += W_g[:, rows]^T * dY_g[:, j]
            Sgemm(true, false, channels, len, d.cout_g, 1.0f, w, d.k, dy, ld_dy, 1.0f,
                  input_grad + (n * g.in_channels + c_in0) * d.hw + offset, d.hw);
          } else {
            float* dcol = dcol_buffer.Floats(channels * d.kk * len);
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
    base::ParallelFor(blocks * splits, [&](int64_t begin, int64_t end) {
      ScratchBuffer dy_buffer, col_buffer;
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
            float* buffer = dy_buffer.Floats(rows * len);
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
            float* buffer = col_buffer.Floats(channels * d.kk * len);
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
      base::ParallelFor(weight_size, [&](int64_t begin, int64_t end) {
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
