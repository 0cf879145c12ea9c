// The dashboard test fixture.
#include "serve/web/testing/server_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "base/testing/test_paths.h"
#include "serve/api/testing/test_model.h"

namespace serve::web::testing {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

ServeOptions ServerTest::DefaultOptions() {
  ServeOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.data_dir = base::testing::TestTempDir("data");
  options.model_path =
      serve::testing::WriteRandomModel(base::testing::TestTempPath("tiny.safetensors"), "tiny");
  options.detector.landmark_model_path = base::testing::kLandmarkModelPath;
  options.detector.device = "cpu";
  options.workers = 1;
  options.http_threads = 4;
  options.lease_ms = 5000;
  return options;
}

void ServerTest::StartServer(const ServeOptions& options) {
  options_ = options;
  token_ = options.api_token;
  absl::StatusOr<std::unique_ptr<Server>> server = Server::Create(options);
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = *std::move(server);
  ASSERT_TRUE(server_->Start().ok());
}

void ServerTest::StopServer() {
  if (server_ != nullptr) server_->Stop();
  server_.reset();
}

std::unique_ptr<httplib::Client> ServerTest::Client() const {
  auto client = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  client->set_read_timeout(60, 0);
  client->set_write_timeout(60, 0);
  return client;
}

httplib::Headers ServerTest::Headers() const {
  httplib::Headers headers = {{"X-Requested-With", "deepfake"}};
  if (!token_.empty()) headers.emplace("Authorization", "Bearer " + token_);
  return headers;
}

httplib::Result ServerTest::Upload(const std::string& content, const std::string& file_name) const {
  httplib::MultipartFormDataItems items = {{"file", content, file_name, "video/mp4"}};
  return Client()->Post("/api/v1/analyses", Headers(), items);
}

std::string ServerTest::UploadClip(const std::string& clip_path, const std::string& file_name) {
  const std::string content = ReadFile(clip_path);
  EXPECT_FALSE(content.empty()) << clip_path;
  httplib::Result res = Upload(content, file_name);
  if (!res) {
    ADD_FAILURE() << "upload failed: " << httplib::to_string(res.error());
    return "";
  }
  EXPECT_EQ(res->status, 202) << res->body;
  const nlohmann::json body = nlohmann::json::parse(res->body, nullptr, false);
  if (body.is_discarded() || !body.contains("analyses")) {
    ADD_FAILURE() << res->body;
    return "";
  }
  return body["analyses"][0]["id"].get<std::string>();
}

nlohmann::json ServerTest::GetAnalysis(const std::string& id) const {
  httplib::Result res = Client()->Get("/api/v1/analyses/" + id, Headers());
  if (!res || res->status != 200) return nullptr;
  return nlohmann::json::parse(res->body, nullptr, false);
}

nlohmann::json ServerTest::WaitForStatus(const std::string& id, const std::string& status,
                                         double timeout_seconds) const {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<int64_t>(timeout_seconds * 1000));
  nlohmann::json analysis;
  while (std::chrono::steady_clock::now() < deadline) {
    analysis = GetAnalysis(id);
    if (analysis.is_object()) {
      const std::string now = analysis["status"].get<std::string>();
      if (now == status) return analysis;
      if (now == "done" || now == "failed" || now == "canceled") break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(status == "running" ? 2 : 50));
  }
  ADD_FAILURE() << "analysis " << id << " did not become " << status << ": " << analysis.dump();
  return analysis;
}

std::string ServerTest::RawRequest(const std::string& request) const {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(server_->port()));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    ADD_FAILURE() << "cannot connect";
    return "";
  }
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  (void)!write(fd, request.data(), request.size());
  std::string answer;
  char buffer[4096];
  for (;;) {
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n <= 0) break;
    answer.append(buffer, static_cast<size_t>(n));
    // One response is enough: stop when its body (Content-Length) is complete.
    const size_t end = answer.find("\r\n\r\n");
    const size_t length_at = answer.find("Content-Length: ");
    if (end != std::string::npos && length_at != std::string::npos && length_at < end) {
      const size_t length = std::stoul(answer.substr(length_at + 16));
      if (answer.size() >= end + 4 + length) break;
    }
  }
  close(fd);
  return answer;
}

}  // namespace serve::web::testing
