// `deepfake evaluate` through the command registry, as the binary runs it: a tiny-preset
// checkpoint on the committed fixture clips (manifest split and path lists), the files it
// writes checked against values computed here independently (scores by preprocessing +
// Forward + sigmoid, AUC by counting pairs), exit 3 when a video cannot be analysed, and
// the usage and failure exits with their messages.
#include "serve/evaluate_command.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/testing/test_paths.h"
#include "eval/model_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "nn/io/checkpoint.h"
#include "nn/layers/init.h"
#include "nn/models/presets.h"
#include "serve/cli/command.h"
#include "video/preprocess.h"

namespace serve {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr char kManifest[] = "train/testdata/manifest.json";
constexpr char kRealClip[] = "train/testdata/videos/real_retalking_face2.mp4";
constexpr char kFakeClip[] = "train/testdata/videos/fake_retalking_face2.mp4";

std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

struct CommandRun {
  int exit_code;
  std::string out, err;
};

class EvaluateCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model_path_ = base::testing::TestTempPath("tiny.safetensors");
    const nn::ModelPreset tiny = *nn::GetPreset("tiny");
    nn::SetInitSeed(5);
    nn::Detector model(tiny.detector);
    eval::ModelProvenance provenance;
    provenance.threshold = 0.5;
    ASSERT_TRUE(
        nn::io::SaveCheckpoint(model_path_, model, eval::MetadataForModel(tiny, provenance, 9))
            .ok());
    out_dir_ = base::testing::TestTempDir("out");
  }

  CommandRun Evaluate(std::vector<std::string> args) {
    cli::CommandRegistry registry("deepfake", "test", [] { return std::string("test"); });
    registry.Add(MakeEvaluateCommand());
    args.insert(args.begin(), "evaluate");
    args.push_back("--landmark_model");
    args.push_back(base::testing::kLandmarkModelPath);
    args.push_back("--threads=2");
    std::ostringstream out, err;
    const int code = registry.Run(args, out, err);
    return {code, out.str(), err.str()};
  }

  std::string model_path_, out_dir_;
};

// P(fake) of a clip computed without eval/: preprocessing, Forward, sigmoid, max.
double DirectScore(const std::string& model_path, const std::string& clip) {
  const nn::ModelPreset tiny = *nn::GetPreset("tiny");
  nn::Detector model(tiny.detector);
  EXPECT_TRUE(nn::io::LoadCheckpoint(model_path, &model).ok());
  model.Eval();
  video::PreprocessOptions options = video::PreprocessOptionsForPreset(tiny);
  options.landmark_model_path = base::testing::kLandmarkModelPath;
  absl::StatusOr<video::PreprocessedVideo> faces =
      video::PreprocessVideo(clip, tiny.preprocessing, options);
  EXPECT_TRUE(faces.ok()) << faces.status();
  double best = 0;
  for (const video::PreprocessedTrack& track : faces->tracks) {
    const nn::Tensor x = track.faces.Reshape(nn::Shape({1, 4, 3, 32, 32}));
    const double logit = model.Forward(x).video_logits.data<float>()[0];
    best = std::max(best, 1 / (1 + std::exp(-logit)));
  }
  return best;
}

// Rows of per_video.csv (no quoted fields in these paths) without the header.
std::vector<std::vector<std::string>> CsvRows(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  for (absl::string_view line : absl::StrSplit(ReadFile(path), '\n', absl::SkipEmpty())) {
    rows.push_back(absl::StrSplit(line, ','));
  }
  EXPECT_EQ(absl::StrJoin(rows.front(), ","), "path,label,score,verdict,tracks,error");
  rows.erase(rows.begin());
  return rows;
}

