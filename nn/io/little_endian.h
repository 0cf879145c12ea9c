// Little-endian integers in checkpoint files (ZIP records, safetensors header lengths,
// pickle operands, legacy torch.save storage sizes): the one reader and writer nn/io uses,
// independent of the host's byte order.
#ifndef NN_IO_LITTLE_ENDIAN_H_
#define NN_IO_LITTLE_ENDIAN_H_

#include <cstdint>

namespace nn::io {

// The `bytes`-byte (1 to 8) unsigned little-endian integer at `p`.
inline uint64_t LoadLittleEndian(const void* p, int bytes) {
  const auto* b = static_cast<const unsigned char*>(p);
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | b[i];
  return v;
}

// Writes `value` as 8 little-endian bytes to `out`.
inline void StoreLittleEndian64(uint64_t value, unsigned char out[8]) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<unsigned char>(value >> (8 * i));
}

}  // namespace nn::io

#endif  // NN_IO_LITTLE_ENDIAN_H_
