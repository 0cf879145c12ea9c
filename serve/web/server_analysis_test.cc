// Analyses end to end through the dashboard: an upload of a real clip gives the same
// result as serve::Detector::Detect on the file; the thumbnail, downloads, events and
// retention; cancel (queued and running); delete removes the files; a restart on the same
// data_dir keeps the history and re-runs what was interrupted.
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "base/sha256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "serve/api/detector.h"
#include "serve/api/result_json.h"
#include "serve/web/testing/server_fixture.h"

namespace serve::web {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class ServerAnalysisTest : public testing::ServerTest {
 protected:
  fs::path AnalysisDir(const std::string& id) const {
    return fs::path(options_.data_dir) / "analyses" / id;
  }
};

// The parts of a result that depend on the run, not on the video and model: timings, and
// the path (the file's name on the server, its path here).
nlohmann::json Comparable(nlohmann::json result) {
  result.erase("times_ms");
  result.erase("path");
  result["video"].erase("path");
  return result;
}

TEST_F(ServerAnalysisTest, AnUploadIsAnalysedLikeDetectAndTheUploadIsThenDeleted) {
  StartServer(DefaultOptions());
  const std::string id = UploadClip(testing::kFaceClip, "interview.mp4");
  ASSERT_FALSE(id.empty());
  // Live events while it runs: progress events, the last one done, then `done`.
  httplib::Result live = Client()->Get("/api/v1/analyses/" + id + "/events", Headers());
  ASSERT_TRUE(live);
  EXPECT_EQ(live->status, 200);
  std::vector<nlohmann::json> progress;
  for (absl::string_view block : absl::StrSplit(live->body, "\n\n", absl::SkipEmpty())) {
    if (absl::StartsWith(block, "event: progress\ndata: ")) {
      progress.push_back(nlohmann::json::parse(block.substr(22)));
    }
  }
  ASSERT_GE(progress.size(), 2u) << live->body;
  EXPECT_NE(progress.front()["status"], "done");
  EXPECT_EQ(progress.back()["status"], "done");
  for (size_t i = 1; i < progress.size(); ++i) {
    EXPECT_GE(progress[i]["progress"].get<double>(), progress[i - 1]["progress"].get<double>());
  }
  EXPECT_THAT(live->body, HasSubstr("event: done\ndata: {"));
  const nlohmann::json done = WaitForStatus(id, "done");
  ASSERT_EQ(done["status"], "done") << done.dump();
  EXPECT_EQ(done["stage"], "done");
  EXPECT_EQ(done["progress"], 1.0);
  EXPECT_EQ(done["file_name"], "interview.mp4");

  // The same result as the API on the same file with the same model and options.
  absl::StatusOr<std::unique_ptr<serve::Detector>> detector =
      serve::Detector::Load(options_.model_path, options_.detector);
  ASSERT_TRUE(detector.ok()) << detector.status();
  serve::DetectOptions detect;
  detect.explain = true;
  serve::JsonOptions json_options;
  json_options.thumbnails = true;
  const nlohmann::json expected =
      serve::ResultToJson((*detector)->Detect(testing::kFaceClip, detect), json_options);
  EXPECT_EQ(Comparable(done["result"]), Comparable(expected));
  EXPECT_EQ(done["result"]["path"], "interview.mp4");
  EXPECT_EQ(done["verdict"], expected["verdict"]);
  if (expected["fake_probability"].is_number()) {
    EXPECT_DOUBLE_EQ(done["fake_probability"].get<double>(),
                     expected["fake_probability"].get<double>());
  }
  EXPECT_EQ(done["result"]["video"]["sha256"], *base::Sha256FileHex(testing::kFaceClip));

  // Downloads.
  httplib::Result json = Client()->Get("/api/v1/analyses/" + id + "/result.json", Headers());
  ASSERT_TRUE(json);
  EXPECT_EQ(json->status, 200);
  EXPECT_EQ(json->get_header_value("Content-Disposition"),
            "attachment; filename=\"interview.json\"");
  EXPECT_EQ(nlohmann::json::parse(json->body), done["result"]);
  httplib::Result csv = Client()->Get("/api/v1/analyses/" + id + "/result.csv", Headers());
  ASSERT_TRUE(csv);
  EXPECT_EQ(csv->status, 200);
  const std::vector<std::string> lines = absl::StrSplit(csv->body, '\n', absl::SkipEmpty());
  EXPECT_EQ(lines[0],
            "track,frame_index,timestamp_seconds,left,top,right,bottom,detected,fake_probability");
  size_t frames = 0;
  for (const nlohmann::json& track : expected["tracks"]) frames += track["frames"].size();
  EXPECT_EQ(lines.size(), frames + 1);
  httplib::Result thumbnail = Client()->Get("/api/v1/analyses/" + id + "/thumbnail.png", Headers());
  ASSERT_TRUE(thumbnail);
  EXPECT_EQ(thumbnail->status, 200);
  EXPECT_EQ(thumbnail->get_header_value("Content-Type"), "image/png");
  EXPECT_THAT(thumbnail->body, StartsWith("\x89PNG\r\n\x1a\n"));

  // Retention: the upload is gone, the thumbnail stays; no video to play.
  EXPECT_FALSE(fs::exists(AnalysisDir(id) / "upload.mp4"));
  EXPECT_TRUE(fs::exists(AnalysisDir(id) / "thumbnail.png"));
  EXPECT_EQ(done["upload_kept"], false);
  EXPECT_TRUE(done["links"]["video"].is_null());
  EXPECT_EQ(Client()->Get("/api/v1/analyses/" + id + "/video", Headers())->status, 404);

  // The events of a finished analysis: its summary, then done.
  httplib::Result events = Client()->Get("/api/v1/analyses/" + id + "/events", Headers());
  ASSERT_TRUE(events);
  EXPECT_EQ(events->get_header_value("Content-Type"), "text/event-stream");
  EXPECT_THAT(events->body, StartsWith("event: progress\ndata: {"));
  EXPECT_THAT(events->body, HasSubstr("\n\nevent: done\ndata: {"));

  // History and metrics.
  const nlohmann::json list =
      nlohmann::json::parse(Client()->Get("/api/v1/analyses?q=INTER", Headers())->body);
  EXPECT_EQ(list["total"], 1);
  EXPECT_EQ(list["items"][0]["id"], id);
  EXPECT_FALSE(list["items"][0].contains("result"));
  const std::string verdict = absl::AsciiStrToLower(expected["verdict"].get<std::string>());
  EXPECT_THAT(Client()->Get("/metrics")->body,
              HasSubstr("deepfake_analyses_total{outcome=\"" + verdict + "\"} 1"));
  EXPECT_THAT(Client()->Get("/metrics")->body, HasSubstr("deepfake_analysis_seconds_count 1"));
  // Finished: cancel is a conflict.
  httplib::Result cancel =
      Client()->Post("/api/v1/analyses/" + id + "/cancel", Headers(), "", "text/plain");
  EXPECT_EQ(cancel->status, 409) << cancel->body;
  // The message names the analysis, never the database file.
  EXPECT_THAT(cancel->body, HasSubstr("already done"));
  EXPECT_THAT(cancel->body, Not(HasSubstr("sqlite")));
  EXPECT_THAT(cancel->body, Not(HasSubstr(".sqlite3")));
}

TEST_F(ServerAnalysisTest, KeptUploadsPlayBackWithRanges) {
  ServeOptions options = DefaultOptions();
  options.keep_uploads = true;
  StartServer(options);
  const std::string id = UploadClip(testing::kFaceClip);
  const nlohmann::json done = WaitForStatus(id, "done");
  EXPECT_EQ(done["upload_kept"], true);
  const std::string video = "/api/v1/analyses/" + id + "/video";
  EXPECT_EQ(done["links"]["video"], video);
  const std::string clip = testing::ReadFile(testing::kFaceClip);
  httplib::Result whole = Client()->Get(video, Headers());
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->status, 200);
  EXPECT_EQ(whole->get_header_value("Content-Type"), "video/mp4");
  EXPECT_EQ(whole->body, clip);
  httplib::Headers range = Headers();
  range.emplace("Range", "bytes=100-1099");
  httplib::Result part = Client()->Get(video, range);
  ASSERT_TRUE(part);
  EXPECT_EQ(part->status, 206);
  EXPECT_EQ(part->body, clip.substr(100, 1000));
  EXPECT_EQ(part->get_header_value("Content-Range"),
            "bytes 100-1099/" + std::to_string(clip.size()));
  httplib::Headers past = Headers();
  past.emplace("Range", "bytes=99999999-");
  EXPECT_EQ(Client()->Get(video, past)->status, 416);
}

