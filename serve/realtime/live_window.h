// The sliding window of real-time mode: frames whose faces were found as they arrived
// (detection + 68 landmarks once per frame), and the scoring of a window's snapshot:
// tracking -> aligned crops -> [T, 3, H, W] per track -> Detector::ScoreFaceTracks. The same
// stages and options as video::PreprocessFrames, so a window scores as Detector::DetectFrames
// scores the same frames; only detection is not repeated per score.
#ifndef SERVE_REALTIME_LIVE_WINDOW_H_
#define SERVE_REALTIME_LIVE_WINDOW_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "serve/api/detector.h"
#include "video/align.h"
#include "video/face_detector.h"
#include "video/face_tracker.h"
#include "video/frame.h"
#include "video/landmarks.h"
#include "video/preprocess.h"

namespace serve::realtime {

using Clock = std::chrono::steady_clock;

// One received frame and the faces found in it.
struct AnalysedFrame {
  video::Frame frame;
  Clock::time_point arrival;                  // when the decoder handed it out
  std::vector<video::FaceObservation> faces;  // detections with landmarks
  int num_faces = 0;                          // detections (before size filtering)
  // Per face, its crop for the model (the preset's size, packed RGB): made once, here,
  // and reused by every window the frame is in. Filled-in track entries crop at scoring.
  std::vector<std::vector<uint8_t>> crops;  // empty for faces below min_face_size
};
using FramePtr = std::shared_ptr<const AnalysedFrame>;

// The crop of the detector's preprocessing (mode, margin, the preset's size).
video::CropOptions CropOptionsOf(const Detector& detector);

// Detection + landmarks + crops of one frame with the detector's preprocessing options.
class FrameAnalyser {
 public:
  // Loads the landmark model (options.landmark_model_path, "" = the installed one); the
  // error names the file.
  static absl::StatusOr<std::unique_ptr<FrameAnalyser>> Create(
      const video::PreprocessOptions& options, const video::CropOptions& crop);
  // Errors name `source`.
  absl::StatusOr<FramePtr> Analyse(const std::string& source, video::Frame frame,
                                   Clock::time_point arrival) const;

 private:
  FrameAnalyser(const video::PreprocessOptions& options, const video::CropOptions& crop,
                std::shared_ptr<const video::LandmarkModel> landmarks);
  video::FaceDetector detector_;
  video::CropOptions crop_;
  double min_face_size_;
  std::shared_ptr<const video::LandmarkModel> landmarks_;
};

// The last `capacity` analysed frames, oldest first.
class SlidingWindow {
 public:
  explicit SlidingWindow(int capacity) : capacity_(capacity) {}
  void Add(FramePtr frame);
  bool full() const { return static_cast<int>(frames_.size()) >= capacity_; }
  int size() const { return static_cast<int>(frames_.size()); }
  std::vector<FramePtr> Snapshot() const { return {frames_.begin(), frames_.end()}; }

 private:
  int capacity_;
  std::deque<FramePtr> frames_;
};

struct LiveTrackScore {
  int track_id = 0;
  double fake_probability = 0;
  video::FaceBox box;    // in the window's newest frame
  bool detected = true;  // false: the face was not detected there (box filled in)
};

struct WindowScore {
  int64_t first_index = 0, last_index = 0;  // frame indices of the window's ends
  double time_seconds = 0;                  // the newest frame's stream time
  int num_frames = 0;
  std::vector<int64_t> frame_indices;  // the window's frames (gaps where frames were dropped)
  std::vector<LiveTrackScore> tracks;  // one per face track
  double fake_probability = -1;        // max over tracks; -1 without a track
  std::string no_track_reason;         // "no_face" or "no_face_track" when tracks is empty
  double track_ms = 0, crop_ms = 0, model_ms = 0;
};

// Tracks, crops and scores a snapshot (>= 1 frame, oldest first).
WindowScore ScoreWindow(const Detector& detector, const std::vector<FramePtr>& window);

}  // namespace serve::realtime

#endif  // SERVE_REALTIME_LIVE_WINDOW_H_
