// The REST API v1 handlers (API.md "Endpoints"), registered from one table.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "serve/api/result_json.h"
#include "serve/version.h"
#include "serve/web/analysis_json.h"
#include "serve/web/events.h"
#include "serve/web/http_util.h"
#include "serve/web/routes.h"
#include "serve/web/upload.h"

namespace serve::web {
namespace {

namespace fs = std::filesystem;
using httplib::Request;
using httplib::Response;

using Handler = std::function<void(ServerContext&, const Request&, Response&)>;

// A store error as an HTTP answer: NotFound 404, FailedPrecondition 409, else 500. Store
// messages start with the store's Describe() ("sqlite:/srv/history.sqlite3", a URL without
// its password): clients get the rest; a 500 is logged whole for the operator.
void SendStatus(const ServerContext& context, Response& res, const absl::Status& status) {
  int code = 500;
  if (absl::IsNotFound(status)) code = 404;
  if (absl::IsFailedPrecondition(status)) code = 409;
  if (absl::IsInvalidArgument(status)) code = 400;
  absl::string_view message = status.message();
  if (code == 500) std::cerr << "deepfake serve: " << message << "\n";
  absl::ConsumePrefix(&message, absl::StrCat(context.store->Describe(), ": "));
  SendError(res, code, std::string(message));
}

int64_t QueuePositionOf(ServerContext& context, const Analysis& analysis) {
  if (analysis.state != JobState::kQueued) return 0;
  absl::StatusOr<int64_t> position = context.store->QueuePosition(analysis.id);
  return position.ok() ? *position : 0;
}

// The analysis named by the path's {id}, or an answer (404) already written.
std::optional<Analysis> Lookup(ServerContext& context, const Request& req, Response& res) {
  absl::StatusOr<Analysis> analysis = context.store->Get(req.matches[1]);
  if (!analysis.ok()) {
    SendStatus(context, res, analysis.status());
    return std::nullopt;
  }
  return *std::move(analysis);
}

fs::path DirOf(const ServerContext& context, const Analysis& analysis) {
  return fs::path(context.options.data_dir) / analysis.dir;
}

// Removes an analysis's folder; only folders under data_dir/analyses/ (never what a
// damaged row might point at elsewhere).
void RemoveDir(const ServerContext& context, const std::string& dir) {
  if (dir.rfind("analyses/", 0) != 0 || dir.find("..") != std::string::npos) return;
  std::error_code error;
  fs::remove_all(fs::path(context.options.data_dir) / dir, error);
}

void QueueFull(ServerContext& context, Response& res, int64_t queued) {
  context.metrics.RecordRejectedUpload("queue_full");
  res.set_header("Retry-After", std::to_string(RetryAfterSeconds(context, queued)));
  SendError(res, 503,
            absl::StrCat("the queue is full (", queued, " analyses waiting, capacity ",
                         context.options.queue_capacity, "); retry later"));
}

void PostAnalyses(ServerContext& context, const Request& req, Response& res,
                  const httplib::ContentReader& reader) {
  if (!req.is_multipart_form_data()) {
    reader([](const char*, size_t) { return true; });
    context.metrics.RecordRejectedUpload("bad_request");
    SendError(res, 400, "expected multipart/form-data with one or more 'file' parts");
    return;
  }
  UploadReceiver receiver(context.options.data_dir, context.options.max_upload_bytes,
                          kMaxFilesPerUpload);
  const bool read =
      reader([&](const httplib::MultipartFormData& part) { return receiver.OnPart(part); },
             [&](const char* data, size_t size) { return receiver.OnData(data, size); });
  const int code = receiver.Finish();
  if (!read) res.set_header("Connection", "close");
  if (code != 0) {
    context.metrics.RecordRejectedUpload(receiver.error_reason());
    if (code == 413) res.set_header("Connection", "close");
    SendError(res, code, receiver.error_message());
    return;
  }
  if (!read) {
    context.metrics.RecordRejectedUpload("bad_request");
    SendError(res, 400, "the multipart body is malformed or was cut short");
    return;
  }
  nlohmann::json items = nlohmann::json::array();
  {
    std::lock_guard<std::mutex> lock(context.admit_mutex);
    absl::StatusOr<StoreCounts> counts = context.store->Counts();
    if (!counts.ok()) return SendStatus(context, res, counts.status());
    const int64_t incoming = static_cast<int64_t>(receiver.files().size());
    if (counts->queued + incoming > context.options.queue_capacity) {
      return QueueFull(context, res, counts->queued);
    }
    std::vector<std::string> inserted;
    for (const ReceivedFile& file : receiver.files()) {
      Analysis analysis;
      analysis.id = file.id;
      analysis.file_name = file.file_name;
      analysis.dir = file.dir;
      analysis.size_bytes = file.size_bytes;
      analysis.content_type = file.content_type;
      analysis.state = JobState::kQueued;
      analysis.stage = "queued";
      analysis.created_ms = NowMs();
      if (absl::Status status = context.store->Insert(analysis); !status.ok()) {
        for (const std::string& id : inserted) (void)context.store->Delete(id);
        return SendStatus(context, res, status);
      }
      inserted.push_back(analysis.id);
      items.push_back(
          SummaryJson(analysis, counts->queued + static_cast<int64_t>(inserted.size())));
    }
  }
  receiver.Release();
  context.changes.Notify();
  res.set_header("Location", items[0]["links"]["self"].get<std::string>());
  SendJson(res, 202, {{"analyses", items}});
}

absl::StatusOr<ListQuery> ParseListQuery(const Request& req, int* page) {
  ListQuery query;
  query.name_contains = req.get_param_value("q");
  if (req.has_param("verdict") && !req.get_param_value("verdict").empty()) {
    query.verdict = absl::AsciiStrToUpper(req.get_param_value("verdict"));
    if (query.verdict != "REAL" && query.verdict != "FAKE" && query.verdict != "UNDETERMINED") {
      return absl::InvalidArgumentError(absl::StrCat("verdict: '", req.get_param_value("verdict"),
                                                     "' is not REAL, FAKE or UNDETERMINED"));
    }
  }
  if (req.has_param("status") && !req.get_param_value("status").empty()) {
    absl::StatusOr<JobState> state = ParseJobState(req.get_param_value("status"));
    if (!state.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("status: '", req.get_param_value("status"),
                       "' is not queued, running, done, failed or canceled"));
    }
    query.state = *state;
  }
  for (const char* name : {"from", "to"}) {
    if (!req.has_param(name) || req.get_param_value(name).empty()) continue;
    absl::StatusOr<int64_t> ms = ParseIsoTime(req.get_param_value(name), std::string(name) == "to");
    if (!ms.ok())
      return absl::InvalidArgumentError(absl::StrCat(name, ": ", ms.status().message()));
    (std::string(name) == "from" ? query.created_from_ms : query.created_to_ms) = *ms;
  }
  int per_page = 20;
  *page = 1;
  if (req.has_param("per_page") && (!absl::SimpleAtoi(req.get_param_value("per_page"), &per_page) ||
                                    per_page < 1 || per_page > 200)) {
    return absl::InvalidArgumentError(absl::StrCat("per_page: '", req.get_param_value("per_page"),
                                                   "' is not a number from 1 to 200"));
  }
  if (req.has_param("page") &&
      (!absl::SimpleAtoi(req.get_param_value("page"), page) || *page < 1 || *page > 1000000)) {
    return absl::InvalidArgumentError(
        absl::StrCat("page: '", req.get_param_value("page"), "' is not a number >= 1"));
  }
  query.limit = per_page;
  query.offset = (*page - 1) * per_page;
  return query;
}

void ListAnalyses(ServerContext& context, const Request& req, Response& res) {
  int page = 1;
  absl::StatusOr<ListQuery> query = ParseListQuery(req, &page);
  if (!query.ok()) return SendError(res, 400, std::string(query.status().message()));
  absl::StatusOr<ListPage> listed = context.store->List(*query);
  if (!listed.ok()) return SendStatus(context, res, listed.status());
  nlohmann::json items = nlohmann::json::array();
  for (const Analysis& analysis : listed->items) {
    items.push_back(SummaryJson(analysis, QueuePositionOf(context, analysis)));
  }
  SendJson(
      res, 200,
      {{"items", items}, {"total", listed->total}, {"page", page}, {"per_page", query->limit}});
}

void GetAnalysis(ServerContext& context, const Request& req, Response& res) {
  std::optional<Analysis> analysis = Lookup(context, req, res);
  if (!analysis) return;
  SendJson(res, 200, FullJson(*analysis, QueuePositionOf(context, *analysis)));
}

void CancelAnalysis(ServerContext& context, const Request& req, Response& res) {
  if (absl::Status status = context.store->Cancel(req.matches[1]); !status.ok()) {
    return SendStatus(context, res, status);
  }
  context.workers->CancelRunning(req.matches[1]);
  context.changes.Notify();
  std::optional<Analysis> analysis = Lookup(context, req, res);
  if (!analysis) return;
  if (analysis->state == JobState::kCanceled) RemoveUploadUnlessKept(context, *analysis);
  SendJson(res, 202, SummaryJson(*analysis, 0));
}

void DeleteAnalysis(ServerContext& context, const Request& req, Response& res) {
  std::optional<Analysis> analysis = Lookup(context, req, res);
  if (!analysis) return;
  context.workers->CancelRunning(analysis->id);
  if (absl::Status status = context.store->Delete(analysis->id); !status.ok()) {
    return SendStatus(context, res, status);
  }
  RemoveDir(context, analysis->dir);
  context.changes.Notify();
  res.status = 204;
}

void DeleteAllAnalyses(ServerContext& context, const Request& req, Response& res) {
  if (req.get_param_value("confirm") != "all") {
    return SendError(res, 400, "deleting every analysis needs ?confirm=all");
  }
  absl::StatusOr<std::vector<std::string>> ids = context.store->DeleteAll();
  if (!ids.ok()) return SendStatus(context, res, ids.status());
  for (const std::string& id : *ids) context.workers->CancelRunning(id);
  for (const std::string& id : *ids) RemoveDir(context, absl::StrCat("analyses/", id));
  context.changes.Notify();
  SendJson(res, 200, {{"deleted", ids->size()}});
}

// 409 unless done; else the stored result.
std::optional<Analysis> DoneAnalysis(ServerContext& context, const Request& req, Response& res) {
  std::optional<Analysis> analysis = Lookup(context, req, res);
  if (!analysis) return std::nullopt;
  if (analysis->state != JobState::kDone || analysis->result_json.empty()) {
    SendError(res, 409,
              absl::StrCat("analysis ", analysis->id, " is ", JobStateName(analysis->state),
                           ", not done: it has no result"));
    return std::nullopt;
  }
  return analysis;
}

// "interview.mp4" -> "interview.EXT", safe inside a quoted header value.
std::string DownloadName(const Analysis& analysis, const std::string& extension) {
  std::string stem = fs::path(analysis.file_name).stem().string();
  stem = absl::StrReplaceAll(stem, {{"\"", "_"}, {"\\", "_"}, {";", "_"}});
  return absl::StrCat(stem.empty() ? "result" : stem, extension);
}

void GetResultJson(ServerContext& context, const Request& req, Response& res) {
  std::optional<Analysis> analysis = DoneAnalysis(context, req, res);
  if (!analysis) return;
  res.set_header("Content-Disposition",
                 absl::StrCat("attachment; filename=\"", DownloadName(*analysis, ".json"), "\""));
  res.set_content(analysis->result_json, kJsonType);
}

void GetResultCsv(ServerContext& context, const Request& req, Response& res) {
  std::optional<Analysis> analysis = DoneAnalysis(context, req, res);
  if (!analysis) return;
  absl::StatusOr<std::string> csv = ResultCsv(analysis->result_json);
  if (!csv.ok()) return SendStatus(context, res, csv.status());
  res.set_header("Content-Disposition",
                 absl::StrCat("attachment; filename=\"", DownloadName(*analysis, ".csv"), "\""));
  res.set_content(*csv, "text/csv; charset=utf-8");
}

// A file of an analysis's folder streamed from disk (with Range support).
void SendFile(Response& res, const fs::path& path, const std::string& content_type,
              const Request& req) {
  std::error_code error;
  const uintmax_t size = fs::file_size(path, error);
  if (error) return SendError(res, 404, absl::StrCat(path.filename().string(), " is not on disk"));
  for (const httplib::Range& range : req.ranges) {
    if (range.first >= 0 && static_cast<uintmax_t>(range.first) >= size) {
      res.set_header("Content-Range", absl::StrCat("bytes */", size));
      return SendError(res, 416, absl::StrCat("the range starts past the end (", size, " bytes)"));
    }
  }
  res.set_header("Accept-Ranges", "bytes");
  auto file = std::make_shared<std::ifstream>(path, std::ios::binary);
  res.set_content_provider(static_cast<size_t>(size), content_type,
                           [file](size_t offset, size_t length, httplib::DataSink& sink) {
                             char buffer[64 * 1024];
                             file->clear();
                             file->seekg(static_cast<std::streamoff>(offset));
                             const size_t n = std::min(length, sizeof(buffer));
                             file->read(buffer, static_cast<std::streamsize>(n));
                             const std::streamsize got = file->gcount();
                             if (got <= 0) return false;
                             return sink.write(buffer, static_cast<size_t>(got));
                           });
}

void GetThumbnail(ServerContext& context, const Request& req, Response& res) {
  std::optional<Analysis> analysis = Lookup(context, req, res);
  if (!analysis) return;
  if (analysis->thumbnail.empty()) {
    return SendError(res, 404, absl::StrCat("analysis ", analysis->id, " has no thumbnail"));
  }
  res.set_header("Cache-Control", "private, max-age=3600");
  SendFile(res, DirOf(context, *analysis) / fs::path(analysis->thumbnail).filename(), "image/png",
           req);
}

void GetVideo(ServerContext& context, const Request& req, Response& res) {
  std::optional<Analysis> analysis = Lookup(context, req, res);
  if (!analysis) return;
  const fs::path path = DirOf(context, *analysis) / UploadFileName(analysis->content_type);
  std::error_code error;
  if (!(analysis->upload_kept || analysis->state == JobState::kQueued ||
        analysis->state == JobState::kRunning) ||
      !fs::is_regular_file(path, error)) {
    return SendError(res, 404,
                     absl::StrCat("the video of analysis ", analysis->id,
                                  " is not kept (start the server with --keep_uploads)"));
  }
  SendFile(res, path, analysis->content_type, req);
}

void GetInfo(ServerContext& context, const Request&, Response& res) {
  const serve::ModelFacts& model = context.detector->model();
  SendJson(res, 200,
           {{"version", serve::kProjectVersion},
            {"model",
             {{"name", model.name},
              {"preset", model.preset},
              {"sha256", model.sha256},
              {"device", model.device},
              {"threshold", context.detector->threshold()},
              {"threshold_method", model.threshold_method}}},
            {"limits",
             {{"max_upload_bytes", context.options.max_upload_bytes},
              {"max_files_per_upload", kMaxFilesPerUpload},
              {"accepted_types", AcceptedVideoTypes()}}},
            {"keep_uploads", context.options.keep_uploads},
            {"explain", context.options.explain},
            {"workers", context.options.workers},
            {"queue_capacity", context.options.queue_capacity},
            {"auth", !context.options.api_token.empty()}});
}

void GetOpenApi(ServerContext&, const Request&, Response& res) {
  res.set_content(std::string(OpenApiJson()), kJsonType);
}

void GetHealth(ServerContext& context, const Request&, Response& res) {
  absl::StatusOr<StoreCounts> counts = context.store->Counts();
  if (!counts.ok()) {
    return SendJson(
        res, 503, {{"status", "unavailable"}, {"message", std::string(counts.status().message())}});
  }
  SendJson(res, 200,
           {{"status", "ok"},
            {"queue", counts->queued},
            {"running", counts->running},
            {"model", context.detector->model().name}});
}

void GetMetrics(ServerContext& context, const Request&, Response& res) {
  absl::StatusOr<StoreCounts> counts = context.store->Counts();
  if (!counts.ok()) return SendStatus(context, res, counts.status());
  res.set_content(context.metrics.Render(*counts), "text/plain; version=0.0.4; charset=utf-8");
}

struct RouteEntry {
  ApiRoute route;
  Handler handler;
};

const std::vector<RouteEntry>& Table() {
  static const auto* table = new std::vector<RouteEntry>{
      {{"GET", "/api/v1/analyses"}, ListAnalyses},
      {{"DELETE", "/api/v1/analyses"}, DeleteAllAnalyses},
      {{"GET", "/api/v1/analyses/{id}"}, GetAnalysis},
      {{"DELETE", "/api/v1/analyses/{id}"}, DeleteAnalysis},
      {{"POST", "/api/v1/analyses/{id}/cancel"}, CancelAnalysis},
      {{"GET", "/api/v1/analyses/{id}/events"}, StreamEvents},
      {{"GET", "/api/v1/analyses/{id}/result.json"}, GetResultJson},
      {{"GET", "/api/v1/analyses/{id}/result.csv"}, GetResultCsv},
      {{"GET", "/api/v1/analyses/{id}/thumbnail.png"}, GetThumbnail},
      {{"GET", "/api/v1/analyses/{id}/video"}, GetVideo},
      {{"GET", "/api/v1/info"}, GetInfo},
      {{"GET", "/api/v1/openapi.json"}, GetOpenApi},
      {{"GET", "/healthz"}, GetHealth},
      {{"GET", "/metrics"}, GetMetrics},
  };
  return *table;
}

std::string PathRegex(const std::string& path) {
  return absl::StrReplaceAll(absl::StrReplaceAll(path, {{".", "\\."}}),
                             {{"{id}", "([0-9a-f]{32})"}});
}

}  // namespace

