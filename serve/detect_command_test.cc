// `deepfake detect` through the command registry, as the binary runs it: a random-weight
// tiny checkpoint on the committed fixture clips. What it prints and writes is checked
// against serve::Detector called directly (the CLI's answer is the API's), exit codes 0 / 1
// / 2 / 3 (3 winning over 1), a batch with a damaged and a missing file (the rest still
// reported), JSON / JSONL / CSV, --annotate, --explain, the shipped-model lookup, --realtime
// on a file, and every usage error.
#include "serve/detect_command.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "base/testing/test_paths.h"
#include "eval/plot/png.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "serve/api/detector.h"
#include "serve/api/result_json.h"
#include "serve/api/testing/test_model.h"
#include "serve/cli/command.h"
#include "serve/detect_output.h"
#include "serve/shipped_model.h"
#include "video/decoder.h"

namespace serve {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::StartsWith;

constexpr char kRealClip[] = "train/testdata/videos/real_retalking_face2.mp4";
constexpr char kFakeClip[] = "train/testdata/videos/fake_retalking_face2.mp4";

std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

struct CommandRun {
  int exit_code;
  std::string out, err;
};

class DetectCommandTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    model_path_ =
        new std::string(testing::WriteRandomModel(base::testing::TestTempPath("tiny.safetensors")));
    DetectorOptions options;
    options.device = "cpu";
    options.landmark_model_path = base::testing::kLandmarkModelPath;
    detector_ = Detector::Load(*model_path_, options)->release();
  }

  void SetUp() override { unsetenv(kShippedModelEnv); }

  // Runs `deepfake detect ARGS` (with --model_path unless `with_model` is false).
  static CommandRun Detect(std::vector<std::string> args, bool with_model = true) {
    cli::CommandRegistry registry("deepfake", "test", [] { return std::string("test"); });
    registry.Add(MakeDetectCommand());
    // The fixed flags first, so a case may override them (--device).
    std::vector<std::string> fixed = {"detect", "--landmark_model",
                                      base::testing::kLandmarkModelPath, "--threads=2",
                                      "--device=cpu"};
    if (with_model) fixed.insert(fixed.end(), {"--model_path", *model_path_});
    args.insert(args.begin(), fixed.begin(), fixed.end());
    std::ostringstream out, err;
    const int code = registry.Run(args, out, err);
    return {code, out.str(), err.str()};
  }

  static DetectionResult Direct(const std::string& path) { return detector_->Detect(path); }

  static std::string* model_path_;
  static Detector* detector_;
};
std::string* DetectCommandTest::model_path_ = nullptr;
Detector* DetectCommandTest::detector_ = nullptr;

TEST_F(DetectCommandTest, OneVideoOneLineWithTheApisAnswer) {
  const DetectionResult direct = Direct(kRealClip);
  ASSERT_NE(direct.verdict, Verdict::kUndetermined) << direct.message;
  const CommandRun run = Detect({"--video_path", kRealClip});
  EXPECT_EQ(run.exit_code, direct.verdict == Verdict::kFake ? 1 : 0) << run.err;
  ASSERT_THAT(Lines(run.out), SizeIs(1));
  EXPECT_THAT(run.out, AllOf(StartsWith(VerdictName(direct.verdict)),
                             HasSubstr(absl::StrFormat("P(fake) %.4f", direct.fake_probability)),
                             HasSubstr("threshold 0.5000  faces 1  "), HasSubstr(kRealClip)));
  EXPECT_THAT(run.err, HasSubstr("model: " + *model_path_ + " (preset tiny, 4 frames, sha256 "));
  EXPECT_THAT(run.err, HasSubstr("threshold 0.5000 (checkpoint, default)"));

  // The threshold flag decides the verdict and the exit code.
  CommandRun high = Detect({"--video_path", kRealClip, "--confidence_threshold", "0.999"});
  EXPECT_EQ(high.exit_code, kExitNoFake) << high.err;
  EXPECT_THAT(high.out, StartsWith("REAL  "));
  EXPECT_THAT(high.err, HasSubstr("threshold 0.9990 (--confidence_threshold)"));
  CommandRun low = Detect({"--video_path", kRealClip, "--confidence_threshold", "0"});
  EXPECT_EQ(low.exit_code, kExitFakeFound) << low.err;
  EXPECT_THAT(low.out, StartsWith("FAKE  "));
}

