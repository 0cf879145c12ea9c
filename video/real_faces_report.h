// The acceptance check on real face clips: per clip, the share of sampled frames in which
// a face was detected, the number of face tracks, which detector found the faces in each
// sampled frame (HOG, or the CNN where HOG found none) and the time the face stage took.
// Single-person clips pass with >= 15 of 16 frames (93.75%) and exactly one track.
#ifndef VIDEO_REAL_FACES_REPORT_H_
#define VIDEO_REAL_FACES_REPORT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "video/preprocess.h"

namespace video {

struct ClipFaceReport {
  std::string path;
  int width = 0, height = 0;
  int sampled_frames = 0;
  int frames_with_face = 0;  // sampled frames where a (large enough) face was detected
  int tracks = 0;
  int hog_frames = 0;  // sampled frames whose faces came from HOG
  int cnn_frames = 0;  // ... from the CNN (kCnn, or kAuto after HOG found none)
  int cnn_scale_count = 0;
  double cnn_scale = 0;  // the CNN's scale on those frames (detector px per frame px)
  int picture_frames = 0;  // ... of which the CNN searched the picture area alone
  // Searches around lost tracks' predicted boxes (cnn_roi_fallback) and faces they found.
  int roi_searches = 0, roi_found = 0;
  // Tracks dropped as too brief, faces too small, faces with implausible landmarks.
  int tracks_too_brief = 0, faces_too_small = 0, faces_rejected = 0;
  double seconds = 0;  // wall time of PreprocessVideo
  double detection_rate() const {
    return sampled_frames > 0 ? static_cast<double>(frames_with_face) / sampled_frames : 0;
  }
  // At least 15 of 16 frames with a face (the same share for other counts), one track.
  bool Passes() const { return detection_rate() >= 15.0 / 16 - 1e-9 && tracks == 1; }
  absl::Status error;  // preprocessing failed (then the counts are 0)
};

ClipFaceReport EvaluateClip(const std::string& path, const nn::Preprocessing& preprocessing,
                            const PreprocessOptions& options);

// One line per clip (name, size, detected/frames, rate, tracks, hog/cnn frames, CNN scale,
// seconds, result) and the header and total lines, for the report's table.
std::string ReportHeader();
std::string ReportLine(const ClipFaceReport& report, const std::string& name);
std::string ReportTotal(const std::vector<ClipFaceReport>& reports);

}  // namespace video

#endif  // VIDEO_REAL_FACES_REPORT_H_
