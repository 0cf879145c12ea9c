// Live inputs without a camera: libavdevice's lavfi device (the code path of v4l2) as an
// endless source; FIFOs and pipe(2) descriptors fed in small chunks by a writer thread like a
// live feed, a feed cut off mid-stream, a feed that stalls, silent FIFOs and a dead TCP
// stream against the open/read timeouts. Every blocking step has a bound.
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "video/decoder.h"
#include "video/decoder_test_util.h"
#include "video/sampling.h"
#include "video/testing/synthetic_clips.h"

namespace video {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

constexpr char kTestSource[] = "testsrc2=size=320x240:rate=25";  // no duration: endless
constexpr int kClipFrames = 50;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Writes `bytes` into a FIFO (opened by path once a reader has it open) or into the write
// end of a pipe, in small chunks with short pauses, like a live feed. After `stop_after`
// bytes it either closes (a feed cut off) or, with hold_open, keeps the pipe open without
// writing until destroyed (a stalled feed). Never blocks: a non-blocking descriptor, a stop
// flag and a 20 s limit on everything.
class FeedWriter {
 public:
  struct Options {
    size_t chunk = 1024;
    std::chrono::milliseconds pause{1};
    size_t stop_after = SIZE_MAX;
    bool hold_open = false;
  };

  FeedWriter(std::string fifo_path, std::string bytes, Options options)
      : path_(std::move(fifo_path)), bytes_(std::move(bytes)), options_(options) {
    Start();
  }
  FeedWriter(int write_fd, std::string bytes, Options options)
      : fd_(write_fd), bytes_(std::move(bytes)), options_(options) {
    Start();
  }
  ~FeedWriter() {
    stop_ = true;
    thread_.join();
  }
  size_t written() const { return written_; }

 private:
  void Start() {
    signal(SIGPIPE, SIG_IGN);  // a reader that has gone: EPIPE, not death
    thread_ = std::thread([this] { Run(); });
  }

