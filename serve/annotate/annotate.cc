#include "serve/annotate/annotate.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "eval/plot/font.h"
#include "serve/annotate/canvas.h"
#include "video/decoder.h"
#include "video/encoder.h"

namespace serve::annotate {
namespace {

constexpr uint32_t kPanelBackground = 0x141414;
constexpr uint32_t kPlotBackground = 0x2a2a2a;
constexpr uint32_t kThresholdColour = 0xc0c0c0;
constexpr uint32_t kCursorColour = 0xffffff;
constexpr uint32_t kTextColour = 0xe8e8e8;
constexpr uint32_t kLabelTextColour = 0x000000;

// Seconds a track's box is held before its first and after its last sampled frame.
double HoldSeconds(const TrackResult& track) {
  if (track.frames.size() < 2) return 0.5;
  const double span =
      track.frames.back().timestamp_seconds - track.frames.front().timestamp_seconds;
  return std::max(span / static_cast<double>(track.frames.size() - 1), 1e-3);
}

// The verdict line of the panel; `short_form` for narrow frames.
std::string VerdictText(const DetectionResult& result, bool short_form) {
  if (result.verdict == Verdict::kUndetermined) {
    return short_form ? "UNDETERMINED"
                      : absl::StrCat("UNDETERMINED (", ReasonCode(result.reason), ")");
  }
  const char* verdict = result.verdict == Verdict::kFake ? "FAKE" : "REAL";
  return short_form ? absl::StrFormat("%s %.2f (thr %.2f)", verdict, result.fake_probability,
                                      result.threshold)
                    : absl::StrFormat("%s  P(fake) %.3f  threshold %.3f", verdict,
                                      result.fake_probability, result.threshold);
}

std::string TimeText(double t, double duration) {
  return absl::StrFormat("%.1f / %.1f s", t, duration);
}

uint32_t VerdictColour(const DetectionResult& result) {
  if (result.verdict == Verdict::kUndetermined) return ScoreColour(-1);
  return ScoreColour(result.verdict == Verdict::kFake ? 1.0 : 0.0);
}

}  // namespace

uint32_t ScoreColour(double probability) {
  if (!(probability >= 0)) return 0x9a9a9a;
  const double p = std::min(probability, 1.0);
  // green (40, 200, 60) -> yellow (240, 210, 40) -> red (230, 40, 40)
  auto mix = [](double a, double b, double t) {
    return static_cast<uint32_t>(std::lround(a + (b - a) * t));
  };
  uint32_t r, g, b;
  if (p < 0.5) {
    const double t = p / 0.5;
    r = mix(40, 240, t), g = mix(200, 210, t), b = mix(60, 40, t);
  } else {
    const double t = (p - 0.5) / 0.5;
    r = mix(240, 230, t), g = mix(210, 40, t), b = mix(40, 40, t);
  }
  return (r << 16) | (g << 8) | b;
}

double RunningScore(const TrackResult& track, double t) {
  double sum = 0, first = -1;
  int count = 0;
  for (const TrackFrame& frame : track.frames) {
    if (frame.score < 0) continue;
    if (first < 0) first = frame.score;
    if (frame.timestamp_seconds <= t + 1e-6) sum += frame.score, ++count;
  }
  if (first < 0) return track.fake_probability;  // no per-frame scores
  return count > 0 ? sum / count : first;
}

std::optional<video::FaceBox> BoxAt(const TrackResult& track, double t) {
  const std::vector<TrackFrame>& frames = track.frames;
  if (frames.empty()) return std::nullopt;
  const double hold = HoldSeconds(track);
  if (t < frames.front().timestamp_seconds - hold || t > frames.back().timestamp_seconds + hold) {
    return std::nullopt;
  }
  if (t <= frames.front().timestamp_seconds) return frames.front().box;
  for (size_t i = 1; i < frames.size(); ++i) {
    const TrackFrame& a = frames[i - 1];
    const TrackFrame& b = frames[i];
    if (t > b.timestamp_seconds) continue;
    const double gap = b.timestamp_seconds - a.timestamp_seconds;
    const double w = gap > 0 ? (t - a.timestamp_seconds) / gap : 1;
    video::FaceBox box;
    box.left = a.box.left + (b.box.left - a.box.left) * w;
    box.top = a.box.top + (b.box.top - a.box.top) * w;
    box.right = a.box.right + (b.box.right - a.box.right) * w;
    box.bottom = a.box.bottom + (b.box.bottom - a.box.bottom) * w;
    box.score = a.box.score + (b.box.score - a.box.score) * w;
    return box;
  }
  return frames.back().box;
}

Annotator::Annotator(const DetectionResult& result, int width, int video_height,
                     double duration_seconds, const AnnotateOptions& options)
    : result_(result),
      width_(width),
      video_height_(video_height),
      duration_(duration_seconds > 0 ? duration_seconds : 1) {
  scale_ = std::max(1, static_cast<int>(std::lround(std::min(width, video_height) / 360.0)));
  panel_height_ =
      options.timeline_height > 0 ? options.timeline_height : std::max(56, video_height / 5);
  panel_height_ += panel_height_ % 2;  // H.264 4:2:0 needs even sizes
  const eval::plot::Font& font = eval::plot::SmallFont();
  plot_x0_ = 4 * scale_;
  plot_x1_ = std::max(plot_x0_ + 2, width_ - 4 * scale_);
  plot_y0_ = std::min(Canvas::TextHeight(font, scale_) + 6 * scale_, panel_height_ / 2);
  plot_y1_ = std::max(plot_y0_ + 2, panel_height_ - 4 * scale_);
  DrawPanel();
}

int Annotator::TimeToX(double t) const {
  const double f = std::clamp(t / duration_, 0.0, 1.0);
  return plot_x0_ + static_cast<int>(std::lround(f * (plot_x1_ - 1 - plot_x0_)));
}

int Annotator::ScoreToY(double score) const {
  const double f = std::clamp(score, 0.0, 1.0);
  return plot_y1_ - 1 - static_cast<int>(std::lround(f * (plot_y1_ - 1 - plot_y0_)));
}

void Annotator::DrawPanel() {
  panel_.assign(static_cast<size_t>(width_) * panel_height_ * 3, 0);
  Canvas canvas(panel_.data(), width_, panel_height_);
  canvas.FillRect(0, 0, width_, panel_height_, kPanelBackground);
  canvas.FillRect(plot_x0_, plot_y0_, plot_x1_, plot_y1_, kPlotBackground);
  // The verdict at the left, the time (drawn per frame) at the right when both fit.
  const eval::plot::Font& font = eval::plot::SmallFont();
  const int time_width = Canvas::TextWidth(font, TimeText(duration_, duration_), scale_);
  const int room = width_ - 8 * scale_;
  std::string verdict = VerdictText(result_, /*short_form=*/false);
  if (Canvas::TextWidth(font, verdict, scale_) + 8 * scale_ + time_width > room) {
    verdict = VerdictText(result_, /*short_form=*/true);
  }
  show_time_ = Canvas::TextWidth(font, verdict, scale_) + 8 * scale_ + time_width <= room;
  canvas.Text(font, verdict, 4 * scale_, 3 * scale_, scale_, VerdictColour(result_));
  const int threshold_y = ScoreToY(result_.threshold);
  canvas.Line(plot_x0_, threshold_y, plot_x1_ - 1, threshold_y, scale_, kThresholdColour,
              /*dashed=*/true);
  const int thick = 2 * scale_;
  for (const TrackResult& track : result_.tracks) {
    std::vector<std::pair<double, double>> points;  // (time, score)
    for (const TrackFrame& frame : track.frames) {
      if (frame.score >= 0) points.emplace_back(frame.timestamp_seconds, frame.score);
    }
    if (points.empty() && !track.frames.empty()) {  // no per-frame readout: the track's score
      points.emplace_back(track.frames.front().timestamp_seconds, track.fake_probability);
      points.emplace_back(track.frames.back().timestamp_seconds, track.fake_probability);
    }
    for (size_t i = 1; i < points.size(); ++i) {
      canvas.Line(TimeToX(points[i - 1].first), ScoreToY(points[i - 1].second),
                  TimeToX(points[i].first), ScoreToY(points[i].second), thick,
                  ScoreColour(0.5 * (points[i - 1].second + points[i].second)));
    }
    for (const auto& [t, score] : points) {
      const int x = TimeToX(t), y = ScoreToY(score), r = 2 * scale_;
      canvas.FillRect(x - r, y - r, x + r + 1, y + r + 1, ScoreColour(score));
    }
  }
}

video::Frame Annotator::Annotate(const video::Frame& input) const {
  video::Frame out;
  out.index = input.index;
  out.timestamp_seconds = input.timestamp_seconds;
  out.width = width_;
  out.height = height();
  out.rgb.assign(static_cast<size_t>(out.width) * out.height * 3, 0);
  const int copy_width = std::min(width_, input.width);
  for (int y = 0; y < std::min(video_height_, input.height); ++y) {
    std::copy_n(input.rgb.data() + static_cast<size_t>(y) * input.width * 3, copy_width * 3,
                out.rgb.data() + static_cast<size_t>(y) * width_ * 3);
  }
  std::copy(panel_.begin(), panel_.end(),
            out.rgb.begin() + static_cast<ptrdiff_t>(video_height_) * width_ * 3);

  const double t = input.timestamp_seconds;
  const eval::plot::Font& font = eval::plot::SmallFont();
  Canvas video_canvas(out.rgb.data(), width_, video_height_);
  for (const TrackResult& track : result_.tracks) {
    const std::optional<video::FaceBox> box = BoxAt(track, t);
    if (!box) continue;
    const double score = RunningScore(track, t);
    const uint32_t colour = ScoreColour(score);
    const int x0 = static_cast<int>(std::lround(box->left));
    const int y0 = static_cast<int>(std::lround(box->top));
    const int x1 = static_cast<int>(std::lround(box->right));
    const int y1 = static_cast<int>(std::lround(box->bottom));
    video_canvas.StrokeRect(x0, y0, x1, y1, std::max(2, 2 * scale_), colour);
    const std::string label = absl::StrFormat("#%d %.2f", track.track_id, score);
    const int label_w = Canvas::TextWidth(font, label, scale_) + 4 * scale_;
    const int label_h = Canvas::TextHeight(font, scale_) + 2 * scale_;
    const int label_y = y0 - label_h >= 0 ? y0 - label_h : y0;  // above the box, else inside
    video_canvas.FillRect(x0, label_y, x0 + label_w, label_y + label_h, colour);
    video_canvas.Text(font, label, x0 + 2 * scale_, label_y + scale_, scale_, kLabelTextColour);
  }

  Canvas panel(out.rgb.data() + static_cast<size_t>(video_height_) * width_ * 3, width_,
               panel_height_);
  const int cursor_x = TimeToX(t);
  panel.Line(cursor_x, plot_y0_, cursor_x, plot_y1_ - 1, scale_, kCursorColour);
  if (show_time_) {
    const std::string time_text = TimeText(t, duration_);
    panel.Text(font, time_text, width_ - 4 * scale_ - Canvas::TextWidth(font, time_text, scale_),
               3 * scale_, scale_, kTextColour);
  }
  return out;
}

absl::StatusOr<AnnotateOutcome> AnnotateVideo(const DetectionResult& result,
                                              const std::string& output_path,
                                              const AnnotateOptions& options) {
  const std::string& input = result.video.path.empty() ? result.path : result.video.path;
  ASSIGN_OR_RETURN(std::unique_ptr<video::Decoder> decoder, video::Decoder::Open(input));
  const video::VideoInfo& info = decoder->info();
  const int width = info.width & ~1, height = info.height & ~1;
  if (width < 2 || height < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat(input, ": frames of ", info.width, "x", info.height, " are too small"));
  }
  double duration =
      info.duration_seconds > 0 ? info.duration_seconds : result.video.duration_seconds;
  for (const TrackResult& track : result.tracks) {
    if (!track.frames.empty()) duration = std::max(duration, track.frames.back().timestamp_seconds);
  }
  AnnotateOutcome outcome;
  outcome.frame_rate = info.frame_rate > 0           ? info.frame_rate
                       : result.video.frame_rate > 0 ? result.video.frame_rate
                                                     : 25;
  const Annotator annotator(result, width, height, duration, options);
  outcome.width = annotator.width();
  outcome.height = annotator.height();