TEST_F(ServerAnalysisTest, CancelAQueuedAndARunningAnalysis) {
  ServeOptions options = DefaultOptions();
  options.detector.frames = 48;  // long enough to be caught running
  StartServer(options);
  const std::string first = UploadClip(testing::kLongerClip, "first.mp4");
  const std::string second = UploadClip(testing::kLongerClip, "second.mp4");
  WaitForStatus(first, "running");
  // The second waits behind the first: canceled at once.
  const nlohmann::json queued = GetAnalysis(second);
  EXPECT_EQ(queued["status"], "queued");
  EXPECT_EQ(queued["queue_position"], 1);
  httplib::Result cancel =
      Client()->Post("/api/v1/analyses/" + second + "/cancel", Headers(), "", "text/plain");
  ASSERT_TRUE(cancel);
  EXPECT_EQ(cancel->status, 202) << cancel->body;
  EXPECT_EQ(nlohmann::json::parse(cancel->body)["status"], "canceled");
  // The running one stops at its next stage.
  cancel = Client()->Post("/api/v1/analyses/" + first + "/cancel", Headers(), "", "text/plain");
  ASSERT_TRUE(cancel);
  EXPECT_EQ(cancel->status, 202) << cancel->body;
  const nlohmann::json canceled = WaitForStatus(first, "canceled");
  EXPECT_EQ(canceled["reason"], "canceled");
  EXPECT_TRUE(canceled["result"].is_null());
  EXPECT_FALSE(fs::exists(AnalysisDir(first) / "upload.mp4"));
  EXPECT_FALSE(fs::exists(AnalysisDir(second) / "upload.mp4"));
  EXPECT_THAT(Client()->Get("/metrics")->body,
              HasSubstr("deepfake_analyses_total{outcome=\"canceled\"} 1"));
}

