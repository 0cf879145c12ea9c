// dlib's MMOD CNN face detector: the net type, loading (file or compiled-in bytes), a pool
// of net copies for concurrent callers, and frame rescaling.
#include "video/cnn_face_detector.h"

#include <dlib/dnn.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "video/models/mmod_model_data.h"

namespace video {
namespace {

// The architecture of mmod_human_face_detector.dat (dlib's dnn_mmod_face_detection_ex.cpp,
// affine layers in place of the batch norms it was trained with).
template <long num_filters, typename SUBNET>
using con5d = dlib::con<num_filters, 5, 5, 2, 2, SUBNET>;
template <long num_filters, typename SUBNET>
using con5 = dlib::con<num_filters, 5, 5, 1, 1, SUBNET>;
template <typename SUBNET>
using downsampler = dlib::relu<dlib::affine<
    con5d<32, dlib::relu<dlib::affine<con5d<32, dlib::relu<dlib::affine<con5d<16, SUBNET>>>>>>>>>;
template <typename SUBNET>
using rcon5 = dlib::relu<dlib::affine<con5<45, SUBNET>>>;
using MmodNet = dlib::loss_mmod<dlib::con<
    1, 9, 9, 1, 1,
    rcon5<rcon5<rcon5<downsampler<dlib::input_rgb_image_pyramid<dlib::pyramid_down<6>>>>>>>>;

constexpr char kBuiltInName[] = "<built-in mmod_human_face_detector.dat>";

}  // namespace

struct CnnFaceDetector::Net {
  MmodNet net;
};

CnnFaceDetector::CnnFaceDetector(std::unique_ptr<Net> prototype)
    : prototype_(std::move(prototype)) {}
CnnFaceDetector::~CnnFaceDetector() = default;

absl::StatusOr<std::shared_ptr<const CnnFaceDetector>> CnnFaceDetector::Load(
    const std::string& path) {
  static std::mutex cache_mutex;
  static auto* cache = new std::map<std::string, std::shared_ptr<const CnnFaceDetector>>();
  std::lock_guard<std::mutex> lock(cache_mutex);
  const std::string name = path.empty() ? kBuiltInName : path;
  if (auto it = cache->find(name); it != cache->end()) return it->second;

  auto net = std::make_unique<Net>();
  try {
    if (path.empty()) {
      std::istringstream in(std::string(reinterpret_cast<const char*>(kMmodHumanFaceDetector),
                                        kMmodHumanFaceDetectorSize));
      dlib::deserialize(net->net, in);
    } else {
      std::error_code error;
      if (!std::filesystem::is_regular_file(path, error)) {
        return absl::NotFoundError(
            absl::StrCat(path, ": CNN face detector model not found (or not a file)"));
      }
      std::ifstream in(path, std::ios::binary);
      if (!in) return absl::PermissionDeniedError(absl::StrCat(path, ": cannot be read"));
      dlib::deserialize(net->net, in);
    }
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": not dlib's MMOD face detector (mmod_human_face_detector.dat): ",
                     e.what()));
  }
  std::shared_ptr<const CnnFaceDetector> detector(new CnnFaceDetector(std::move(net)));
  (*cache)[name] = detector;
  return detector;
}

std::unique_ptr<CnnFaceDetector::Net> CnnFaceDetector::Borrow() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!idle_.empty()) {
    std::unique_ptr<Net> net = std::move(idle_.back());
    idle_.pop_back();
    return net;
  }
  return std::make_unique<Net>(*prototype_);  // copies the weights (~0.7 MB)
}

void CnnFaceDetector::Return(std::unique_ptr<Net> net) const {
  std::lock_guard<std::mutex> lock(mutex_);
  idle_.push_back(std::move(net));
}

