// Op parameter constructors and the shared max-pooling shapes.
#include "nn/testing/op_params.h"

namespace nn::testing {

Conv2dParams Conv2dParamsOf(int stride_h, int stride_w, int pad_h, int pad_w, int dilation_h,
                            int dilation_w, int groups) {
  Conv2dParams p;
  p.stride_h = stride_h;
  p.stride_w = stride_w;
  p.pad_h = pad_h;
  p.pad_w = pad_w;
  p.dilation_h = dilation_h;
  p.dilation_w = dilation_w;
  p.groups = groups;
  return p;
}

MaxPool2dParams MaxPool2dParamsOf(int kernel_h, int kernel_w, int stride_h, int stride_w, int pad_h,
                                  int pad_w, int dilation_h, int dilation_w) {
  MaxPool2dParams p;
  p.kernel_h = kernel_h;
  p.kernel_w = kernel_w;
  p.stride_h = stride_h;
  p.stride_w = stride_w;
  p.pad_h = pad_h;
  p.pad_w = pad_w;
  p.dilation_h = dilation_h;
  p.dilation_w = dilation_w;
  return p;
}

std::vector<MaxPool2dCase> MaxPool2dCases() {
  return {
      {"resnet_3x3_s2_p1", {2, 3, 9, 10}, MaxPool2dParamsOf(3, 3, 2, 2, 1, 1)},
      // Wide rows: 8 windows at a time in the middle, one by one at both ends.
      {"resnet_3x3_s2_p1_wide", {1, 2, 5, 53}, MaxPool2dParamsOf(3, 3, 2, 2, 1, 1)},
      {"3x3_s2_p0_wide", {1, 2, 4, 40}, MaxPool2dParamsOf(3, 3, 2, 2, 0, 0)},
      {"general_2x3_s1x2_p1x0_dilation2x1",
       {1, 2, 8, 9},
       MaxPool2dParamsOf(2, 3, 1, 2, 1, 0, 2, 1)},
      {"default_stride_2x2", {2, 2, 6, 7}, MaxPool2dParamsOf(2, 2, 0, 0, 0, 0)},
      {"dilated_3x3_p1", {1, 3, 11, 11}, MaxPool2dParamsOf(3, 3, 2, 1, 1, 1, 2, 3)},
  };
}

}  // namespace nn::testing