void RemoveUploadUnlessKept(const ServerContext& context, const Analysis& analysis) {
  if (context.options.keep_uploads) return;
  std::error_code error;
  fs::remove(DirOf(context, analysis) / UploadFileName(analysis.content_type), error);
}

const std::vector<ApiRoute>& ApiRoutes() {
  static const auto* routes = [] {
    auto* list = new std::vector<ApiRoute>{{"POST", "/api/v1/analyses"}};
    for (const RouteEntry& entry : Table()) list->push_back(entry.route);
    return list;
  }();
  return *routes;
}

void RegisterApiRoutes(httplib::Server& server, ServerContext& context) {
  server.Post("/api/v1/analyses",
              [&context](const Request& req, Response& res, const httplib::ContentReader& reader) {
                PostAnalyses(context, req, res, reader);
              });
  for (const RouteEntry& entry : Table()) {
    const Handler& handler = entry.handler;
    auto bound = [&context, handler](const Request& req, Response& res) {
      handler(context, req, res);
    };
    const std::string pattern = PathRegex(entry.route.path);
    if (entry.route.method == "GET") server.Get(pattern, bound);
    if (entry.route.method == "POST") server.Post(pattern, bound);
    if (entry.route.method == "DELETE") server.Delete(pattern, bound);
  }
}

}  // namespace serve::web
