// A minimal PNG encoder for 8-bit RGB images (zlib deflate, per-row adaptive filters), so
// charts can be written atomically from memory.
#ifndef EVAL_PLOT_PNG_H_
#define EVAL_PLOT_PNG_H_

#include <cstdint>
#include <string>
#include <vector>

namespace eval::plot {

// The PNG file's bytes for a width x height image of packed RGB (rgb.size() == w * h * 3).
std::string EncodePng(int width, int height, const std::vector<uint8_t>& rgb);

}  // namespace eval::plot

#endif  // EVAL_PLOT_PNG_H_