// `deepfake detect VIDEO...`: one argument is --video_path, several are --batch_paths; mixed
// with the flags' forms it is a usage error.
TEST_F(DetectCommandTest, VideosAsPlainArguments) {
  const CommandRun flag = Detect({"--video_path", kRealClip});
  const CommandRun one = Detect({kRealClip});
  EXPECT_EQ(one.exit_code, flag.exit_code) << one.err;
  EXPECT_EQ(one.out.substr(0, 40), flag.out.substr(0, 40));
  const CommandRun two = Detect({kRealClip, kFakeClip});
  EXPECT_THAT(Lines(two.out), SizeIs(2)) << two.err;
  EXPECT_THAT(two.out, AllOf(HasSubstr(kRealClip), HasSubstr(kFakeClip)));
  const CommandRun mixed = Detect({kRealClip, "--video_path", kFakeClip});
  EXPECT_EQ(mixed.exit_code, cli::kExitUsage);
  EXPECT_THAT(mixed.err, HasSubstr("videos given as arguments (" + std::string(kRealClip)));
}

TEST_F(DetectCommandTest, BatchWithDamagedAndMissingFilesReportsTheRestAndExits3) {
  const std::string damaged = base::testing::TestTempPath("damaged.mp4");
  std::ofstream(damaged, std::ios::binary) << ReadFile(kFakeClip).substr(0, 3000);
  const std::string missing = base::testing::TestTempPath("missing.mp4");
  const std::string json = base::testing::TestTempPath("results.json");
  // Threshold 0: the analysed videos are FAKE (1), the others not analysed (3): 3 wins.
  const CommandRun run = Detect({"--batch_paths", kRealClip, damaged, missing, kFakeClip,
                                 "--output_file", json, "--confidence_threshold", "0"});
  EXPECT_EQ(run.exit_code, cli::kExitSomeInputsFailed) << run.err;
  const std::vector<std::string> lines = Lines(run.out);
  ASSERT_THAT(lines, SizeIs(4)) << run.out;
  EXPECT_THAT(lines[0], AllOf(StartsWith("FAKE  "), HasSubstr(kRealClip)));
  EXPECT_THAT(lines[1],
              AllOf(StartsWith("UNDETERMINED  P(fake) -"), HasSubstr("(damaged: " + damaged)));
  EXPECT_THAT(lines[2], AllOf(StartsWith("UNDETERMINED  "), HasSubstr("(unreadable: " + missing)));
  EXPECT_THAT(lines[3], AllOf(StartsWith("FAKE  "), HasSubstr(kFakeClip)));
  EXPECT_THAT(run.err, HasSubstr("2 of 4 video(s) could not be analysed"));
  EXPECT_THAT(run.err, HasSubstr("wrote " + json));

  const nlohmann::json results = nlohmann::json::parse(ReadFile(json));
  ASSERT_TRUE(results.is_array());
  ASSERT_THAT(results, SizeIs(4));
  const std::vector<std::string> paths = {kRealClip, damaged, missing, kFakeClip};
  const std::vector<std::string> verdicts = {"FAKE", "UNDETERMINED", "UNDETERMINED", "FAKE"};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(results[i]["schema_version"], kResultSchemaVersion);
    EXPECT_EQ(results[i]["path"], paths[i]);
    EXPECT_EQ(results[i]["verdict"], verdicts[i]);
  }
  EXPECT_EQ(results[1]["reason"], "damaged");
  EXPECT_EQ(results[2]["reason"], "unreadable");
  EXPECT_TRUE(results[1]["fake_probability"].is_null());
  EXPECT_NEAR(results[3]["fake_probability"].get<double>(), Direct(kFakeClip).fake_probability,
              1e-9);
}

