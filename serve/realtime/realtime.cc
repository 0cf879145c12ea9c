// Real-time mode: three stages on three threads.
//   reader  (thread): decoder.Next() -> `decoded` (BoundedQueue, drop oldest: frames_dropped)
//   faces   (thread): detection + landmarks per frame -> sliding window; every `every`
//                     frames a snapshot -> `windows` (capacity 1, latest wins: skipped)
//   scorer  (caller): tracking, crops, model -> a line on `out`, JSONL, the overlay
// Every wait is bounded (queues poll 50 ms; the decoder is interrupted by the stop flag), so
// Ctrl-C, max_seconds, the end or a stall of the source end it within about one scoring.
#include "serve/realtime/realtime.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/thread_pool.h"
#include "nlohmann/json.hpp"
#include "serve/realtime/bounded_queue.h"
#include "serve/realtime/live_window.h"
#include "serve/realtime/overlay_window.h"

namespace serve::realtime {
namespace {

constexpr std::chrono::milliseconds kPoll(50);

double MillisecondsBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

struct Received {
  video::Frame frame;
  Clock::time_point arrival;
};

// Nearest-rank percentile of sorted values (q in [0, 1]).
double Percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const size_t rank = static_cast<size_t>(std::ceil(q * sorted.size()));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

// The first error of the reader and face threads, kept for the summary.
class FirstError {
 public:
  void Set(absl::Status status) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (status_.ok()) status_ = std::move(status);
  }
  absl::Status Get() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return status_;
  }

 private:
  mutable std::mutex mutex_;
  absl::Status status_;
};

std::string ScoreLine(const WindowScore& score, double threshold, double latency_ms) {
  std::string line = absl::StrFormat("[%8.2f s] frames %d-%d  faces %d  ", score.time_seconds,
                                     score.first_index, score.last_index, score.tracks.size());
  if (score.tracks.empty()) {
    absl::StrAppend(&line, "P(fake)   -     UNDETERMINED (", score.no_track_reason, ")");
  } else {
    absl::StrAppendFormat(&line, "P(fake) %.4f  %s", score.fake_probability,
                          score.fake_probability >= threshold ? "FAKE" : "REAL");
  }
  absl::StrAppendFormat(&line, "  latency %.0f ms", latency_ms);
  return line;
}

nlohmann::json ScoreJson(const WindowScore& score, double threshold, double latency_ms,
                         int64_t frames_dropped) {
  nlohmann::json tracks = nlohmann::json::array();
  for (const LiveTrackScore& t : score.tracks) {
    tracks.push_back({{"track_id", t.track_id},
                      {"fake_probability", t.fake_probability},
                      {"fake", t.fake_probability >= threshold},
                      {"box", {t.box.left, t.box.top, t.box.right, t.box.bottom}},
                      {"detected", t.detected}});
  }
  const bool judged = !score.tracks.empty();
  return {
      {"type", "score"},
      {"time_seconds", score.time_seconds},
      {"first_frame", score.first_index},
      {"last_frame", score.last_index},
      {"window_frames", score.num_frames},
      {"frame_indices", score.frame_indices},
      {"faces", score.tracks.size()},
      {"fake_probability", judged ? nlohmann::json(score.fake_probability) : nullptr},
      {"verdict", !judged                               ? "UNDETERMINED"
                  : score.fake_probability >= threshold ? "FAKE"
                                                        : "REAL"},
      {"reason", score.no_track_reason},
      {"threshold", threshold},
      {"latency_ms", latency_ms},
      {"frames_dropped", frames_dropped},
      {"times_ms", {{"track", score.track_ms}, {"crop", score.crop_ms}, {"model", score.model_ms}}},
      {"tracks", tracks}};
}

