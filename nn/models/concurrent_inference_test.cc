// One model, several threads: eval-mode Forward may run concurrently (nn/module.h), each
// call giving exactly the single-threaded result, including the first calls after a state
// change, which race to fold the batch norms. Run under ThreadSanitizer too:
//   bazel test --config=tsan //nn/models:concurrent_inference_test
#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "base/thread_pool.h"
#include "nn/models/presets.h"
#include "nn/testing/deterministic.h"
#include "nn/testing/gradient_check.h"

namespace nn {
namespace {

constexpr int kThreads = 4;

bool BitIdentical(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() &&
         std::memcmp(a.data<float>(), b.data<float>(), a.numel() * sizeof(float)) == 0;
}

DetectorOptions PaperReadoutOnTinyTrunk() {
  DetectorOptions options = GetPreset("tiny")->detector;
  options.lstm.bias = false;
  options.lstm.batch_first = false;
  options.lstm.bidirectional = false;
  options.lstm.num_layers = 1;
  options.num_outputs = 2;
  options.readout = DetectorReadout::kPaperLastStep;
  options.logit_dropout = 0.4f;
  return options;
}

void ExpectConcurrentEvalMatchesSingleThreaded(const DetectorOptions& options, int rounds,
                                               int iterations) {
  // Two pool threads: every Forward's kernels also go through base's shared pool, which
  // the threads call at once.
  base::SetNumThreads(2);
  Detector detector(options);
  testing::FillModule(detector);  // non-trivial running statistics
  detector.Eval();
  // Different inputs per thread (and different batch sizes, so shapes differ too).
  std::vector<Tensor> inputs;
  std::vector<DetectorOutput> expected;
  for (int i = 0; i < kThreads; ++i) {
    inputs.push_back(testing::RandomNormal({1 + i % 2, 4, 3, 32, 32}, 100 + i));
    expected.push_back(detector.Forward(inputs.back()));
  }
  for (int round = 0; round < rounds; ++round) {
    // Drop the folded batch norms: the threads' first Forwards race to rebuild them.
    detector.NotifyStateChanged();
    std::atomic<int> mismatches{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < iterations; ++i) {
          const int which = (t + i) % kThreads;
          const DetectorOutput out = detector.Forward(inputs[which]);
          if (!BitIdentical(out.video_logits, expected[which].video_logits)) ++mismatches;
          if (expected[which].frame_logits.defined() &&
              !BitIdentical(out.frame_logits, expected[which].frame_logits)) {
            ++mismatches;
          }
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    EXPECT_EQ(mismatches.load(), 0) << "round " << round;
  }
}

TEST(ConcurrentInferenceTest, TinyPresetFromFourThreadsIsBitIdentical) {
  ExpectConcurrentEvalMatchesSingleThreaded(GetPreset("tiny")->detector, /*rounds=*/4,
                                            /*iterations=*/25);
}

TEST(ConcurrentInferenceTest, PaperReadoutFromFourThreadsIsBitIdentical) {
  ExpectConcurrentEvalMatchesSingleThreaded(PaperReadoutOnTinyTrunk(), /*rounds=*/3,
                                            /*iterations=*/12);
}

// Training mode is single-threaded: a second training Forward while one runs fails.
TEST(ConcurrentInferenceDeathTest, OverlappingTrainingForwardsFail) {
  // Re-executes the test binary for the death test instead of forking this (threaded)
  // process, which ThreadSanitizer does not support.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        Detector detector(GetPreset("tiny")->detector);
        detector.Train();
        const Tensor frames = testing::RandomNormal({2, 4, 3, 32, 32}, 7);
        // Two threads keep training; their Forwards (milliseconds each) overlap at once.
        auto train = [&] {
          for (int i = 0; i < 1000; ++i) detector.Forward(frames);
        };
        std::thread first(train);
        std::thread second(train);
        first.join();
        second.join();
      },
      "Detector::Forward: another training-mode Forward/Backward of this module is running on "
      "another thread");
}

}  // namespace
}  // namespace nn
