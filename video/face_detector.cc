// dlib HOG face detection on a downscaled luma copy of the frame.
#include "video/face_detector.h"

#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_transforms.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <exception>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "nn/check.h"
#include "video/cnn_face_detector.h"

namespace video {

struct FaceDetector::DlibDetector {
  dlib::frontal_face_detector detector;
};

namespace {

// dlib builds its detector by deserializing and factoring (SVD) its HOG filters: ~0.2 s.
// Done once per process; every detector in use is a copy (~0.1 ms).
const dlib::frontal_face_detector& Prototype() {
  static const dlib::frontal_face_detector* const prototype =
      new dlib::frontal_face_detector(dlib::get_frontal_face_detector());
  return *prototype;
}

}  // namespace

void FaceDetector::Preload() { Prototype(); }

const char* FaceDetectorKindName(FaceDetectorKind kind) {
  switch (kind) {
    case FaceDetectorKind::kHog:
      return "hog";
    case FaceDetectorKind::kCnn:
      return "cnn";
    case FaceDetectorKind::kAuto:
      return "auto";
  }
  return "unknown";
}

absl::StatusOr<FaceDetectorKind> ParseFaceDetectorKind(const std::string& name) {
  for (FaceDetectorKind kind :
       {FaceDetectorKind::kHog, FaceDetectorKind::kCnn, FaceDetectorKind::kAuto}) {
    if (name == FaceDetectorKindName(kind)) return kind;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown face detector '", name, "'; known: hog, cnn, auto"));
}

double CnnDetectionScale(int width, int height, const FaceDetectorOptions& options) {
  const double pixels = std::max(1.0, static_cast<double>(width) * height);
  return std::clamp(std::sqrt(options.cnn_target_pixels / pixels), options.cnn_min_scale,
                    options.cnn_max_scale);
}

double IntersectionOverUnion(const FaceBox& a, const FaceBox& b) {
  const double iw = std::min(a.right, b.right) - std::max(a.left, b.left);
  const double ih = std::min(a.bottom, b.bottom) - std::max(a.top, b.top);
  if (iw <= 0 || ih <= 0) return 0.0;
  const double inter = iw * ih;
  const double uni = a.width() * a.height() + b.width() * b.height() - inter;
  return uni > 0 ? inter / uni : 0.0;
}

bool StretchContrast(std::vector<uint8_t>& pixels, int channels) {
  const size_t n = pixels.size() / channels;
  if (n == 0) return false;
  std::array<size_t, 256> histogram{};
  for (size_t i = 0; i < n; ++i) {
    int sum = 0;
    for (int c = 0; c < channels; ++c) sum += pixels[i * channels + c];
    ++histogram[sum / channels];
  }
  int low = 0, high = 255;
  for (size_t seen = 0; low < 255 && (seen += histogram[low]) < n / 100;) ++low;
  for (size_t seen = 0; high > 0 && (seen += histogram[high]) < n / 100;) --high;
  if (high - low >= 128) return false;
  high = std::max(high, low + 16);  // a flat frame is not blown up into noise
  std::array<uint8_t, 256> map;
  for (int v = 0; v < 256; ++v) {
    map[v] = static_cast<uint8_t>(std::clamp((v - low) * 255 / (high - low), 0, 255));
  }
  for (uint8_t& v : pixels) v = map[v];
  return true;
}

FaceBox PictureArea(const Frame& frame, int flat_levels) {
  FaceBox area;
  if (frame.width <= 0 || frame.height <= 0 ||
      frame.rgb.size() != static_cast<size_t>(frame.width) * frame.height * 3) {
    return area;
  }
  constexpr int kStep = 2;
  const int rows = (frame.height + kStep - 1) / kStep, cols = (frame.width + kStep - 1) / kStep;
  std::vector<uint8_t> row_min(rows, 255), row_max(rows, 0), col_min(cols, 255), col_max(cols, 0);
  for (int r = 0; r < rows; ++r) {
    const uint8_t* p = frame.rgb.data() + static_cast<size_t>(r) * kStep * frame.width * 3;
    for (int c = 0; c < cols; ++c, p += 3 * kStep) {
      const uint8_t luma = static_cast<uint8_t>((77u * p[0] + 150u * p[1] + 29u * p[2]) >> 8);
      row_min[r] = std::min(row_min[r], luma);
      row_max[r] = std::max(row_max[r], luma);
      col_min[c] = std::min(col_min[c], luma);
      col_max[c] = std::max(col_max[c], luma);
    }
  }
  auto flat = [&](const std::vector<uint8_t>& lo, const std::vector<uint8_t>& hi, int i) {
    return hi[i] - lo[i] <= flat_levels;
  };
  int top = 0, bottom = rows - 1, left = 0, right = cols - 1;
  while (top <= bottom && flat(row_min, row_max, top)) ++top;
  while (top <= bottom && flat(row_min, row_max, bottom)) --bottom;
  while (left <= right && flat(col_min, col_max, left)) ++left;
  while (left <= right && flat(col_min, col_max, right)) --right;
  if (top > bottom && left > right) return area;  // a flat frame: no picture
  // Stripes (every row flat, or every column): no border to trim in that direction.
  if (top > bottom) top = 0, bottom = rows - 1;
  if (left > right) left = 0, right = cols - 1;
  // Sampled rows/columns -> pixels, keeping the unsampled neighbours on either side.
  area.left = std::max(0, (left - 1) * kStep);
  area.top = std::max(0, (top - 1) * kStep);
  area.right = std::min(frame.width, (right + 1) * kStep + 1);
  area.bottom = std::min(frame.height, (bottom + 1) * kStep + 1);
  return area;
}

double DownscaledGray(const Frame& frame, int max_side, std::vector<uint8_t>* gray, int* gray_width,
                      int* gray_height) {
  NN_CHECK(frame.width > 0 && frame.height > 0) << "frame " << frame.index << " is empty";
  NN_CHECK_EQ(frame.rgb.size(), static_cast<size_t>(frame.width) * frame.height * 3);
  const int longest = std::max(frame.width, frame.height);
  double scale = 1.0;
  if (max_side > 0 && longest > max_side) scale = static_cast<double>(max_side) / longest;
  const int out_w = std::max(1, static_cast<int>(std::lround(frame.width * scale)));
  const int out_h = std::max(1, static_cast<int>(std::lround(frame.height * scale)));
  gray->assign(static_cast<size_t>(out_w) * out_h, 0);
  *gray_width = out_w;
  *gray_height = out_h;
  const double step_x = static_cast<double>(frame.width) / out_w;
  const double step_y = static_cast<double>(frame.height) / out_h;
  // Source column span of each output column, computed once.
  std::vector<int> x_begin(out_w), x_end(out_w);
  for (int x = 0; x < out_w; ++x) {
    x_begin[x] = std::min(frame.width - 1, static_cast<int>(x * step_x));
    x_end[x] = std::max(x_begin[x] + 1, std::min(frame.width, static_cast<int>((x + 1) * step_x)));
  }
  std::vector<uint32_t> row_luma(frame.width);
  std::vector<uint32_t> column_sums(frame.width);
  for (int y = 0; y < out_h; ++y) {
    const int y0 = std::min(frame.height - 1, static_cast<int>(y * step_y));
    const int y1 = std::max(y0 + 1, std::min(frame.height, static_cast<int>((y + 1) * step_y)));
    std::fill(column_sums.begin(), column_sums.end(), 0u);
    for (int sy = y0; sy < y1; ++sy) {
      const uint8_t* p = frame.rgb.data() + static_cast<size_t>(sy) * frame.width * 3;
      for (int sx = 0; sx < frame.width; ++sx, p += 3) {
        column_sums[sx] += (77u * p[0] + 150u * p[1] + 29u * p[2]) >> 8;  // BT.601 luma
      }
    }
    uint8_t* out = gray->data() + static_cast<size_t>(y) * out_w;
    const uint32_t rows = static_cast<uint32_t>(y1 - y0);
    for (int x = 0; x < out_w; ++x) {
      uint32_t sum = 0;
      for (int sx = x_begin[x]; sx < x_end[x]; ++sx) sum += column_sums[sx];
      const uint32_t count = rows * static_cast<uint32_t>(x_end[x] - x_begin[x]);
      out[x] = static_cast<uint8_t>((sum + count / 2) / count);
    }
  }
  return static_cast<double>(out_w) / frame.width;
}

FaceDetector::FaceDetector(const FaceDetectorOptions& options) : options_(options) {
  NN_CHECK_GE(options.max_detection_side, 0);
  NN_CHECK(options.upsample >= 0 && options.upsample <= 3) << "upsample " << options.upsample;
  NN_CHECK(options.cnn_target_pixels > 0 && options.cnn_min_scale > 0 &&
           options.cnn_min_scale <= options.cnn_max_scale && options.cnn_max_scale <= 4)
      << "CNN target " << options.cnn_target_pixels << " px, scale [" << options.cnn_min_scale
      << ", " << options.cnn_max_scale << "]";
  NN_CHECK(options.cnn_roi_margin >= 0 && options.cnn_roi_face_pixels > 0 &&
           options.cnn_roi_max_scale > 0 && options.cnn_roi_max_scale <= 4)
      << "CNN region margin " << options.cnn_roi_margin << ", face " << options.cnn_roi_face_pixels
      << " px, max scale " << options.cnn_roi_max_scale;
  NN_CHECK(options.cnn_picture_max_fraction > 0 && options.cnn_picture_max_fraction <= 1 &&
           options.cnn_picture_max_scale > 0 && options.cnn_picture_max_scale <= 4)
      << "CNN picture fraction " << options.cnn_picture_max_fraction << ", max scale "
      << options.cnn_picture_max_scale;
}

FaceDetector::~FaceDetector() = default;

std::unique_ptr<FaceDetector::DlibDetector> FaceDetector::Borrow() const {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!idle_.empty()) {
      std::unique_ptr<DlibDetector> detector = std::move(idle_.back());
      idle_.pop_back();
      return detector;
    }
  }
  auto detector = std::make_unique<DlibDetector>();
  detector->detector = Prototype();
  return detector;
}

