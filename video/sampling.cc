// Frame sampling strategies on top of video::Decoder.
#include "video/sampling.h"

#include <algorithm>
#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace video {
namespace {

// Evenly spaced sampling decodes in order (instead of seeking) up to this many frames per
// requested frame: seeking then decodes about as much as it saves.
constexpr int64_t kSequentialFramesPerSample = 4;

class Budget {
 public:
  Budget(const Decoder& decoder, int64_t cap)
      : decoder_(decoder), start_(decoder.report().frames_decoded), cap_(cap) {}
  bool exhausted() const { return decoder_.report().frames_decoded - start_ >= cap_; }

 private:
  const Decoder& decoder_;
  int64_t start_, cap_;
};

void WarnIfShort(Decoder& decoder, const Budget& budget, size_t got, int wanted) {
  if (got >= static_cast<size_t>(wanted)) return;
  if (budget.exhausted()) {
    decoder.AddWarning(
        absl::StrCat("stopped at max_decoded_frames; returning ", got, " of ", wanted, " frames"));
  } else {
    decoder.AddWarning(absl::StrCat("video has fewer frames than requested; returning ", got,
                                    " of ", wanted, " frames"));
  }
}

// A live input that stops delivering (DeadlineExceeded from the read timeout) after some
// frames ends the sampling there, with a warning, instead of losing what was gathered.
bool EndsAtStall(Decoder& decoder, const absl::Status& status, bool have_frames) {
  if (status.code() != absl::StatusCode::kDeadlineExceeded || !have_frames) return false;
  decoder.AddWarning(
      absl::StrCat("input stopped delivering, sampling ended there: ", status.message()));
  return true;
}

// Counts the frames handed on.
class CountingSink {
 public:
  explicit CountingSink(const FrameSink& sink) : sink_(sink) {}
  void operator()(Frame frame) {
    ++count_;
    sink_(std::move(frame));
  }
  size_t count() const { return count_; }

 private:
  const FrameSink& sink_;
  size_t count_ = 0;
};

// First N, or every k-th of the first N*k (k = 1 for first N).
absl::Status SampleInOrder(Decoder& decoder, int num_frames, int every_k, int64_t cap,
                           CountingSink& out) {
  Budget budget(decoder, cap);
  for (int64_t i = 0; static_cast<int>(out.count()) < num_frames && !budget.exhausted(); ++i) {
    auto next = decoder.Next();
    if (!next.ok()) {
      if (EndsAtStall(decoder, next.status(), out.count() > 0)) break;
      return next.status();
    }
    if (!next->has_value()) break;
    if (i % every_k == 0) out(std::move(**next));
  }
  WarnIfShort(decoder, budget, out.count(), num_frames);
  return absl::OkStatus();
}

// Targets i * duration / N; each frame is kept once, for the targets in (previous, its time].
absl::Status EvenlySequential(Decoder& decoder, const std::vector<double>& targets, int64_t cap,
                              CountingSink& out) {
  Budget budget(decoder, cap);
  size_t next_target = 0;
  const int64_t start = decoder.report().frames_decoded;
  while (next_target < targets.size() && !budget.exhausted()) {
    // Frames before the next target are decoded but not converted to RGB.
    const double target = targets[next_target] - Decoder::kTimestampTolerance;
    const int64_t left = cap - (decoder.report().frames_decoded - start);
    auto next = decoder.NextWanted([target](int64_t, double t) { return t >= target; }, left - 1);
    if (!next.ok()) {
      if (EndsAtStall(decoder, next.status(), out.count() > 0)) break;
      return next.status();
    }
    if (!next->has_value()) break;
    const double t = (*next)->timestamp_seconds;
    while (next_target < targets.size() &&
           targets[next_target] - Decoder::kTimestampTolerance <= t) {
      ++next_target;
    }
    out(std::move(**next));
  }
  WarnIfShort(decoder, budget, out.count(), static_cast<int>(targets.size()));
  return absl::OkStatus();
}

absl::Status EvenlyBySeeking(Decoder& decoder, const std::vector<double>& targets, int64_t cap,
                             bool snap_to_keyframes, CountingSink& out) {
  Budget budget(decoder, cap);
  bool any = false;
  double last_timestamp = 0;
  for (double target : targets) {
    if (budget.exhausted()) break;
    if (any && target <= last_timestamp + Decoder::kTimestampTolerance) {
      continue;  // the last frame already covers this target
    }
    double at = target;
    if (snap_to_keyframes) {
      const std::optional<double> keyframe = decoder.KeyframeAtOrBefore(target);
      if (keyframe.has_value() &&
          (!any || *keyframe > last_timestamp + Decoder::kTimestampTolerance)) {
        at = *keyframe;
      }
    }
    auto frame = decoder.DecodeAt(at);
    if (!frame.ok()) {
      if (EndsAtStall(decoder, frame.status(), out.count() > 0)) break;
      return frame.status();
    }
    if (!frame->has_value()) break;
    if (any && (*frame)->timestamp_seconds <= last_timestamp) continue;  // same frame again
    any = true;
    last_timestamp = (*frame)->timestamp_seconds;
    out(std::move(**frame));
  }
  WarnIfShort(decoder, budget, out.count(), static_cast<int>(targets.size()));
  return absl::OkStatus();
}

// Unknown duration (live inputs, some streams): keep every stride-th frame, doubling the
// stride whenever 2N are kept (memory stays bounded; dropped frames skip the RGB
// conversion), then take the first kept frame at or after each of i * D / N, D = frames
// decoded (handed on at the end).
absl::Status EvenlyUnknownLength(Decoder& decoder, int num_frames, int64_t cap, CountingSink& out) {
  std::vector<Frame> kept;
  Budget budget(decoder, cap);
  const int64_t start = decoder.report().frames_decoded;
  int64_t stride = 1;
  while (!budget.exhausted()) {
    const int64_t left = cap - (decoder.report().frames_decoded - start);
    auto next = decoder.NextWanted([&stride](int64_t index, double) { return index % stride == 0; },
                                   left - 1);
    if (!next.ok()) {
      if (EndsAtStall(decoder, next.status(), !kept.empty())) break;
      return next.status();
    }
    if (!next->has_value()) break;
    kept.push_back(std::move(**next));
    if (static_cast<int>(kept.size()) == 2 * num_frames) {
      std::vector<Frame> halved;
      for (Frame& frame : kept) {
        if (frame.index % (2 * stride) == 0) halved.push_back(std::move(frame));
      }
      kept = std::move(halved);
      stride *= 2;
    }
  }
  if (budget.exhausted()) {
    decoder.AddWarning(
        "duration unknown and max_decoded_frames reached: frames are evenly "
        "spaced over the decoded part only");
  }
  if (static_cast<int>(kept.size()) <= num_frames) {
    for (Frame& frame : kept) out(std::move(frame));
    return absl::OkStatus();
  }
  const double decoded = static_cast<double>(decoder.report().frames_decoded - start);
  size_t k = 0;
  for (int i = 0; i < num_frames && k < kept.size(); ++i, ++k) {
    const double target = kept.front().index + i * decoded / num_frames;
    while (k + 1 < kept.size() && kept[k].index < target) ++k;
    out(std::move(kept[k]));
  }
  return absl::OkStatus();
}

absl::Status EvenlySpaced(Decoder& decoder, const SamplingOptions& o, CountingSink& out) {
  const VideoInfo& info = decoder.info();
  if (info.duration_seconds <= 0) {
    return EvenlyUnknownLength(decoder, o.num_frames, o.max_decoded_frames, out);
  }
  std::vector<double> targets(o.num_frames);
  for (int i = 0; i < o.num_frames; ++i) targets[i] = i * info.duration_seconds / o.num_frames;
  bool seek = info.seekable;
  if (o.seek_policy == SeekPolicy::kNeverSeek) seek = false;
  if (o.seek_policy == SeekPolicy::kAuto && info.estimated_frames > 0 &&
      info.estimated_frames <= kSequentialFramesPerSample * o.num_frames &&
      info.estimated_frames <= o.max_decoded_frames) {
    seek = false;
  }
  return seek ? EvenlyBySeeking(decoder, targets, o.max_decoded_frames, o.snap_to_keyframes, out)
              : EvenlySequential(decoder, targets, o.max_decoded_frames, out);
}

}  // namespace

