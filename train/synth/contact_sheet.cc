// Contact sheet composition and PNG writing (dlib's libpng wrapper).
#include "train/synth/contact_sheet.h"

#include <algorithm>
#include <cmath>
#include <exception>

#include "absl/strings/str_cat.h"
#include "dlib/image_io.h"
#include "train/synth/mask.h"

namespace train::synth {

Image FaceThumbnail(const Image& frame, const Landmarks& landmarks, int size) {
  double cx = 0, cy = 0;
  for (const Point& p : landmarks) cx += p.x / landmarks.size(), cy += p.y / landmarks.size();
  const double side = std::min({1.6 * FaceSize(landmarks), static_cast<double>(frame.width),
                                static_cast<double>(frame.height)});
  const double x0 = std::clamp(cx - side / 2, 0.0, frame.width - side);
  const double y0 = std::clamp(cy - side / 2, 0.0, frame.height - side);
  const int n = static_cast<int>(side);
  Image crop(n, n);
  for (int y = 0; y < crop.height; ++y)
    std::copy_n(frame.at(int(x0), int(y0) + y), 3 * crop.width, crop.at(0, y));
  return Resize(crop, size, size);
}

Image ComposeContactSheet(const std::vector<std::vector<Thumbnail>>& rows, int cell) {
  constexpr int kGutter = 2, kBar = 3;
  size_t columns = 0;
  for (const auto& row : rows) columns = std::max(columns, row.size());
  Image sheet(int(columns) * (cell + kGutter) + kGutter,
              int(rows.size()) * (cell + kGutter) + kGutter, 32.f);
  for (size_t r = 0; r < rows.size(); ++r) {
    for (size_t c = 0; c < rows[r].size(); ++c) {
      const Thumbnail& thumb = rows[r][c];
      if (thumb.image.width == 0) continue;
      const Image scaled = Resize(thumb.image, cell, cell);
      const int ox = kGutter + int(c) * (cell + kGutter), oy = kGutter + int(r) * (cell + kGutter);
      for (int y = 0; y < cell; ++y) std::copy_n(scaled.at(0, y), 3 * cell, sheet.at(ox, oy + y));
      const float colour[3] = {thumb.fake ? 220.f : 40.f, thumb.fake ? 40.f : 200.f, 40.f};
      for (int y = 0; y < kBar; ++y)
        for (int x = 0; x < cell; ++x) std::copy_n(colour, 3, sheet.at(ox + x, oy + y));
    }
  }
  return sheet;
}

absl::Status WritePng(const Image& image, const std::string& path) {
  dlib::array2d<dlib::rgb_pixel> pixels(image.height, image.width);
  const std::vector<uint8_t> rgb = ImageToRgb8(image);
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      const uint8_t* p = rgb.data() + (size_t(y) * image.width + x) * 3;
      pixels[y][x] = dlib::rgb_pixel(p[0], p[1], p[2]);
    }
  }
  try {
    dlib::save_png(pixels, path);
  } catch (const std::exception& error) {
    return absl::PermissionDeniedError(absl::StrCat(path, ": cannot write PNG: ", error.what()));
  }
  return absl::OkStatus();
}

absl::Status WriteContactSheet(const std::vector<std::vector<Thumbnail>>& rows, int cell,
                               const std::string& path) {
  return WritePng(ComposeContactSheet(rows, cell), path);
}

}  // namespace train::synth