void FaceDetector::Return(std::unique_ptr<DlibDetector> detector) const {
  std::lock_guard<std::mutex> lock(mutex_);
  idle_.push_back(std::move(detector));
}

absl::StatusOr<std::vector<FaceBox>> FaceDetector::Detect(const Frame& frame) const {
  absl::StatusOr<FrameDetection> detection = DetectFrame(frame);
  if (!detection.ok()) return detection.status();
  return std::move(detection->faces);
}

absl::StatusOr<FrameDetection> FaceDetector::DetectFrame(const Frame& frame) const {
  if (options_.kind == FaceDetectorKind::kHog) return DetectHog(frame);
  if (options_.kind == FaceDetectorKind::kCnn) return DetectCnnWithPicture(frame);
  absl::StatusOr<FrameDetection> hog = DetectHog(frame);
  if (!hog.ok() || !hog->faces.empty()) return hog;
  absl::StatusOr<FrameDetection> cnn = DetectCnnWithPicture(frame);
  if (cnn.ok()) cnn->fell_back = true;
  return cnn;
}

absl::StatusOr<FrameDetection> FaceDetector::DetectCnnWithPicture(const Frame& frame) const {
  if (options_.cnn_picture_search) {
    // A small picture in a large frame: the CNN looks at the picture alone, finer, first
    // (the flat rest of the frame holds no face); the whole frame only if that finds none.
    const FaceBox picture = PictureArea(frame);
    const double frame_area = static_cast<double>(frame.width) * frame.height;
    const double picture_area = picture.width() * picture.height();
    if (picture_area >= 1 && picture_area <= options_.cnn_picture_max_fraction * frame_area) {
      FaceDetectorOptions picture_options = options_;
      picture_options.cnn_max_scale =
          std::max(options_.cnn_max_scale, options_.cnn_picture_max_scale);
      FrameDetection result;
      result.detector = FaceDetectorKind::kCnn;
      result.scale = CnnDetectionScale(static_cast<int>(picture.width()),
                                       static_cast<int>(picture.height()), picture_options);
      result.picture_area = picture;
      ASSIGN_OR_RETURN(result.faces, DetectCnnIn(frame, picture, result.scale));
      if (!result.faces.empty()) return result;
    }
  }
  return DetectCnn(frame);
}

