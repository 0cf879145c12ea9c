// Face detection on decoded frames with dlib's HOG frontal face detector and, where HOG
// fails (dark, small, turned faces), dlib's MMOD CNN detector (cnn_face_detector.h). HOG
// runs on a downscaled grayscale copy of the frame (HOG at full 1080p/4K is slow and gains
// little: its 80x80 window finds faces down to ~80 px of the downscaled frame); the CNN on
// an RGB copy at a resolution chosen from the frame size (CnnDetectionScale). Boxes are
// mapped back to frame pixels, with the detector's score.
#ifndef VIDEO_FACE_DETECTOR_H_
#define VIDEO_FACE_DETECTOR_H_

#include <memory>
#include <mutex>
#include <string>
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

// A dlib detection rectangle (left(), top(), right(), bottom(); right and bottom inclusive)
// found in a frame resized by (sx, sy) -> a box in the frame's pixels. Both detectors use it.
template <typename DlibRect>
FaceBox FaceBoxFromDlibRect(const DlibRect& rect, double sx, double sy, double score) {
  FaceBox box;
  box.left = rect.left() / sx;
  box.top = rect.top() / sy;
  box.right = (rect.right() + 1) / sx;
  box.bottom = (rect.bottom() + 1) / sy;
  box.score = score;
  return box;
}

// Intersection over union of two boxes (0 when either is empty).
double IntersectionOverUnion(const FaceBox& a, const FaceBox& b);

// kHog: dlib's HOG detector only (fast; misses dark, small and turned faces). kCnn: the
// MMOD CNN only. kAuto: HOG, then the CNN on frames where HOG found no face.
enum class FaceDetectorKind { kHog, kCnn, kAuto };
const char* FaceDetectorKindName(FaceDetectorKind kind);  // "hog", "cnn", "auto"
// "hog", "cnn" or "auto"; InvalidArgument naming the known values otherwise.
absl::StatusOr<FaceDetectorKind> ParseFaceDetectorKind(const std::string& name);

struct FaceDetectorOptions {
  FaceDetectorKind kind = FaceDetectorKind::kAuto;
  // HOG: the frame is downscaled so its longest side is at most this (never upscaled); 0 keeps
  // the full resolution. 640 finds faces of >= ~12% of the frame's longest side.
  int max_detection_side = 640;
  // Times the (downscaled) image is upsampled 2x before detection, to find smaller faces
  // (each doubles the smallest findable face's resolution and quadruples the cost).
  int upsample = 0;
  // dlib's adjust_threshold: detections scoring below it are dropped (0 = dlib's default).
  double score_threshold = 0.0;
  // Both: a dark or washed-out frame (the 1st..99th percentile of luma spans fewer than
  // 128 levels) is stretched to the full range before detection (StretchContrast).
  bool stretch_contrast = true;

  // CNN: mmod_human_face_detector.dat; empty = the copy compiled in (//video/models).
  std::string cnn_model_path;
  // The CNN sees the frame resized to about this many pixels (the default: 1280x720),
  // with the scale clamped to [cnn_min_scale, cnn_max_scale]: huge frames are shrunk (its
  // pyramid still finds faces down to ~50 px of the shrunk frame), small ones enlarged so
  // that small faces reach its ~80 px window (CnnDetectionScale).
  double cnn_target_pixels = 1280.0 * 720.0;
  double cnn_min_scale = 0.25;
  double cnn_max_scale = 2.0;
  double cnn_score_threshold = 0.0;  // dlib's adjust_threshold for the CNN

  // kAuto, lost tracks: when a face track has no detection on a sampled frame (HOG missed
  // that face while finding others, or found none and the whole-frame CNN missed it too),
  // the CNN searches only a region around the track's predicted box (DetectInRegion): the
  // box grown by cnn_roi_margin box sides on every side, resized so that the predicted face
  // is cnn_roi_face_pixels tall (scale clamped to [cnn_min_scale, cnn_roi_max_scale]),
  // contrast-stretched on its own (a face in shadow beside a lit one). A region of ~3x3
  // face sides at ~100 px per face costs a few percent of a whole-frame CNN pass.
  bool cnn_roi_fallback = true;
  double cnn_roi_margin = 1.0;
  double cnn_roi_face_pixels = 100;
  double cnn_roi_max_scale = 3.0;

  // kAuto and kCnn, a small picture in a large frame: when the frame's picture
  // (PictureArea: the frame without flat borders, e.g. a pillarboxed phone video, a
  // letterbox, a small clip placed in a large frame) covers at most
  // cnn_picture_max_fraction of the frame, the CNN first looks at the picture alone, at the
  // scale CnnDetectionScale picks for its size (up to cnn_picture_max_scale), and at the
  // whole frame only when that finds no face.
  bool cnn_picture_search = true;
  double cnn_picture_max_fraction = 0.5;
  double cnn_picture_max_scale = 3.0;
};