absl::StatusOr<int> SampleFrames(Decoder& decoder, const SamplingOptions& options,
                                 const FrameSink& on_frame) {
  const std::string& path = decoder.info().path;
  if (options.num_frames < 1 || options.every_k < 1 || options.max_decoded_frames < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": sampling needs num_frames, every_k and max_decoded_frames >= 1 (got ",
        options.num_frames, ", ", options.every_k, ", ", options.max_decoded_frames, ")"));
  }
  CountingSink out(on_frame);
  absl::Status status;
  switch (options.strategy) {
    case SamplingStrategy::kEvenlySpaced:
      status = EvenlySpaced(decoder, options, out);
      break;
    case SamplingStrategy::kFirstConsecutive:
      status = SampleInOrder(decoder, options.num_frames, 1, options.max_decoded_frames, out);
      break;
    case SamplingStrategy::kEveryKth:
      status = SampleInOrder(decoder, options.num_frames, options.every_k,
                             options.max_decoded_frames, out);
      break;
  }
  RETURN_IF_ERROR(status);
  if (out.count() == 0) {
    const auto& warnings = decoder.report().warnings;
    return absl::DataLossError(absl::StrCat(
        path, ": no decodable video frames",
        warnings.empty() ? "" : absl::StrCat(" (first problem: ", warnings.front(), ")")));
  }
  return static_cast<int>(out.count());
}

absl::StatusOr<int> SampleFrames(const std::string& path, const SamplingOptions& options,
                                 const FrameSink& on_frame, DecodeReport* report) {
  ASSIGN_OR_RETURN(std::unique_ptr<Decoder> decoder, Decoder::Open(path, options.open_options));
  auto count = SampleFrames(*decoder, options, on_frame);
  if (report != nullptr) *report = decoder->report();
  return count;
}

absl::StatusOr<std::vector<Frame>> SampleFrames(Decoder& decoder, const SamplingOptions& options) {
  std::vector<Frame> frames;
  RETURN_IF_ERROR(
      SampleFrames(decoder, options, [&](Frame frame) { frames.push_back(std::move(frame)); }));
  return frames;
}

absl::StatusOr<std::vector<Frame>> SampleFrames(const std::string& path,
                                                const SamplingOptions& options,
                                                DecodeReport* report) {
  std::vector<Frame> frames;
  RETURN_IF_ERROR(SampleFrames(
      path, options, [&](Frame frame) { frames.push_back(std::move(frame)); }, report));
  return frames;
}

}  // namespace video