nlohmann::json SummaryJson(const std::string& source, const RealtimeSummary& s) {
  return {{"type", "summary"},
          {"source", source},
          {"ended", s.ended},
          {"error", s.error},
          {"source_stalled", s.source_stalled},
          {"seconds", s.seconds},
          {"frames_received", s.frames_received},
          {"frames_analysed", s.frames_analysed},
          {"frames_dropped", s.frames_dropped},
          {"windows_skipped", s.windows_skipped},
          {"scores", s.scores},
          {"fake_scores", s.fake_scores},
          {"undetermined", s.undetermined},
          {"max_fake_probability",
           s.max_fake_probability >= 0 ? nlohmann::json(s.max_fake_probability) : nullptr},
          {"latency_ms",
           {{"p50", s.latency_ms_p50}, {"p95", s.latency_ms_p95}, {"max", s.latency_ms_max}}}};
}

void PrintSummary(const std::string& source, const RealtimeSummary& s, std::ostream& out) {
  out << absl::StrFormat("summary: %s: %s after %.1f s\n", source, s.ended, s.seconds);
  out << absl::StrFormat("  frames: %d received, %d analysed, %d dropped; windows skipped: %d\n",
                         s.frames_received, s.frames_analysed, s.frames_dropped, s.windows_skipped);
  out << absl::StrFormat("  scores: %d (%d FAKE, %d undetermined)", s.scores, s.fake_scores,
                         s.undetermined);
  if (s.max_fake_probability >= 0) {
    out << absl::StrFormat(", max P(fake) %.4f", s.max_fake_probability);
  }
  out << "\n";
  out << absl::StrFormat(
      "  latency (frame arrival -> score): p50 %.0f ms, p95 %.0f ms, max %.0f ms\n",
      s.latency_ms_p50, s.latency_ms_p95, s.latency_ms_max);
  if (!s.error.empty()) {
    out << "  ended early: " << s.error
        << (s.source_stalled ? " (the feed stopped delivering frames)" : "") << "\n";
  }
  out.flush();
}

// Sleeps until `when`, waking every kPoll to check `stop`; false when stopped.
bool SleepUntil(Clock::time_point when, const std::function<bool()>& stop) {
  while (Clock::now() < when) {
    if (stop()) return false;
    std::this_thread::sleep_for(std::min<Clock::duration>(kPoll, when - Clock::now()));
  }
  return !stop();
}

// Devices (lavfi, v4l2, screen grabs) state their stream's parameters, but FFmpeg's stream
// probing still reads up to ~20 frames (their frame rate, 5 s of analysis) before the
// first is handed out: a startup delay of ~0.8 s at 25 fps, then a burst that overflows the
// queue. Probing is switched off for them unless the caller set those options.
video::OpenOptions WithLowLatencyProbing(video::OpenOptions open) {
  static constexpr const char* kDevices[] = {"lavfi",   "v4l2",  "video4linux2",
                                             "x11grab", "fbdev", "kmsgrab"};
  if (std::find(std::begin(kDevices), std::end(kDevices), open.input_format) ==
      std::end(kDevices)) {
    return open;
  }
  open.format_options.emplace("fpsprobesize", "0");  // emplace: the caller's value wins
  open.format_options.emplace("analyzeduration", "0");
  return open;
}

}  // namespace