// Detector pixels per frame pixel at which the CNN runs on a width x height frame.
double CnnDetectionScale(int width, int height, const FaceDetectorOptions& options);

// What Detect() found in one frame and how.
struct FrameDetection {
  std::vector<FaceBox> faces;  // highest score first, frame pixels
  // The detector whose boxes these are (kHog or kCnn; kAuto never appears here).
  FaceDetectorKind detector = FaceDetectorKind::kHog;
  bool fell_back = false;  // kAuto: HOG found nothing and the CNN ran
  double scale = 1;        // detector pixels per frame pixel for that detector
  // The CNN found these in the frame's picture area alone (cnn_picture_search); empty
  // box otherwise.
  FaceBox picture_area;
  bool in_picture_area() const { return picture_area.width() > 0; }
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
  // extend past the frame's edges, as dlib's do), with options().kind. An error if dlib
  // rejects the image or the CNN model cannot be loaded (the error names its path).
  absl::StatusOr<std::vector<FaceBox>> Detect(const Frame& frame) const;
  // The same, saying which detector found them at which scale.
  absl::StatusOr<FrameDetection> DetectFrame(const Frame& frame) const;
  // One detector on its own: HOG with the HOG options, or the CNN at CnnDetectionScale.
  absl::StatusOr<FrameDetection> DetectWith(FaceDetectorKind kind, const Frame& frame) const;
  // The CNN on the region around `predicted` (a lost track's expected box, frame pixels;
  // CnnRegion): faces in frame pixels, highest score first; detector kCnn, scale the
  // region's. Errors as Detect's; an empty region (predicted box off the frame) finds none.
  absl::StatusOr<FrameDetection> DetectInRegion(const Frame& frame, const FaceBox& predicted) const;
  // The region DetectInRegion searches (clipped to the frame; empty when none is left) and
  // its scale (detector pixels per frame pixel).
  FaceBox CnnRegion(const Frame& frame, const FaceBox& predicted, double* scale) const;

 private:
  struct DlibDetector;
  std::unique_ptr<DlibDetector> Borrow() const;
  void Return(std::unique_ptr<DlibDetector> detector) const;

  absl::StatusOr<FrameDetection> DetectHog(const Frame& frame) const;
  absl::StatusOr<FrameDetection> DetectCnn(const Frame& frame) const;
  // The CNN on the picture area when it is small (cnn_picture_search), else (or when that
  // finds none) DetectCnn.
  absl::StatusOr<FrameDetection> DetectCnnWithPicture(const Frame& frame) const;
  // The CNN on `region` of `frame` (frame pixels, inside it) at `scale`; boxes in frame
  // pixels.
  absl::StatusOr<std::vector<FaceBox>> DetectCnnIn(const Frame& frame, const FaceBox& region,
                                                  double scale) const;

  FaceDetectorOptions options_;
  mutable std::mutex mutex_;
  mutable std::vector<std::unique_ptr<DlibDetector>> idle_;
};

// The index of the face in `found` that continues a track expected at `predicted`: the
// highest-scoring one whose centre is within 0.5 predicted sides of the predicted centre
// and whose size is 0.6..1.67 times the predicted size; -1 when none fits.
int BestFitToPredicted(const std::vector<FaceBox>& found, const FaceBox& predicted);

// The frame's picture: the smallest box outside which every row and column is flat (its
// luma spans at most `flat_levels`, e.g. black or coloured bars around a pillarboxed,
// letterboxed or small placed picture), in frame pixels. The whole frame when it has no
// flat border; an empty box when the whole frame is flat. Looks at every 2nd pixel.
FaceBox PictureArea(const Frame& frame, int flat_levels = 24);

// Stretches `pixels` (bytes, `channels` interleaved; luma = the mean of the channels)
// linearly so that the 1st..99th percentile of luma maps to 0..255, when that range is
// narrower than 128 levels (a dark room); otherwise leaves them. Returns whether it did.
bool StretchContrast(std::vector<uint8_t>& pixels, int channels);

// The detector's input: `frame` as 8-bit luma, area-averaged down by an integer-free
// factor so that the longest side is at most `max_side` (0: no downscaling). Returns the
// scale from frame pixels to the result's pixels (<= 1). Exposed for tests.
double DownscaledGray(const Frame& frame, int max_side, std::vector<uint8_t>* gray, int* gray_width,
                      int* gray_height);

}  // namespace video

#endif  // VIDEO_FACE_DETECTOR_H_
