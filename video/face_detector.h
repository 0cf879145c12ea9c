// Face detection on decoded frames with dlib's HOG frontal face detector. The detector runs
// on a downscaled grayscale copy of the frame (HOG at full 1080p/4K is slow and gains
// little: its 80x80 window finds faces down to ~80 px of the downscaled frame) and the boxes
// are mapped back to frame pixels, with dlib's detection score.
#ifndef VIDEO_FACE_DETECTOR_H_
#define VIDEO_FACE_DETECTOR_H_

#include <memory>
#include <mutex>
#include <vector>

#include "absl/status/statusor.h"
#include "video/frame.h"

namespace video {

// An axis-aligned box in frame pixel coordinates (x right, y down; right/bottom exclusive).
struct FaceBox {
  double left = 0, top = 0, right = 0, bottom = 0;
  double score = 0;  // the detector's confidence (dlib: SVM margin; > 0 means a face)

  double width() const { return right - left; }
  double height() const { return bottom - top; }
  double size() const { return width() > height() ? width() : height(); }
  double center_x() const { return 0.5 * (left + right); }
  double center_y() const { return 0.5 * (top + bottom); }
};

// Intersection over union of two boxes (0 when either is empty).
double IntersectionOverUnion(const FaceBox& a, const FaceBox& b);

struct FaceDetectorOptions {
  // The frame is downscaled so its longest side is at most this (never upscaled); 0 keeps
  // the full resolution. 640 finds faces of >= ~12% of the frame's longest side.
  int max_detection_side = 640;
  // Times the (downscaled) image is upsampled 2x before detection, to find smaller faces
  // (each doubles the smallest findable face's resolution and quadruples the cost).
  int upsample = 0;
  // dlib's adjust_threshold: detections scoring below it are dropped (0 = dlib's default).
  double score_threshold = 0.0;
};

// Thread-safe: Detect() may be called from several threads at once (each call borrows one
// of a set of detector copies; dlib's detector keeps scratch state and is not reentrant).
class FaceDetector {
 public:
  explicit FaceDetector(const FaceDetectorOptions& options = {});
  ~FaceDetector();
  FaceDetector(const FaceDetector&) = delete;
  FaceDetector& operator=(const FaceDetector&) = delete;

  const FaceDetectorOptions& options() const { return options_; }

  // Builds dlib's detector, which takes ~0.2 s once per process (later detectors copy it);
  // call it on a spare thread to keep that off the first Detect(). Thread-safe.
  static void Preload();

  // Faces in `frame`, highest score first, boxes in `frame`'s pixel coordinates (they may
  // extend past the frame's edges, as dlib's do). An error if dlib rejects the image.
  absl::StatusOr<std::vector<FaceBox>> Detect(const Frame& frame) const;

 private:
  struct DlibDetector;
  std::unique_ptr<DlibDetector> Borrow() const;
  void Return(std::unique_ptr<DlibDetector> detector) const;

  FaceDetectorOptions options_;
  mutable std::mutex mutex_;
  mutable std::vector<std::unique_ptr<DlibDetector>> idle_;
};

// The detector's input: `frame` as 8-bit luma, area-averaged down by an integer-free
// factor so that the longest side is at most `max_side` (0: no downscaling). Returns the
// scale from frame pixels to the result's pixels (<= 1). Exposed for tests.
double DownscaledGray(const Frame& frame, int max_side, std::vector<uint8_t>* gray, int* gray_width,
                      int* gray_height);

}  // namespace video

#endif  // VIDEO_FACE_DETECTOR_H_