RealtimeSummary RunRealtime(const Detector& detector, const RealtimeOptions& options,
                            const std::atomic<bool>& stop, std::ostream& out, std::ostream& err) {
  const Clock::time_point start = Clock::now();
  RealtimeSummary summary;
  const std::string& source = options.source;
  auto fail = [&](const std::string& message) {
    summary.ended = "error";
    summary.error = message;
    summary.seconds = MillisecondsBetween(start, Clock::now()) / 1000;
    PrintSummary(source, summary, out);
    return summary;
  };
  if (options.every < 1) return fail(absl::StrCat("every must be >= 1 (got ", options.every, ")"));
  if (options.window < 0) {
    return fail(absl::StrCat("window must be >= 0 (got ", options.window, ")"));
  }
  if (options.queue_frames < 1) {
    return fail(absl::StrCat("queue_frames must be >= 1 (got ", options.queue_frames, ")"));
  }
  if (options.face_threads < 0) {
    return fail(absl::StrCat("face_threads must be >= 0 (got ", options.face_threads, ")"));
  }
  const int window = options.window > 0 ? options.window : detector.preset().preprocessing.frames;
  // Half the cores find faces (the model's Forward uses base's pool), at most 4.
  const int face_threads =
      options.face_threads > 0 ? options.face_threads : std::clamp(base::GetNumThreads() / 2, 1, 4);
  const double threshold = detector.threshold();

  std::ofstream jsonl;
  if (!options.output_file.empty()) {
    jsonl.open(options.output_file, std::ios::out | std::ios::trunc);
    if (!jsonl) {
      return fail(
          absl::StrCat(options.output_file, ": cannot open for writing: ", std::strerror(errno)));
    }
  }
  absl::StatusOr<std::unique_ptr<FrameAnalyser>> analyser =
      FrameAnalyser::Create(detector.preprocess_options(), CropOptionsOf(detector));
  if (!analyser.ok()) return fail(std::string(analyser.status().message()));
  std::unique_ptr<OverlayWindow> overlay;
  if (options.show_window) {
    absl::StatusOr<std::unique_ptr<OverlayWindow>> opened = OverlayWindow::Open(source);
    if (!opened.ok()) return fail(std::string(opened.status().message()));
    overlay = *std::move(opened);
  }

  // max_seconds and the summary's seconds count from here: the source is about to open.
  const Clock::time_point setup_done = Clock::now();
  std::atomic<bool> halt{false};  // the scorer is done: the other threads end
  const std::function<bool()> should_stop = [&] { return stop.load() || halt.load(); };
  BoundedQueue<Received> decoded(options.queue_frames);
  BoundedQueue<std::vector<FramePtr>> windows(1);
  std::atomic<int64_t> received{0}, dropped{0}, analysed{0}, skipped{0};
  FirstError source_error, face_error;
  std::vector<std::string> decoder_warnings;  // written by the reader before it ends

  std::thread reader([&] {
    video::OpenOptions open = WithLowLatencyProbing(options.open);
    const std::function<bool()> caller_interrupt = open.interrupted;
    open.interrupted = [&] { return should_stop() || (caller_interrupt && caller_interrupt()); };
    absl::StatusOr<std::unique_ptr<video::Decoder>> decoder = video::Decoder::Open(source, open);
    if (!decoder.ok()) {
      source_error.Set(decoder.status());
      decoded.Close();
      return;
    }
    // A regular file plays at its frame rate, from the first frame's arrival.
    const bool pace = options.pace_files && (*decoder)->info().seekable;
    std::optional<Clock::time_point> play_start;
    double first_timestamp = 0;
    for (;;) {
      absl::StatusOr<std::optional<video::Frame>> next = (*decoder)->Next();
      if (!next.ok()) {
        source_error.Set(next.status());
        break;
      }
      if (!next->has_value()) break;
      video::Frame frame = **std::move(next);
      if (pace) {
        if (!play_start) {
          play_start = Clock::now();
          first_timestamp = frame.timestamp_seconds;
        }
        const auto due =
            *play_start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                              frame.timestamp_seconds - first_timestamp));
        if (!SleepUntil(due, should_stop)) break;
      }
      ++received;
      dropped += decoded.Push({std::move(frame), Clock::now()});
    }
    decoder_warnings = (*decoder)->report().warnings;
    decoded.Close();
  });

  // Face workers: each takes the next frame (numbered as it is taken), finds its faces,
  // and hands it to the window in taking order (frames finished early wait in `finished`).
  std::thread faces([&] {
    SlidingWindow sliding(window);
    int since_last = 0;
    std::mutex take_mutex, order_mutex;
    int64_t next_taken = 0, next_added = 0;
    std::map<int64_t, FramePtr> finished;
    std::atomic<bool> failed{false};
    auto work = [&] {
      while (!should_stop() && !failed) {
        std::optional<Received> item;
        int64_t number = 0;
        {
          std::lock_guard<std::mutex> lock(take_mutex);
          item = decoded.Pop(kPoll);
          if (!item) {
            if (decoded.closed_and_empty()) return;
            continue;
          }
          number = next_taken++;
        }
        absl::StatusOr<FramePtr> frame =
            (*analyser)->Analyse(source, std::move(item->frame), item->arrival);
        if (!frame.ok()) {
          face_error.Set(frame.status());
          failed = true;
          return;
        }
        ++analysed;
        std::lock_guard<std::mutex> lock(order_mutex);
        finished.emplace(number, *std::move(frame));
        for (auto it = finished.begin(); it != finished.end() && it->first == next_added;
             it = finished.erase(it), ++next_added) {
          if (overlay != nullptr) overlay->ShowFrame(it->second);
          sliding.Add(it->second);
          if (++since_last >= options.every && sliding.full()) {
            skipped += windows.Push(sliding.Snapshot());
            since_last = 0;
          }
        }
      }
    };
    std::vector<std::thread> workers;
    for (int i = 1; i < face_threads; ++i) workers.emplace_back(work);
    work();
    for (std::thread& t : workers) t.join();
    // The source ended: the frames not yet scored get a last (possibly short) window.
    if (!should_stop() && !failed && since_last > 0 && sliding.size() >= 2) {
      skipped += windows.Push(sliding.Snapshot());
    }
    windows.Close();
  });

  std::vector<double> latencies;
  std::string ended;
  for (;;) {
    if (stop.load()) {
      ended = "stopped";
      break;
    }
    if (options.max_seconds > 0 &&
        MillisecondsBetween(setup_done, Clock::now()) >= options.max_seconds * 1000) {
      ended = "max_seconds";
      break;
    }
    std::optional<std::vector<FramePtr>> snapshot = windows.Pop(kPoll);
    if (!snapshot) {
      if (windows.closed_and_empty()) break;
      continue;
    }
    const WindowScore score = ScoreWindow(detector, *snapshot);
    const double latency_ms = MillisecondsBetween(snapshot->back()->arrival, Clock::now());
    ++summary.scores;
    if (score.tracks.empty()) {
      ++summary.undetermined;
    } else {
      latencies.push_back(latency_ms);
      summary.max_fake_probability = std::max(summary.max_fake_probability, score.fake_probability);
      summary.fake_scores += score.fake_probability >= threshold;
    }
    out << ScoreLine(score, threshold, latency_ms) << "\n";
    out.flush();
    if (jsonl.is_open()) {
      jsonl << ScoreJson(score, threshold, latency_ms, dropped.load()).dump() << "\n";
      jsonl.flush();
    }
    if (overlay != nullptr) overlay->ShowScore(*snapshot, score, threshold);
  }
  halt = true;
  decoded.Close();
  windows.Close();
  reader.join();
  faces.join();

  summary.frames_received = received;
  summary.frames_dropped = dropped;
  summary.frames_analysed = analysed;
  summary.windows_skipped = skipped;
  std::sort(latencies.begin(), latencies.end());
  summary.latency_ms_p50 = Percentile(latencies, 0.50);
  summary.latency_ms_p95 = Percentile(latencies, 0.95);
  summary.latency_ms_max = latencies.empty() ? 0 : latencies.back();
  summary.seconds = MillisecondsBetween(setup_done, Clock::now()) / 1000;

  // Why it ended. The decoder's Cancelled is our own interrupt, not the source's fault.
  absl::Status problem = face_error.Get();
  if (problem.ok()) problem = source_error.Get();
  if (ended.empty()) {
    ended = "end_of_source";
    if (!problem.ok() && problem.code() != absl::StatusCode::kCancelled) {
      summary.error = std::string(problem.message());
      if (problem.code() == absl::StatusCode::kDeadlineExceeded) {
        summary.source_stalled = true;
        ended = "stalled";
      } else {
        ended = "error";
      }
    } else if (problem.code() == absl::StatusCode::kCancelled) {
      ended = "stopped";  // the caller's own OpenOptions::interrupted
    }
  }
  summary.ended = ended;
  for (const std::string& warning : decoder_warnings) err << "realtime: " << warning << "\n";
  if (jsonl.is_open()) {
    jsonl << SummaryJson(source, summary).dump() << "\n";
    jsonl.flush();
  }
  PrintSummary(source, summary, out);
  return summary;
}

}  // namespace serve::realtime
