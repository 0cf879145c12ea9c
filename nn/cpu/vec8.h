// Eight floats as a GCC vector (AVX2 at the build's baseline, or AVX-512VL), loaded and
// stored unaligned: the small vector loops of conv.cc and pool.cc.
#ifndef NN_CPU_VEC8_H_
#define NN_CPU_VEC8_H_

#include <cstring>

namespace nn::cpu::internal {

typedef float Vec8 __attribute__((vector_size(32)));

inline Vec8 Load8(const float* p) {
  Vec8 v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

inline void Store8(float* p, Vec8 v) { std::memcpy(p, &v, sizeof(v)); }

}  // namespace nn::cpu::internal

#endif  // NN_CPU_VEC8_H_