  void Run() {
    const Clock::time_point give_up = Clock::now() + std::chrono::seconds(20);
    int fd = fd_;
    if (fd < 0) {
      // Fails with ENXIO until a reader has the FIFO open.
      while ((fd = open(path_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
        if (errno != ENXIO || stop_ || Clock::now() > give_up) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    } else {
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    }
    const size_t end = std::min(bytes_.size(), options_.stop_after);
    size_t pos = 0;
    while (pos < end && !stop_ && Clock::now() < give_up) {
      const ssize_t n = write(fd, bytes_.data() + pos, std::min(options_.chunk, end - pos));
      if (n > 0) {
        pos += n;
        written_ = pos;
        std::this_thread::sleep_for(options_.pause);
      } else if (n < 0 && errno == EAGAIN) {
        pollfd p{fd, POLLOUT, 0};
        poll(&p, 1, 50);
      } else if (!(n < 0 && errno == EINTR)) {
        break;  // EPIPE: the reader has gone
      }
    }
    while (options_.hold_open && !stop_ && Clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    close(fd);
  }

  std::string path_;
  int fd_ = -1;
  std::string bytes_;
  Options options_;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> written_{0};
  std::thread thread_;
};

std::string MakeFifo(const std::string& name) {
  const std::string path = TestTempPath(name);
  unlink(path.c_str());
  EXPECT_EQ(mkfifo(path.c_str(), 0600), 0) << path << ": " << std::strerror(errno);
  return path;
}

int CountOpenDescriptors() {
  int n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    ++n;
  }
  return n;
}

// Frames must be those of decoding the file directly: same pixels, indices, timestamps.
void ExpectSameFrames(const std::vector<Frame>& got, const std::vector<Frame>& want, size_t count) {
  ASSERT_LE(count, got.size());
  ASSERT_LE(count, want.size());
  for (size_t i = 0; i < count; ++i) {
    EXPECT_EQ(got[i].index, want[i].index);
    EXPECT_NEAR(got[i].timestamp_seconds, want[i].timestamp_seconds, 1e-6) << "frame " << i;
    ASSERT_EQ(got[i].width, want[i].width);
    ASSERT_EQ(got[i].height, want[i].height);
    ASSERT_TRUE(got[i].rgb == want[i].rgb) << "frame " << i << " differs";
  }
}

// --- lavfi: libavdevice's input device, an endless source like a webcam.

std::unique_ptr<Decoder> OpenTestSource() {
  OpenOptions options;
  options.input_format = "lavfi";
  auto decoder = Decoder::Open(kTestSource, options);
  EXPECT_TRUE(decoder.ok()) << decoder.status();
  return decoder.ok() ? *std::move(decoder) : nullptr;
}

TEST(LavfiLiveTest, InfoSaysLiveNotSeekableUnknownDuration) {
  auto decoder = OpenTestSource();
  ASSERT_NE(decoder, nullptr);
  const VideoInfo& info = decoder->info();
  EXPECT_EQ(info.path, kTestSource);
  EXPECT_EQ(info.container, "lavfi");
  EXPECT_EQ(info.width, 320);
  EXPECT_EQ(info.height, 240);
  EXPECT_NEAR(info.frame_rate, 25, 1e-9);
  EXPECT_FALSE(info.seekable);
  EXPECT_EQ(info.duration_seconds, 0);
  EXPECT_EQ(info.estimated_frames, 0);
}

TEST(LavfiLiveTest, NextDeliversFramesWithIncreasingTimestamps) {
  auto decoder = OpenTestSource();
  ASSERT_NE(decoder, nullptr);
  std::vector<Frame> frames;
  for (int i = 0; i < 50; ++i) {
    auto next = decoder->Next();
    ASSERT_TRUE(next.ok()) << next.status();
    ASSERT_TRUE(next->has_value()) << "an endless source ended at frame " << i;
    frames.push_back(std::move(**next));
  }
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(frames[i].width, 320);
    EXPECT_EQ(frames[i].height, 240);
    EXPECT_EQ(frames[i].rgb.size(), 320u * 240 * 3);
    EXPECT_EQ(frames[i].index, i);
    EXPECT_NEAR(frames[i].timestamp_seconds, i / 25.0, 1e-6);
  }
  EXPECT_FALSE(frames[0].rgb == frames[25].rgb) << "testsrc2 moves; frames should differ";
  EXPECT_EQ(decoder->report().frames_decoded, 50);
  EXPECT_EQ(decoder->report().packets_corrupt, 0);
  // Going back is impossible on a live source, and says so.
  auto back = decoder->DecodeAt(0.2);
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(back.status().message(), HasSubstr("not seekable"));
}

TEST(LavfiLiveTest, EvenlySpacedStopsAtTheCapAndSpacesOverWhatWasDecoded) {
  SamplingOptions options;
  options.num_frames = 8;
  options.max_decoded_frames = 60;
  options.open_options.input_format = "lavfi";
  DecodeReport report;
  auto frames = SampleFrames(kTestSource, options, &report);
  ASSERT_TRUE(frames.ok()) << frames.status();
  EXPECT_EQ(report.frames_decoded, 60);
  ASSERT_EQ(frames->size(), 8u);
  // The first kept frame at or after each i * 60 / 8.
  std::vector<int64_t> indices;
  for (const Frame& frame : *frames) indices.push_back(frame.index);
  EXPECT_EQ(indices, (std::vector<int64_t>{0, 8, 16, 24, 32, 40, 48, 56}));
  const double ideal_gap = 60.0 / 8;
  EXPECT_LT((*frames)[0].index, ideal_gap);
  EXPECT_GE(frames->back().index, 60 - 2 * ideal_gap);
  for (size_t i = 1; i < frames->size(); ++i) {
    const int64_t gap = (*frames)[i].index - (*frames)[i - 1].index;
    EXPECT_GE(gap, ideal_gap / 2) << "frames " << i - 1 << ".." << i;
    EXPECT_LE(gap, 2 * ideal_gap) << "frames " << i - 1 << ".." << i;
    EXPECT_NEAR((*frames)[i].timestamp_seconds, (*frames)[i].index / 25.0, 1e-6);
  }
  ASSERT_FALSE(report.warnings.empty());
  EXPECT_THAT(report.warnings.back(), HasSubstr(kTestSource));
  EXPECT_THAT(report.warnings.back(), HasSubstr("max_decoded_frames"));
}

TEST(LavfiLiveTest, FirstConsecutiveTakesTheFirstFrames) {
  SamplingOptions options;
  options.strategy = SamplingStrategy::kFirstConsecutive;
  options.num_frames = 8;
  options.max_decoded_frames = 60;
  options.open_options.input_format = "lavfi";
  DecodeReport report;
  auto frames = SampleFrames(kTestSource, options, &report);
  ASSERT_TRUE(frames.ok()) << frames.status();
  ASSERT_EQ(frames->size(), 8u);
  for (int i = 0; i < 8; ++i) EXPECT_EQ((*frames)[i].index, i);
  EXPECT_EQ(report.frames_decoded, 8);
  EXPECT_TRUE(report.warnings.empty()) << report.warnings.front();
}

// --- FIFOs and pipes fed like a live feed.

struct Clip {
  std::string path;
  std::string bytes;
  std::vector<Frame> frames;  // decoded from the file directly
};

// A streamable container with an H.264 stream, and its frames decoded from the file.
Clip MakeClip(const std::string& container) {
  Clip clip;
  clip.path = TestTempPath("live_" + container + ".bin");
  testing::SyntheticClipOptions options;
  options.container = container;
  options.width = 320;
  options.height = 240;
  options.frames = kClipFrames;
  const absl::Status written = testing::WriteSyntheticClip(clip.path, options);
  EXPECT_TRUE(written.ok()) << written;
  clip.bytes = ReadFile(clip.path);
  auto decoder = Decoder::Open(clip.path);
  EXPECT_TRUE(decoder.ok()) << decoder.status();
  if (decoder.ok()) clip.frames = DecodeAll(**decoder);
  EXPECT_EQ(clip.frames.size(), static_cast<size_t>(kClipFrames));
  return clip;
}

class LivePipeTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!testing::HasEncoder("libx264") || !testing::HasMuxer(GetParam())) {
      GTEST_SKIP() << "needs libx264 and the " << GetParam() << " muxer";
    }
    clip_ = MakeClip(GetParam());
    ASSERT_FALSE(clip_.bytes.empty());
  }
  Clip clip_;
};

