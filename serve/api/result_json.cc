// DetectionResult -> JSON (serve/api/result_schema.json), CSV rows, PNG bytes.
#include "serve/api/result_json.h"

#include <cmath>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "eval/plot/png.h"

namespace serve {
namespace {

// null for the "none" sentinels (-1 probabilities, "" strings) so readers need not know them.
nlohmann::json ProbabilityOrNull(double p) { return p < 0 ? nlohmann::json() : nlohmann::json(p); }
nlohmann::json StringOrNull(const std::string& s) {
  return s.empty() ? nlohmann::json() : nlohmann::json(s);
}

std::string PngDataUri(const Image& image) {
  return absl::StrCat("data:image/png;base64,", absl::Base64Escape(EncodePng(image)));
}

nlohmann::json FrameToJson(const TrackFrame& f) {
  return {{"frame_index", f.frame_index},
          {"timestamp_seconds", f.timestamp_seconds},
          {"box",
           {{"left", f.box.left},
            {"top", f.box.top},
            {"right", f.box.right},
            {"bottom", f.box.bottom},
            {"score", f.box.score}}},
          {"detected", f.detected},
          {"fake_probability", ProbabilityOrNull(f.score)}};
}

nlohmann::json TrackToJson(const TrackResult& t, const JsonOptions& options) {
  nlohmann::json j = {{"track_id", t.track_id},
                      {"fake_probability", t.fake_probability},
                      {"fake", t.fake},
                      {"num_detections", t.num_detections},
                      {"median_face_size", t.median_face_size}};
  if (options.frames) {
    nlohmann::json frames = nlohmann::json::array();
    for (const TrackFrame& f : t.frames) frames.push_back(FrameToJson(f));
    j["frames"] = std::move(frames);
  }
  if (options.thumbnails && !t.thumbnails.empty()) {
    nlohmann::json thumbnails = nlohmann::json::array();
    for (const Image& image : t.thumbnails) thumbnails.push_back(PngDataUri(image));
    j["thumbnails"] = std::move(thumbnails);
  }
  if (!t.heatmaps.empty()) {
    nlohmann::json heatmaps = nlohmann::json::array();
    for (const Heatmap& h : t.heatmaps) {
      nlohmann::json entry = {{"width", h.width}, {"height", h.height}, {"values", h.values}};
      if (options.thumbnails && h.overlay.width > 0) entry["overlay"] = PngDataUri(h.overlay);
      heatmaps.push_back(std::move(entry));
    }
    j["heatmaps"] = std::move(heatmaps);
  }
  return j;
}

nlohmann::json VideoToJson(const VideoFacts& v) {
  return {{"path", v.path},
          {"sha256", StringOrNull(v.sha256)},
          {"size_bytes", v.size_bytes},
          {"duration_seconds", v.duration_seconds},
          {"frame_rate", v.frame_rate},
          {"width", v.width},
          {"height", v.height},
          {"codec", StringOrNull(v.codec)},
          {"container", StringOrNull(v.container)},
          {"rotation_degrees", v.rotation_degrees},
          {"frames_sampled", v.frames_sampled},
          {"warnings", v.warnings}};
}

nlohmann::json ModelToJson(const ModelFacts& m) {
  return {{"name", m.name},         {"path", m.path},
          {"preset", m.preset},     {"sha256", m.sha256},
          {"device", m.device},     {"frames", m.frames},
          {"image_size", m.image_size}, {"threshold_method", m.threshold_method}};
}

nlohmann::json TimesToJson(const StageTimesMs& t) {
  return {{"decode", t.decode}, {"faces", t.faces},     {"crop", t.crop},
          {"model", t.model},   {"explain", t.explain}, {"total", t.total}};
}

// RFC 4180: quoted when it holds a comma, quote or line break; quotes doubled.
std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string Number(double value) { return absl::StrFormat("%.6g", value); }

}  // namespace

nlohmann::json ResultToJson(const DetectionResult& r, const JsonOptions& options) {
  nlohmann::json tracks = nlohmann::json::array();
  for (const TrackResult& t : r.tracks) tracks.push_back(TrackToJson(t, options));
  return {{"schema_version", kResultSchemaVersion},
          {"path", r.path},
          {"verdict", VerdictName(r.verdict)},
          {"reason", StringOrNull(ReasonCode(r.reason))},
          {"message", StringOrNull(r.message)},
          {"fake_probability", ProbabilityOrNull(r.fake_probability)},
          {"threshold", r.threshold},
          {"decision_rule", r.decision_rule},
          {"deciding_track", r.deciding_track < 0 ? nlohmann::json() : nlohmann::json(r.deciding_track)},
          {"tracks", std::move(tracks)},
          {"video", VideoToJson(r.video)},
          {"model", ModelToJson(r.model)},
          {"times_ms", TimesToJson(r.times)}};
}

std::string CsvHeader() {
  return "path,verdict,fake_probability,threshold,reason,message,faces,deciding_track,"
         "duration,fps,width,height,codec,sha256,model,preset,model_sha256,total_ms";
}

std::string ResultToCsvRow(const DetectionResult& r) {
  const std::vector<std::string> fields = {
      CsvField(r.path),
      VerdictName(r.verdict),
      r.fake_probability < 0 ? "" : Number(r.fake_probability),
      Number(r.threshold),
      ReasonCode(r.reason),
      CsvField(r.message),
      absl::StrCat(r.tracks.size()),
      r.deciding_track < 0 ? "" : absl::StrCat(r.deciding_track),
      Number(r.video.duration_seconds),
      Number(r.video.frame_rate),
      absl::StrCat(r.video.width),
      absl::StrCat(r.video.height),
      CsvField(r.video.codec),
      r.video.sha256,
      CsvField(r.model.name),
      CsvField(r.model.preset),
      r.model.sha256,
      absl::StrFormat("%.1f", r.times.total)};
  return absl::StrJoin(fields, ",");
}

std::string EncodePng(const Image& image) {
  return eval::plot::EncodePng(image.width, image.height, image.rgb);
}

}  // namespace serve