absl::StatusOr<FrameDetection> FaceDetector::DetectWith(FaceDetectorKind kind,
                                                        const Frame& frame) const {
  NN_CHECK(kind != FaceDetectorKind::kAuto) << "DetectWith needs one detector";
  return kind == FaceDetectorKind::kHog ? DetectHog(frame) : DetectCnn(frame);
}

absl::StatusOr<FrameDetection> FaceDetector::DetectCnn(const Frame& frame) const {
  ASSIGN_OR_RETURN(std::shared_ptr<const CnnFaceDetector> cnn,
                   CnnFaceDetector::Load(options_.cnn_model_path));
  FrameDetection result;
  result.detector = FaceDetectorKind::kCnn;
  result.scale = CnnDetectionScale(frame.width, frame.height, options_);
  ASSIGN_OR_RETURN(result.faces, cnn->Detect(frame, result.scale, options_.cnn_score_threshold,
                                             options_.stretch_contrast));
  return result;
}

FaceBox FaceDetector::CnnRegion(const Frame& frame, const FaceBox& predicted, double* scale) const {
  const double side = std::max(1.0, predicted.size());
  const double grow = options_.cnn_roi_margin * side;
  FaceBox region;
  region.left = std::max(0.0, std::floor(predicted.center_x() - 0.5 * side - grow));
  region.top = std::max(0.0, std::floor(predicted.center_y() - 0.5 * side - grow));
  region.right = std::min<double>(frame.width, std::ceil(predicted.center_x() + 0.5 * side + grow));
  region.bottom =
      std::min<double>(frame.height, std::ceil(predicted.center_y() + 0.5 * side + grow));
  if (region.right <= region.left || region.bottom <= region.top) region = FaceBox();
  *scale = std::clamp(options_.cnn_roi_face_pixels / side, options_.cnn_min_scale,
                      std::max(options_.cnn_min_scale, options_.cnn_roi_max_scale));
  return region;
}

