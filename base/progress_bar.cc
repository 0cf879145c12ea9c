// Progress line rendering and throttling.
#include "base/progress_bar.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>

namespace base {
namespace {

double SteadySeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string FormatRate(double rate, const std::string& unit) {
  char text[64];
  if (rate >= 1 || rate == 0) {
    std::snprintf(text, sizeof(text), "%.2f %s/s", rate, unit.c_str());
  } else {
    std::snprintf(text, sizeof(text), "%.2f s/%s", 1 / rate, unit.c_str());
  }
  return text;
}

}  // namespace

std::string FormatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const int64_t total = static_cast<int64_t>(std::llround(seconds));
  const int64_t hours = total / 3600, minutes = (total / 60) % 60, secs = total % 60;
  char text[48];
  if (hours > 0) {
    std::snprintf(text, sizeof(text), "%lld:%02lld:%02lld", static_cast<long long>(hours),
                  static_cast<long long>(minutes), static_cast<long long>(secs));
  } else {
    std::snprintf(text, sizeof(text), "%lld:%02lld", static_cast<long long>(minutes),
                  static_cast<long long>(secs));
  }
  return text;
}

ProgressBar::ProgressBar(std::string label, int64_t total, std::string unit,
                         ProgressBarOptions options)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(std::max<int64_t>(total, 0)),
      options_(std::move(options)) {
  if (!options_.clock) options_.clock = SteadySeconds;
  tty_ = options_.tty < 0 ? (options_.out != nullptr && isatty(fileno(options_.out)) != 0)
                          : options_.tty != 0;
  start_ = Now();
}

ProgressBar::~ProgressBar() {
  if (!finished_) Finish();
}

double ProgressBar::Now() const { return options_.clock(); }

double ProgressBar::ElapsedSeconds() const { return Now() - start_; }

double ProgressBar::Rate() const {
  const double elapsed = ElapsedSeconds();
  return done_ > 0 && elapsed > 0 ? done_ / elapsed : 0;
}

double ProgressBar::EtaSeconds() const {
  const double rate = Rate();
  if (rate <= 0 || total_ <= 0) return -1;
  return std::max<int64_t>(total_ - done_, 0) / rate;
}

std::string ProgressBar::Line(const std::string& suffix, bool finished) const {
  const double fraction =
      total_ > 0 ? std::min(1.0, static_cast<double>(done_) / total_) : (finished ? 1.0 : 0.0);
  std::string line = label_;
  line += " [";
  const int filled = static_cast<int>(fraction * options_.width);
  line.append(filled, '#');
  line.append(options_.width - filled, '.');
  char counts[96];
  std::snprintf(counts, sizeof(counts), "] %lld/%lld %3.0f%% ", static_cast<long long>(done_),
                static_cast<long long>(total_), 100 * fraction);
  line += counts;
  line += FormatRate(Rate(), unit_);
  if (finished) {
    line += ", took " + FormatDuration(ElapsedSeconds());
  } else {
    line += ", ETA " + FormatDuration(EtaSeconds());
  }
  if (!suffix.empty()) line += ", " + suffix;
  return line;
}

void ProgressBar::Print(const std::string& line, bool final_line) {
  if (options_.out == nullptr) return;
  if (tty_) {
    // Pad over a longer previous line, then return to the line start.
    std::string padded = line;
    if (padded.size() < last_length_) padded.append(last_length_ - padded.size(), ' ');
    std::fprintf(options_.out, "\r%s%s", padded.c_str(), final_line ? "\n" : "");
    last_length_ = line.size();
  } else {
    std::fprintf(options_.out, "%s\n", line.c_str());
  }
  std::fflush(options_.out);
}

void ProgressBar::Update(int64_t done, const std::string& suffix) {
  if (finished_) return;
  done_ = std::max<int64_t>(done, 0);
  const double now = Now();
  if (tty_) {
    if (now - last_print_ < options_.redraw_seconds && done_ < total_) return;
  } else {
    const double fraction = total_ > 0 ? static_cast<double>(done_) / total_ : 0;
    const bool fraction_due = fraction - last_logged_fraction_ >= options_.log_every_fraction;
    const bool time_due = now - last_print_ >= options_.log_seconds && last_print_ > -1e299;
    const bool first_due = last_print_ <= -1e299 && now - start_ >= options_.log_seconds;
    if (!fraction_due && !time_due && !first_due) return;
    if (done_ >= total_) return;  // Finish() prints the last line
    last_logged_fraction_ = fraction;
  }
  last_print_ = now;
  Print(Line(suffix, /*finished=*/false), /*final_line=*/false);
}

void ProgressBar::Finish(const std::string& suffix) {
  if (finished_) return;
  finished_ = true;
  Print(Line(suffix, /*finished=*/true), /*final_line=*/true);
}

}  // namespace base