TEST_P(LivePipeTest, FifoDecodesLikeTheFile) {
  for (const std::string& format : {std::string(), GetParam()}) {
    SCOPED_TRACE("input_format '" + format + "'");
    const std::string fifo = MakeFifo("feed.fifo");
    FeedWriter writer(fifo, clip_.bytes, {});
    OpenOptions options;
    options.input_format = format;
    options.open_timeout_seconds = options.read_timeout_seconds = 15;
    auto decoder = Decoder::Open(fifo, options);
    ASSERT_TRUE(decoder.ok()) << decoder.status();
    EXPECT_EQ((*decoder)->info().path, fifo);
    EXPECT_FALSE((*decoder)->info().seekable);
    EXPECT_EQ((*decoder)->info().width, 320);
    const std::vector<Frame> frames = DecodeAll(**decoder);
    ASSERT_EQ(frames.size(), clip_.frames.size());
    ExpectSameFrames(frames, clip_.frames, frames.size());
    EXPECT_EQ((*decoder)->report().packets_corrupt, 0);
    EXPECT_EQ(writer.written(), clip_.bytes.size());
  }
}

TEST_P(LivePipeTest, PipeDescriptorDecodesLikeTheFile) {
  for (const std::string& format : {std::string(), GetParam()}) {
    SCOPED_TRACE("input_format '" + format + "'");
    const int descriptors_before = CountOpenDescriptors();
    int fds[2];
    ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
    {
      FeedWriter writer(fds[1], clip_.bytes, {});
      OpenOptions options;
      options.input_format = format;
      options.open_timeout_seconds = options.read_timeout_seconds = 15;
      const std::string url = "pipe:" + std::to_string(fds[0]);
      auto decoder = Decoder::Open(url, options);
      ASSERT_TRUE(decoder.ok()) << decoder.status();
      EXPECT_EQ((*decoder)->info().path, url);
      const std::vector<Frame> frames = DecodeAll(**decoder);
      ASSERT_EQ(frames.size(), clip_.frames.size());
      ExpectSameFrames(frames, clip_.frames, frames.size());
      EXPECT_EQ(writer.written(), clip_.bytes.size());
    }
    // The caller's descriptor is left blocking (the decoder reads through its own).
    EXPECT_EQ(fcntl(fds[0], F_GETFL) & O_NONBLOCK, 0);
    EXPECT_EQ(close(fds[0]), 0);
    // Nothing leaked, nothing closed twice.
    EXPECT_EQ(CountOpenDescriptors(), descriptors_before);
  }
}

