// The acceptance check on real face clips: per clip, the share of sampled frames in which
// the face was detected and the number of face tracks (each clip shows one person, so the
// bar is >= 95% and exactly one track).
#ifndef VIDEO_REAL_FACES_REPORT_H_
#define VIDEO_REAL_FACES_REPORT_H_

#include <string>

#include "absl/status/status.h"
#include "video/preprocess.h"

namespace video {

struct ClipFaceReport {
  std::string path;
  int sampled_frames = 0;
  int frames_with_face = 0;  // sampled frames where the detector found a face
  int tracks = 0;
  double detection_rate() const {
    return sampled_frames > 0 ? static_cast<double>(frames_with_face) / sampled_frames : 0;
  }
  bool Passes() const { return detection_rate() >= 0.95 && tracks == 1; }
  absl::Status error;  // preprocessing failed (then the other fields are 0)
};

ClipFaceReport EvaluateClip(const std::string& path, const nn::Preprocessing& preprocessing,
                            const PreprocessOptions& options);

}  // namespace video

#endif  // VIDEO_REAL_FACES_REPORT_H_
