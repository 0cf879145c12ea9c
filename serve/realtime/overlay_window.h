// The on-screen window of real-time mode: every analysed frame with its detected faces boxed
// in the colour of the latest score (red FAKE, green REAL, grey no score yet) and a banner
// with the stream time, faces, P(fake) and verdict. Plain Xlib: Debian's dlib is built with
// DLIB_NO_GUI_SUPPORT (/usr/include/dlib/config.h), so dlib's image_window is not available.
// Thread-safe (one mutex around every X call); the window's close button stops nothing, it
// only hides the picture until the next frame.
#ifndef SERVE_REALTIME_OVERLAY_WINDOW_H_
#define SERVE_REALTIME_OVERLAY_WINDOW_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "serve/realtime/live_window.h"

namespace serve::realtime {

class OverlayWindow {
 public:
  // Connects to $DISPLAY (the error says so when there is none) and names the window after
  // `title`. The window appears with the first frame, sized to it.
  static absl::StatusOr<std::unique_ptr<OverlayWindow>> Open(const std::string& title);
  ~OverlayWindow();
  OverlayWindow(const OverlayWindow&) = delete;
  OverlayWindow& operator=(const OverlayWindow&) = delete;

  void ShowFrame(const FramePtr& frame);
  void ShowScore(const std::vector<FramePtr>& window, const WindowScore& score, double threshold);

  // For tests: the X window id (0 before the first frame) and frames drawn so far.
  unsigned long window_id() const;
  int frames_drawn() const;

  // Colours (0xRRGGBB) of boxes and banner by the latest score.
  static constexpr unsigned long kFakeColour = 0xE02020, kRealColour = 0x20C040,
                                 kNoScoreColour = 0xA0A0A0;

 private:
  struct X;
  explicit OverlayWindow(std::unique_ptr<X> x, std::string title);
  void DrawLocked(const AnalysedFrame& frame);

  mutable std::mutex mutex_;
  std::unique_ptr<X> x_;
  std::string title_;
  std::string banner_ = "waiting for the first score";
  unsigned long colour_ = kNoScoreColour;
  int frames_drawn_ = 0;
};

}  // namespace serve::realtime

#endif  // SERVE_REALTIME_OVERLAY_WINDOW_H_
