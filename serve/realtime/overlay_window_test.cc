// The overlay window drawn into a real X server: Xvfb started by the test (skipped, saying
// why, when Xvfb is not installed or cannot start). Pixels are read back from the server
// with XGetImage: the frame, the face box in the colour of the latest score, the banner;
// then real-time mode end to end with the window on.
#include "serve/realtime/overlay_window.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>

#include "base/testing/test_paths.h"
#include "gtest/gtest.h"
#include "serve/api/detector.h"
#include "serve/api/testing/test_model.h"
#include "serve/realtime/realtime.h"

// Last: Xlib's macros (None, Bool, Status) collide with gtest's names.
#include <X11/Xlib.h>
#include <X11/Xutil.h>

namespace serve::realtime {
namespace {

constexpr char kXvfb[] = "/usr/bin/Xvfb";
constexpr char kClip[] = "train/testdata/videos/real_retalking_face2.mp4";

// An Xvfb server on a free display (-displayfd), killed at the end of the suite.
class XvfbServer {
 public:
  // The display name (":N"), or "" with `why` set.
  std::string Start(std::string* why) {
    if (access(kXvfb, X_OK) != 0) {
      *why = std::string(kXvfb) + " not found (apt-get install xvfb)";
      return "";
    }
    int fds[2];
    if (pipe(fds) != 0) {
      *why = "pipe() failed";
      return "";
    }
    pid_ = fork();
    if (pid_ == 0) {
      close(fds[0]);
      const std::string fd = std::to_string(fds[1]);
      execl(kXvfb, kXvfb, "-displayfd", fd.c_str(), "-screen", "0", "640x480x24", "-nolisten",
            "tcp", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[1]);
    // Xvfb writes the display number once it accepts connections; bounded wait.
    std::string number;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    char c;
    fd_set set;
    while (std::chrono::steady_clock::now() < give_up) {
      FD_ZERO(&set);
      FD_SET(fds[0], &set);
      timeval tv{0, 100000};
      if (select(fds[0] + 1, &set, nullptr, nullptr, &tv) <= 0) continue;
      if (read(fds[0], &c, 1) != 1 || c == '\n') break;
      number += c;
    }
    close(fds[0]);
    if (number.empty()) {
      *why = "Xvfb did not start within 15 s";
      return "";
    }
    return ":" + number;
  }
  ~XvfbServer() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }

 private:
  pid_t pid_ = -1;
};

class OverlayWindowTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new XvfbServer;
    display_ = new std::string(server_->Start(&why_));
  }
  static void TearDownTestSuite() {
    delete server_;
    delete display_;
  }
  void SetUp() override {
    if (display_->empty()) GTEST_SKIP() << "no X server for the window test: " << why_;
    setenv("DISPLAY", display_->c_str(), 1);
  }

  static XvfbServer* server_;
  static std::string* display_;
  static std::string why_;
};
XvfbServer* OverlayWindowTest::server_ = nullptr;
std::string* OverlayWindowTest::display_ = nullptr;
std::string OverlayWindowTest::why_;

// Reads the window's pixels (0xRRGGBB) through a connection of the test's own.
class WindowReader {
 public:
  explicit WindowReader(unsigned long window) : window_(window) {
    display_ = XOpenDisplay(nullptr);
  }
  ~WindowReader() {
    if (image_ != nullptr) XDestroyImage(image_);
    if (display_ != nullptr) XCloseDisplay(display_);
  }
  bool Grab(int width, int height) {
    if (display_ == nullptr) return false;
    XSync(display_, False);
    if (image_ != nullptr) XDestroyImage(image_);
    image_ = XGetImage(display_, window_, 0, 0, width, height, AllPlanes, ZPixmap);
    return image_ != nullptr;
  }
  unsigned long At(int x, int y) const { return XGetPixel(image_, x, y) & 0xFFFFFF; }

 private:
  Display* display_ = nullptr;
  unsigned long window_;
  XImage* image_ = nullptr;
};

