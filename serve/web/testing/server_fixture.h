// Test fixture for the dashboard: a real Server (serve/web/server.h) on a loopback port
// with a real SQLite file in the test's temp dir and a random-weight "tiny" model, and
// httplib's client to call it; helpers for uploads of real clips, waiting for an analysis,
// and raw requests (for what httplib's client cannot send, like a lying Content-Length).
#ifndef SERVE_WEB_TESTING_SERVER_FIXTURE_H_
#define SERVE_WEB_TESTING_SERVER_FIXTURE_H_

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "serve/web/server.h"

namespace serve::web::testing {

// Runfiles paths of the clips the tests upload.
inline constexpr char kFaceClip[] = "train/testdata/videos/real_retalking_face2.mp4";
inline constexpr char kLongerClip[] = "video/testdata/retalking_face2_2s.mp4";  // 192 kB

std::string ReadFile(const std::string& path);

class ServerTest : public ::testing::Test {
 protected:
  // Options for a server on port 0 with data in TestTempDir("data"), the tiny model, the
  // landmark model from the runfiles, one worker.
  ServeOptions DefaultOptions();
  // Creates and starts a server (a test failure if it cannot).
  void StartServer(const ServeOptions& options);
  void StopServer();
  void TearDown() override { StopServer(); }

  std::unique_ptr<httplib::Client> Client() const;
  // Headers of a same-site browser call (X-Requested-With) plus the token when set.
  httplib::Headers Headers() const;

  // POST /api/v1/analyses with `content` as one file part named `file_name`.
  httplib::Result Upload(const std::string& content, const std::string& file_name) const;
  // Uploads a clip; returns the analysis id (a test failure unless 202).
  std::string UploadClip(const std::string& clip_path, const std::string& file_name = "clip.mp4");
  // GET /api/v1/analyses/{id} as JSON (null on failure).
  nlohmann::json GetAnalysis(const std::string& id) const;
  // Polls until the analysis's status is `status` (or it ends otherwise); returns it.
  nlohmann::json WaitForStatus(const std::string& id, const std::string& status,
                               double timeout_seconds = 120) const;

  // Sends `request` as is to the server and returns everything it answers until it closes
  // the connection (or 10 s).
  std::string RawRequest(const std::string& request) const;

  std::unique_ptr<Server> server_;
  ServeOptions options_;
  std::string token_;
};

}  // namespace serve::web::testing

#endif  // SERVE_WEB_TESTING_SERVER_FIXTURE_H_