std::vector<uint8_t> ResizedRgb(const Frame& frame, double scale, int* out_width,
                                int* out_height) {
  const int w = std::max(1, static_cast<int>(std::lround(frame.width * scale)));
  const int h = std::max(1, static_cast<int>(std::lround(frame.height * scale)));
  *out_width = w;
  *out_height = h;
  std::vector<uint8_t> out(static_cast<size_t>(w) * h * 3);
  const double sx = static_cast<double>(frame.width) / w, sy = static_cast<double>(frame.height) / h;
  if (sx >= 1.0 && sy >= 1.0) {  // area average over each output pixel's source block
    std::vector<uint32_t> sums(static_cast<size_t>(w) * 3);
    for (int y = 0; y < h; ++y) {
      const int y0 = std::min(frame.height - 1, static_cast<int>(y * sy));
      const int y1 = std::max(y0 + 1, std::min(frame.height, static_cast<int>((y + 1) * sy)));
      uint8_t* dst = out.data() + static_cast<size_t>(y) * w * 3;
      for (int x = 0; x < w; ++x) {
        const int x0 = std::min(frame.width - 1, static_cast<int>(x * sx));
        const int x1 = std::max(x0 + 1, std::min(frame.width, static_cast<int>((x + 1) * sx)));
        uint32_t s[3] = {0, 0, 0};
        for (int yy = y0; yy < y1; ++yy) {
          const uint8_t* p = frame.pixel(x0, yy);
          for (int xx = x0; xx < x1; ++xx, p += 3) {
            s[0] += p[0];
            s[1] += p[1];
            s[2] += p[2];
          }
        }
        const uint32_t n = static_cast<uint32_t>((y1 - y0) * (x1 - x0));
        for (int c = 0; c < 3; ++c) dst[3 * x + c] = static_cast<uint8_t>((s[c] + n / 2) / n);
      }
    }
    return out;
  }
  // Bilinear, pixel centres aligned.
  for (int y = 0; y < h; ++y) {
    const double fy = std::clamp((y + 0.5) * sy - 0.5, 0.0, frame.height - 1.0);
    const int y0 = static_cast<int>(fy), y1 = std::min(frame.height - 1, y0 + 1);
    const double wy = fy - y0;
    uint8_t* dst = out.data() + static_cast<size_t>(y) * w * 3;
    for (int x = 0; x < w; ++x) {
      const double fx = std::clamp((x + 0.5) * sx - 0.5, 0.0, frame.width - 1.0);
      const int x0 = static_cast<int>(fx), x1 = std::min(frame.width - 1, x0 + 1);
      const double wx = fx - x0;
      const uint8_t *a = frame.pixel(x0, y0), *b = frame.pixel(x1, y0), *c = frame.pixel(x0, y1),
                    *d = frame.pixel(x1, y1);
      for (int k = 0; k < 3; ++k) {
        const double v = (1 - wy) * ((1 - wx) * a[k] + wx * b[k]) + wy * ((1 - wx) * c[k] + wx * d[k]);
        dst[3 * x + k] = static_cast<uint8_t>(std::lround(v));
      }
    }
  }
  return out;
}

absl::StatusOr<std::vector<FaceBox>> CnnFaceDetector::Detect(const Frame& frame, double scale,
                                                             double score_threshold,
                                                             bool stretch_contrast) const {
  if (frame.width <= 0 || frame.height <= 0 ||
      frame.rgb.size() != static_cast<size_t>(frame.width) * frame.height * 3) {
    return absl::InvalidArgumentError(absl::StrCat("frame ", frame.index, ": ", frame.width, "x",
                                                   frame.height, " with ", frame.rgb.size(),
                                                   " bytes is not an RGB image"));
  }
  if (!(scale > 0 && scale <= 4)) {
    return absl::InvalidArgumentError(
        absl::StrCat("frame ", frame.index, ": CNN detection scale ", scale, " is not in (0, 4]"));
  }
  int width = 0, height = 0;
  std::vector<uint8_t> rgb = ResizedRgb(frame, scale, &width, &height);
  if (stretch_contrast) StretchContrast(rgb, 3);
  const double sx = static_cast<double>(width) / frame.width;
  const double sy = static_cast<double>(height) / frame.height;

  std::unique_ptr<Net> net = Borrow();
  std::vector<dlib::mmod_rect> detections;
  try {
    dlib::matrix<dlib::rgb_pixel> image(height, width);
    std::copy_n(rgb.data(), rgb.size(), reinterpret_cast<uint8_t*>(&image(0, 0)));
    detections = net->net.process(image, score_threshold);
  } catch (const std::exception& e) {
    Return(std::move(net));
    return absl::InternalError(
        absl::StrCat("frame ", frame.index, ": dlib CNN face detection failed: ", e.what()));
  }
  Return(std::move(net));

  std::sort(detections.begin(), detections.end(),
            [](const dlib::mmod_rect& a, const dlib::mmod_rect& b) {
              return a.detection_confidence > b.detection_confidence;
            });
  std::vector<FaceBox> faces;
  for (const dlib::mmod_rect& d : detections) {
    faces.push_back(FaceBoxFromDlibRect(d.rect, sx, sy, d.detection_confidence));
  }
  return faces;
}

}  // namespace video