TEST_P(LivePipeTest, FeedCutOffMidStreamEndsWithTheFramesReceived) {
  const std::string fifo = MakeFifo("cut.fifo");
  FeedWriter::Options feed;
  feed.stop_after = clip_.bytes.size() / 2;
  FeedWriter writer(fifo, clip_.bytes, feed);
  OpenOptions options;
  options.open_timeout_seconds = options.read_timeout_seconds = 15;
  auto decoder = Decoder::Open(fifo, options);
  ASSERT_TRUE(decoder.ok()) << decoder.status();
  const std::vector<Frame> frames = DecodeAll(**decoder);
  const DecodeReport& report = (*decoder)->report();
  ASSERT_GT(frames.size(), 5u);
  ASSERT_LT(frames.size(), clip_.frames.size());
  EXPECT_EQ(report.frames_decoded, static_cast<int64_t>(frames.size()));
  // All but the last frame are intact; a last frame cut in half is reported as damaged.
  ExpectSameFrames(frames, clip_.frames, frames.size() - 1);
  const Frame& last = frames.back();
  if (!(last.rgb == clip_.frames[frames.size() - 1].rgb)) {
    EXPECT_GT(report.packets_corrupt, 0) << "a damaged last frame went unreported";
  }
  // The end stays the end.
  auto after = (*decoder)->Next();
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_FALSE(after->has_value());
  for (const std::string& warning : report.warnings) EXPECT_THAT(warning, HasSubstr(fifo));
}

TEST_P(LivePipeTest, StalledFeedReturnsItsFramesThenDeadlineExceeded) {
  const std::string fifo = MakeFifo("stall.fifo");
  FeedWriter::Options feed;
  feed.stop_after = clip_.bytes.size() / 2;
  feed.hold_open = true;
  FeedWriter writer(fifo, clip_.bytes, feed);
  OpenOptions options;
  options.open_timeout_seconds = 15;
  options.read_timeout_seconds = 1;
  auto decoder = Decoder::Open(fifo, options);
  ASSERT_TRUE(decoder.ok()) << decoder.status();
  std::vector<Frame> frames;
  absl::Status error;
  double longest_wait = 0;  // the call that waited out the stall (frames it held come after)
  for (int guard = 0; guard < 1000; ++guard) {
    const Clock::time_point start = Clock::now();
    auto next = (*decoder)->Next();
    longest_wait = std::max(longest_wait, SecondsSince(start));
    if (!next.ok()) {
      error = next.status();
      break;
    }
    ASSERT_TRUE(next->has_value()) << "the feed is stalled, not ended";
    frames.push_back(std::move(**next));
  }
  ASSERT_EQ(error.code(), absl::StatusCode::kDeadlineExceeded) << error;
  EXPECT_THAT(error.message(), HasSubstr(fifo + ": no data for 1 s (read_timeout_seconds)"));
  EXPECT_GE(longest_wait, 0.9);
  EXPECT_LT(longest_wait, 10);
  ASSERT_GT(frames.size(), 5u);
  ASSERT_LT(frames.size(), clip_.frames.size());
  ExpectSameFrames(frames, clip_.frames, frames.size() - 1);
  // Stays an error (not a silent end of video).
  auto again = (*decoder)->Next();
  EXPECT_EQ(again.status().code(), absl::StatusCode::kDeadlineExceeded);
}

