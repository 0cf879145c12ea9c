// Memory of a long-running inference process: 1,000 eval-mode detector forwards at
// alternating input sizes, from the main thread and from a rotating set of caller threads
// (as a server's request threads would), keep the resident set flat. Kernel scratch is
// leased from a capped cache (nn/cpu/scratch.h) rather than kept at its peak in every
// thread that ever ran a convolution.
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "base/thread_pool.h"
#include "gtest/gtest.h"
#include "nn/cpu/scratch.h"
#include "nn/models/detector.h"
#include "nn/models/presets.h"
#include "nn/testing/gradient_check.h"

namespace nn {
namespace {

// VmRSS of this process, in bytes.
int64_t ResidentBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
  }
  ADD_FAILURE() << "no VmRSS in /proc/self/status";
  return 0;
}

double MiB(int64_t bytes) { return bytes / (1024.0 * 1024.0); }

TEST(InferenceMemoryTest, ResidentSetStaysFlatOverAThousandInferencesAtAlternatingSizes) {
  base::SetNumThreads(2);
  DetectorOptions options = GetPreset("small")->detector;
  Detector detector(options);
  detector.Eval();
  const std::vector<Tensor> inputs = {
      testing::RandomNormal({1, 2, 3, 48, 48}, 1),
      testing::RandomNormal({2, 2, 3, 64, 64}, 2),
      testing::RandomNormal({1, 3, 3, 96, 96}, 3),
  };
  auto infer = [&](int i) {
    const Tensor logits = detector.Forward(inputs[i % inputs.size()]).video_logits;
    ASSERT_TRUE(std::isfinite(logits.data<float>()[0]));
  };

  // Warm-up: every size on this thread and on one request thread (whose first allocations
  // give it a malloc arena, which later request threads reuse).
  auto on_request_thread = [&](int first, int count) {
    std::thread request([&] {
      for (int k = first; k < first + count; ++k) infer(k);
    });
    request.join();
  };
  for (int i = 0; i < 2 * static_cast<int>(inputs.size()); ++i) infer(i);
  on_request_thread(0, 2 * static_cast<int>(inputs.size()));
  const int64_t rss_warm = ResidentBytes();

  // 1,000 inferences: the first half on this thread, the second half on request threads
  // that take turns (one inference at a time; a new thread every 50 inferences).
  constexpr int kInferences = 1000, kPerThread = 50;
  for (int i = 0; i < kInferences / 2; ++i) infer(i);
  const int64_t rss_main = ResidentBytes();
  for (int i = kInferences / 2; i < kInferences; i += kPerThread) on_request_thread(i, kPerThread);
  const int64_t rss_end = ResidentBytes();
  const cpu::ScratchStats scratch = cpu::GetScratchStats();
  std::printf(
      "VmRSS: %.1f MiB after warm-up, %.1f MiB after %d inferences on the main thread, "
      "%.1f MiB after %d more on request threads; scratch: %.1f MiB cached, %.1f MiB peak, "
      "%lld maps, %lld unmaps\n",
      MiB(rss_warm), MiB(rss_main), kInferences / 2, MiB(rss_end), kInferences / 2,
      MiB(scratch.cached_bytes), MiB(scratch.mapped_bytes_peak),
      static_cast<long long>(scratch.maps), static_cast<long long>(scratch.unmaps));
  EXPECT_EQ(scratch.leased_bytes, 0);
  EXPECT_LE(scratch.cached_bytes, cpu::kScratchCacheBytes);
  EXPECT_LT(rss_end - rss_warm, int64_t{4} << 20)
      << "resident set grew from " << MiB(rss_warm) << " to " << MiB(rss_end) << " MiB";
}

}  // namespace
}  // namespace nn
