// JSON (nlohmann) for PreprocessedVideo's metadata.
#include "video/preprocess_json.h"

#include <exception>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace video {

using nlohmann::json;

json PreprocessedVideoToJson(const PreprocessedVideo& video) {
  json out;
  out["path"] = video.path;
  out["width"] = video.width;
  out["height"] = video.height;
  const nn::Preprocessing& p = video.preprocessing;
  out["preprocessing"] = {{"frames", p.frames},
                          {"image_size", p.image_size},
                          {"mean", p.mean},
                          {"std", p.std},
                          {"channel_order", nn::ChannelOrderName(p.channel_order)}};
  out["crop"] = {{"mode", CropModeName(video.crop_mode)}, {"margin", video.margin}};
  json frames = json::array();
  for (const SampledFrameInfo& f : video.frames) {
    json frame = {{"index", f.index},
                  {"timestamp_seconds", f.timestamp_seconds},
                  {"num_faces", f.num_faces},
                  {"detector", FaceDetectorKindName(f.detector)},
                  {"detector_fell_back", f.detector_fell_back},
                  {"detection_scale", f.detection_scale},
                  {"cnn_roi_searches", f.cnn_roi_searches},
                  {"cnn_roi_found", f.cnn_roi_found},
                  {"detect_ms", f.detect_ms}};
    if (f.picture_area.width() > 0) {
      frame["picture_area"] = {f.picture_area.left, f.picture_area.top, f.picture_area.right,
                               f.picture_area.bottom};
    }
    frames.push_back(std::move(frame));
  }
  out["frames"] = std::move(frames);
  json tracks = json::array();
  for (const PreprocessedTrack& t : video.tracks) {
    json entries = json::array();
    for (size_t i = 0; i < t.track.faces.size(); ++i) {
      const TrackedFace& face = t.track.faces[i];
      json landmarks = json::array();
      for (const Point2& point : face.landmarks.points) landmarks.push_back({point.x, point.y});
      json entry = {{"filled", face.filled},
                    {"landmarks_implausible", face.landmarks_implausible},
                    {"detector", face.filled ? "none" : FaceDetectorKindName(face.detector)},
                    {"cnn_roi", face.from_roi},
                    {"score", face.box.score},
                    {"box", {face.box.left, face.box.top, face.box.right, face.box.bottom}},
                    {"landmarks", std::move(landmarks)}};
      if (i < video.frames.size()) {
        entry["frame_index"] = video.frames[i].index;
        entry["timestamp_seconds"] = video.frames[i].timestamp_seconds;
      }
      entries.push_back(std::move(entry));
    }
    tracks.push_back({{"id", t.track.id},
                      {"num_detections", t.track.num_detections},
                      {"mean_score", t.track.mean_score},
                      {"median_face_size", t.track.median_face_size},
                      {"frames", std::move(entries)}});
  }
  out["tracks"] = std::move(tracks);
  out["tracking"] = {{"frames_with_faces", video.tracking.frames_with_faces},
                     {"faces_detected", video.tracking.faces_detected},
                     {"faces_too_small", video.tracking.faces_too_small},
                     {"tracks_too_brief", video.tracking.tracks_too_brief},
                     {"tracks_relinked", video.tracking.tracks_relinked},
                     {"faces_implausible", video.tracking.faces_implausible}};
  json rejected = json::array();
  for (const RejectedTrack& r : video.tracking.rejected_tracks) {
    rejected.push_back(
        {{"reason", r.reason},
         {"num_detections", r.num_detections},
         {"first_frame", r.first_frame},
         {"last_frame", r.last_frame},
         {"median_face_size", r.median_face_size},
         {"first_box",
          {r.first_box.left, r.first_box.top, r.first_box.right, r.first_box.bottom}}});
  }
  out["tracking"]["rejected_tracks"] = std::move(rejected);
  out["decode"] = {{"frames_decoded", video.decode_report.frames_decoded},
                   {"packets_corrupt", video.decode_report.packets_corrupt},
                   {"warnings", video.decode_report.warnings}};
  const StageTimes& s = video.times;
  out["times_ms"] = {{"decode", s.decode_ms},
                     {"detect", s.detect_ms},
                     {"detector_cpu", s.detector_cpu_ms},
                     {"landmarks_cpu", s.landmarks_cpu_ms},
                     {"track", s.track_ms},
                     {"crop", s.crop_ms},
                     {"total", s.total_ms}};
  return out;
}

