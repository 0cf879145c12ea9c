// dlib's 68-point facial landmarks (iBUG 300-W layout: jaw 0-16, brows 17-26, nose 27-35,
// eyes 36-41 and 42-47, mouth 48-67) from shape_predictor_68_face_landmarks.dat. The
// 99.7 MB model is loaded once per path and process and shared; prediction is const and
// thread-safe. Landmarks are predicted on the full-resolution frame.
#ifndef VIDEO_LANDMARKS_H_
#define VIDEO_LANDMARKS_H_

#include <array>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "video/face_detector.h"
#include "video/frame.h"

namespace video {

struct Point2 {
  double x = 0, y = 0;
};

struct FaceLandmarks {
  static constexpr int kNumPoints = 68;
  std::array<Point2, kNumPoints> points;

  // Centres of the eye contours in the image: image_left_eye is points 36-41 (the
  // person's right eye), image_right_eye 42-47; mouth is the mean of points 48-67.
  Point2 ImageLeftEyeCenter() const { return Mean(36, 41); }
  Point2 ImageRightEyeCenter() const { return Mean(42, 47); }
  Point2 MouthCenter() const { return Mean(48, 67); }
  Point2 Mean(int first, int last) const;  // of points [first, last]
};

// Mean distance between corresponding points of `a` and `b`, in pixels.
double MeanLandmarkDistance(const FaceLandmarks& a, const FaceLandmarks& b);

// Whether a landmark fit in `box` has a face's geometry (dlib fits 68 points to anything
// in a box, and garbage on a profile or a false face): the eyes 0.15..0.8 of the box side
// apart, their midpoint within the box enlarged by a quarter, the mouth below the eye line
// (in the eye line's frame), 0.4..3 eye distances from the eyes' midpoint and no more than
// 60 degrees off the eye line's perpendicular. `why` (optional) says which test failed.
bool PlausibleLandmarks(const FaceLandmarks& landmarks, const FaceBox& box,
                        std::string* why = nullptr);
// Landmarks of an upright frontal face filling `box`: every eye point at the template's
// eye centre, every mouth point at its mouth centre (align.h's kTemplate*), the rest at
// the box centre. What the aligned crop uses in place of an implausible fit.
FaceLandmarks TemplateLandmarks(const FaceBox& box);

class LandmarkModel {
 public:
  // The model at `path`, loaded on first use and cached for the process (later calls with
  // the same path return the same model). Errors name the path: missing, unreadable, or
  // not a dlib shape predictor with 68 parts.
  static absl::StatusOr<std::shared_ptr<const LandmarkModel>> Load(const std::string& path);

  ~LandmarkModel();
  LandmarkModel(const LandmarkModel&) = delete;
  LandmarkModel& operator=(const LandmarkModel&) = delete;

  const std::string& path() const { return path_; }

  // The 68 points of the face in `box` of `frame`, in frame pixels. Thread-safe.
  absl::StatusOr<FaceLandmarks> Predict(const Frame& frame, const FaceBox& box) const;

 private:
  struct DlibModel;
  LandmarkModel(std::string path, std::unique_ptr<DlibModel> model);

  std::string path_;
  std::unique_ptr<DlibModel> model_;
};

}  // namespace video

#endif  // VIDEO_LANDMARKS_H_
