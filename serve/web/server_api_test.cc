// The dashboard's API and its refusals, against a real Server on loopback (httplib's
// client, raw sockets where a client must misbehave): limits (413 by header and by stream),
// content sniffing (415), file names, a full queue (503 + Retry-After), cross-site
// requests (403), the token (401, login), security headers, 404/400s, metrics, openapi.
#include <filesystem>
#include <regex>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "serve/web/routes.h"
#include "serve/web/testing/server_fixture.h"

namespace serve::web {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

class ServerApiTest : public testing::ServerTest {
 protected:
  // The analysis folders on disk.
  int StoredFolders() const {
    int n = 0;
    std::error_code error;
    for (const auto& entry :
         fs::directory_iterator(fs::path(options_.data_dir) / "analyses", error)) {
      (void)entry;
      ++n;
    }
    return n;
  }
};

nlohmann::json Json(const httplib::Result& res) {
  return res ? nlohmann::json::parse(res->body, nullptr, false) : nlohmann::json();
}

void ExpectError(const httplib::Result& res, int code, const std::string& status,
                 const std::string& message_part) {
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, code) << res->body;
  EXPECT_THAT(res->get_header_value("Content-Type"), HasSubstr("application/json"));
  const nlohmann::json body = Json(res);
  ASSERT_TRUE(body.contains("error")) << res->body;
  EXPECT_EQ(body["error"]["code"], code);
  EXPECT_EQ(body["error"]["status"], status);
  EXPECT_THAT(body["error"]["message"].get<std::string>(), HasSubstr(message_part));
}

TEST_F(ServerApiTest, EveryResponseCarriesTheSecurityHeaders) {
  StartServer(DefaultOptions());
  for (const char* path : {"/", "/history", "/api/v1/info", "/api/v1/analyses/nope", "/healthz"}) {
    httplib::Result res = Client()->Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->get_header_value("Content-Security-Policy"),
              "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
              "object-src 'none'; frame-ancestors 'none'")
        << path;
    EXPECT_EQ(res->get_header_value("X-Content-Type-Options"), "nosniff") << path;
    EXPECT_EQ(res->get_header_value("X-Frame-Options"), "DENY") << path;
    EXPECT_EQ(res->get_header_value("Referrer-Policy"), "no-referrer") << path;
  }
  httplib::Result page = Client()->Get("/");
  EXPECT_EQ(page->status, 200);
  EXPECT_THAT(page->get_header_value("Content-Type"), HasSubstr("text/html"));
}

TEST_F(ServerApiTest, HealthInfoAndPages) {
  StartServer(DefaultOptions());
  const nlohmann::json health = Json(Client()->Get("/healthz"));
  EXPECT_EQ(health["status"], "ok");
  EXPECT_EQ(health["queue"], 0);
  EXPECT_EQ(health["model"], "tiny.safetensors");
  const nlohmann::json info = Json(Client()->Get("/api/v1/info"));
  EXPECT_EQ(info["model"]["preset"], "tiny");
  EXPECT_EQ(info["limits"]["max_upload_bytes"], options_.max_upload_bytes);
  EXPECT_EQ(info["keep_uploads"], false);
  EXPECT_EQ(info["queue_capacity"], options_.queue_capacity);
  for (const char* path : {"/", "/history", "/analyses/0123456789abcdef0123456789abcdef",
                           "/analyses/0123456789abcdef0123456789abcdef/report", "/login"}) {
    httplib::Result res = Client()->Get(path);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200) << path;
    EXPECT_THAT(res->get_header_value("Content-Type"), HasSubstr("text/html")) << path;
  }
}

TEST_F(ServerApiTest, OverTheLimitByContentLengthIsRefusedBeforeTheBody) {
  ServeOptions options = DefaultOptions();
  options.max_upload_bytes = 100000;
  StartServer(options);
  // Headers only: the server must answer without waiting for the 5 GB it announces.
  const std::string answer = RawRequest(
      "POST /api/v1/analyses HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Content-Type: multipart/form-data; boundary=b\r\nX-Requested-With: deepfake\r\n"
      "Content-Length: 5000000000\r\n\r\n");
  EXPECT_THAT(answer, ::testing::StartsWith("HTTP/1.1 413"));
  EXPECT_THAT(answer, HasSubstr("\"payload_too_large\""));
  EXPECT_THAT(answer, HasSubstr("the limit is 100.0 kB"));
  // With Expect: 100-continue (curl's way for large bodies): 413 instead of 100.
  const std::string expect = RawRequest(
      "POST /api/v1/analyses HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Content-Type: multipart/form-data; boundary=b\r\nX-Requested-With: deepfake\r\n"
      "Expect: 100-continue\r\nContent-Length: 5000000000\r\n\r\n");
  EXPECT_THAT(expect, ::testing::StartsWith("HTTP/1.1 413"));
  EXPECT_EQ(StoredFolders(), 0);
  const std::string metrics = Client()->Get("/metrics")->body;
  EXPECT_THAT(metrics, HasSubstr("deepfake_uploads_rejected_total{reason=\"too_large\"} 2"));
}

