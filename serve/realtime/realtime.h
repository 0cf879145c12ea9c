// Real-time detection on a live source (webcam, FIFO, pipe, lavfi, stream): frames are
// decoded as they arrive; faces are found per frame; every `every` frames the last
// `window` frames (the preset's frame count) are scored with the Detector. When inference
// falls behind, frames are dropped (counted) rather than latency growing. One line per
// score (time, faces, score, verdict), JSONL with an output file, an optional X11 window
// with the overlay; Ctrl-C (SIGINT/SIGTERM) or the end of the source ends cleanly with a
// summary. Latency = a window's newest frame's arrival (decoded) -> its score (printed).
// A stalled live source ends through open.read_timeout_seconds with a message naming it.
#ifndef SERVE_REALTIME_REALTIME_H_
#define SERVE_REALTIME_REALTIME_H_

#include <atomic>
#include <ostream>
#include <string>

#include "serve/api/detector.h"
#include "video/decoder.h"

namespace serve::realtime {

struct RealtimeOptions {
  std::string source;        // path, "/dev/video0", "pipe:0", FIFO, lavfi graph, URL
  video::OpenOptions open;   // input_format, format options, timeouts
  int every = 8;             // a new score every this many frames (>= 1)
  int window = 0;            // frames per score; 0 = the detector's preset frames
  double max_seconds = 0;    // stop after this long (0 = until the source ends / Ctrl-C)
  std::string output_file;   // JSONL, one object per score + a final summary; "" none
  bool show_window = false;  // X11 window with boxes and the score
  // Decoded frames waiting for face detection; when full, the oldest is dropped (counted).
  int queue_frames = 2;
  // Threads finding faces in parallel (frames keep their order); 0 = half the cores of
  // base's pool, 1..4.
  int face_threads = 0;
  // A regular file (not live) is delivered at its frame rate, as a live feed would be;
  // false: as fast as it decodes (frames then drop when analysis falls behind).
  bool pace_files = true;
};

// Frames flow: decoder -> queue (queue_frames; overflow = frames_dropped) -> face detection
// (frames_analysed) -> window; every `every` analysed frames the window is handed to the
// scorer; a window still waiting when a newer one is ready is replaced (windows_skipped):
// scores always describe the newest frames, and latency stays bounded by about two
// scorings.
struct RealtimeSummary {
  int64_t frames_received = 0, frames_dropped = 0, scores = 0;
  int64_t frames_analysed = 0;  // frames whose faces were found
  int64_t windows_skipped = 0;  // windows replaced by a newer one before being scored
  int64_t undetermined = 0;     // scores without a face track (no face / too brief)
  double latency_ms_p50 = 0, latency_ms_p95 = 0, latency_ms_max = 0;
  double max_fake_probability = -1;
  int fake_scores = 0;
  double seconds = 0;
  bool source_stalled = false;  // ended because the source stopped delivering (timeout)
  // "end_of_source", "stopped" (the stop flag), "max_seconds", "stalled", "error".
  std::string ended;
  std::string error;  // why it ended early, naming the source; "" = clean end
};

// Runs until the source ends, max_seconds pass, `stop` becomes true (the CLI sets it from
// SIGINT) or an error. Writes the per-score lines and the summary to `out` (with the error,
// naming the source, when it ended early: also in the result's `error`, for the caller to
// report); `err` gets the decoder's warnings (damaged packets), each naming the source.
RealtimeSummary RunRealtime(const Detector& detector, const RealtimeOptions& options,
                            const std::atomic<bool>& stop, std::ostream& out, std::ostream& err);

}  // namespace serve::realtime

#endif  // SERVE_REALTIME_REALTIME_H_
