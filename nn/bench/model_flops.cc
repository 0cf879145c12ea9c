#include "nn/bench/model_flops.h"

namespace nn {
namespace {

// Output side of a convolution or pooling: floor((in + 2 pad - kernel) / stride) + 1.
int OutSide(int in, int kernel, int stride, int pad) { return (in + 2 * pad - kernel) / stride + 1; }

int64_t ConvMacs(int64_t in_channels, int64_t out_channels, int kernel, int groups, int out_side) {
  return out_channels * (in_channels / groups) * kernel * kernel * int64_t{out_side} * out_side;
}

}  // namespace

int64_t ResNeXtForwardMacs(const ResNeXtOptions& o, int image_size) {
  // Stem: 7x7 stride 2 (3 -> base_width), then a 3x3 stride-2 max pool.
  int side = OutSide(image_size, 7, 2, 3);
  int64_t macs = ConvMacs(3, o.base_width, 7, 1, side);
  side = OutSide(side, 3, 2, 1);
  int64_t in = o.base_width;
  for (size_t stage = 0; stage < o.depths.size(); ++stage) {
    const int64_t planes = int64_t{o.base_width} << stage;
    const int64_t width = planes * o.width_per_group / 64 * o.groups;
    const int64_t out = planes * 4;
    for (int block = 0; block < o.depths[stage]; ++block) {
      const int stride = (block == 0 && stage > 0) ? 2 : 1;
      const int out_side = OutSide(side, 3, stride, 1);
      macs += ConvMacs(in, width, 1, 1, side);              // 1x1 reduce
      macs += ConvMacs(width, width, 3, o.groups, out_side);  // 3x3 grouped, strided
      macs += ConvMacs(width, out, 1, 1, out_side);         // 1x1 expand
      if (block == 0) macs += ConvMacs(in, out, 1, 1, out_side);  // downsample
      in = out;
      side = out_side;
    }
  }
  if (o.num_classes > 0) macs += in * o.num_classes;
  return macs;
}

int64_t LstmForwardMacs(const LstmOptions& o, int steps) {
  int64_t macs = 0;
  for (int layer = 0; layer < o.num_layers; ++layer) {
    // 4 gates: W_ih x + W_hh h per step and direction.
    macs += int64_t{4} * o.hidden_size * (o.layer_input_size(layer) + o.hidden_size) * steps *
            o.num_directions();
  }
  return macs;
}

int64_t DetectorForwardMacs(const DetectorOptions& o, int frames, int image_size) {
  return frames * ResNeXtForwardMacs(o.backbone, image_size) + LstmForwardMacs(o.lstm, frames);
}

}  // namespace nn
