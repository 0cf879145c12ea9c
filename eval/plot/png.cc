// PNG encoding: signature, IHDR, one IDAT (zlib), IEND; each row filtered with the filter
// (None, Sub, Up, Paeth) whose output has the smallest sum of absolute values, the
// heuristic the PNG specification recommends.
#include "eval/plot/png.h"

#include <zlib.h>

#include <array>
#include <cstdlib>

#include "nn/check.h"

namespace eval::plot {
namespace {

void AppendBigEndian32(std::string* out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(value >> shift));
}

void AppendChunk(std::string* out, const char type[4], const std::string& data) {
  AppendBigEndian32(out, static_cast<uint32_t>(data.size()));
  const size_t start = out->size();
  out->append(type, 4);
  out->append(data);
  const uint32_t crc = static_cast<uint32_t>(crc32(
      0, reinterpret_cast<const Bytef*>(out->data() + start), static_cast<uInt>(4 + data.size())));
  AppendBigEndian32(out, crc);
}

uint8_t Paeth(int a, int b, int c) {
  const int p = a + b - c;
  const int pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  if (pa <= pb && pa <= pc) return static_cast<uint8_t>(a);
  return static_cast<uint8_t>(pb <= pc ? b : c);
}

}  // namespace

std::string EncodePng(int width, int height, const std::vector<uint8_t>& rgb) {
  NN_CHECK(width > 0 && height > 0 && rgb.size() == static_cast<size_t>(width) * height * 3)
      << "EncodePng: " << width << "x" << height << " image with " << rgb.size() << " bytes";
  const size_t stride = static_cast<size_t>(width) * 3;
  std::string filtered;
  filtered.reserve((stride + 1) * height);
  std::array<std::string, 5> candidates;
  const std::vector<uint8_t> zero_row(stride, 0);
  for (int y = 0; y < height; ++y) {
    const uint8_t* row = rgb.data() + y * stride;
    const uint8_t* up = y > 0 ? row - stride : zero_row.data();
    long best_cost = -1;
    int best = 0;
    for (int filter : {0, 1, 2, 4}) {
      std::string& out = candidates[filter];
      out.resize(stride);
      long cost = 0;
      for (size_t i = 0; i < stride; ++i) {
        const int left = i >= 3 ? row[i - 3] : 0;
        const int up_left = i >= 3 ? up[i - 3] : 0;
        int predictor = 0;
        if (filter == 1) predictor = left;
        if (filter == 2) predictor = up[i];
        if (filter == 4) predictor = Paeth(left, up[i], up_left);
        const auto value = static_cast<uint8_t>(row[i] - predictor);
        out[i] = static_cast<char>(value);
        cost += value < 128 ? value : 256 - value;
      }
      if (best_cost < 0 || cost < best_cost) {
        best_cost = cost;
        best = filter;
      }
    }
    filtered.push_back(static_cast<char>(best));
    filtered.append(candidates[best]);
  }

  uLongf compressed_size = compressBound(filtered.size());
  std::string compressed(compressed_size, '\0');
  const int result = compress2(reinterpret_cast<Bytef*>(compressed.data()), &compressed_size,
                               reinterpret_cast<const Bytef*>(filtered.data()), filtered.size(),
                               Z_BEST_COMPRESSION);
  NN_CHECK(result == Z_OK) << "EncodePng: zlib compress2 failed with " << result;
  compressed.resize(compressed_size);

  std::string png("\x89PNG\r\n\x1a\n", 8);
  std::string header;
  AppendBigEndian32(&header, static_cast<uint32_t>(width));
  AppendBigEndian32(&header, static_cast<uint32_t>(height));
  header += std::string("\x08\x02\x00\x00\x00", 5);  // 8-bit RGB, deflate, adaptive, no interlace
  AppendChunk(&png, "IHDR", header);
  AppendChunk(&png, "IDAT", compressed);
  AppendChunk(&png, "IEND", "");
  return png;
}

}  // namespace eval::plot
