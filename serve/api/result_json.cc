// DetectionResult -> JSON (serve/api/result_schema.json), CSV rows, PNG bytes.
#include "serve/api/result_json.h"

#include <cmath>
#include <optional>

#include "absl/status/status.h"
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
  return {{"name", m.name},
          {"path", m.path},
          {"preset", m.preset},
          {"sha256", m.sha256},
          {"device", m.device},
          {"frames", m.frames},
          {"image_size", m.image_size},
          {"threshold_method", m.threshold_method}};
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

// Reads typed fields out of JSON objects; the first problem is kept in `status` (naming the
// JSON path) and every later read is a no-op returning a default.
class FieldReader {
 public:
  absl::Status status;

  const nlohmann::json* Field(const nlohmann::json& object, const std::string& at,
                              const char* key) {
    if (!status.ok()) return nullptr;
    if (!object.is_object()) return Fail(at, "is not an object");
    const auto it = object.find(key);
    if (it == object.end()) return Fail(absl::StrCat(at, ".", key), "missing");
    return &*it;
  }
  const nlohmann::json* Typed(const nlohmann::json& object, const std::string& at, const char* key,
                              bool (nlohmann::json::*is)() const noexcept, const char* type,
                              bool null_ok = false) {
    const nlohmann::json* value = Field(object, at, key);
    if (value == nullptr || (null_ok && value->is_null())) return value;
    if (!((*value).*is)()) {
      return Fail(absl::StrCat(at, ".", key),
                  absl::StrCat("is not ", type, null_ok ? " or null" : ""));
    }
    return value;
  }
  double Num(const nlohmann::json& o, const std::string& at, const char* key) {
    const nlohmann::json* v = Typed(o, at, key, &nlohmann::json::is_number, "a number");
    return v == nullptr ? 0 : v->get<double>();
  }
  // null reads as `none`.
  double NumOrNull(const nlohmann::json& o, const std::string& at, const char* key, double none) {
    const nlohmann::json* v = Typed(o, at, key, &nlohmann::json::is_number, "a number", true);
    return v == nullptr || v->is_null() ? none : v->get<double>();
  }
  int64_t Int(const nlohmann::json& o, const std::string& at, const char* key) {
    const nlohmann::json* v = Typed(o, at, key, &nlohmann::json::is_number_integer, "an integer");
    return v == nullptr ? 0 : v->get<int64_t>();
  }
  bool Bool(const nlohmann::json& o, const std::string& at, const char* key) {
    const nlohmann::json* v = Typed(o, at, key, &nlohmann::json::is_boolean, "true or false");
    return v != nullptr && v->get<bool>();
  }
  // null reads as "" when null_ok.
  std::string Str(const nlohmann::json& o, const std::string& at, const char* key,
                  bool null_ok = false) {
    const nlohmann::json* v = Typed(o, at, key, &nlohmann::json::is_string, "a string", null_ok);
    return v == nullptr || v->is_null() ? "" : v->get<std::string>();
  }
  const nlohmann::json* Array(const nlohmann::json& o, const std::string& at, const char* key) {
    return Typed(o, at, key, &nlohmann::json::is_array, "an array");
  }
  const nlohmann::json* Object(const nlohmann::json& o, const std::string& at, const char* key) {
    return Typed(o, at, key, &nlohmann::json::is_object, "an object");
  }
  const nlohmann::json* Fail(const std::string& at, const std::string& problem) {
    if (status.ok()) status = absl::InvalidArgumentError(absl::StrCat(at, ": ", problem));
    return nullptr;
  }
};

std::optional<Verdict> VerdictFromName(const std::string& name) {
  for (Verdict v : {Verdict::kReal, Verdict::kFake, Verdict::kUndetermined}) {
    if (name == VerdictName(v)) return v;
  }
  return std::nullopt;
}

std::optional<UndeterminedReason> ReasonFromCode(const std::string& code) {
  for (int i = 0; i <= static_cast<int>(UndeterminedReason::kCanceled); ++i) {
    const auto reason = static_cast<UndeterminedReason>(i);
    if (code == ReasonCode(reason)) return reason;
  }
  return std::nullopt;
}

TrackFrame FrameFromJson(FieldReader& r, const nlohmann::json& j, const std::string& at) {
  TrackFrame f;
  f.frame_index = r.Int(j, at, "frame_index");
  f.timestamp_seconds = r.Num(j, at, "timestamp_seconds");
  if (const nlohmann::json* box = r.Object(j, at, "box")) {
    const std::string box_at = at + ".box";
    f.box.left = r.Num(*box, box_at, "left");
    f.box.top = r.Num(*box, box_at, "top");
    f.box.right = r.Num(*box, box_at, "right");
    f.box.bottom = r.Num(*box, box_at, "bottom");
    f.box.score = r.Num(*box, box_at, "score");
  }
  f.detected = r.Bool(j, at, "detected");
  f.score = r.NumOrNull(j, at, "fake_probability", -1);
  return f;
}

