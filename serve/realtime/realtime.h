// Real-time detection on a live source (webcam, FIFO, pipe, lavfi, stream): frames are
// decoded as they arrive; faces are found per frame; every `every` frames the last
// `window` frames (the preset's frame count) are scored with the Detector. When inference
// falls behind, frames are dropped (counted) rather than latency growing. One line per
// score (time, faces, score, verdict), JSONL with an output file, an optional X11 window
// with the overlay; Ctrl-C (SIGINT/SIGTERM) or the end of the source ends cleanly with a
// summary. Latency = a window's newest frame's arrival -> its score.
#ifndef SERVE_REALTIME_REALTIME_H_
#define SERVE_REALTIME_REALTIME_H_

#include <atomic>
#include <ostream>
#include <string>

#include "serve/api/detector.h"
#include "video/decoder.h"

namespace serve::realtime {

struct RealtimeOptions {
  std::string source;             // path, "/dev/video0", "pipe:0", FIFO, lavfi graph, URL
  video::OpenOptions open;        // input_format, format options, timeouts
  int every = 8;                  // a new score every this many frames (>= 1)
  int window = 0;                 // frames per score; 0 = the detector's preset frames
  double max_seconds = 0;         // stop after this long (0 = until the source ends / Ctrl-C)
  std::string output_file;        // JSONL, one object per score + a final summary; "" none
  bool show_window = false;       // X11 window with boxes and the score
};

struct RealtimeSummary {
  int64_t frames_received = 0, frames_dropped = 0, scores = 0;
  double latency_ms_p50 = 0, latency_ms_p95 = 0, latency_ms_max = 0;
  double max_fake_probability = -1;
  int fake_scores = 0;
  double seconds = 0;
  bool source_stalled = false;  // ended because the source stopped delivering (timeout)
  std::string error;            // why it ended early, naming the source; "" = clean end
};

// Runs until the source ends, max_seconds pass, `stop` becomes true (the CLI sets it from
// SIGINT) or an error. Writes the per-score lines and the summary to `out`.
RealtimeSummary RunRealtime(const Detector& detector, const RealtimeOptions& options,
                            const std::atomic<bool>& stop, std::ostream& out,
                            std::ostream& err);

}  // namespace serve::realtime

#endif  // SERVE_REALTIME_REALTIME_H_