// A stop flag (OpenOptions::interrupted) ends the wait on a stalled feed long before
// read_timeout_seconds, with Cancelled naming the input; the frames before it arrived.
TEST_P(LivePipeTest, InterruptEndsTheWaitOnAStalledFeed) {
  const std::string fifo = MakeFifo("interrupt.fifo");
  FeedWriter::Options feed;
  feed.stop_after = clip_.bytes.size() / 2;
  feed.hold_open = true;
  FeedWriter writer(fifo, clip_.bytes, feed);
  std::atomic<bool> stop{false};
  OpenOptions options;
  options.open_timeout_seconds = 15;
  options.read_timeout_seconds = 60;
  options.interrupted = [&stop] { return stop.load(); };
  auto decoder = Decoder::Open(fifo, options);
  ASSERT_TRUE(decoder.ok()) << decoder.status();
  int frames = 0;
  absl::Status error;
  Clock::time_point stopped_at;
  std::thread stopper;
  for (int guard = 0; guard < 1000; ++guard) {
    auto next = (*decoder)->Next();
    if (!next.ok()) {
      error = next.status();
      break;
    }
    ASSERT_TRUE(next->has_value()) << "the feed is stalled, not ended";
    if (++frames == 5) {  // frames flow: stop a moment later, while Next() waits on the stall
      stopper = std::thread([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        stopped_at = Clock::now();
        stop = true;
      });
    }
  }
  if (stopper.joinable()) stopper.join();
  ASSERT_EQ(error.code(), absl::StatusCode::kCancelled) << error;
  EXPECT_THAT(error.message(), HasSubstr(fifo + ": interrupted after"));
  EXPECT_LT(SecondsSince(stopped_at), 2.0) << "the interrupt was not noticed promptly";
  EXPECT_GE(frames, 5);
  EXPECT_LT(frames, kClipFrames);
  // Later reads say the same, without waiting.
  const Clock::time_point again_start = Clock::now();
  auto again = (*decoder)->Next();
  EXPECT_EQ(again.status().code(), absl::StatusCode::kCancelled);
  EXPECT_LT(SecondsSince(again_start), 1.0);
}

// Sampling a feed that stalls keeps the frames it got, with a warning naming the stall,
// for every strategy (evenly spaced on a live feed has no duration: it spaces over what
// arrived).
TEST_P(LivePipeTest, SamplingAStalledFeedKeepsWhatArrived) {
  for (SamplingStrategy strategy :
       {SamplingStrategy::kEvenlySpaced, SamplingStrategy::kFirstConsecutive}) {
    const std::string fifo = MakeFifo("stall_sampling.fifo");
    FeedWriter::Options feed;
    feed.stop_after = clip_.bytes.size() / 2;
    feed.hold_open = true;
    FeedWriter writer(fifo, clip_.bytes, feed);
    SamplingOptions options;
    options.strategy = strategy;
    options.num_frames = kClipFrames;  // more than arrive before the stall
    options.open_options.open_timeout_seconds = 15;
    options.open_options.read_timeout_seconds = 1;
    DecodeReport report;
    auto frames = SampleFrames(fifo, options, &report);
    ASSERT_TRUE(frames.ok()) << frames.status();
    EXPECT_GT(frames->size(), 5u);
    EXPECT_LT(frames->size(), clip_.frames.size());
    ExpectSameFrames(*frames, clip_.frames, frames->size() - 1);
    ASSERT_FALSE(report.warnings.empty());
    EXPECT_THAT(report.warnings.front(), HasSubstr("stopped delivering"));
    EXPECT_THAT(report.warnings.front(), HasSubstr("no data for 1 s"));
  }
}

INSTANTIATE_TEST_SUITE_P(Containers, LivePipeTest, ::testing::Values("mpegts", "matroska"));

// --- Inputs that never deliver: bounded by open_timeout_seconds.

void ExpectOpenTimesOut(const std::string& input, const OpenOptions& options) {
  const Clock::time_point start = Clock::now();
  auto decoder = Decoder::Open(input, options);
  const double waited = SecondsSince(start);
  ASSERT_FALSE(decoder.ok());
  EXPECT_EQ(decoder.status().code(), absl::StatusCode::kDeadlineExceeded) << decoder.status();
  EXPECT_THAT(decoder.status().message(), HasSubstr(input + ": timed out after 1 s"));
  EXPECT_THAT(decoder.status().message(), HasSubstr("open_timeout_seconds"));
  EXPECT_GE(waited, 0.9);
  EXPECT_LT(waited, 10);
}

