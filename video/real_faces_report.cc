// Detection rate, tracks, detectors used and time of one clip, through PreprocessVideo;
// the report's table lines.
#include "video/real_faces_report.h"

#include <chrono>

#include "absl/strings/str_format.h"

namespace video {

ClipFaceReport EvaluateClip(const std::string& path, const nn::Preprocessing& preprocessing,
                            const PreprocessOptions& options) {
  ClipFaceReport report;
  report.path = path;
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<PreprocessedVideo> video = PreprocessVideo(path, preprocessing, options);
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!video.ok()) {
    report.error = video.status();
    return report;
  }
  report.width = video->width;
  report.height = video->height;
  report.sampled_frames = static_cast<int>(video->frames.size());
  report.frames_with_face = video->tracking.frames_with_faces;
  report.tracks = static_cast<int>(video->tracks.size());
  report.tracks_too_brief = video->tracking.tracks_too_brief;
  report.faces_too_small = video->tracking.faces_too_small;
  report.faces_rejected = video->tracking.faces_implausible;
  for (const SampledFrameInfo& f : video->frames) {
    report.roi_searches += f.cnn_roi_searches;
    report.roi_found += f.cnn_roi_found;
    if (f.detector == FaceDetectorKind::kCnn) {
      ++report.cnn_frames;
      report.cnn_scale = f.detection_scale;
      ++report.cnn_scale_count;
      report.picture_frames += f.picture_area.width() > 0;
    } else {
      ++report.hog_frames;
    }
  }
  return report;
}

std::string ReportHeader() {
  return absl::StrFormat("%-44s %9s %8s %6s %6s %7s %7s %7s %6s  %s", "clip", "size", "detected",
                         "rate", "tracks", "hog/cnn", "cnn_x", "roi", "sec", "result");
}

std::string ReportLine(const ClipFaceReport& r, const std::string& name) {
  if (!r.error.ok()) {
    return absl::StrFormat("%-44s ERROR (%.1f s) %s", name, r.seconds, r.error.message());
  }
  return absl::StrFormat("%-44s %4dx%-4d %4d/%-3d %5.1f%% %6d %3d/%-3d %7s %3d/%-3d %6.1f  %s",
                         name, r.width, r.height, r.frames_with_face, r.sampled_frames,
                         100 * r.detection_rate(), r.tracks, r.hog_frames, r.cnn_frames,
                         r.cnn_frames > 0
                             ? absl::StrFormat("%.2f%s", r.cnn_scale, r.picture_frames > 0 ? "p" : "")
                             : "-", r.roi_found,
                         r.roi_searches, r.seconds, r.Passes() ? "ok" : "FAIL");
}

std::string ReportTotal(const std::vector<ClipFaceReport>& reports) {
  int frames = 0, with_face = 0, tracks = 0, hog = 0, cnn = 0, errors = 0, passing = 0,
      with_track = 0, multi = 0, roi_searches = 0, roi_found = 0, picture = 0;
  double seconds = 0;
  for (const ClipFaceReport& r : reports) {
    seconds += r.seconds;
    if (!r.error.ok()) {
      ++errors;
      continue;
    }
    frames += r.sampled_frames;
    with_face += r.frames_with_face;
    tracks += r.tracks;
    hog += r.hog_frames;
    cnn += r.cnn_frames;
    picture += r.picture_frames;
    roi_searches += r.roi_searches;
    roi_found += r.roi_found;
    passing += r.Passes();
    with_track += r.tracks >= 1;
    multi += r.tracks > 1;
  }
  return absl::StrFormat(
      "total: %d clips; %d with >= 1 track, %d with > 1 track, %d errors; %d pass "
      "(>= 15/16 frames, 1 track); frames with a face %d/%d (%.1f%%); %d tracks; faces from "
      "HOG in %d frames, from the CNN in %d (%d in the picture area alone); %d lost-track searches found %d faces; %.1f s "
      "(%.2f s per clip)",
      static_cast<int>(reports.size()), with_track, multi, errors, passing, with_face, frames,
      frames > 0 ? 100.0 * with_face / frames : 0.0, tracks, hog, cnn, picture, roi_searches, roi_found,
      seconds, reports.empty() ? 0.0 : seconds / reports.size());
}

}  // namespace video
