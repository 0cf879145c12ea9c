// dlib's CNN face detector (MMOD, mmod_human_face_detector.dat; the net of dlib's
// dnn_mmod_face_detection_ex.cpp) on a Frame rescaled by a given factor. It finds faces
// that dlib's HOG detector misses (dark, small, turned, tilted) at ~10-50x HOG's cost on the
// CPU, so video::FaceDetector runs it where HOG finds nothing (kAuto) or on request (kCnn).
// The net's window is ~80 px: faces of ~50 px and larger in the rescaled image are found.
#ifndef VIDEO_CNN_FACE_DETECTOR_H_
#define VIDEO_CNN_FACE_DETECTOR_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "video/face_detector.h"
#include "video/frame.h"

namespace video {

class CnnFaceDetector {
 public:
  // The model at `path` (empty: the copy compiled into the binary, //video/models), loaded
  // once per path and process and shared. Errors name the path: missing, unreadable, not
  // a dlib MMOD net of this architecture.
  static absl::StatusOr<std::shared_ptr<const CnnFaceDetector>> Load(const std::string& path);

  ~CnnFaceDetector();
  CnnFaceDetector(const CnnFaceDetector&) = delete;
  CnnFaceDetector& operator=(const CnnFaceDetector&) = delete;

  // Faces in `frame`, highest score first, boxes in frame pixels. The net runs on the frame
  // resized by `scale` (detector pixels per frame pixel, in (0, 4]; area-averaged down,
  // bilinear up); detections scoring below `score_threshold` are dropped (dlib's
  // adjust_threshold; 0 = dlib's default). Thread-safe: each call borrows one of a set of
  // net copies (a net keeps its activations and is not reentrant).
  // stretch_contrast: StretchContrast (face_detector.h) on the resized frame.
  absl::StatusOr<std::vector<FaceBox>> Detect(const Frame& frame, double scale,
                                              double score_threshold = 0.0,
                                              bool stretch_contrast = false) const;

 private:
  struct Net;
  explicit CnnFaceDetector(std::unique_ptr<Net> prototype);
  std::unique_ptr<Net> Borrow() const;
  void Return(std::unique_ptr<Net> net) const;

  std::unique_ptr<Net> prototype_;
  mutable std::mutex mutex_;
  mutable std::vector<std::unique_ptr<Net>> idle_;
};

// `frame` resized by `scale` as packed RGB (area average when shrinking, bilinear when
// growing); *out_width x *out_height = round(scale * size), at least 1. Exposed for tests.
std::vector<uint8_t> ResizedRgb(const Frame& frame, double scale, int* out_width,
                                int* out_height);

}  // namespace video

#endif  // VIDEO_CNN_FACE_DETECTOR_H_
