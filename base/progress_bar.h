// A progress line for long work (training epochs, preprocessing): done/total, percent, a
// bar, the rate and the estimated time left. On a terminal it redraws one line in place
// (at most every `redraw_seconds`); into a log file (not a TTY) it writes a plain line every
// `log_every_fraction` of the work or `log_seconds`, whichever comes first, so logs stay
// readable and short.
//
//   base::ProgressBar bar("epoch 3/50", batches, "batch");
//   for (...) { ...; bar.Update(i + 1, absl::StrFormat("loss %.4f", loss)); }
//   bar.Finish("loss 0.3120");
#ifndef BASE_PROGRESS_BAR_H_
#define BASE_PROGRESS_BAR_H_

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>

namespace base {

// "0:42", "12:05", "1:02:03"; "?" for negative or non-finite values.
std::string FormatDuration(double seconds);

struct ProgressBarOptions {
  FILE* out = stderr;
  // -1: detect (isatty(out)); 0: log lines; 1: redraw in place.
  int tty = -1;
  int width = 24;                   // bar characters
  double redraw_seconds = 0.1;      // terminal
  double log_every_fraction = 0.1;  // log lines
  double log_seconds = 30;
  // Seconds since an arbitrary origin; default: a steady clock. Tests inject one.
  std::function<double()> clock;
};

class ProgressBar {
 public:
  // `unit` names what is counted ("batch", "video"); the rate is per unit.
  ProgressBar(std::string label, int64_t total, std::string unit,
              ProgressBarOptions options = ProgressBarOptions());
  ~ProgressBar();  // Finish() if not finished
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // `done` units of `total` are finished; `suffix` is appended (e.g. the running loss).
  void Update(int64_t done, const std::string& suffix = "");
  // Prints the final line (with the elapsed time) and ends it with a newline.
  void Finish(const std::string& suffix = "");

  double ElapsedSeconds() const;
  // Units per second so far (0 before any).
  double Rate() const;
  // Seconds left at the current rate; -1 when unknown.
  double EtaSeconds() const;
  // The line as it would be printed now (without '\r' or newline).
  std::string Line(const std::string& suffix, bool finished) const;

 private:
  double Now() const;
  void Print(const std::string& line, bool final_line);

  std::string label_, unit_;
  int64_t total_, done_ = 0;
  ProgressBarOptions options_;
  bool tty_;
  double start_, last_print_ = -1e300;
  double last_logged_fraction_ = 0;
  size_t last_length_ = 0;
  bool finished_ = false;
};

}  // namespace base

#endif  // BASE_PROGRESS_BAR_H_