absl::StatusOr<std::vector<FaceBox>> FaceDetector::DetectCnnIn(const Frame& frame,
                                                              const FaceBox& region,
                                                              double scale) const {
  if (frame.rgb.size() != static_cast<size_t>(frame.width) * frame.height * 3) {
    return absl::InvalidArgumentError(absl::StrCat("frame ", frame.index, ": ", frame.width, "x",
                                                   frame.height, " with ", frame.rgb.size(),
                                                   " bytes is not an RGB image"));
  }
  Frame crop;
  crop.index = frame.index;
  crop.timestamp_seconds = frame.timestamp_seconds;
  const int x0 = static_cast<int>(region.left), y0 = static_cast<int>(region.top);
  crop.width = static_cast<int>(region.width());
  crop.height = static_cast<int>(region.height());
  NN_CHECK(x0 >= 0 && y0 >= 0 && x0 + crop.width <= frame.width &&
           y0 + crop.height <= frame.height)
      << "region outside frame " << frame.index;
  crop.rgb.resize(static_cast<size_t>(crop.width) * crop.height * 3);
  for (int y = 0; y < crop.height; ++y) {
    std::copy_n(frame.pixel(x0, y0 + y), static_cast<size_t>(crop.width) * 3,
                crop.rgb.data() + static_cast<size_t>(y) * crop.width * 3);
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const CnnFaceDetector> cnn,
                   CnnFaceDetector::Load(options_.cnn_model_path));
  ASSIGN_OR_RETURN(std::vector<FaceBox> faces,
                   cnn->Detect(crop, scale, options_.cnn_score_threshold,
                               options_.stretch_contrast));
  for (FaceBox& box : faces) {
    box.left += x0;
    box.right += x0;
    box.top += y0;
    box.bottom += y0;
  }
  return faces;
}