TEST_F(DetectCommandTest, BatchDirToJsonlAndCsv) {
  const std::string dir = base::testing::TestTempDir("videos");
  fs::copy_file(kRealClip, dir + "/b_real.mp4");
  fs::copy_file(kFakeClip, dir + "/a_fake.MP4");
  std::ofstream(dir + "/notes.txt") << "not a video, not listed\n";
  const std::string jsonl = base::testing::TestTempPath("results.jsonl");
  CommandRun run =
      Detect({"--batch_dir", dir, "--output_file", jsonl, "--confidence_threshold", "0.999"});
  EXPECT_EQ(run.exit_code, kExitNoFake) << run.err;
  std::vector<std::string> lines = Lines(run.out);
  ASSERT_THAT(lines, SizeIs(2));
  EXPECT_THAT(lines[0], HasSubstr("a_fake.MP4"));  // sorted by path
  EXPECT_THAT(run.err, HasSubstr("detect ["));     // the progress bar
  EXPECT_THAT(run.err, HasSubstr("0 fake, 2 real, 0 not analysed"));
  const std::vector<std::string> objects = Lines(ReadFile(jsonl));
  ASSERT_THAT(objects, SizeIs(2));
  const nlohmann::json first = nlohmann::json::parse(objects[0]);
  EXPECT_EQ(first["schema_version"], kResultSchemaVersion);
  EXPECT_EQ(first["path"], dir + "/a_fake.MP4");
  EXPECT_EQ(first["verdict"], "REAL");
  EXPECT_EQ(first["threshold"], 0.999);
  EXPECT_EQ(first["model"]["preset"], "tiny");
  EXPECT_THAT(first["tracks"], SizeIs(1));
  EXPECT_THAT(first["tracks"][0]["frames"], SizeIs(4));

  const std::string csv = base::testing::TestTempPath("results.csv");
  run = Detect({"--batch_dir", dir, "--output_file", csv});
  EXPECT_NE(run.exit_code, kExitNotAnalysed) << run.err;
  lines = Lines(ReadFile(csv));
  ASSERT_THAT(lines, SizeIs(3));
  EXPECT_EQ(lines[0], CsvHeader());
  EXPECT_THAT(lines[1], StartsWith(dir + "/a_fake.MP4,"));
  EXPECT_THAT(lines[2], StartsWith(dir + "/b_real.mp4,"));
}

TEST_F(DetectCommandTest, CommonFlagsReachTheDetector) {
  const std::string json = base::testing::TestTempPath("results.json");
  const CommandRun run = Detect({"--video_path", kRealClip, "--frames", "6", "--sampling", "first",
                                 "--preset", "tiny", "--output_file", json});
  ASSERT_NE(run.exit_code, kExitNotAnalysed) << run.err;
  ASSERT_NE(run.exit_code, cli::kExitUsage) << run.err;
  EXPECT_THAT(run.err, HasSubstr("(preset tiny, 6 frames,"));
  const nlohmann::json result = nlohmann::json::parse(ReadFile(json))[0];
  ASSERT_THAT(result["tracks"], SizeIs(1));
  const nlohmann::json& frames = result["tracks"][0]["frames"];
  ASSERT_THAT(frames, SizeIs(6));
  for (int i = 0; i < 6; ++i) EXPECT_EQ(frames[i]["frame_index"], i);  // the first six
}

TEST_F(DetectCommandTest, AnnotateWritesADecodableVideo) {
  const std::string annotated = base::testing::TestTempPath("annotated.mp4");
  const CommandRun run = Detect({"--video_path", kRealClip, "--annotate", annotated});
  ASSERT_NE(run.exit_code, kExitNotAnalysed) << run.err;
  ASSERT_NE(run.exit_code, cli::kExitUsage) << run.err;
  EXPECT_THAT(run.err, HasSubstr("wrote " + annotated));

  int64_t input_frames = 0;
  {
    std::unique_ptr<video::Decoder> input = *video::Decoder::Open(kRealClip);
    while (input->Next()->has_value()) ++input_frames;
  }
  absl::StatusOr<std::unique_ptr<video::Decoder>> output = video::Decoder::Open(annotated);
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ((*output)->info().width, 160);
  EXPECT_EQ((*output)->info().height, 160 + 56);
  int64_t frames = 0;
  std::optional<video::Frame> first;
  while (true) {
    absl::StatusOr<std::optional<video::Frame>> frame = (*output)->Next();
    ASSERT_TRUE(frame.ok()) << frame.status();
    if (!frame->has_value()) break;
    if (frames++ == 0) first = std::move(**frame);
  }
  EXPECT_EQ(frames, input_frames);
  // The first sampled frame's box: its top-left corner carries the label in the box colour
  // (a saturated green/yellow/red, unlike the grey-ish source video there).
  const DetectionResult direct = Direct(kRealClip);
  ASSERT_THAT(direct.tracks, SizeIs(1));
  const video::FaceBox& box = direct.tracks[0].frames[0].box;
  const uint8_t* p = first->pixel(static_cast<int>(box.left) + 1, static_cast<int>(box.top) + 1);
  EXPECT_GT(std::max({p[0], p[1]}) - p[2], 100)
      << int(p[0]) << " " << int(p[1]) << " " << int(p[2]);
  if (const char* dir = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR")) {
    std::ofstream(std::string(dir) + "/cli_annotated_frame0.png", std::ios::binary)
        << eval::plot::EncodePng(first->width, first->height, first->rgb);
  }
}