absl::StatusOr<PreprocessedVideo> PreprocessedVideoFromJson(const json& in) {
  PreprocessedVideo video;
  try {
    video.path = in.at("path").get<std::string>();
    video.width = in.at("width").get<int>();
    video.height = in.at("height").get<int>();
    const json& p = in.at("preprocessing");
    video.preprocessing.frames = p.at("frames").get<int>();
    video.preprocessing.image_size = p.at("image_size").get<int>();
    video.preprocessing.mean = p.at("mean").get<std::array<float, 3>>();
    video.preprocessing.std = p.at("std").get<std::array<float, 3>>();
    ASSIGN_OR_RETURN(nn::ChannelOrder channel_order,
                     nn::ParseChannelOrder(p.at("channel_order").get<std::string>()));
    video.preprocessing.channel_order = channel_order;
    ASSIGN_OR_RETURN(CropMode mode, nn::ParseCropMode(in.at("crop").at("mode").get<std::string>()));
    video.crop_mode = mode;
    video.margin = in.at("crop").at("margin").get<double>();
    for (const json& f : in.at("frames")) {
      SampledFrameInfo info;
      info.index = f.at("index").get<int64_t>();
      info.timestamp_seconds = f.at("timestamp_seconds").get<double>();
      info.num_faces = f.at("num_faces").get<int>();
      // Absent in metadata written before the CNN detector existed (HOG only).
      if (f.contains("detector")) {
        ASSIGN_OR_RETURN(info.detector, ParseFaceDetectorKind(f.at("detector").get<std::string>()));
      }
      info.detector_fell_back = f.value("detector_fell_back", false);
      info.detection_scale = f.value("detection_scale", 1.0);
      info.cnn_roi_searches = f.value("cnn_roi_searches", 0);
      info.cnn_roi_found = f.value("cnn_roi_found", 0);
      info.detect_ms = f.value("detect_ms", 0.0);
      if (f.contains("picture_area")) {
        const json& a = f.at("picture_area");
        if (!a.is_array() || a.size() != 4) {
          return absl::InvalidArgumentError(
              "frames[].picture_area is not [left, top, right, bottom]");
        }
        info.picture_area = {a[0].get<double>(), a[1].get<double>(), a[2].get<double>(),
                             a[3].get<double>()};
      }
      video.frames.push_back(info);
    }
    for (const json& t : in.at("tracks")) {
      PreprocessedTrack track;
      track.track.id = t.at("id").get<int>();
      track.track.num_detections = t.at("num_detections").get<int>();
      track.track.mean_score = t.at("mean_score").get<double>();
      track.track.median_face_size = t.at("median_face_size").get<double>();
      for (const json& e : t.at("frames")) {
        TrackedFace face;
        face.filled = e.at("filled").get<bool>();
        face.landmarks_implausible = e.value("landmarks_implausible", false);
        // Absent before per-face detectors were recorded; "none" for filled entries.
        if (const std::string d = e.value("detector", "none"); d != "none") {
          ASSIGN_OR_RETURN(face.detector, ParseFaceDetectorKind(d));
        }
        face.from_roi = e.value("cnn_roi", false);
        face.box.score = e.at("score").get<double>();
        const auto box = e.at("box").get<std::array<double, 4>>();
        face.box.left = box[0];
        face.box.top = box[1];
        face.box.right = box[2];
        face.box.bottom = box[3];
        const json& points = e.at("landmarks");
        if (points.size() != FaceLandmarks::kNumPoints) {
          return absl::InvalidArgumentError(
              absl::StrCat("track ", track.track.id, ": ", points.size(), " landmarks"));
        }
        for (int k = 0; k < FaceLandmarks::kNumPoints; ++k) {
          face.landmarks.points[k] = {points[k].at(0).get<double>(), points[k].at(1).get<double>()};
        }
        track.track.faces.push_back(face);
      }
      video.tracks.push_back(std::move(track));
    }
    const json& tracking = in.at("tracking");
    video.tracking.frames_with_faces = tracking.at("frames_with_faces").get<int>();
    video.tracking.faces_detected = tracking.at("faces_detected").get<int>();
    video.tracking.faces_too_small = tracking.at("faces_too_small").get<int>();
    video.tracking.tracks_too_brief = tracking.at("tracks_too_brief").get<int>();
    // Absent in metadata written before re-linking and plausibility checks existed.
    video.tracking.tracks_relinked = tracking.value("tracks_relinked", 0);
    video.tracking.faces_implausible = tracking.value("faces_implausible", 0);
    if (tracking.contains("rejected_tracks")) {
      for (const json& r : tracking.at("rejected_tracks")) {
        RejectedTrack rejected;
        rejected.reason = r.at("reason").get<std::string>();
        rejected.num_detections = r.at("num_detections").get<int>();
        rejected.first_frame = r.at("first_frame").get<int>();
        rejected.last_frame = r.at("last_frame").get<int>();
        rejected.median_face_size = r.at("median_face_size").get<double>();
        const auto box = r.at("first_box").get<std::array<double, 4>>();
        rejected.first_box = {box[0], box[1], box[2], box[3]};
        video.tracking.rejected_tracks.push_back(rejected);
      }
    }
    const json& decode = in.at("decode");
    video.decode_report.frames_decoded = decode.at("frames_decoded").get<int64_t>();
    video.decode_report.packets_corrupt = decode.at("packets_corrupt").get<int64_t>();
    video.decode_report.warnings = decode.at("warnings").get<std::vector<std::string>>();
    const json& times = in.at("times_ms");
    video.times.decode_ms = times.at("decode").get<double>();
    video.times.detect_ms = times.at("detect").get<double>();
    video.times.detector_cpu_ms = times.at("detector_cpu").get<double>();
    video.times.landmarks_cpu_ms = times.at("landmarks_cpu").get<double>();
    video.times.track_ms = times.at("track").get<double>();
    video.times.crop_ms = times.at("crop").get<double>();
    video.times.total_ms = times.at("total").get<double>();
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("malformed face metadata: ", e.what()));
  }
  return video;
}

}  // namespace video
