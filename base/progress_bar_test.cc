// ProgressBar: rate, ETA, line text, terminal redraws and log-line throttling on a fake clock.
#include "base/progress_bar.h"

#include <cstdio>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace base {
namespace {

using ::testing::HasSubstr;

// Captures what the bar writes (open_memstream) with a settable clock.
class Capture {
 public:
  Capture() { out_ = open_memstream(&buffer_, &size_); }
  ~Capture() {
    std::fclose(out_);
    std::free(buffer_);
  }
  std::string text() {
    std::fflush(out_);
    return std::string(buffer_, size_);
  }
  ProgressBarOptions Options(int tty) {
    ProgressBarOptions options;
    options.out = out_;
    options.tty = tty;
    options.width = 10;
    options.clock = [this] { return now; };
    return options;
  }
  double now = 100;

 private:
  FILE* out_;
  char* buffer_ = nullptr;
  size_t size_ = 0;
};

TEST(FormatDurationTest, MinutesAndHours) {
  EXPECT_EQ(FormatDuration(0), "0:00");
  EXPECT_EQ(FormatDuration(42.4), "0:42");
  EXPECT_EQ(FormatDuration(725), "12:05");
  EXPECT_EQ(FormatDuration(3723), "1:02:03");
  EXPECT_EQ(FormatDuration(-1), "?");
  EXPECT_EQ(FormatDuration(1.0 / 0.0), "?");
}

TEST(ProgressBarTest, RateAndEta) {
  Capture capture;
  ProgressBar bar("epoch 1/2", 100, "batch", capture.Options(1));
  EXPECT_EQ(bar.Rate(), 0);
  EXPECT_EQ(bar.EtaSeconds(), -1);
  capture.now += 10;
  bar.Update(25);
  EXPECT_DOUBLE_EQ(bar.Rate(), 2.5);
  EXPECT_DOUBLE_EQ(bar.EtaSeconds(), 30);  // 75 left at 2.5/s
  EXPECT_EQ(bar.Line("loss 0.5", false),
            "epoch 1/2 [##........] 25/100  25% 2.50 batch/s, ETA 0:30, loss 0.5");
  bar.Finish();
}

TEST(ProgressBarTest, SlowRateShownAsSecondsPerUnit) {
  Capture capture;
  ProgressBar bar("x", 10, "video", capture.Options(0));
  capture.now += 8;
  bar.Update(2);
  EXPECT_THAT(bar.Line("", false), HasSubstr("4.00 s/video, ETA 0:32"));
  bar.Finish();
}

TEST(ProgressBarTest, TerminalRedrawsInPlaceAndThrottles) {
  Capture capture;
  {
    ProgressBar bar("e", 4, "batch", capture.Options(1));
    capture.now += 1;
    bar.Update(1);
    capture.now += 0.01;  // within redraw_seconds: not drawn
    bar.Update(2);
    capture.now += 1;
    bar.Update(3);
    bar.Finish("done");
  }
  const std::string text = capture.text();
  EXPECT_THAT(text, HasSubstr("\re [##........] 1/4"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("2/4")));
  EXPECT_THAT(text, HasSubstr("\re [#######...] 3/4"));
  EXPECT_THAT(text, HasSubstr("] 3/4  75% 1.49 batch/s, took 0:02, done\n"));
}

TEST(ProgressBarTest, LogLinesEveryTenthAndFinal) {
  Capture capture;
  {
    ProgressBar bar("epoch", 100, "batch", capture.Options(0));
    for (int i = 1; i <= 100; ++i) {
      capture.now += 0.5;
      bar.Update(i);
    }
    bar.Finish("loss 0.1");
  }
  const std::string text = capture.text();
  EXPECT_EQ(text.find('\r'), std::string::npos);
  int lines = 0;
  for (char c : text) lines += c == '\n';
  EXPECT_EQ(lines, 10);  // 10%, ..., 90%, and the final line
  EXPECT_THAT(text,
              HasSubstr("epoch [##########] 100/100 100% 2.00 batch/s, took 0:50, loss 0.1\n"));
}

TEST(ProgressBarTest, LogLinesAtLeastEveryLogSeconds) {
  Capture capture;
  {
    ProgressBar bar("slow", 1000, "batch", capture.Options(0));
    capture.now += 31;
    bar.Update(1);  // 0.1%, but 31 s in
    capture.now += 31;
    bar.Update(2);
    bar.Finish();
  }
  const std::string text = capture.text();
  EXPECT_THAT(text, HasSubstr("1/1000"));
  EXPECT_THAT(text, HasSubstr("2/1000"));
}

}  // namespace
}  // namespace base
