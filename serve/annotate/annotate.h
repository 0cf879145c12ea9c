// `deepfake detect --annotate OUT.mp4`: the analysed video re-decoded and re-encoded (H.264
// MP4, video::Encoder) with, per face track, a box coloured green -> red by the track's
// running score and labelled with it, and a score timeline panel along the bottom (each
// track's per-frame score curve, the threshold as a dashed line, a cursor at the frame's
// time, the verdict). The output is the video's size (rounded down to even) plus the panel's
// height, at the video's frame rate, one output frame per decoded frame.
//
// Between the sampled frames a track's box is interpolated linearly in time; it is held for
// one sampling gap before the first and after the last sampled frame and absent otherwise.
// The running score at time t is the mean of the track's per-frame scores at sampled frames
// up to t (for a mean-of-frames readout it ends at the track's score); a readout without
// per-frame scores shows the track's score throughout.
#ifndef SERVE_ANNOTATE_ANNOTATE_H_
#define SERVE_ANNOTATE_ANNOTATE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "serve/api/detector.h"
#include "video/face_detector.h"
#include "video/frame.h"

namespace serve::annotate {

struct AnnotateOptions {
  int timeline_height = 0;  // the panel's height in pixels; 0 = max(56, height / 5)
  int crf = 20;             // libx264 quality (0 lossless .. 51)
};

// 0 -> green, 0.5 -> yellow, 1 -> red (0xRRGGBB); grey for a negative (no) score.
uint32_t ScoreColour(double probability);

// The mean of the track's per-frame scores at sampled frames at or before `t` seconds (the
// first scored frame's before it); the track's probability when it has no frame scores.
double RunningScore(const TrackResult& track, double t);

// The track's box at `t` seconds (see the file comment); nullopt when it is not shown.
std::optional<video::FaceBox> BoxAt(const TrackResult& track, double t);

// Draws the overlays onto frames of one video.
class Annotator {
 public:
  // `width` x `video_height`: the frames' size (even); `duration_seconds`: the timeline's
  // span (> 0).
  Annotator(const DetectionResult& result, int width, int video_height, double duration_seconds,
            const AnnotateOptions& options = {});

  int width() const { return width_; }
  int height() const { return video_height_ + panel_height_; }  // output frames
  int panel_height() const { return panel_height_; }

  // The output frame (width() x height()) for a decoded frame of at least width x
  // video_height pixels (larger ones are cropped at the right and bottom).
  video::Frame Annotate(const video::Frame& frame) const;

 private:
  void DrawPanel();  // the static part of the timeline into panel_
  int TimeToX(double t) const;
  int ScoreToY(double score) const;  // in panel coordinates

  const DetectionResult& result_;
  int width_, video_height_, panel_height_;
  double duration_;
  int scale_;                                  // text and line scale (1 up to ~360 px frames)
  int plot_x0_, plot_x1_, plot_y0_, plot_y1_;  // the curve area in the panel
  bool show_time_ = true;                      // room for the time at the top right
  std::vector<uint8_t> panel_;                 // width_ x panel_height_ RGB
};

struct AnnotateOutcome {
  int64_t frames = 0;
  int width = 0, height = 0;
  double frame_rate = 0;
};

// Re-decodes result.video.path (result.path when empty) and writes the annotated video to
// `output_path` (via a ".partial" file renamed at the end, so a failure leaves no half
// file). Errors name the file: unreadable input, unwritable output.
absl::StatusOr<AnnotateOutcome> AnnotateVideo(const DetectionResult& result,
                                              const std::string& output_path,
                                              const AnnotateOptions& options = {});

}  // namespace serve::annotate

#endif  // SERVE_ANNOTATE_ANNOTATE_H_