  const std::string partial = output_path + ".partial";
  video::EncoderOptions encoder_options;
  encoder_options.crf = options.crf;
  encoder_options.frame_rate = outcome.frame_rate;
  auto encode = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(
        std::unique_ptr<video::Encoder> encoder,
        video::Encoder::Open(partial, annotator.width(), annotator.height(), encoder_options));
    while (true) {
      ASSIGN_OR_RETURN(std::optional<video::Frame> frame, decoder->Next());
      if (!frame) break;
      RETURN_IF_ERROR(encoder->Write(annotator.Annotate(*frame)));
    }
    RETURN_IF_ERROR(encoder->Close());
    outcome.frames = encoder->frames_written();
    return absl::OkStatus();
  };
  absl::Status status = encode();
  std::error_code error;
  if (status.ok() && outcome.frames == 0) {
    status = absl::InvalidArgumentError(absl::StrCat(input, ": no frame could be decoded"));
  }
  if (status.ok()) {
    std::filesystem::rename(partial, output_path, error);
    if (error) {
      status = absl::PermissionDeniedError(
          absl::StrCat(output_path, ": cannot write the annotated video: ", error.message()));
    }
  }
  if (!status.ok()) std::filesystem::remove(partial, error);
  if (!status.ok()) return status;
  return outcome;
}

}  // namespace serve::annotate
