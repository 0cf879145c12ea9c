// Runs //tools:cache_faces as a user would: progress lines, summary and report, and the exit
// codes (0 all preprocessed, 1 some failed, 2 bad usage naming the flag or file).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "base/testing/test_paths.h"
#include "nlohmann/json.hpp"

namespace {

namespace fs = std::filesystem;
using ::base::testing::kLandmarkModelPath;
using ::base::testing::TestTempDir;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kBinary[] = "tools/cache_faces";
constexpr char kClip[] = "video/testdata/retalking_face5_2s.mp4";

struct Result {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

Result RunTool(const std::string& args) {
  Result result;
  const std::string command = std::string(kBinary) + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) result.output.append(buffer, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

TEST(CacheFacesCliTest, ExitCodesProgressSummaryAndReport) {
  const std::string videos = TestTempDir("videos");
  const std::string cache = TestTempDir("cache") + "/faces";  // created by the tool
  fs::copy_file(kClip, videos + "/clip.mp4");
  std::ofstream(videos + "/readme.txt") << "not a video\n";
  const std::string common =
      "--cache_dir=" + cache + " --preset=tiny --landmark_model=" + std::string(kLandmarkModelPath);

  Result first = RunTool(common + " --videos=" + videos);
  EXPECT_EQ(first.exit_code, 0) << first.output;
  EXPECT_THAT(first.output, HasSubstr("[1/1] " + videos + "/clip.mp4: miss, 1 tracks, "));
  EXPECT_THAT(first.output, HasSubstr("1 videos: 0 hit, 1 miss, 0 recomputed, 0 failed"));
  EXPECT_THAT(first.output, HasSubstr("report: " + cache + "/cache_report.json"));
  EXPECT_THAT(first.output, Not(HasSubstr("readme.txt")));
  std::ifstream report_file(cache + "/cache_report.json");
  ASSERT_TRUE(report_file) << first.output;
  const nlohmann::json report = nlohmann::json::parse(report_file, nullptr, false);
  ASSERT_FALSE(report.is_discarded());
  EXPECT_EQ(report["preset"], "tiny");
  ASSERT_EQ(report["videos"].size(), 1u);
  EXPECT_EQ(report["videos"][0]["outcome"], "miss");

  Result second = RunTool(common + " --videos=" + videos);
  EXPECT_EQ(second.exit_code, 0) << second.output;
  EXPECT_THAT(second.output, HasSubstr("[1/1] " + videos + "/clip.mp4: hit, 1 tracks, "));

  // A file that is not a video: the good one is still done, exit 1, the failure listed.
  std::ofstream(videos + "/broken.mp4") << "text, not a video\n";
  const std::string report_path = TestTempDir("report") + "/run.json";
  Result failed = RunTool(common + " --videos=" + videos + " --report=" + report_path);
  EXPECT_EQ(failed.exit_code, 1) << failed.output;
  EXPECT_THAT(failed.output, HasSubstr("[1/2] " + videos + "/broken.mp4: error: "));
  EXPECT_THAT(failed.output, HasSubstr("[2/2] " + videos + "/clip.mp4: hit, 1 tracks, "));
  EXPECT_THAT(failed.output, HasSubstr("2 videos: 1 hit, 0 miss, 0 recomputed, 1 failed"));
  EXPECT_THAT(failed.output, HasSubstr("failed (1):"));
  EXPECT_TRUE(fs::exists(report_path));
}

TEST(CacheFacesCliTest, BadUsageExitsTwoNamingTheFlagOrFile) {
  const std::string dir = TestTempDir("usage");
  const std::string cache = "--cache_dir=" + dir + "/cache";
  struct Case {
    std::string args, message;
  };
  const Case cases[] = {
      {"--videos=" + dir, "--cache_dir is required"},
      {cache, "give exactly one of --dataset and --videos"},
      {cache + " --videos=" + dir + " --dataset=" + dir,
       "give exactly one of --dataset and --videos"},
      {cache + " --videos=" + dir + " --preset=nosuch", "--preset: unknown preset 'nosuch'"},
      {cache + " --dataset=" + dir, dir + "/manifest.json: cannot open"},
      {cache + " --videos=" + dir + "/nosuch", dir + "/nosuch: no such folder"},
      {cache + " --videos=" + dir, dir + ": no video files"},
      {cache + " --videos=" + dir + " stray", "unexpected argument 'stray'"},
  };
  for (const Case& c : cases) {
    Result result = RunTool(c.args);
    EXPECT_EQ(result.exit_code, 2) << c.args << "\n" << result.output;
    EXPECT_THAT(result.output, HasSubstr(c.message)) << c.args;
    EXPECT_THAT(result.output, HasSubstr("usage: cache_faces")) << c.args;
  }
  std::ofstream(dir + "/manifest.json") << "{ not json";
  Result bad = RunTool(cache + " --dataset=" + dir);
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_THAT(bad.output, HasSubstr(dir + "/manifest.json: not JSON"));
  fs::copy_file(kClip, dir + "/clip.mp4");
  Result no_model = RunTool(cache + " --videos=" + dir + " --landmark_model=/no/model.dat");
  EXPECT_EQ(no_model.exit_code, 2) << no_model.output;
  EXPECT_THAT(no_model.output, HasSubstr("/no/model.dat: landmark model not found"));
}

}  // namespace
