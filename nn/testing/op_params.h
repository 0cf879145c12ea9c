// Op parameters for tests, in one line each, and the max-pooling shapes that the pooling
// tests and the per-op table (nn/ops/backend_ops_test.cc) share:
//
//   Conv2dForward(x, w, &b, Conv2dParamsOf(/*stride*/ 2, 1, /*pad*/ 1, 2, /*dilation*/ 2, 1,
//                                          /*groups*/ 2), &y);
#ifndef NN_TESTING_OP_PARAMS_H_
#define NN_TESTING_OP_PARAMS_H_

#include <vector>

#include "nn/ops/conv.h"
#include "nn/ops/pool.h"
#include "nn/tensor.h"

namespace nn::testing {

Conv2dParams Conv2dParamsOf(int stride_h, int stride_w, int pad_h, int pad_w, int dilation_h,
                            int dilation_w, int groups);

// A stride of 0 means the kernel size (PyTorch's default).
MaxPool2dParams MaxPool2dParamsOf(int kernel_h, int kernel_w, int stride_h, int stride_w, int pad_h,
                                  int pad_w, int dilation_h = 1, int dilation_w = 1);

// Max pooling on odd shapes: ResNet's stem pool, a general asymmetric dilated window, the
// default stride and a dilated 3x3.
struct MaxPool2dCase {
  const char* name;
  Shape input;
  MaxPool2dParams params;
};
std::vector<MaxPool2dCase> MaxPool2dCases();

}  // namespace nn::testing

#endif  // NN_TESTING_OP_PARAMS_H_
