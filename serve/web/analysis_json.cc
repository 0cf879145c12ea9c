// Analysis -> API JSON and per-frame CSV.
#include "serve/web/analysis_json.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "serve/web/http_util.h"

namespace serve::web {
namespace {

nlohmann::json OrNull(const std::string& s) {
  return s.empty() ? nlohmann::json() : nlohmann::json(s);
}
nlohmann::json TimeOrNull(int64_t ms) {
  return ms == 0 ? nlohmann::json() : nlohmann::json(IsoTime(ms));
}

std::string Number(const nlohmann::json& value) {
  if (value.is_null()) return "";
  if (value.is_number_integer()) return absl::StrCat(value.get<int64_t>());
  if (value.is_number()) return absl::StrFormat("%.6g", value.get<double>());
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  return "";
}

}  // namespace

nlohmann::json SummaryJson(const Analysis& a, int64_t queue_position) {
  const bool done = a.state == JobState::kDone;
  const std::string self = absl::StrCat("/api/v1/analyses/", a.id);
  std::string stage = a.stage;
  if (done) stage = "done";
  if (stage.empty()) stage = a.state == JobState::kQueued ? "queued" : JobStateName(a.state);
  return {
      {"id", a.id},
      {"file_name", a.file_name},
      {"status", JobStateName(a.state)},
      {"stage", stage},
      {"progress", done ? 1.0 : a.progress},
      {"queue_position", a.state == JobState::kQueued && queue_position > 0
                             ? nlohmann::json(queue_position)
                             : nlohmann::json()},
      {"verdict", OrNull(a.verdict)},
      {"fake_probability",
       a.fake_probability < 0 ? nlohmann::json() : nlohmann::json(a.fake_probability)},
      {"reason", OrNull(a.reason)},
      {"message", OrNull(a.message)},
      {"size_bytes", a.size_bytes},
      {"content_type", a.content_type},
      {"created_at", IsoTime(a.created_ms)},
      {"started_at", TimeOrNull(a.started_ms)},
      {"finished_at", TimeOrNull(a.finished_ms)},
      {"upload_kept", a.upload_kept},
      {"links",
       {{"self", self},
        {"page", absl::StrCat("/analyses/", a.id)},
        {"thumbnail",
         a.thumbnail.empty() ? nlohmann::json() : nlohmann::json(self + "/thumbnail.png")},
        {"video", a.upload_kept ? nlohmann::json(self + "/video") : nlohmann::json()},
        {"json", done ? nlohmann::json(self + "/result.json") : nlohmann::json()},
        {"csv", done ? nlohmann::json(self + "/result.csv") : nlohmann::json()},
        {"report",
         done ? nlohmann::json(absl::StrCat("/analyses/", a.id, "/report")) : nlohmann::json()}}},
  };
}

nlohmann::json FullJson(const Analysis& a, int64_t queue_position) {
  nlohmann::json j = SummaryJson(a, queue_position);
  j["result"] = nullptr;
  if (!a.result_json.empty()) {
    nlohmann::json result =
        nlohmann::json::parse(a.result_json, nullptr, /*allow_exceptions=*/false);
    if (!result.is_discarded()) j["result"] = std::move(result);
  }
  return j;
}

absl::StatusOr<std::string> ResultCsv(const std::string& result_json) {
  const nlohmann::json result = nlohmann::json::parse(result_json, nullptr, false);
  if (result.is_discarded() || !result.is_object()) {
    return absl::DataLossError("the stored result is not valid JSON");
  }
  std::string csv =
      "track,frame_index,timestamp_seconds,left,top,right,bottom,detected,fake_probability\n";
  if (!result.contains("tracks") || !result["tracks"].is_array()) return csv;
  for (const nlohmann::json& track : result["tracks"]) {
    if (!track.contains("frames")) continue;
    for (const nlohmann::json& f : track["frames"]) {
      const nlohmann::json& box = f.value("box", nlohmann::json::object());
      absl::StrAppend(&csv, Number(track.value("track_id", nlohmann::json())), ",",
                      Number(f.value("frame_index", nlohmann::json())), ",",
                      Number(f.value("timestamp_seconds", nlohmann::json())), ",",
                      Number(box.value("left", nlohmann::json())), ",",
                      Number(box.value("top", nlohmann::json())), ",",
                      Number(box.value("right", nlohmann::json())), ",",
                      Number(box.value("bottom", nlohmann::json())), ",",
                      Number(f.value("detected", nlohmann::json())), ",",
                      Number(f.value("fake_probability", nlohmann::json())), "\n");
    }
  }
  return csv;
}

}  // namespace serve::web