TrackResult TrackFromJson(FieldReader& r, const nlohmann::json& j, const std::string& at) {
  TrackResult t;
  t.track_id = static_cast<int>(r.Int(j, at, "track_id"));
  t.fake_probability = r.Num(j, at, "fake_probability");
  t.fake = r.Bool(j, at, "fake");
  t.num_detections = static_cast<int>(r.Int(j, at, "num_detections"));
  t.median_face_size = r.Num(j, at, "median_face_size");
  if (j.is_object() && j.contains("frames")) {
    if (const nlohmann::json* frames = r.Array(j, at, "frames")) {
      for (size_t i = 0; i < frames->size(); ++i) {
        t.frames.push_back(FrameFromJson(r, (*frames)[i], absl::StrCat(at, ".frames[", i, "]")));
      }
    }
  }
  if (j.is_object() && j.contains("heatmaps")) {
    if (const nlohmann::json* heatmaps = r.Array(j, at, "heatmaps")) {
      for (size_t i = 0; i < heatmaps->size(); ++i) {
        const std::string h_at = absl::StrCat(at, ".heatmaps[", i, "]");
        Heatmap h;
        h.width = static_cast<int>(r.Int((*heatmaps)[i], h_at, "width"));
        h.height = static_cast<int>(r.Int((*heatmaps)[i], h_at, "height"));
        if (const nlohmann::json* values = r.Array((*heatmaps)[i], h_at, "values")) {
          for (const nlohmann::json& v : *values) {
            if (!v.is_number()) {
              r.Fail(h_at + ".values", "holds a value that is not a number");
              break;
            }
            h.values.push_back(v.get<float>());
          }
        }
        t.heatmaps.push_back(std::move(h));
      }
    }
  }
  return t;
}

}  // namespace

absl::StatusOr<DetectionResult> ResultFromJson(const nlohmann::json& j) {
  FieldReader r;
  DetectionResult result;
  const std::string at = "$";
  const int64_t version = r.Int(j, at, "schema_version");
  if (r.status.ok() && version != kResultSchemaVersion) {
    r.Fail("$.schema_version", absl::StrCat(version, " is not the version this build reads (",
                                            kResultSchemaVersion, ")"));
  }
  result.path = r.Str(j, at, "path");
  const std::string verdict = r.Str(j, at, "verdict");
  if (r.status.ok()) {
    if (std::optional<Verdict> v = VerdictFromName(verdict)) {
      result.verdict = *v;
    } else {
      r.Fail("$.verdict",
             absl::StrCat("unknown verdict '", verdict, "' (REAL, FAKE, UNDETERMINED)"));
    }
  }
  const std::string reason = r.Str(j, at, "reason", true);
  if (r.status.ok()) {
    if (std::optional<UndeterminedReason> code = ReasonFromCode(reason)) {
      result.reason = *code;
    } else {
      r.Fail("$.reason", absl::StrCat("unknown reason '", reason, "'"));
    }
  }
  result.message = r.Str(j, at, "message", true);
  result.fake_probability = r.NumOrNull(j, at, "fake_probability", -1);
  result.threshold = r.Num(j, at, "threshold");
  result.decision_rule = r.Str(j, at, "decision_rule");
  result.deciding_track = static_cast<int>(r.NumOrNull(j, at, "deciding_track", -1));
  if (const nlohmann::json* tracks = r.Array(j, at, "tracks")) {
    for (size_t i = 0; i < tracks->size(); ++i) {
      result.tracks.push_back(TrackFromJson(r, (*tracks)[i], absl::StrCat("$.tracks[", i, "]")));
    }
  }
  if (const nlohmann::json* v = r.Object(j, at, "video")) {
    const std::string v_at = "$.video";
    VideoFacts& facts = result.video;
    facts.path = r.Str(*v, v_at, "path");
    facts.sha256 = r.Str(*v, v_at, "sha256", true);
    facts.size_bytes = r.Int(*v, v_at, "size_bytes");
    facts.duration_seconds = r.Num(*v, v_at, "duration_seconds");
    facts.frame_rate = r.Num(*v, v_at, "frame_rate");
    facts.width = static_cast<int>(r.Int(*v, v_at, "width"));
    facts.height = static_cast<int>(r.Int(*v, v_at, "height"));
    facts.codec = r.Str(*v, v_at, "codec", true);
    facts.container = r.Str(*v, v_at, "container", true);
    facts.rotation_degrees = static_cast<int>(r.Int(*v, v_at, "rotation_degrees"));
    facts.frames_sampled = static_cast<int>(r.Int(*v, v_at, "frames_sampled"));
    if (const nlohmann::json* warnings = r.Array(*v, v_at, "warnings")) {
      for (const nlohmann::json& w : *warnings) {
        if (!w.is_string()) {
          r.Fail("$.video.warnings", "holds a value that is not a string");
          break;
        }
        facts.warnings.push_back(w.get<std::string>());
      }
    }
  }
  if (const nlohmann::json* m = r.Object(j, at, "model")) {
    const std::string m_at = "$.model";
    ModelFacts& facts = result.model;
    facts.name = r.Str(*m, m_at, "name");
    facts.path = r.Str(*m, m_at, "path");
    facts.preset = r.Str(*m, m_at, "preset");
    facts.sha256 = r.Str(*m, m_at, "sha256");
    facts.device = r.Str(*m, m_at, "device");
    facts.frames = static_cast<int>(r.Int(*m, m_at, "frames"));
    facts.image_size = static_cast<int>(r.Int(*m, m_at, "image_size"));
    facts.threshold_method = r.Str(*m, m_at, "threshold_method");
  }
  if (const nlohmann::json* t = r.Object(j, at, "times_ms")) {
    const std::string t_at = "$.times_ms";
    StageTimesMs& times = result.times;
    times.decode = r.Num(*t, t_at, "decode");
    times.faces = r.Num(*t, t_at, "faces");
    times.crop = r.Num(*t, t_at, "crop");
    times.model = r.Num(*t, t_at, "model");
    times.explain = r.Num(*t, t_at, "explain");
    times.total = r.Num(*t, t_at, "total");
  }
  if (!r.status.ok()) return r.status;
  return result;
}

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
          {"deciding_track",
           r.deciding_track < 0 ? nlohmann::json() : nlohmann::json(r.deciding_track)},
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