TEST_F(DetectCommandTest, AnnotatingAnUnreadableVideoKeepsExit3) {
  const std::string text = base::testing::TestTempPath("text.mp4");
  std::ofstream(text) << "not a video\n";
  const std::string annotated = base::testing::TestTempPath("annotated.mp4");
  const CommandRun run = Detect({"--video_path", text, "--annotate", annotated});
  EXPECT_EQ(run.exit_code, kExitNotAnalysed) << run.err;
  EXPECT_THAT(run.err, HasSubstr("no annotated video: " + text));
  EXPECT_FALSE(fs::exists(annotated));
}

TEST_F(DetectCommandTest, ExplainWritesOnePngPerTrack) {
  const std::string dir = base::testing::TestTempPath("heatmaps");
  const CommandRun run = Detect({"--video_path", kRealClip, "--explain", dir});
  ASSERT_NE(run.exit_code, kExitNotAnalysed) << run.err;
  EXPECT_THAT(run.err, HasSubstr("wrote 1 Grad-CAM image(s) to " + dir));
  const std::string png = ReadFile(dir + "/real_retalking_face2_track0.png");
  ASSERT_GT(png.size(), 8u) << run.err;
  EXPECT_EQ(png.substr(1, 3), "PNG");
}

TEST_F(DetectCommandTest, ShippedModelLookup) {
  CommandRun run = Detect({"--video_path", kRealClip}, /*with_model=*/false);
  EXPECT_EQ(run.exit_code, cli::kExitUsage);
  EXPECT_THAT(run.err, HasSubstr("the shipped model (models/deepfake_default.safetensors"));
  EXPECT_THAT(run.err, HasSubstr("pass --model_path=CHECKPOINT"));

  setenv(kShippedModelEnv, model_path_->c_str(), 1);
  run = Detect({"--video_path", kRealClip}, /*with_model=*/false);
  EXPECT_NE(run.exit_code, cli::kExitUsage) << run.err;
  EXPECT_THAT(run.err, HasSubstr("model: " + *model_path_));

  const std::string missing = base::testing::TestTempPath("none.safetensors");
  setenv(kShippedModelEnv, missing.c_str(), 1);
  run = Detect({"--video_path", kRealClip}, /*with_model=*/false);
  EXPECT_EQ(run.exit_code, cli::kExitUsage);
  EXPECT_THAT(run.err, HasSubstr("DEEPFAKE_MODEL=" + missing + ": no such model file"));
  unsetenv(kShippedModelEnv);
}

TEST_F(DetectCommandTest, RealtimeOnAFile) {
  const std::string jsonl = base::testing::TestTempPath("live.jsonl");
  const CommandRun run =
      Detect({"--realtime", "--video_path", kRealClip, "--every", "2", "--max_seconds", "20",
              "--output_file", jsonl, "--confidence_threshold", "0"});
  EXPECT_EQ(run.exit_code, kExitFakeFound) << run.err << run.out;  // every score >= 0
  EXPECT_THAT(Lines(ReadFile(jsonl)).size(), ::testing::Ge(2u)) << run.out;

  // A source that cannot be read: 3, with the reason in the summary.
  const std::string missing = base::testing::TestTempPath("missing.mp4");
  const CommandRun failed = Detect({"--realtime", "--video_path", missing});
  EXPECT_EQ(failed.exit_code, kExitNotAnalysed) << failed.err << failed.out;
  EXPECT_THAT(failed.out, HasSubstr(missing));
}

