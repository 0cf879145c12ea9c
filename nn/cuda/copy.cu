// Strided row copies and the leading-axes swap as 2-D copies (cudaMemcpy2D), ordered on the
// legacy default stream with the kernels around them.
#include <cuda_runtime.h>

#include "nn/cuda/copy.h"
#include "nn/cuda/cuda_check.h"

namespace nn::cuda {

void CopyRows(int64_t rows, int64_t cols, const float* src, int64_t src_stride, float* dst,
              int64_t dst_stride) {
  if (rows == 0 || cols == 0) return;
  NN_CUDA_CHECK(cudaMemcpy2D(dst, sizeof(float) * dst_stride, src, sizeof(float) * src_stride,
                             sizeof(float) * cols, rows, cudaMemcpyDeviceToDevice));
}

void SwapLeadingAxes(int64_t a, int64_t b, int64_t c, const float* src, float* dst) {
  // dst[j, i, :] = src[i, j, :]: for each i, the b rows src[i, :, :] go to rows j * a + i.
  for (int64_t i = 0; i < a && b > 0 && c > 0; ++i) {
    CopyRows(b, c, src + i * b * c, c, dst + i * c, a * c);
  }
}

}  // namespace nn::cuda