TEST(LiveTimeoutTest, FifoThatNobodyOpensTimesOut) {
  const std::string fifo = MakeFifo("nobody.fifo");
  OpenOptions options;
  options.open_timeout_seconds = 1;
  ExpectOpenTimesOut(fifo, options);
  options.input_format = "mpegts";
  ExpectOpenTimesOut(fifo, options);
}

TEST(LiveTimeoutTest, FifoWhoseWriterNeverWritesTimesOut) {
  const std::string fifo = MakeFifo("silent.fifo");
  FeedWriter::Options feed;
  feed.stop_after = 0;
  feed.hold_open = true;
  FeedWriter writer(fifo, "unused", feed);
  OpenOptions options;
  options.open_timeout_seconds = 1;
  ExpectOpenTimesOut(fifo, options);
}

// Opening a FIFO whose writer never writes: the interrupt ends the wait, not the timeout.
TEST(LiveTimeoutTest, InterruptEndsTheWaitForASilentWriter) {
  const std::string fifo = MakeFifo("silent_interrupt.fifo");
  FeedWriter::Options feed;
  feed.stop_after = 0;
  feed.hold_open = true;
  FeedWriter writer(fifo, "unused", feed);
  const Clock::time_point start = Clock::now();
  OpenOptions options;
  options.open_timeout_seconds = 60;
  options.interrupted = [start] { return SecondsSince(start) > 0.5; };
  auto decoder = Decoder::Open(fifo, options);
  const double waited = SecondsSince(start);
  ASSERT_FALSE(decoder.ok());
  EXPECT_EQ(decoder.status().code(), absl::StatusCode::kCancelled) << decoder.status();
  EXPECT_THAT(decoder.status().message(),
              HasSubstr(fifo + ": interrupted while waiting for a writer to send data"));
  EXPECT_GE(waited, 0.45);
  EXPECT_LT(waited, 3);
}

TEST(LiveTimeoutTest, PipeWhoseWriterNeverWritesTimesOut) {
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  OpenOptions options;
  options.open_timeout_seconds = 1;
  ExpectOpenTimesOut("pipe:" + std::to_string(fds[0]), options);
  close(fds[0]);
  close(fds[1]);
}

// A stream URL whose server accepts the connection (the kernel's backlog does) but never
// sends a byte.
TEST(LiveTimeoutTest, DeadStreamUrlTimesOut) {
  const int server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(server, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(server, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(listen(server, 4), 0);
  socklen_t length = sizeof(address);
  ASSERT_EQ(getsockname(server, reinterpret_cast<sockaddr*>(&address), &length), 0);
  OpenOptions options;
  options.open_timeout_seconds = 1;
  ExpectOpenTimesOut("tcp://127.0.0.1:" + std::to_string(ntohs(address.sin_port)), options);
  close(server);
}

TEST(LiveTimeoutTest, TimeoutsDoNotApplyToRegularFiles) {
  if (!testing::HasEncoder("libx264") || !testing::HasMuxer("mpegts")) {
    GTEST_SKIP() << "needs libx264 and the mpegts muxer";
  }
  const Clip clip = MakeClip("mpegts");
  OpenOptions options;
  options.open_timeout_seconds = 1e-9;
  options.read_timeout_seconds = 1e-9;
  auto decoder = Decoder::Open(clip.path, options);
  ASSERT_TRUE(decoder.ok()) << decoder.status();
  const std::vector<Frame> frames = DecodeAll(**decoder);
  ASSERT_EQ(frames.size(), clip.frames.size());
  ExpectSameFrames(frames, clip.frames, frames.size());
  auto memory = Decoder::OpenMemory("clip.ts", clip.bytes, options);
  ASSERT_TRUE(memory.ok()) << memory.status();
  EXPECT_EQ(DecodeAll(**memory).size(), clip.frames.size());
}

}  // namespace
}  // namespace video
