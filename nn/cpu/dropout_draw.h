// The random draws behind every dropout mask (the ops' dropout and the LSTM's inter-layer
// dropout), one definition for the CPU kernels and the CUDA kernels (this header compiles
// as host and device code under nvcc), so a seed gives the same mask on either device.
// Counter-based: element i's draw is a function of (seed, i) alone.
#ifndef NN_CPU_DROPOUT_DRAW_H_
#define NN_CPU_DROPOUT_DRAW_H_

#include <cstdint>

#if defined(__CUDACC__)
#define NN_HOST_DEVICE __host__ __device__
#else
#define NN_HOST_DEVICE
#endif

namespace nn::cpu {

// SplitMix64's output function (Steele, Lea, Flood 2014): a bijective 64-bit mixer.
NN_HOST_DEVICE inline uint64_t MixBits(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
constexpr uint64_t kGoldenGamma = 0x9e3779b97f4a7c15ULL;  // SplitMix64's increment

// Dropout's stream for `seed`; element i's bits are the (i+1)-th SplitMix64 state after it.
NN_HOST_DEVICE inline uint64_t DropoutStream(uint64_t seed) { return MixBits(seed); }
NN_HOST_DEVICE inline uint64_t DropoutBits(uint64_t stream, int64_t i) {
  return MixBits(stream + kGoldenGamma * (static_cast<uint64_t>(i) + 1));
}

// The LSTM's inter-layer stream for (seed, layer), and element k's bits.
NN_HOST_DEVICE inline uint64_t SplitMix64(uint64_t z) { return MixBits(z + kGoldenGamma); }
NN_HOST_DEVICE inline uint64_t LstmDropoutStream(uint64_t seed, int64_t layer) {
  return SplitMix64(seed ^ SplitMix64(static_cast<uint64_t>(layer)));
}
NN_HOST_DEVICE inline uint64_t LstmDropoutBits(uint64_t stream, int64_t k) {
  return SplitMix64(stream + static_cast<uint64_t>(k));
}

// 1 / (1 - p), the scale of kept elements; 0 when p == 1 (everything dropped).
NN_HOST_DEVICE inline float KeepScale(float p) { return p < 1.0f ? 1.0f / (1.0f - p) : 0.0f; }
// A mask entry from 64 random bits: their top 24 as a uniform u in [0, 1) (exact in float32);
// `scale` when u >= p (kept), else 0.
NN_HOST_DEVICE inline float MaskEntry(uint64_t bits, float p, float scale) {
  const float u = static_cast<float>(bits >> 40) * (1.0f / 16777216.0f);
  return u >= p ? scale : 0.0f;
}

}  // namespace nn::cpu

#endif  // NN_CPU_DROPOUT_DRAW_H_
