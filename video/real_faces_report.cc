// Detection rate and track count of one clip, through PreprocessVideo.
#include "video/real_faces_report.h"

namespace video {

ClipFaceReport EvaluateClip(const std::string& path, const nn::Preprocessing& preprocessing,
                            const PreprocessOptions& options) {
  ClipFaceReport report;
  report.path = path;
  absl::StatusOr<PreprocessedVideo> video = PreprocessVideo(path, preprocessing, options);
  if (!video.ok()) {
    report.error = video.status();
    return report;
  }
  report.sampled_frames = static_cast<int>(video->frames.size());
  report.frames_with_face = video->tracking.frames_with_faces;
  report.tracks = static_cast<int>(video->tracks.size());
  return report;
}

}  // namespace video
