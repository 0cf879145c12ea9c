// Frame sampling: which frames of a video become model input. Evenly spaced over the whole
// video (default; seeks in long videos so it does not decode all of them), the first N
// consecutive (what the paper did), or every k-th; all bounded by a cap on frames decoded.
#ifndef VIDEO_SAMPLING_H_
#define VIDEO_SAMPLING_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nn/models/preprocessing.h"
#include "video/decoder.h"
#include "video/frame.h"

namespace video {

// kEvenlySpaced, kFirstConsecutive, kEveryKth: one enum with the presets' spec.
using SamplingStrategy = nn::FrameSampling;

// How kEvenlySpaced reaches its frames. kAuto seeks when the video is seekable and has many
// more frames than requested (or more than max_decoded_frames), else decodes in order.
enum class SeekPolicy { kAuto, kAlwaysSeek, kNeverSeek };

struct SamplingOptions {
  SamplingStrategy strategy = SamplingStrategy::kEvenlySpaced;
  int num_frames = 16;                 // frames wanted (>= 1)
  int every_k = 1;                     // kEveryKth: keep frames 0, k, 2k, ... (>= 1)
  int64_t max_decoded_frames = 10000;  // cap on frames the codec decodes (>= 1)
  SeekPolicy seek_policy = SeekPolicy::kAuto;
  // kEvenlySpaced, when seeking: take the keyframe at or before each target instead of
  // decoding on to the target (one decoded frame per pick instead of up to a keyframe
  // interval: several times faster on long or 4K videos; picks up to one interval early).
  // A target whose keyframe was already taken is reached exactly, as without this.
  bool snap_to_keyframes = false;
  OpenOptions open_options;
};

// kEvenlySpaced picks, for i in [0, N), the first frame with timestamp >= i * duration / N
// (each frame at most once), so sequential decoding and seeking pick the same frames. A
// video with fewer frames than requested returns all it has (fewer than N, never
// duplicates); a video that ends early or hits max_decoded_frames returns what was reached,
// with a warning in `report`. No decodable frame at all is an error. Frames are in
// presentation order. `report` (optional) receives the decoder's report.
absl::StatusOr<std::vector<Frame>> SampleFrames(const std::string& path,
                                                const SamplingOptions& options,
                                                DecodeReport* report = nullptr);

// The same, on an already opened decoder positioned at its start.
absl::StatusOr<std::vector<Frame>> SampleFrames(Decoder& decoder, const SamplingOptions& options);

// Streaming forms: each chosen frame goes to `on_frame` as soon as it is decoded (in
// presentation order), so a caller can work on one frame while the next decodes. Returns
// the number of frames handed on (>= 1; none is the same error as above). kEvenlySpaced on
// a video of unknown duration can only choose at the end, so its frames come all at once.
using FrameSink = std::function<void(Frame)>;
absl::StatusOr<int> SampleFrames(const std::string& path, const SamplingOptions& options,
                                 const FrameSink& on_frame, DecodeReport* report = nullptr);
absl::StatusOr<int> SampleFrames(Decoder& decoder, const SamplingOptions& options,
                                 const FrameSink& on_frame);

}  // namespace video

#endif  // VIDEO_SAMPLING_H_