FramePtr MakeFrame(int64_t index, uint8_t r, uint8_t g, uint8_t b) {
  auto frame = std::make_shared<AnalysedFrame>();
  frame->frame.index = index;
  frame->frame.width = 200;
  frame->frame.height = 120;
  frame->frame.rgb.resize(200 * 120 * 3);
  for (size_t i = 0; i < frame->frame.rgb.size(); i += 3) {
    frame->frame.rgb[i] = r;
    frame->frame.rgb[i + 1] = g;
    frame->frame.rgb[i + 2] = b;
  }
  video::FaceObservation face;
  face.box = {50, 40, 130, 110, 1.0};
  frame->faces.push_back(face);
  frame->num_faces = 1;
  return frame;
}

// Waits (bounded) until the server has drawn what the window was sent.
unsigned long PixelWhenDrawn(WindowReader& reader, int x, int y, unsigned long want) {
  unsigned long got = 0;
  for (int i = 0; i < 50; ++i) {
    if (reader.Grab(200, 120) && (got = reader.At(x, y)) == want) return got;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return got;
}

TEST_F(OverlayWindowTest, DrawsTheFrameAndTheBoxInTheColourOfTheLatestScore) {
  auto window = OverlayWindow::Open("test feed");
  ASSERT_TRUE(window.ok()) << window.status();
  EXPECT_EQ((*window)->window_id(), 0u) << "no window before the first frame";
  const FramePtr frame = MakeFrame(0, 10, 40, 200);
  (*window)->ShowFrame(frame);
  ASSERT_NE((*window)->window_id(), 0u);
  WindowReader reader((*window)->window_id());
  // The frame's own pixels away from the box and banner; the box edge in grey (no score).
  EXPECT_EQ(PixelWhenDrawn(reader, 20, 80, 0x0A28C8), 0x0A28C8u);
  EXPECT_EQ(PixelWhenDrawn(reader, 50, 75, OverlayWindow::kNoScoreColour),
            OverlayWindow::kNoScoreColour);
  EXPECT_EQ(reader.At(90, 75), 0x0A28C8u) << "inside the box is the frame";
  EXPECT_EQ(reader.At(190, 2), 0x000000u) << "banner background";

  WindowScore score;
  score.time_seconds = 1.5;
  score.tracks.push_back({0, 0.9, frame->faces[0].box, true});
  score.fake_probability = 0.9;
  (*window)->ShowScore({frame}, score, 0.5);
  EXPECT_EQ(PixelWhenDrawn(reader, 50, 75, OverlayWindow::kFakeColour), OverlayWindow::kFakeColour);
  score.tracks[0].fake_probability = score.fake_probability = 0.1;
  (*window)->ShowScore({frame}, score, 0.5);
  (*window)->ShowFrame(MakeFrame(1, 10, 40, 200));
  EXPECT_EQ(PixelWhenDrawn(reader, 130, 75, OverlayWindow::kRealColour),
            OverlayWindow::kRealColour);
  EXPECT_EQ((*window)->frames_drawn(), 4);
}

// Real-time mode with the window on, on the face clip: it runs, scores and ends cleanly.
TEST_F(OverlayWindowTest, RealtimeRunWithTheWindowEndsCleanly) {
  const std::string model = serve::testing::WriteRandomModel(
      base::testing::TestTempPath("tiny.safetensors"), "tiny", /*seed=*/3);
  DetectorOptions detector_options;
  detector_options.device = "cpu";
  detector_options.landmark_model_path = base::testing::kLandmarkModelPath;
  auto detector = Detector::Load(model, detector_options);
  ASSERT_TRUE(detector.ok()) << detector.status();
  RealtimeOptions options;
  options.source = kClip;
  options.every = 4;
  options.queue_frames = 12;
  options.show_window = true;
  const std::atomic<bool> stop{false};
  std::ostringstream out, err;
  const RealtimeSummary summary = RunRealtime(**detector, options, stop, out, err);
  EXPECT_EQ(summary.ended, "end_of_source") << err.str();
  EXPECT_EQ(summary.error, "");
  EXPECT_EQ(summary.frames_received, 12);
  EXPECT_EQ(summary.scores, 3);
}

}  // namespace
}  // namespace serve::realtime