TEST_F(ServerAnalysisTest, DeleteRemovesTheAnalysisAndItsFiles) {
  ServeOptions options = DefaultOptions();
  options.keep_uploads = true;
  StartServer(options);
  const std::string id = UploadClip(testing::kFaceClip);
  WaitForStatus(id, "done");
  ASSERT_TRUE(fs::exists(AnalysisDir(id) / "upload.mp4"));
  httplib::Result res = Client()->Delete("/api/v1/analyses/" + id, Headers());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 204);
  EXPECT_FALSE(fs::exists(AnalysisDir(id)));
  EXPECT_EQ(Client()->Get("/api/v1/analyses/" + id, Headers())->status, 404);
  // Delete all.
  const std::string a = UploadClip(testing::kFaceClip, "a.mp4");
  const std::string b = UploadClip(testing::kFaceClip, "b.mp4");
  WaitForStatus(b, "done");
  // Pages and filters of the history.
  nlohmann::json page =
      nlohmann::json::parse(Client()->Get("/api/v1/analyses?per_page=1&page=2", Headers())->body);
  EXPECT_EQ(page["total"], 2);
  EXPECT_EQ(page["page"], 2);
  ASSERT_EQ(page["items"].size(), 1u);
  EXPECT_EQ(page["items"][0]["id"], a);  // newest first: b, then a
  const std::string verdict = GetAnalysis(a)["verdict"];
  page = nlohmann::json::parse(
      Client()->Get("/api/v1/analyses?status=done&verdict=" + verdict, Headers())->body);
  EXPECT_EQ(page["total"], 2);
  page = nlohmann::json::parse(Client()->Get("/api/v1/analyses?status=queued", Headers())->body);
  EXPECT_EQ(page["total"], 0);
  page = nlohmann::json::parse(Client()->Get("/api/v1/analyses?to=2001-01-01", Headers())->body);
  EXPECT_EQ(page["total"], 0);
  page = nlohmann::json::parse(Client()->Get("/api/v1/analyses?from=2001-01-01", Headers())->body);
  EXPECT_EQ(page["total"], 2);
  res = Client()->Delete("/api/v1/analyses?confirm=all", Headers());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(nlohmann::json::parse(res->body)["deleted"], 2);
  EXPECT_FALSE(fs::exists(AnalysisDir(a)));
  EXPECT_FALSE(fs::exists(AnalysisDir(b)));
  EXPECT_TRUE(fs::is_empty(fs::path(options_.data_dir) / "analyses"));
}

TEST_F(ServerAnalysisTest, ARestartKeepsTheHistoryAndRunsInterruptedJobsAgain) {
  ServeOptions options = DefaultOptions();
  options.detector.frames = 24;
  StartServer(options);
  const std::string finished = UploadClip(testing::kFaceClip, "finished.mp4");
  const nlohmann::json before = WaitForStatus(finished, "done");
  const std::string running = UploadClip(testing::kLongerClip, "running.mp4");
  const std::string queued = UploadClip(testing::kLongerClip, "queued.mp4");
  WaitForStatus(running, "running");
  StopServer();  // interrupts `running`; `queued` never started

  StartServer(options);  // same data_dir and database
  const nlohmann::json after = GetAnalysis(finished);
  EXPECT_EQ(after["result"], before["result"]);
  const nlohmann::json rerun = WaitForStatus(running, "done");
  EXPECT_EQ(rerun["status"], "done");
  EXPECT_EQ(WaitForStatus(queued, "done")["status"], "done");
  const nlohmann::json list =
      nlohmann::json::parse(Client()->Get("/api/v1/analyses", Headers())->body);
  EXPECT_EQ(list["total"], 3);                             // none lost, none duplicated
  EXPECT_EQ(list["items"][0]["file_name"], "queued.mp4");  // newest first
}

}  // namespace
}  // namespace serve::web
