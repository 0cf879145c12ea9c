// One Detector used from several threads at once (Detect, DetectBatch, DetectFrames) gives
// exactly what sequential calls give, and results do not depend on base's thread count.
// Run under ThreadSanitizer too: bazel test --config=tsan //serve/api:detector_threads_test
#include <algorithm>
#include <thread>
#include <vector>

#include "base/testing/test_paths.h"
#include "base/thread_pool.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "serve/api/detector.h"
#include "serve/api/testing/test_model.h"

namespace serve {
namespace {

const std::vector<std::string>& Clips() {
  static const auto* clips = new std::vector<std::string>{
      "train/testdata/videos/real_retalking_face2.mp4",
      "train/testdata/videos/fake_sadtalker_WDA_KatieHill_000.mp4",
  };
  return *clips;
}

// Everything a result computes (times aside), compared exactly.
void ExpectSame(const DetectionResult& a, const DetectionResult& b) {
  EXPECT_EQ(a.path, b.path);
  EXPECT_EQ(a.verdict, b.verdict);
  EXPECT_EQ(a.reason, b.reason);
  EXPECT_EQ(a.fake_probability, b.fake_probability);
  EXPECT_EQ(a.deciding_track, b.deciding_track);
  ASSERT_EQ(a.tracks.size(), b.tracks.size());
  for (size_t t = 0; t < a.tracks.size(); ++t) {
    const TrackResult &x = a.tracks[t], &y = b.tracks[t];
    EXPECT_EQ(x.fake_probability, y.fake_probability);
    ASSERT_EQ(x.frames.size(), y.frames.size());
    for (size_t f = 0; f < x.frames.size(); ++f) {
      EXPECT_EQ(x.frames[f].frame_index, y.frames[f].frame_index);
      EXPECT_EQ(x.frames[f].box.left, y.frames[f].box.left);
      EXPECT_EQ(x.frames[f].box.bottom, y.frames[f].box.bottom);
      EXPECT_EQ(x.frames[f].score, y.frames[f].score);
      EXPECT_EQ(x.thumbnails[f].rgb, y.thumbnails[f].rgb);
    }
  }
  EXPECT_EQ(a.video.sha256, b.video.sha256);
}

TEST(DetectorThreadsTest, ConcurrentCallsGiveSequentialResults) {
  const std::string model =
      testing::WriteRandomModel(base::testing::TestTempPath("tiny.safetensors"));
  DetectorOptions options;
  options.device = "cpu";
  options.landmark_model_path = base::testing::kLandmarkModelPath;
  options.thumbnail_size = 8;
  absl::StatusOr<std::unique_ptr<Detector>> loaded = Detector::Load(model, options);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const Detector& detector = **loaded;

  base::SetNumThreads(2);
  std::vector<DetectionResult> sequential;
  for (const std::string& clip : Clips()) sequential.push_back(detector.Detect(clip));
  for (const DetectionResult& r : sequential) {
    ASSERT_NE(r.verdict, Verdict::kUndetermined) << r.message;
  }

  // Three threads: two Detect every clip (in opposite orders), one runs DetectBatch.
  std::vector<std::vector<DetectionResult>> per_thread(3);
  std::vector<std::thread> threads;
  for (int k = 0; k < 2; ++k) {
    threads.emplace_back([&, k] {
      for (size_t i = 0; i < Clips().size(); ++i) {
        const size_t c = k == 0 ? i : Clips().size() - 1 - i;
        per_thread[k].push_back(detector.Detect(Clips()[c]));
      }
      if (k == 1) std::reverse(per_thread[k].begin(), per_thread[k].end());
    });
  }
  threads.emplace_back([&] { per_thread[2] = detector.DetectBatch(Clips()); });
  for (std::thread& t : threads) t.join();
  for (const auto& results : per_thread) {
    ASSERT_EQ(results.size(), sequential.size());
    for (size_t i = 0; i < results.size(); ++i) ExpectSame(results[i], sequential[i]);
  }

  // Other thread counts of base's pool (detection workers, kernels, crops).
  for (int n : {1, 3}) {
    base::SetNumThreads(n);
    for (size_t i = 0; i < Clips().size(); ++i) {
      SCOPED_TRACE(n);
      ExpectSame(detector.Detect(Clips()[i]), sequential[i]);
    }
  }
  base::SetNumThreads(2);
}

}  // namespace
}  // namespace serve