absl::StatusOr<FrameDetection> FaceDetector::DetectInRegion(const Frame& frame,
                                                            const FaceBox& predicted) const {
  FrameDetection result;
  result.detector = FaceDetectorKind::kCnn;
  result.fell_back = true;
  const FaceBox region = CnnRegion(frame, predicted, &result.scale);
  if (region.width() < 1 || region.height() < 1) return result;
  ASSIGN_OR_RETURN(result.faces, DetectCnnIn(frame, region, result.scale));
  return result;
}

int BestFitToPredicted(const std::vector<FaceBox>& found, const FaceBox& predicted) {
  const double side = std::max(1.0, predicted.size());
  int best = -1;
  for (int i = 0; i < static_cast<int>(found.size()); ++i) {
    const FaceBox& box = found[i];
    const double ratio = box.size() / side;
    if (ratio < 0.6 || ratio > 1.0 / 0.6) continue;
    if (std::hypot(box.center_x() - predicted.center_x(), box.center_y() - predicted.center_y()) >
        0.5 * side) {
      continue;
    }
    if (best < 0 || box.score > found[best].score) best = i;
  }
  return best;
}

absl::StatusOr<FrameDetection> FaceDetector::DetectHog(const Frame& frame) const {
  if (frame.width <= 0 || frame.height <= 0 ||
      frame.rgb.size() != static_cast<size_t>(frame.width) * frame.height * 3) {
    return absl::InvalidArgumentError(absl::StrCat("frame ", frame.index, ": ", frame.width, "x",
                                                   frame.height, " with ", frame.rgb.size(),
                                                   " bytes is not an RGB image"));
  }
  std::vector<uint8_t> gray;
  int width = 0, height = 0;
  double scale = DownscaledGray(frame, options_.max_detection_side, &gray, &width, &height);
  if (options_.stretch_contrast) StretchContrast(gray, 1);

  std::unique_ptr<DlibDetector> detector = Borrow();
  std::vector<dlib::rect_detection> detections;
  try {
    dlib::array2d<unsigned char> image(height, width);
    for (int y = 0; y < height; ++y) {
      std::copy_n(gray.data() + static_cast<size_t>(y) * width, width, &image[y][0]);
    }
    for (int i = 0; i < options_.upsample; ++i) {
      dlib::pyramid_up(image);
      scale *= 2.0;
    }
    detector->detector(image, detections, options_.score_threshold);
  } catch (const std::exception& e) {
    Return(std::move(detector));
    return absl::InternalError(
        absl::StrCat("frame ", frame.index, ": dlib face detection failed: ", e.what()));
  }
  Return(std::move(detector));

  std::sort(detections.begin(), detections.end(),
            [](const dlib::rect_detection& a, const dlib::rect_detection& b) {
              return a.detection_confidence > b.detection_confidence;
            });
  FrameDetection result;
  result.detector = FaceDetectorKind::kHog;
  result.scale = scale;
  std::vector<FaceBox>& faces = result.faces;
  faces.reserve(detections.size());
  for (const dlib::rect_detection& d : detections) {
    faces.push_back(FaceBoxFromDlibRect(d.rect, scale, scale, d.detection_confidence));
  }
  return result;
}

}  // namespace video