TEST_F(ServerApiTest, OverTheLimitInTheStreamIsRefusedAndNothingIsKept) {
  ServeOptions options = DefaultOptions();
  options.max_upload_bytes =
      150000;  // the clip is 192 kB: its Content-Length passes (+64 kB framing)
  StartServer(options);
  const std::string clip = testing::ReadFile(testing::kLongerClip);
  ASSERT_GT(clip.size(), 150000u);
  ExpectError(Upload(clip, "big.mp4"), 413, "payload_too_large",
              "upload 'big.mp4' is over 150.0 kB");
  // Chunked (no Content-Length): the same, from the stream.
  const std::string boundary = "----deepfake-test";
  const std::string body =
      "--" + boundary +
      "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"chunked.mp4\"\r\n"
      "Content-Type: video/mp4\r\n\r\n" +
      clip + "\r\n--" + boundary + "--\r\n";
  httplib::Result chunked = Client()->Post(
      "/api/v1/analyses", Headers(),
      [&body](size_t offset, httplib::DataSink& sink) {
        const size_t n = std::min<size_t>(16384, body.size() - offset);
        sink.write(body.data() + offset, n);
        if (offset + n == body.size()) sink.done();
        return true;
      },
      "multipart/form-data; boundary=" + boundary);
  ExpectError(chunked, 413, "payload_too_large", "upload 'chunked.mp4' is over 150.0 kB");
  EXPECT_EQ(StoredFolders(), 0);
  EXPECT_EQ(Json(Client()->Get("/api/v1/analyses", Headers()))["total"], 0);
}

TEST_F(ServerApiTest, NotAVideoIsRefusedByContentNotByName) {
  StartServer(DefaultOptions());
  ExpectError(Upload("this is text, named like a video\n", "notes.mp4"), 415,
              "unsupported_media_type", "'notes.mp4' is not a video");
  std::string png = "\x89PNG\r\n\x1a\n";
  png += std::string(2000, 'x');
  ExpectError(Upload(png, "picture.webm"), 415, "unsupported_media_type", "is not a video");
  ExpectError(Upload("", "empty.mp4"), 415, "unsupported_media_type", "it is empty");
  EXPECT_EQ(StoredFolders(), 0);
  // A real clip named like text is accepted, and its type comes from its content.
  const std::string clip = testing::ReadFile(testing::kFaceClip);
  httplib::Result res = Upload(clip, "clip.txt");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202) << res->body;
  EXPECT_EQ(Json(res)["analyses"][0]["content_type"], "video/mp4");
}

TEST_F(ServerApiTest, FileNamesAreSanitised) {
  StartServer(DefaultOptions());
  const std::string clip = testing::ReadFile(testing::kFaceClip);
  httplib::Result res = Upload(clip, "../../outside/<img src=x onerror=alert(1)>.mp4");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 202) << res->body;
  const nlohmann::json analysis = Json(res)["analyses"][0];
  const std::string name = analysis["file_name"];
  EXPECT_EQ(name, "_img src=x onerror=alert(1)_.mp4");
  const std::string id = analysis["id"];
  EXPECT_TRUE(fs::exists(fs::path(options_.data_dir) / "analyses" / id));
  EXPECT_FALSE(fs::exists(fs::path(options_.data_dir).parent_path() / "outside"));
  // The history shows the same safe name.
  const nlohmann::json list = Json(Client()->Get("/api/v1/analyses", Headers()));
  EXPECT_EQ(list["items"][0]["file_name"], name);
  EXPECT_THAT(list.dump(), Not(HasSubstr("<img")));
}

