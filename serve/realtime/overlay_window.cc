// Xlib drawing of the real-time overlay: frames as a ZPixmap XImage, boxes and text with the
// default GC font.
#include "serve/realtime/overlay_window.h"

#include <X11/Xlib.h>
#include <X11/Xutil.h>

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace serve::realtime {

struct OverlayWindow::X {
  Display* display = nullptr;
  Window window = 0;
  GC gc = nullptr;
  Atom wm_delete = 0;
  int width = 0, height = 0;
  XImage* image = nullptr;
  std::vector<uint32_t> pixels;  // backing store of `image` (32 bits per pixel)

  ~X() {
    if (image != nullptr) {
      image->data = nullptr;  // ours (pixels), not Xlib's to free
      XDestroyImage(image);
    }
    if (gc != nullptr) XFreeGC(display, gc);
    if (window != 0) XDestroyWindow(display, window);
    if (display != nullptr) XCloseDisplay(display);
  }
};

absl::StatusOr<std::unique_ptr<OverlayWindow>> OverlayWindow::Open(const std::string& title) {
  const char* name = std::getenv("DISPLAY");
  if (name == nullptr || *name == '\0') {
    return absl::FailedPreconditionError(
        "cannot show the window: DISPLAY is not set (no X server; run without the window)");
  }
  auto x = std::make_unique<X>();
  x->display = XOpenDisplay(name);
  if (x->display == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot show the window: cannot open the X display '", name, "'"));
  }
  const int screen = DefaultScreen(x->display);
  const Visual* visual = DefaultVisual(x->display, screen);
  if (DefaultDepth(x->display, screen) != 24 || visual->red_mask != 0xFF0000 ||
      visual->green_mask != 0x00FF00 || visual->blue_mask != 0x0000FF) {
    return absl::FailedPreconditionError(absl::StrCat("cannot show the window: X display '", name,
                                                      "' is not 24-bit TrueColor (depth ",
                                                      DefaultDepth(x->display, screen), ")"));
  }
  return std::unique_ptr<OverlayWindow>(new OverlayWindow(std::move(x), title));
}

OverlayWindow::OverlayWindow(std::unique_ptr<X> x, std::string title)
    : x_(std::move(x)), title_(std::move(title)) {}

OverlayWindow::~OverlayWindow() = default;

unsigned long OverlayWindow::window_id() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return x_->window;
}

int OverlayWindow::frames_drawn() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return frames_drawn_;
}

void OverlayWindow::ShowFrame(const FramePtr& frame) {
  std::lock_guard<std::mutex> lock(mutex_);
  DrawLocked(*frame);
}

void OverlayWindow::ShowScore(const std::vector<FramePtr>& window, const WindowScore& score,
                              double threshold) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (score.tracks.empty()) {
    banner_ = absl::StrFormat("%.2f s  faces 0  UNDETERMINED (%s)", score.time_seconds,
                              score.no_track_reason);
    colour_ = kNoScoreColour;
  } else {
    const bool fake = score.fake_probability >= threshold;
    banner_ = absl::StrFormat("%.2f s  faces %d  P(fake) %.3f  %s", score.time_seconds,
                              score.tracks.size(), score.fake_probability, fake ? "FAKE" : "REAL");
    colour_ = fake ? kFakeColour : kRealColour;
  }
  if (!window.empty()) DrawLocked(*window.back());
}

void OverlayWindow::DrawLocked(const AnalysedFrame& analysed) {
  const video::Frame& frame = analysed.frame;
  if (frame.width <= 0 || frame.height <= 0) return;
  Display* d = x_->display;
  if (x_->window == 0 || frame.width != x_->width || frame.height != x_->height) {
    if (x_->window == 0) {
      const int screen = DefaultScreen(d);
      x_->window = XCreateSimpleWindow(d, RootWindow(d, screen), 0, 0, frame.width, frame.height, 0,
                                       BlackPixel(d, screen), BlackPixel(d, screen));
      XStoreName(d, x_->window, ("deepfake realtime: " + title_).c_str());
      x_->wm_delete = XInternAtom(d, "WM_DELETE_WINDOW", False);
      XSetWMProtocols(d, x_->window, &x_->wm_delete, 1);
      XSelectInput(d, x_->window, ExposureMask | StructureNotifyMask);
      x_->gc = XCreateGC(d, x_->window, 0, nullptr);
      XMapWindow(d, x_->window);
    } else {
      XResizeWindow(d, x_->window, frame.width, frame.height);
    }
    if (x_->image != nullptr) {
      x_->image->data = nullptr;
      XDestroyImage(x_->image);
    }
    x_->width = frame.width;
    x_->height = frame.height;
    x_->pixels.assign(static_cast<size_t>(frame.width) * frame.height, 0);
    x_->image = XCreateImage(d, DefaultVisual(d, DefaultScreen(d)), 24, ZPixmap, 0,
                             reinterpret_cast<char*>(x_->pixels.data()), frame.width, frame.height,
                             32, frame.width * 4);
  }
  // Events: expose redraws below anyway; the close button is acknowledged and ignored.
  while (XPending(d) > 0) {
    XEvent event;
    XNextEvent(d, &event);
  }
  const uint8_t* rgb = frame.rgb.data();
  for (size_t i = 0; i < x_->pixels.size(); ++i) {
    x_->pixels[i] = (uint32_t{rgb[3 * i]} << 16) | (uint32_t{rgb[3 * i + 1]} << 8) | rgb[3 * i + 2];
  }
  XPutImage(d, x_->window, x_->gc, x_->image, 0, 0, 0, 0, frame.width, frame.height);
  XSetForeground(d, x_->gc, colour_);
  XSetLineAttributes(d, x_->gc, 2, LineSolid, CapButt, JoinMiter);
  for (const video::FaceObservation& face : analysed.faces) {
    const int left = static_cast<int>(std::max(0.0, face.box.left));
    const int top = static_cast<int>(std::max(0.0, face.box.top));
    const int right = static_cast<int>(std::min<double>(frame.width - 1, face.box.right));
    const int bottom = static_cast<int>(std::min<double>(frame.height - 1, face.box.bottom));
    if (right > left && bottom > top) {
      XDrawRectangle(d, x_->window, x_->gc, left, top, right - left, bottom - top);
    }
  }
  XSetForeground(d, x_->gc, 0x000000);
  XFillRectangle(d, x_->window, x_->gc, 0, 0, frame.width, 16);
  XSetForeground(d, x_->gc, colour_);
  XDrawString(d, x_->window, x_->gc, 4, 12, banner_.data(), static_cast<int>(banner_.size()));
  XFlush(d);
  ++frames_drawn_;
}

}  // namespace serve::realtime
