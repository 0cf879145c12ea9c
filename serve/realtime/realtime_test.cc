// Real-time mode on live feeds without a camera: a fixture face clip played through
// libavdevice's lavfi device (`movie=...,realtime`: paced at 25 fps like a webcam, or
// unpaced: faster than analysis) and through a FIFO of raw frames written by a thread (a
// feed that stalls without closing, a writer that never writes). A tiny random-weight
// checkpoint; every window's score is checked against video::PreprocessFrames + the model on
// the same frames.
#include "serve/realtime/realtime.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"
#include "base/testing/test_paths.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "serve/api/detector.h"
#include "serve/api/testing/test_model.h"
#include "video/decoder.h"
#include "video/preprocess.h"

namespace serve::realtime {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

// 12 frames of 160x160 with one ~95 px face.
constexpr char kClip[] = "train/testdata/videos/real_retalking_face2.mp4";
constexpr int kClipFrames = 12;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The fixture clip as a lavfi graph: played `loops` times, renumbered at 25 fps, and paced
// in real time by the `realtime` filter (or as fast as it decodes).
std::string MovieGraph(int loops, bool paced) {
  return absl::StrCat("movie=", kClip, ":loop=", loops, ",setpts=N/25/TB",
                      paced ? ",realtime" : "");
}

std::vector<video::Frame> DecodeClip() {
  std::vector<video::Frame> frames;
  auto decoder = video::Decoder::Open(kClip);
  EXPECT_TRUE(decoder.ok()) << decoder.status();
  if (!decoder.ok()) return frames;
  for (;;) {
    auto next = (*decoder)->Next();
    EXPECT_TRUE(next.ok()) << next.status();
    if (!next.ok() || !next->has_value()) break;
    frames.push_back(**std::move(next));
  }
  EXPECT_EQ(frames.size(), static_cast<size_t>(kClipFrames));
  return frames;
}

int ReadLineCount(const std::string& path) {
  std::ifstream file(path);
  int n = 0;
  for (std::string line; std::getline(file, line);) ++n;
  return n;
}

std::vector<nlohmann::json> ReadJsonLines(const std::string& path) {
  std::ifstream file(path);
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(file, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

// Writes raw rgb24 frames into a FIFO at `fps` (opened once a reader has it), then keeps
// it open without writing (a stalled feed) until destroyed; never blocks for long.
class RawFeedWriter {
 public:
  RawFeedWriter(std::string fifo, std::vector<video::Frame> frames, int count, double fps)
      : fifo_(std::move(fifo)), frames_(std::move(frames)), count_(count), fps_(fps) {
    signal(SIGPIPE, SIG_IGN);
    thread_ = std::thread([this] { Run(); });
  }
  ~RawFeedWriter() {
    stop_ = true;
    thread_.join();
  }
  int written() const { return written_; }

 private:
  void Run() {
    const Clock::time_point give_up = Clock::now() + std::chrono::seconds(30);
    int fd;
    while ((fd = open(fifo_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
      if (errno != ENXIO || stop_ || Clock::now() > give_up) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    const Clock::time_point start = Clock::now();
    for (int i = 0; i < count_ && !stop_; ++i) {
      std::this_thread::sleep_until(start + std::chrono::duration_cast<Clock::duration>(
                                                std::chrono::duration<double>(i / fps_)));
      const std::vector<uint8_t>& rgb = frames_[i % frames_.size()].rgb;
      size_t pos = 0;
      while (pos < rgb.size() && !stop_ && Clock::now() < give_up) {
        const ssize_t n = write(fd, rgb.data() + pos, rgb.size() - pos);
        if (n > 0) {
          pos += n;
        } else if (n < 0 && errno == EAGAIN) {
          pollfd p{fd, POLLOUT, 0};
          poll(&p, 1, 20);
        } else if (!(n < 0 && errno == EINTR)) {
          close(fd);
          return;
        }
      }
      ++written_;
    }
    while (!stop_ && Clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    close(fd);
  }

  std::string fifo_;
  std::vector<video::Frame> frames_;
  int count_;
  double fps_;
  std::atomic<bool> stop_{false};
  std::atomic<int> written_{0};
  std::thread thread_;
};

std::string MakeFifo(const std::string& name) {
  const std::string path = base::testing::TestTempPath(name);
  unlink(path.c_str());
  EXPECT_EQ(mkfifo(path.c_str(), 0600), 0) << path << ": " << std::strerror(errno);
  return path;
}

video::OpenOptions RawFifoOptions() {
  video::OpenOptions open;
  open.input_format = "rawvideo";
  open.format_options = {{"video_size", "160x160"}, {"pixel_format", "rgb24"}, {"framerate", "25"}};
  return open;
}

struct RunResult {
  RealtimeSummary summary;
  std::string out, err;
  std::vector<nlohmann::json> jsonl;
  double seconds = 0;
};

class RealtimeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    model_path_ = new std::string(serve::testing::WriteRandomModel(
        base::testing::TestTempPath("tiny.safetensors"), "tiny", /*seed=*/7));
    DetectorOptions options;
    options.device = "cpu";
    options.landmark_model_path = base::testing::kLandmarkModelPath;
    auto detector = Detector::Load(*model_path_, options);
    ASSERT_TRUE(detector.ok()) << detector.status();
    detector_ = detector->release();
  }
  static void TearDownTestSuite() {
    delete detector_;
    delete model_path_;
  }

  RunResult RunWith(RealtimeOptions options, const std::atomic<bool>& stop) {
    options.output_file = base::testing::TestTempPath("scores.jsonl");
    std::ostringstream out, err;
    const Clock::time_point start = Clock::now();
    RunResult run;
    run.summary = RunRealtime(*detector_, options, stop, out, err);
    run.seconds = SecondsSince(start);
    run.out = out.str();
    run.err = err.str();
    run.jsonl = ReadJsonLines(options.output_file);
    return run;
  }

  // P(fake) of the clip's frames `indices` (looped: index % 12), computed independently:
  // the one preprocessing function on those frames, then the model.
  double ReferenceScore(const std::vector<int64_t>& indices) {
    static const std::vector<video::Frame>* clip = new std::vector<video::Frame>(DecodeClip());
    std::vector<video::Frame> frames;
    for (int64_t i : indices) frames.push_back((*clip)[i % kClipFrames]);
    auto preprocessed = video::PreprocessFrames(
        "reference", frames, detector_->preset().preprocessing, detector_->preprocess_options());
    EXPECT_TRUE(preprocessed.ok()) << preprocessed.status();
    if (!preprocessed.ok()) return -1;
    std::vector<nn::Tensor> tracks;
    for (const video::PreprocessedTrack& t : preprocessed->tracks) tracks.push_back(t.faces);
    double best = -1;
    for (const Detector::TrackScores& s : detector_->ScoreFaceTracks(tracks)) {
      best = std::max(best, s.fake_probability);
    }
    return best;
  }

  static std::string* model_path_;
  static Detector* detector_;
};

std::string* RealtimeTest::model_path_ = nullptr;
Detector* RealtimeTest::detector_ = nullptr;

// A paced feed of the face clip (24 frames at 25 fps, about 1 s): a score every 4 frames,
// each equal to preprocessing + model on the window's frames; lines, JSONL and summary agree.
TEST_F(RealtimeTest, PacedLavfiFeedScoresEveryKFramesLikeTheReference) {
  RealtimeOptions options;
  options.source = MovieGraph(/*loops=*/2, /*paced=*/true);
  options.open.input_format = "lavfi";
  options.open.open_timeout_seconds = options.open.read_timeout_seconds = 10;
  options.every = 4;
  options.queue_frames = 8;  // a loaded CI machine must not drop frames here
  options.face_threads = 3;  // frames finish out of order; windows must not
  const std::atomic<bool> stop{false};
  const RunResult run = RunWith(options, stop);
  const RealtimeSummary& s = run.summary;
  ASSERT_EQ(s.ended, "end_of_source") << run.err;
  EXPECT_EQ(s.error, "");
  EXPECT_FALSE(s.source_stalled);
  EXPECT_EQ(s.frames_received, 2 * kClipFrames);
  EXPECT_EQ(s.frames_analysed + s.frames_dropped, s.frames_received);
  EXPECT_GE(run.seconds, 0.8) << "24 frames at 25 fps take about a second";
  if (s.frames_dropped == 0 && s.windows_skipped == 0) {
    EXPECT_EQ(s.scores, 6);
  }
  EXPECT_GE(s.scores, 3);
  EXPECT_EQ(s.undetermined, 0);
  ASSERT_EQ(run.jsonl.size(), static_cast<size_t>(s.scores) + 1);
  double max_probability = -1;
  int fake = 0;
  for (size_t i = 0; i + 1 < run.jsonl.size(); ++i) {
    const nlohmann::json& line = run.jsonl[i];
    SCOPED_TRACE(line.dump());
    EXPECT_EQ(line["type"], "score");
    EXPECT_EQ(line["faces"], 1);
    EXPECT_EQ(line["window_frames"], 4);
    const std::vector<int64_t> indices = line["frame_indices"];
    ASSERT_EQ(indices.size(), 4u);
    EXPECT_TRUE(std::is_sorted(indices.begin(), indices.end()));
    EXPECT_EQ(std::adjacent_find(indices.begin(), indices.end()), indices.end());
    EXPECT_EQ(line["last_frame"], indices.back());
    EXPECT_NEAR(line["time_seconds"].get<double>(), indices.back() / 25.0, 1e-6);
    const double p = line["fake_probability"];
    EXPECT_NEAR(p, ReferenceScore(indices), 1e-5);
    EXPECT_EQ(line["verdict"], p >= 0.5 ? "FAKE" : "REAL");
    EXPECT_GE(line["latency_ms"].get<double>(), 0);
    max_probability = std::max(max_probability, p);
    fake += p >= 0.5;
  }
  EXPECT_DOUBLE_EQ(s.max_fake_probability, max_probability);
  EXPECT_EQ(s.fake_scores, fake);
  EXPECT_GT(s.latency_ms_max, 0);
  EXPECT_LE(s.latency_ms_p50, s.latency_ms_p95);
  EXPECT_LE(s.latency_ms_p95, s.latency_ms_max);
  const nlohmann::json& summary = run.jsonl.back();
  EXPECT_EQ(summary["type"], "summary");
  EXPECT_EQ(summary["ended"], "end_of_source");
  EXPECT_EQ(summary["scores"], s.scores);
  EXPECT_EQ(summary["frames_received"], s.frames_received);
  // One human line per score, then the summary.
  const std::vector<std::string> lines = absl::StrSplit(run.out, '\n', absl::SkipEmpty());
  ASSERT_GE(lines.size(), static_cast<size_t>(s.scores));
  EXPECT_THAT(lines[0], HasSubstr("faces 1  P(fake) "));
  EXPECT_THAT(lines[0], HasSubstr(" ms"));
  EXPECT_THAT(run.out, HasSubstr("summary: " + options.source + ": end_of_source"));
  EXPECT_THAT(run.out, HasSubstr(absl::StrCat("frames: ", s.frames_received, " received")));
  EXPECT_THAT(run.out, HasSubstr("latency (frame arrival -> score): p50 "));
}

// A FIFO feed whose writer stops without closing: the read timeout ends it, with every
// frame that arrived scored, the summary, and a message naming the FIFO.
TEST_F(RealtimeTest, StalledFifoFeedEndsThroughTheReadTimeoutWithTheSummary) {
  const std::string fifo = MakeFifo("stall.fifo");
  RawFeedWriter writer(fifo, DecodeClip(), /*count=*/16, /*fps=*/25);
  RealtimeOptions options;
  options.source = fifo;
  options.open = RawFifoOptions();
  options.open.open_timeout_seconds = 10;
  options.open.read_timeout_seconds = 1;
  options.every = 4;
  options.queue_frames = 16;
  const std::atomic<bool> stop{false};
  const RunResult run = RunWith(options, stop);
  const RealtimeSummary& s = run.summary;
  EXPECT_EQ(s.ended, "stalled");
  EXPECT_TRUE(s.source_stalled);
  EXPECT_THAT(s.error, HasSubstr(fifo + ": no data for 1 s (read_timeout_seconds)"));
  EXPECT_THAT(run.out, HasSubstr("  ended early: " + fifo + ": no data for 1 s"));
  EXPECT_EQ(run.err, "");
  EXPECT_EQ(writer.written(), 16);
  EXPECT_EQ(s.frames_received, 16);
  EXPECT_EQ(s.frames_dropped, 0);
  EXPECT_GE(s.scores, 2);
  // 16 frames (0.64 s) + the 1 s timeout; a hang would last until the writer gives up (30 s).
  EXPECT_LT(s.seconds, 20);
  EXPECT_THAT(run.out, HasSubstr("summary: " + fifo + ": stalled"));
  ASSERT_FALSE(run.jsonl.empty());
  EXPECT_EQ(run.jsonl.back()["type"], "summary");
  EXPECT_EQ(run.jsonl.back()["source_stalled"], true);
  // The last score covers the last frames that arrived.
  EXPECT_EQ(run.jsonl[run.jsonl.size() - 2]["last_frame"], 15);
}

// The stop flag (Ctrl-C) ends an endless feed promptly and cleanly, with the summary.
TEST_F(RealtimeTest, StopFlagEndsAnEndlessFeedCleanly) {
  RealtimeOptions options;
  options.source = MovieGraph(/*loops=*/0, /*paced=*/true);
  options.open.input_format = "lavfi";
  options.every = 2;
  std::atomic<bool> stop{false};
  // Stop once two scores are in the JSONL file (flushed per line; a third line begun).
  const std::string jsonl = base::testing::TestTempPath("scores.jsonl");
  unlink(jsonl.c_str());
  Clock::time_point stopped_at = Clock::now() + std::chrono::hours(1);
  std::thread stopper([&] {
    const Clock::time_point give_up = Clock::now() + std::chrono::seconds(60);
    while (ReadLineCount(jsonl) < 3 && Clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    stopped_at = Clock::now();
    stop = true;
  });
  const RunResult run = RunWith(options, stop);
  stopper.join();
  EXPECT_LT(SecondsSince(stopped_at), 5.0) << "stopping took too long";
  const RealtimeSummary& s = run.summary;
  EXPECT_EQ(s.ended, "stopped");
  EXPECT_EQ(s.error, "");
  EXPECT_EQ(run.err, "");
  EXPECT_GE(s.frames_received, 4);
  EXPECT_GE(s.scores, 2);
  EXPECT_THAT(run.out, HasSubstr(": stopped after"));
  ASSERT_FALSE(run.jsonl.empty());
  EXPECT_EQ(run.jsonl.back()["ended"], "stopped");
}

// Stopping while the source has not delivered anything (a FIFO whose writer is silent) does
// not wait out the 60 s open timeout.
TEST_F(RealtimeTest, StopFlagEndsTheWaitForASilentSource) {
  const std::string fifo = MakeFifo("silent.fifo");
  RawFeedWriter writer(fifo, DecodeClip(), /*count=*/0, /*fps=*/25);
  RealtimeOptions options;
  options.source = fifo;
  options.open = RawFifoOptions();
  options.open.open_timeout_seconds = 60;
  std::atomic<bool> stop{false};
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    stop = true;
  });
  const RunResult run = RunWith(options, stop);
  stopper.join();
  EXPECT_LT(run.summary.seconds, 3) << "from opening the source to the end";
  EXPECT_EQ(run.summary.ended, "stopped");
  EXPECT_EQ(run.summary.error, "");
  EXPECT_EQ(run.summary.frames_received, 0);
  EXPECT_EQ(run.summary.scores, 0);
}

// A source far faster than analysis (the clip looped 40 times, unpaced) with a score for
// every frame: frames are dropped at the queue and windows replaced, every frame is
// accounted for, and latency stays bounded instead of growing with the backlog.
TEST_F(RealtimeTest, FramesDropWhenAnalysisFallsBehind) {
  RealtimeOptions options;
  options.source = MovieGraph(/*loops=*/40, /*paced=*/false);
  options.open.input_format = "lavfi";
  options.every = 1;
  options.queue_frames = 2;
  options.face_threads = 2;
  const std::atomic<bool> stop{false};
  const RunResult run = RunWith(options, stop);
  const RealtimeSummary& s = run.summary;
  ASSERT_EQ(s.ended, "end_of_source") << run.err;
  EXPECT_EQ(s.frames_received, 40 * kClipFrames);
  EXPECT_GT(s.frames_dropped, 0);
  EXPECT_EQ(s.frames_analysed + s.frames_dropped, s.frames_received);
  EXPECT_GE(s.scores, 1);
  EXPECT_LE(s.scores + s.windows_skipped, s.frames_analysed);
  EXPECT_EQ(run.jsonl.size(), static_cast<size_t>(s.scores) + 1);
  // Gaps in a window's frame numbers are the dropped frames.
  bool gap = false;
  for (size_t i = 0; i + 1 < run.jsonl.size(); ++i) {
    const std::vector<int64_t> indices = run.jsonl[i]["frame_indices"];
    for (size_t k = 1; k < indices.size(); ++k) {
      EXPECT_GT(indices[k], indices[k - 1]) << "window frames out of order";
      gap = gap || indices[k] != indices[k - 1] + 1;
    }
  }
  EXPECT_TRUE(gap || s.scores == 1);
  // Without dropping, the last frame's latency would be the whole backlog.
  EXPECT_LT(s.latency_ms_max, 1000 * s.seconds);
}

// Inference slower than face finding (the `small` preset scoring a window per frame): a window
// still waiting for the model is replaced by the newer one. Every window is accounted for (scored
// or skipped), and each score is of the newest frames.
TEST_F(RealtimeTest, WindowsAreReplacedWhenInferenceFallsBehind) {
  DetectorOptions detector_options;
  detector_options.device = "cpu";
  detector_options.landmark_model_path = base::testing::kLandmarkModelPath;
  auto small = Detector::Load(serve::testing::WriteRandomModel(
                                  base::testing::TestTempPath("small.safetensors"), "small", 2),
                              detector_options);
  ASSERT_TRUE(small.ok()) << small.status();
  RealtimeOptions options;
  // Unpaced, into a queue that holds the whole feed: no frame is dropped, and windows come
  // as fast as faces are found (a few ms each), far faster than the model scores them.
  options.source = MovieGraph(/*loops=*/3, /*paced=*/false);
  options.open.input_format = "lavfi";
  options.every = 1;
  options.queue_frames = 3 * kClipFrames;
  options.output_file = base::testing::TestTempPath("small.jsonl");
  const std::atomic<bool> stop{false};
  std::ostringstream out, err;
  const RealtimeSummary s = RunRealtime(**small, options, stop, out, err);
  ASSERT_EQ(s.ended, "end_of_source") << out.str();
  const int window = (*small)->preset().preprocessing.frames;  // 8
  EXPECT_EQ(s.frames_received, 3 * kClipFrames);
  EXPECT_EQ(s.frames_dropped, 0);
  EXPECT_EQ(s.frames_analysed, 3 * kClipFrames);
  // A window per analysed frame once the first is full: each scored or replaced.
  EXPECT_EQ(s.scores + s.windows_skipped, s.frames_analysed - (window - 1));
  EXPECT_GT(s.windows_skipped, 0) << "the small model kept up with face finding?";
  const std::vector<nlohmann::json> lines = ReadJsonLines(options.output_file);
  ASSERT_EQ(lines.size(), static_cast<size_t>(s.scores) + 1);
  int64_t last = -1;
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    EXPECT_EQ(lines[i]["window_frames"], window);
    EXPECT_GT(lines[i]["last_frame"].get<int64_t>(), last) << "scores go forward in time";
    last = lines[i]["last_frame"];
  }
  EXPECT_EQ(last, 3 * kClipFrames - 1) << "the newest window is never the one skipped";
}

// A regular file plays at its frame rate (as a live feed would deliver it) unless told not to.
TEST_F(RealtimeTest, RegularFilePlaysAtItsFrameRate) {
  RealtimeOptions options;
  options.source = kClip;
  options.every = 4;
  options.queue_frames = 12;
  const std::atomic<bool> stop{false};
  const RunResult paced = RunWith(options, stop);
  EXPECT_EQ(paced.summary.ended, "end_of_source") << paced.err;
  EXPECT_EQ(paced.summary.frames_received, kClipFrames);
  EXPECT_EQ(paced.summary.frames_dropped, 0);
  EXPECT_EQ(paced.summary.scores, 3);
  EXPECT_GE(paced.seconds, 0.8) << "12 frames at 12.5 fps";
  options.pace_files = false;
  const RunResult fast = RunWith(options, stop);
  EXPECT_EQ(fast.summary.frames_received, kClipFrames);
  EXPECT_EQ(fast.summary.scores, 3);
  EXPECT_LT(fast.seconds, paced.seconds);
}

TEST_F(RealtimeTest, MaxSecondsEndsTheRun) {
  RealtimeOptions options;
  options.source = MovieGraph(/*loops=*/0, /*paced=*/true);
  options.open.input_format = "lavfi";
  options.max_seconds = 1.0;
  const std::atomic<bool> stop{false};
  const RunResult run = RunWith(options, stop);
  EXPECT_EQ(run.summary.ended, "max_seconds");
  EXPECT_EQ(run.summary.error, "");
  EXPECT_GE(run.summary.seconds, 1.0);
  EXPECT_LT(run.summary.seconds, 5.0);
  EXPECT_GT(run.summary.frames_received, 0);
}

TEST_F(RealtimeTest, ErrorsNameTheSourceOrFileAndStillSummarize) {
  const std::atomic<bool> stop{false};
  RealtimeOptions options;
  options.source = base::testing::TestTempPath("missing.mp4");
  RunResult run = RunWith(options, stop);
  EXPECT_EQ(run.summary.ended, "error");
  EXPECT_THAT(run.summary.error, HasSubstr(options.source + ": no such file"));
  EXPECT_THAT(run.out, HasSubstr("ended early: " + options.source + ": no such file"));
  EXPECT_THAT(run.out, HasSubstr("summary: " + options.source + ": error"));

  options.source = kClip;
  options.every = 0;
  run = RunWith(options, stop);
  EXPECT_EQ(run.summary.ended, "error");
  EXPECT_EQ(run.summary.error, "every must be >= 1 (got 0)");

  options.every = 4;
  options.output_file = base::testing::TestTempPath("no_such_dir/scores.jsonl");
  std::ostringstream out, err;
  const RealtimeSummary s = RunRealtime(*detector_, options, stop, out, err);
  EXPECT_EQ(s.ended, "error");
  EXPECT_THAT(s.error, HasSubstr(options.output_file + ": cannot open for writing"));
}

TEST_F(RealtimeTest, WindowWithoutDisplayIsAClearError) {
  unsetenv("DISPLAY");
  RealtimeOptions options;
  options.source = kClip;
  options.show_window = true;
  const std::atomic<bool> stop{false};
  const RunResult run = RunWith(options, stop);
  EXPECT_EQ(run.summary.ended, "error");
  EXPECT_THAT(run.summary.error, HasSubstr("DISPLAY is not set"));
}

}  // namespace
}  // namespace serve::realtime