TEST_F(ServerApiTest, AFullQueueAnswers503WithRetryAfter) {
  ServeOptions options = DefaultOptions();
  options.queue_capacity = 1;
  StartServer(options);
  const std::string clip = testing::ReadFile(testing::kFaceClip);
  httplib::MultipartFormDataItems items = {{"file", clip, "a.mp4", "video/mp4"},
                                           {"file", clip, "b.mp4", "video/mp4"}};
  httplib::Result res = Client()->Post("/api/v1/analyses", Headers(), items);
  ExpectError(res, 503, "unavailable", "the queue is full");
  int retry_after = 0;
  EXPECT_TRUE(absl::SimpleAtoi(res->get_header_value("Retry-After"), &retry_after));
  EXPECT_GE(retry_after, 1);
  EXPECT_EQ(StoredFolders(), 0);
  EXPECT_THAT(Client()->Get("/metrics")->body,
              HasSubstr("deepfake_uploads_rejected_total{reason=\"queue_full\"} 1"));
}

TEST_F(ServerApiTest, StateChangesWithoutTheHeaderAreCrossSiteAndRefused) {
  StartServer(DefaultOptions());
  const std::string clip = testing::ReadFile(testing::kFaceClip);
  httplib::MultipartFormDataItems items = {{"file", clip, "a.mp4", "video/mp4"}};
  ExpectError(Client()->Post("/api/v1/analyses", items), 403, "forbidden", "X-Requested-With");
  ExpectError(Client()->Delete("/api/v1/analyses?confirm=all"), 403, "forbidden",
              "cross-site requests are refused");
  ExpectError(Client()->Post("/api/v1/analyses/0123456789abcdef0123456789abcdef/cancel"), 403,
              "forbidden", "X-Requested-With");
  EXPECT_EQ(StoredFolders(), 0);
}

TEST_F(ServerApiTest, TheTokenGuardsTheApiAndThePages) {
  ServeOptions options = DefaultOptions();
  options.api_token = "s3cret-token";
  StartServer(options);
  ExpectError(Client()->Get("/api/v1/analyses"), 401, "unauthorized", "Authorization: Bearer");
  ExpectError(Client()->Get("/api/v1/analyses", {{"Authorization", "Bearer wrong"}}), 401,
              "unauthorized", "needs a token");
  ExpectError(Client()->Get("/metrics"), 401, "unauthorized", "needs a token");
  EXPECT_EQ(Client()->Get("/api/v1/analyses", Headers())->status, 200);
  EXPECT_EQ(Client()->Get("/healthz")->status, 200);  // always open
  // Pages redirect to the login page; logging in sets the cookie that opens them.
  httplib::Result page = Client()->Get("/history");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 303);
  EXPECT_EQ(page->get_header_value("Location"), "/login");
  EXPECT_EQ(Client()->Get("/login")->status, 200);
  httplib::Result bad = Client()->Post("/login", "token=nope", "application/x-www-form-urlencoded");
  EXPECT_EQ(bad->status, 303);
  EXPECT_EQ(bad->get_header_value("Location"), "/login?error=token");
  EXPECT_FALSE(bad->has_header("Set-Cookie"));
  httplib::Result login =
      Client()->Post("/login", "token=s3cret-token", "application/x-www-form-urlencoded");
  ASSERT_TRUE(login);
  EXPECT_EQ(login->status, 303);
  const std::string cookie = login->get_header_value("Set-Cookie");
  EXPECT_THAT(cookie, HasSubstr("deepfake_token=s3cret-token"));
  EXPECT_THAT(cookie, HasSubstr("HttpOnly"));
  EXPECT_THAT(cookie, HasSubstr("SameSite=Strict"));
  const httplib::Headers with_cookie = {{"Cookie", "deepfake_token=s3cret-token"}};
  EXPECT_EQ(Client()->Get("/history", with_cookie)->status, 200);
  EXPECT_EQ(Client()->Get("/api/v1/analyses", with_cookie)->status, 200);
  // The cookie alone does not make a cross-site POST acceptable.
  ExpectError(Client()->Delete("/api/v1/analyses?confirm=all", with_cookie), 403, "forbidden",
              "X-Requested-With");
}