TEST_F(EvaluateCommandTest, ManifestSplit) {
  const CommandRun run =
      Evaluate({"--model_path", model_path_, "--manifest", kManifest, "--out_dir", out_dir_});
  ASSERT_EQ(run.exit_code, 0) << run.err << run.out;
  EXPECT_THAT(run.out, HasSubstr("model: " + model_path_ + " (preset tiny, step 9, sha256 "));
  EXPECT_THAT(run.out, HasSubstr("threshold: 0.5000 (checkpoint, default)"));
  EXPECT_THAT(run.out, HasSubstr("evaluating 4 videos (2 real, 2 fake) on cpu"));
  EXPECT_THAT(run.out, HasSubstr("[4/4] "));
  EXPECT_THAT(run.out, HasSubstr("videos: 4, scored 4, could not be analysed 0"));

  const std::vector<std::vector<std::string>> rows = CsvRows(out_dir_ + "/per_video.csv");
  ASSERT_THAT(rows, SizeIs(4));
  std::vector<double> real_scores, fake_scores;
  for (const auto& row : rows) {
    ASSERT_THAT(row, SizeIs(6));
    const double score = std::stod(row[2]);
    EXPECT_EQ(row[3], score >= 0.5 ? "FAKE" : "REAL");
    (row[1] == "FAKE" ? fake_scores : real_scores).push_back(score);
    EXPECT_NEAR(score, DirectScore(model_path_, row[0]), 2e-6) << row[0];
  }
  ASSERT_THAT(real_scores, SizeIs(2));
  ASSERT_THAT(fake_scores, SizeIs(2));
  // AUC by counting pairs (ties count half).
  double pairs = 0;
  for (double f : fake_scores) {
    for (double r : real_scores) pairs += f > r ? 1 : (f == r ? 0.5 : 0);
  }

  const nlohmann::json json = nlohmann::json::parse(ReadFile(out_dir_ + "/metrics.json"));
  EXPECT_NEAR(json["summary"]["video"]["auc"].get<double>(), pairs / 4, 1e-9);
  EXPECT_EQ(json["summary"]["scored"], 4);
  EXPECT_EQ(json["summary"]["frame"]["num_real"], 8);  // 2 videos x 4 frames
  EXPECT_EQ(json["model"]["preset"], "tiny");
  EXPECT_EQ(json["model"]["sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(json["threshold_source"], "checkpoint");
  EXPECT_EQ(json["dataset"]["split"], "test");
  EXPECT_THAT(json["videos"], SizeIs(4));
  EXPECT_EQ(ReadFile(out_dir_ + "/roc.png").substr(1, 3), "PNG");
}

TEST_F(EvaluateCommandTest, PathsWithAVideoThatCannotBeAnalysed) {
  const std::string broken = base::testing::TestTempPath("broken.mp4");
  std::ofstream(broken) << "not a video\n";
  const CommandRun run =
      Evaluate({"--model_path", model_path_, "--real_paths", kRealClip, broken, "--fake_paths",
                kFakeClip, "--out_dir", out_dir_, "--threshold", "0"});
  ASSERT_EQ(run.exit_code, kExitSomeVideosNotAnalysed) << run.err << run.out;
  EXPECT_THAT(run.err, HasSubstr("1 of 3 videos could not be analysed"));
  EXPECT_THAT(run.out, HasSubstr("not analysed  " + broken));
  EXPECT_THAT(run.out, HasSubstr("threshold: 0.0000 (--threshold)"));
  const std::vector<std::vector<std::string>> rows = CsvRows(out_dir_ + "/per_video.csv");
  ASSERT_THAT(rows, SizeIs(3));
  int undetermined = 0;
  for (const auto& row : rows) {
    if (row[0] == broken) {
      EXPECT_EQ(row[3], "UNDETERMINED");
      EXPECT_EQ(row[2], "");
      ++undetermined;
    } else {
      EXPECT_EQ(row[3], "FAKE");  // threshold 0
    }
  }
  EXPECT_EQ(undetermined, 1);
  const nlohmann::json json = nlohmann::json::parse(ReadFile(out_dir_ + "/metrics.json"));
  EXPECT_EQ(json["not_scored"][0]["path"], broken);
  EXPECT_EQ(json["summary"]["video"]["num_real"], 1);
}

TEST_F(EvaluateCommandTest, UsageErrors) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const Case cases[] = {
      {{"--manifest", kManifest, "--out_dir", out_dir_}, "missing required flag --model_path"},
      {{"--model_path", model_path_, "--out_dir", out_dir_},
       "no videos: give --real_paths and/or --fake_paths, or --manifest"},
      {{"--model_path", model_path_, "--manifest", kManifest, "--real_paths", kRealClip,
        "--out_dir", out_dir_},
       "give either --real_paths/--fake_paths or --manifest, not both"},
      {{"--model_path", model_path_, "--manifest", kManifest, "--out_dir", out_dir_, "--threshold",
        "1.5"},
       "--threshold must be a probability in [0, 1] (got 1.5)"},
      {{"--model_path", model_path_, "--manifest", kManifest, "--out_dir", out_dir_, "--device",
        "tpu"},
       "--device: unknown device 'tpu'"},
  };
  for (const Case& c : cases) {
    const CommandRun run = Evaluate(c.args);
    EXPECT_EQ(run.exit_code, cli::kExitUsage) << run.err;
    EXPECT_THAT(run.err, HasSubstr(c.message));
  }
}

TEST_F(EvaluateCommandTest, Failures) {
  const std::string missing = base::testing::TestTempPath("missing.safetensors");
  CommandRun run =
      Evaluate({"--model_path", missing, "--manifest", kManifest, "--out_dir", out_dir_});
  EXPECT_EQ(run.exit_code, cli::kExitFailure);
  EXPECT_THAT(run.err, HasSubstr(missing + ": no such model file"));

  run = Evaluate({"--model_path", model_path_, "--manifest", kManifest, "--split", "holdout",
                  "--out_dir", out_dir_});
  EXPECT_EQ(run.exit_code, cli::kExitFailure);
  EXPECT_THAT(run.err,
              HasSubstr("no video in split 'holdout' (videos per split: test 4, train 14, val 6)"));

  run = Evaluate({"--model_path", model_path_, "--real_paths", "no/such/*.mp4", "--fake_paths",
                  kFakeClip, "--out_dir", out_dir_});
  EXPECT_EQ(run.exit_code, cli::kExitFailure);
  EXPECT_THAT(run.err, HasSubstr("--real_paths 'no/such/*.mp4' matched no file"));
}

}  // namespace
}  // namespace serve
