// Grad-CAM: the overlay's colour map and upsampling on synthetic maps, the contract of
// ComputeGradCam (normalisation, errors, the shared model left untouched, concurrency with
// eval Forwards), and a real face track written as a PNG strip. Exactness against PyTorch:
// tests/grad_cam_parity_test.cc. Run under ThreadSanitizer too:
//   bazel test --config=tsan //serve/explain:grad_cam_test
#include "serve/explain/grad_cam.h"

#include <dlib/image_io.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "base/testing/test_paths.h"
#include "base/thread_pool.h"
#include "gtest/gtest.h"
#include "nn/models/presets.h"
#include "nn/testing/deterministic.h"
#include "nn/testing/tensor_matchers.h"
#include "serve/explain/heatmap_png.h"
#include "video/preprocess.h"

namespace serve::explain {
namespace {

using nn::testing::RandomNormal;

// One frame, h x w, from row-major values.
GradCam SyntheticCam(int height, int width, std::vector<float> values) {
  GradCam cam;
  cam.frames = 1;
  cam.height = height;
  cam.width = width;
  cam.raw = values;
  cam.values = std::move(values);
  return cam;
}

const uint8_t* Pixel(const std::vector<uint8_t>& rgb, int side, int y, int x) {
  return rgb.data() + (static_cast<size_t>(y) * side + x) * 3;
}

TEST(OverlayHeatmapTest, HotCornerIsRedColdCornerIsBlue) {
  constexpr int kSide = 32;
  const std::vector<uint8_t> grey(kSide * kSide * 3, 128);
  const GradCam cam = SyntheticCam(2, 2, {1, 0, 0, 0});  // hot top-left cell
  const std::vector<uint8_t> out = OverlayHeatmap(grey, kSide, cam, 0, 0.45f);
  ASSERT_EQ(out.size(), grey.size());
  const uint8_t* hot = Pixel(out, kSide, 0, 0);
  const uint8_t* cold = Pixel(out, kSide, kSide - 1, kSide - 1);
  EXPECT_GT(hot[0], hot[2] + 40) << "hot corner: R " << +hot[0] << " B " << +hot[2];
  EXPECT_GT(cold[2], cold[0] + 40) << "cold corner: R " << +cold[0] << " B " << +cold[2];
  // Bilinear: the colour changes smoothly along the diagonal (nearest-neighbour would show
  // two colours, one per cell).
  int changes = 0;
  for (int i = 1; i < kSide; ++i) {
    changes += std::memcmp(Pixel(out, kSide, i - 1, i - 1), Pixel(out, kSide, i, i), 3) != 0;
  }
  EXPECT_GE(changes, kSide / 2);
}

TEST(OverlayHeatmapTest, AlphaOneShowsTheColourMapAlphaZeroTheCrop) {
  constexpr int kSide = 8;
  std::vector<uint8_t> crop(kSide * kSide * 3);
  for (size_t i = 0; i < crop.size(); ++i) crop[i] = static_cast<uint8_t>(i * 7);
  // A uniform map samples to its value everywhere: 0 dark blue, 0.5 green, 1 dark red.
  const struct {
    float value;
    uint8_t r, g, b;
  } cases[] = {{0.0f, 0, 0, 128}, {0.5f, 128, 255, 128}, {1.0f, 128, 0, 0}};
  for (const auto& c : cases) {
    const GradCam cam = SyntheticCam(2, 2, {c.value, c.value, c.value, c.value});
    const std::vector<uint8_t> coloured = OverlayHeatmap(crop, kSide, cam, 0, 1.0f);
    const uint8_t* p = Pixel(coloured, kSide, 3, 5);
    EXPECT_EQ(+p[0], +c.r) << c.value;
    EXPECT_EQ(+p[1], +c.g) << c.value;
    EXPECT_EQ(+p[2], +c.b) << c.value;
    EXPECT_EQ(OverlayHeatmap(crop, kSide, cam, 0, 0.0f), crop) << c.value;
  }
}

TEST(OverlayHeatmapDeathTest, RejectsAFrameOutOfRange) {
  const GradCam cam = SyntheticCam(2, 2, {0, 0, 0, 0});
  EXPECT_DEATH(OverlayHeatmap(std::vector<uint8_t>(4 * 4 * 3), 4, cam, 1),
               "OverlayHeatmap: frame 1 of a 1x2x2 heatmap");
}

nn::DetectorOptions PaperReadoutOnTinyTrunk() {
  nn::DetectorOptions options = nn::GetPreset("tiny")->detector;
  options.lstm.bias = false;
  options.lstm.batch_first = false;
  options.lstm.bidirectional = false;
  options.lstm.num_layers = 1;
  options.lstm.hidden_size = 16;
  options.num_outputs = 2;
  options.readout = nn::DetectorReadout::kPaperLastStep;
  options.logit_dropout = 0.4f;
  return options;
}

// A detector with deterministic non-trivial weights and running statistics, in eval mode.
std::unique_ptr<nn::Detector> EvalDetector(const nn::DetectorOptions& options) {
  auto detector = std::make_unique<nn::Detector>(options);
  nn::testing::FillModule(*detector);
  detector->Eval();
  return detector;
}

bool SameBits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST(ComputeGradCamTest, NormalisedByTheTrackMaximumAndLeavesTheModelAlone) {
  auto detector = EvalDetector(nn::GetPreset("tiny")->detector);
  const nn::Tensor faces = RandomNormal({4, 3, 128, 128}, 21);
  absl::StatusOr<GradCam> cam = ComputeGradCam(*detector, faces, -1);
  ASSERT_TRUE(cam.ok()) << cam.status();
  EXPECT_EQ(cam->frames, 4);
  EXPECT_EQ(cam->height, 4);
  EXPECT_EQ(cam->width, 4);
  ASSERT_EQ(cam->values.size(), 4u * 16);
  ASSERT_EQ(cam->raw.size(), cam->values.size());
  const float peak = *std::max_element(cam->raw.begin(), cam->raw.end());
  ASSERT_GT(peak, 0);
  for (size_t i = 0; i < cam->raw.size(); ++i) {
    EXPECT_GE(cam->raw[i], 0) << i;  // a ReLU
    EXPECT_FLOAT_EQ(cam->values[i], cam->raw[i] / peak) << i;
  }
  EXPECT_EQ(*std::max_element(cam->values.begin(), cam->values.end()), 1.0f);
  EXPECT_FALSE(detector->is_training());
  for (auto& [name, p] : detector->NamedParameters()) {
    for (int64_t i = 0; i < p->grad.numel(); ++i) {
      ASSERT_EQ(p->grad.data<float>()[i], 0.0f) << name;
    }
  }
  // Deterministic: the same call gives the same bits.
  EXPECT_TRUE(SameBits(ComputeGradCam(*detector, faces, -1)->raw, cam->raw));
}

TEST(ComputeGradCamTest, PaperReadoutExplainsOnlyTheLastFrame) {
  // The jadhav2020 LSTM walks the videos axis: frame t's feature only reaches the logits
  // through its own step, and the readout takes the last frame's.
  auto detector = EvalDetector(PaperReadoutOnTinyTrunk());
  // (The parity test's model and input: the last frame's map is positive somewhere.)
  absl::StatusOr<GradCam> cam = ComputeGradCam(
      *detector, nn::testing::Symmetric("grad_cam.input", {4, 3, 128, 128}, 1.5f), 0);
  ASSERT_TRUE(cam.ok()) << cam.status();
  ASSERT_EQ(cam->values.size(), 4u * 16);
  for (int i = 0; i < 3 * 16; ++i) EXPECT_EQ(cam->raw[i], 0.0f) << i;
  EXPECT_EQ(*std::max_element(cam->values.begin() + 48, cam->values.end()), 1.0f);
}

TEST(ComputeGradCamTest, ErrorsSayWhatIsWrong) {
  auto tiny = EvalDetector(nn::GetPreset("tiny")->detector);
  const nn::Tensor faces = RandomNormal({2, 3, 64, 64}, 23);

  absl::StatusOr<GradCam> cam = ComputeGradCam(*tiny, faces.Reshape({1, 2, 3, 64, 64}), -1);
  EXPECT_EQ(cam.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cam.status().message(),
            "Grad-CAM: face track of shape [1, 2, 3, 64, 64], expected [T, 3, H, W] with T >= 1");

  cam = ComputeGradCam(*tiny, faces, 0);
  EXPECT_EQ(cam.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cam.status().message(),
            "Grad-CAM: fake_output 0 for a model with 1 output(s); expected -1");

  auto paper = EvalDetector(PaperReadoutOnTinyTrunk());
  cam = ComputeGradCam(*paper, faces, 2);
  EXPECT_EQ(cam.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cam.status().message(),
            "Grad-CAM: fake_output 2 for a model with 2 output(s); expected an output index");

  tiny->Train();
  cam = ComputeGradCam(*tiny, faces, -1);
  EXPECT_EQ(cam.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(cam.status().message(),
            "Grad-CAM needs the model in evaluation mode (it must not change a shared model)");
  EXPECT_TRUE(tiny->is_training());
}

// Grad-CAM on several threads while others run eval Forwards of the same model: every
// result has the single-threaded bits, including the first calls after a state change
// (which race to fold the batch norms).
TEST(ComputeGradCamTest, ConcurrentWithEvalForwardsAndItself) {
  base::SetNumThreads(2);  // kernels also go through base's shared pool
  auto detector = EvalDetector(nn::GetPreset("tiny")->detector);
  constexpr int kTracks = 3;
  std::vector<nn::Tensor> tracks;
  std::vector<std::vector<float>> expected_cams;
  std::vector<nn::Tensor> expected_logits;
  for (int i = 0; i < kTracks; ++i) {
    tracks.push_back(RandomNormal({2 + i % 2, 3, 64, 64}, 30 + i));
    expected_cams.push_back(ComputeGradCam(*detector, tracks[i], -1)->raw);
    const nn::Tensor batch = tracks[i].Reshape({1, tracks[i].dim(0), 3, 64, 64});
    expected_logits.push_back(detector->Forward(batch).video_logits.Clone());
  }
  for (int round = 0; round < 2; ++round) {
    detector->NotifyStateChanged();
    std::atomic<int> mismatches{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 4; ++i) {
          const int which = (t + i) % kTracks;
          if (t % 2 == 0) {
            absl::StatusOr<GradCam> cam = ComputeGradCam(*detector, tracks[which], -1);
            if (!cam.ok() || !SameBits(cam->raw, expected_cams[which])) ++mismatches;
          } else {
            const nn::Tensor logits =
                detector->Forward(tracks[which].Reshape({1, tracks[which].dim(0), 3, 64, 64}))
                    .video_logits;
            if (logits.data<float>()[0] != expected_logits[which].data<float>()[0]) ++mismatches;
          }
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    EXPECT_EQ(mismatches.load(), 0) << "round " << round;
  }
}

// A real face track (fixture clip, `small` preset with deterministic weights) explained
// and written as a PNG strip that an independent decoder (dlib's libpng) reads back.
TEST(HeatmapPngTest, RealFaceTrackStrip) {
  const nn::ModelPreset preset = *nn::GetPreset("small");
  video::PreprocessOptions options = video::PreprocessOptionsForPreset(preset);
  options.landmark_model_path = base::testing::kLandmarkModelPath;
  absl::StatusOr<video::PreprocessedVideo> video = video::PreprocessVideo(
      "train/testdata/videos/real_retalking_face2.mp4", preset.preprocessing, options);
  ASSERT_TRUE(video.ok()) << video.status();
  ASSERT_FALSE(video->tracks.empty());
  const nn::Tensor& faces = video->tracks[0].faces;
  const int frames = static_cast<int>(faces.dim(0)), side = static_cast<int>(faces.dim(2));

  auto detector = EvalDetector(preset.detector);
  absl::StatusOr<GradCam> cam = ComputeGradCam(*detector, faces, -1);
  ASSERT_TRUE(cam.ok()) << cam.status();
  EXPECT_EQ(cam->frames, frames);
  EXPECT_GT(*std::max_element(cam->raw.begin(), cam->raw.end()), 0);

  const std::string path = base::testing::TestTempPath("track0_heatmap.png");
  ASSERT_TRUE(WriteTrackHeatmapPng(path, faces, preset.preprocessing, *cam).ok());
  dlib::array2d<dlib::rgb_pixel> loaded;
  dlib::load_png(loaded, path);
  ASSERT_EQ(loaded.nc(), frames * side);
  ASSERT_EQ(loaded.nr(), side);
  const std::vector<std::vector<uint8_t>> overlays =
      TrackOverlays(faces, preset.preprocessing, *cam);
  ASSERT_EQ(static_cast<int>(overlays.size()), frames);
  for (int t = 0; t < frames; ++t) {
    for (int y = 0; y < side; y += 13) {
      for (int x = 0; x < side; x += 17) {
        const uint8_t* p = Pixel(overlays[t], side, y, x);
        const dlib::rgb_pixel& q = loaded[y][t * side + x];
        ASSERT_EQ(q.red, p[0]) << t << " " << y << " " << x;
        ASSERT_EQ(q.green, p[1]);
        ASSERT_EQ(q.blue, p[2]);
      }
    }
  }
  // The overlay keeps the face visible: not just the colour map.
  const std::vector<uint8_t> crop = video::TensorFrameToRgb(faces, 0, preset.preprocessing);
  EXPECT_NE(OverlayHeatmap(crop, side, *cam, 0, 1.0f), overlays[0]);
}

}  // namespace
}  // namespace serve::explain