TEST_F(ServerApiTest, UnknownThingsAndBadParameters) {
  StartServer(DefaultOptions());
  const std::string missing = "/api/v1/analyses/0123456789abcdef0123456789abcdef";
  ExpectError(Client()->Get(missing, Headers()), 404, "not_found", "0123456789abcdef");
  ExpectError(Client()->Delete(missing, Headers()), 404, "not_found", "0123456789abcdef");
  ExpectError(Client()->Post(missing + "/cancel", Headers(), "", "text/plain"), 404, "not_found",
              "0123456789abcdef");
  ExpectError(Client()->Get(missing + "/result.json", Headers()), 404, "not_found", "");
  ExpectError(Client()->Get(missing + "/events", Headers()), 404, "not_found", "");
  ExpectError(Client()->Get("/api/v1/analyses/../../etc/passwd", Headers()), 404, "not_found", "");
  ExpectError(Client()->Get("/api/v1/nothing", Headers()), 404, "not_found", "");
  ExpectError(Client()->Get("/api/v1/analyses?per_page=0", Headers()), 400, "bad_request",
              "per_page");
  ExpectError(Client()->Get("/api/v1/analyses?verdict=MAYBE", Headers()), 400, "bad_request",
              "verdict");
  ExpectError(Client()->Get("/api/v1/analyses?status=sleeping", Headers()), 400, "bad_request",
              "status");
  ExpectError(Client()->Get("/api/v1/analyses?from=yesterday", Headers()), 400, "bad_request",
              "from");
  ExpectError(Client()->Delete("/api/v1/analyses", Headers()), 400, "bad_request", "confirm=all");
  ExpectError(Client()->Post("/api/v1/analyses", Headers(), "x", "text/plain"), 400, "bad_request",
              "multipart/form-data");
  ExpectError(Client()->Post("/login", Headers(), std::string(100000, 'x'),
                             "application/x-www-form-urlencoded"),
              413, "payload_too_large", "is over 65.5 kB");
  httplib::MultipartFormDataItems no_file = {{"note", "hello", "", ""}};
  ExpectError(Client()->Post("/api/v1/analyses", Headers(), no_file), 400, "bad_request",
              "no 'file' part");
}

TEST_F(ServerApiTest, MetricsAreValidPrometheusText) {
  StartServer(DefaultOptions());
  Client()->Get("/api/v1/nothing");
  httplib::Result res = Client()->Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_THAT(res->get_header_value("Content-Type"), HasSubstr("text/plain; version=0.0.4"));
  const std::regex sample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? (-?[0-9.e+]+|\+Inf)$)");
  std::set<std::string> names;
  std::vector<double> buckets;
  double count = -1;
  for (absl::string_view line : absl::StrSplit(res->body, '\n', absl::SkipEmpty())) {
    if (absl::StartsWith(line, "# HELP ") || absl::StartsWith(line, "# TYPE ")) continue;
    std::cmatch match;
    const std::string text(line);
    ASSERT_TRUE(std::regex_match(text.c_str(), match, sample)) << "not a sample: " << line;
    names.insert(match[1]);
    if (match[1] == "deepfake_analysis_seconds_bucket") buckets.push_back(std::stod(match[4]));
    if (match[1] == "deepfake_analysis_seconds_count") count = std::stod(match[4]);
  }
  for (const char* name : {"deepfake_queue_length", "deepfake_running", "deepfake_analyses_total",
                           "deepfake_analysis_seconds_bucket", "deepfake_analysis_seconds_sum",
                           "deepfake_analysis_seconds_count", "deepfake_http_requests_total"}) {
    EXPECT_TRUE(names.count(name)) << name;
  }
  ASSERT_FALSE(buckets.empty());
  EXPECT_TRUE(std::is_sorted(buckets.begin(), buckets.end()));
  EXPECT_EQ(buckets.back(), count);  // +Inf
  EXPECT_THAT(res->body, HasSubstr("deepfake_http_requests_total{code=\"404\"} 1"));
}

TEST_F(ServerApiTest, OpenApiDocumentsEveryRoute) {
  StartServer(DefaultOptions());
  httplib::Result res = Client()->Get("/api/v1/openapi.json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  const nlohmann::json doc = nlohmann::json::parse(res->body, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << "openapi.json does not parse";
  EXPECT_TRUE(absl::StartsWith(doc["openapi"].get<std::string>(), "3.0."));
  std::set<std::pair<std::string, std::string>> documented;
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, operation] : item.items()) {
      if (method == "parameters") continue;
      documented.insert({absl::AsciiStrToUpper(method), path});
      EXPECT_TRUE(operation.contains("responses")) << method << " " << path;
    }
  }
  std::set<std::pair<std::string, std::string>> registered;
  for (const ApiRoute& route : ApiRoutes()) registered.insert({route.method, route.path});
  EXPECT_EQ(documented, registered);
  // Every $ref points at something in the document.
  const std::string text = res->body;
  std::smatch match;
  for (auto it = text.cbegin();
       std::regex_search(it, text.cend(), match, std::regex(R"re("\$ref": "#/([^"]+)")re"));
       it = match.suffix().first) {
    nlohmann::json node = doc;
    for (absl::string_view part : absl::StrSplit(match[1].str(), '/')) {
      ASSERT_TRUE(node.contains(std::string(part))) << match[1];
      node = node[std::string(part)];
    }
  }
}

}  // namespace
}  // namespace serve::web