TEST_F(DetectCommandTest, UsageErrorsExit2) {
  const std::string dir = base::testing::TestTempDir("usage");
  const std::string empty_dir = base::testing::TestTempDir("usage/empty");
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const Case cases[] = {
      {{}, "no video: give --video_path, --batch_paths or --batch_dir"},
      {{"--video_path", kRealClip, "--batch_dir", dir}, "give one of --video_path, --batch_paths"},
      {{"--video_path", kRealClip, "--confidence_threshold", "1.5"},
       "--confidence_threshold must be a probability in [0, 1] (got 1.5)"},
      {{"--video_path", kRealClip, "--output_file", dir + "/r.txt"}, "unknown format '.txt'"},
      {{"--video_path", kRealClip, "--output_file", dir + "/no/such/r.json"},
       "the folder " + dir + "/no/such does not exist"},
      {{"--batch_paths", kRealClip, kFakeClip, "--annotate", dir + "/a.mp4"},
       "--annotate writes one video"},
      {{"--video_path", kRealClip, "--annotate", dir + "/a.avi"}, "name it .mp4"},
      {{"--video_path", kRealClip, "--every", "4"}, "--every is for --realtime"},
      {{"--realtime", "--batch_dir", dir}, "--realtime reads one live source"},
      {{"--realtime", "--video_path", kRealClip, "--output_file", dir + "/r.json"},
       "--realtime writes JSONL"},
      {{"--realtime", "--video_path", kRealClip, "--every", "0"}, "--every must be >= 1"},
      {{"--realtime", "--video_path", kRealClip, "--explain", dir}, "not --realtime"},
      {{"--batch_dir", dir + "/none"}, "--batch_dir: "},
      {{"--batch_dir", empty_dir}, "no video files in it"},
      {{"--video_path", kRealClip, "--device", "tpu"}, "--device: unknown device 'tpu'"},
      {{"--video_path", kRealClip, "--preset", "nope"}, "--preset: "},
      {{"--video_path", kRealClip, "--preset", "small"}, "is a 'tiny' model"},
      {{"--video_path", kRealClip, "--frames", "-1"}, "--frames must be >= 0"},
      {{"--video_path", kRealClip, "--batch_size", "0"}, "--batch_size must be >= 1"},
      {{"--video_path", kRealClip, "--bogus"}, "unknown flag '--bogus'"},
  };
  for (const Case& c : cases) {
    const CommandRun run = Detect(c.args);
    EXPECT_EQ(run.exit_code, cli::kExitUsage) << run.err;
    EXPECT_THAT(run.err, HasSubstr(c.message));
  }
  // A model that cannot be loaded is a setup error: 2, never 1 (which means "fake").
  const std::string bad_model = dir + "/bad.safetensors";
  std::ofstream(bad_model) << "not a checkpoint";
  cli::CommandRegistry registry("deepfake", "test", [] { return std::string("test"); });
  registry.Add(MakeDetectCommand());
  std::ostringstream out, err;
  EXPECT_EQ(
      registry.Run({"detect", "--model_path", bad_model, "--video_path", kRealClip}, out, err),
      cli::kExitUsage);
  EXPECT_THAT(err.str(), HasSubstr(bad_model));
}

TEST_F(DetectCommandTest, HelpDocumentsExitCodesAndFormats) {
  cli::CommandRegistry registry("deepfake", "test", [] { return std::string("test"); });
  registry.Add(MakeDetectCommand());
  const std::string help = registry.CommandHelp("detect");
  for (const char* flag :
       {"--model_path", "--video_path", "--batch_paths", "--batch_dir", "--output_file",
        "--confidence_threshold", "--realtime", "--explain", "--annotate", "--every", "--window",
        "--max_seconds", "--input_format", "--show_window", "--preset", "--frames", "--sampling",
        "--threads", "--device"}) {
    EXPECT_THAT(help, HasSubstr(flag));
  }
  EXPECT_THAT(help, HasSubstr("Exit codes: 0 every video was analysed and none is fake; 1 at "));
  EXPECT_THAT(help, HasSubstr("3 wins over 1"));
  EXPECT_THAT(help, HasSubstr(".jsonl one object per line"));
  EXPECT_THAT(help, Not(HasSubstr("1 failure")));
}

}  // namespace
}  // namespace serve
