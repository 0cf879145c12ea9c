// Loading dlib's shape predictor once, and predicting 68 landmarks on a Frame in place
// (the frame's RGB buffer is wrapped as a dlib image, not copied).
#include "video/landmarks.h"

#include <dlib/image_processing/shape_predictor.h>
#include <dlib/serialize.h>

#include <cmath>
#include <exception>
#include <fstream>
#include <map>
#include <mutex>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace video {
namespace {

// A read-only dlib "generic image" over a Frame's packed RGB bytes.
struct RgbFrameImage {
  const Frame* frame;
};
long num_rows(const RgbFrameImage& image) { return image.frame->height; }
long num_columns(const RgbFrameImage& image) { return image.frame->width; }
long width_step(const RgbFrameImage& image) { return image.frame->width * 3L; }
const void* image_data(const RgbFrameImage& image) { return image.frame->rgb.data(); }

}  // namespace
}  // namespace video

namespace dlib {
template <>
struct image_traits<video::RgbFrameImage> {
  typedef rgb_pixel pixel_type;
};
}  // namespace dlib

namespace video {

static_assert(sizeof(dlib::rgb_pixel) == 3, "dlib::rgb_pixel must be packed R, G, B bytes");

Point2 FaceLandmarks::Mean(int first, int last) const {
  Point2 mean;
  for (int i = first; i <= last; ++i) {
    mean.x += points[i].x;
    mean.y += points[i].y;
  }
  mean.x /= (last - first + 1);
  mean.y /= (last - first + 1);
  return mean;
}

bool PlausibleLandmarks(const FaceLandmarks& landmarks, const FaceBox& box, std::string* why) {
  auto fail = [why](const char* reason) {
    if (why != nullptr) *why = reason;
    return false;
  };
  const Point2 left = landmarks.ImageLeftEyeCenter(), right = landmarks.ImageRightEyeCenter();
  const Point2 mouth = landmarks.MouthCenter();
  const double ex = right.x - left.x, ey = right.y - left.y;
  const double eye_distance = std::hypot(ex, ey);
  const double side = std::max(1.0, box.size());
  if (eye_distance < 0.15 * side || eye_distance > 0.8 * side) return fail("eye distance");
  const Point2 mid = {0.5 * (left.x + right.x), 0.5 * (left.y + right.y)};
  const double pad = 0.25 * side;
  if (mid.x < box.left - pad || mid.x > box.right + pad || mid.y < box.top - pad ||
      mid.y > box.bottom + pad) {
    return fail("eyes outside the box");
  }
  const double mx = mouth.x - mid.x, my = mouth.y - mid.y;
  const double mouth_distance = std::hypot(mx, my);
  // "Down" in the eye line's frame: the eye vector turned 90 degrees clockwise (y down).
  const double down = (-ey * mx + ex * my) / eye_distance;
  if (down <= 0) return fail("mouth above the eyes");
  if (mouth_distance < 0.4 * eye_distance || mouth_distance > 3.0 * eye_distance) {
    return fail("mouth distance");
  }
  if (down < 0.5 * mouth_distance) return fail("mouth beside the eyes");  // > 60 degrees off
  return true;
}

FaceLandmarks TemplateLandmarks(const FaceBox& box) {
  // align.h's template (kept here as numbers: landmarks does not depend on align).
  constexpr double kEyeY = 0.302, kLeftEyeX = 0.303, kRightEyeX = 0.697, kMouthX = 0.5,
                   kMouthY = 0.764;
  auto at = [&box](double fx, double fy) {
    return Point2{box.left + fx * box.width(), box.top + fy * box.height()};
  };
  FaceLandmarks out;
  for (int i = 0; i < FaceLandmarks::kNumPoints; ++i) {
    out.points[i] = i >= 36 && i <= 41   ? at(kLeftEyeX, kEyeY)
                    : i >= 42 && i <= 47 ? at(kRightEyeX, kEyeY)
                    : i >= 48            ? at(kMouthX, kMouthY)
                                         : at(0.5, 0.5);
  }
  return out;
}

double MeanLandmarkDistance(const FaceLandmarks& a, const FaceLandmarks& b) {
  double sum = 0;
  for (int i = 0; i < FaceLandmarks::kNumPoints; ++i) {
    sum += std::hypot(a.points[i].x - b.points[i].x, a.points[i].y - b.points[i].y);
  }
  return sum / FaceLandmarks::kNumPoints;
}

struct LandmarkModel::DlibModel {
  dlib::shape_predictor predictor;
};

LandmarkModel::LandmarkModel(std::string path, std::unique_ptr<DlibModel> model)
    : path_(std::move(path)), model_(std::move(model)) {}

LandmarkModel::~LandmarkModel() = default;

absl::StatusOr<std::shared_ptr<const LandmarkModel>> LandmarkModel::Load(const std::string& path) {
  static std::mutex* mutex = new std::mutex;
  static auto* cache = new std::map<std::string, std::shared_ptr<const LandmarkModel>>;
  std::lock_guard<std::mutex> lock(*mutex);  // also serializes the (slow) first load
  auto it = cache->find(path);
  if (it != cache->end()) return it->second;

  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return absl::NotFoundError(
        absl::StrCat(path,
                     ": cannot open the 68-point landmark model (install libdlib-data, or pass "
                     "--landmark_model=PATH to shape_predictor_68_face_landmarks.dat)"));
  }
  auto model = std::make_unique<DlibModel>();
  try {
    dlib::deserialize(model->predictor, file);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a dlib shape predictor model: ", e.what()));
  }
  if (model->predictor.num_parts() != FaceLandmarks::kNumPoints) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": the shape predictor has ", model->predictor.num_parts(), " parts, expected 68"));
  }
  std::shared_ptr<const LandmarkModel> loaded(new LandmarkModel(path, std::move(model)));
  (*cache)[path] = loaded;
  return loaded;
}

absl::StatusOr<FaceLandmarks> LandmarkModel::Predict(const Frame& frame, const FaceBox& box) const {
  if (frame.width <= 0 || frame.height <= 0 ||
      frame.rgb.size() != static_cast<size_t>(frame.width) * frame.height * 3) {
    return absl::InvalidArgumentError(absl::StrCat("frame ", frame.index, ": not an RGB image (",
                                                   frame.width, "x", frame.height, ", ",
                                                   frame.rgb.size(), " bytes)"));
  }
  const dlib::rectangle rect(std::lround(box.left), std::lround(box.top),
                             std::lround(box.right) - 1, std::lround(box.bottom) - 1);
  if (rect.is_empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("frame ", frame.index, ": empty face box for landmarks"));
  }
  dlib::full_object_detection shape;
  try {
    shape = model_->predictor(RgbFrameImage{&frame}, rect);
  } catch (const std::exception& e) {
    return absl::InternalError(
        absl::StrCat("frame ", frame.index, ": dlib landmark prediction failed: ", e.what()));
  }
  FaceLandmarks landmarks;
  for (int i = 0; i < FaceLandmarks::kNumPoints; ++i) {
    landmarks.points[i] = {static_cast<double>(shape.part(i).x()),
                           static_cast<double>(shape.part(i).y())};
  }
  return landmarks;
}

}  // namespace video
