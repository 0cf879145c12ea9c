// History thumbnails: a face crop from the result, else the first frame, downscaled.
#include "serve/web/thumbnail.h"

#include <algorithm>

#include "serve/api/result_json.h"
#include "video/sampling.h"

namespace serve::web {
namespace {

constexpr int kSide = 160;

// Nearest-neighbour downscale of packed RGB to fit kSide (never up).
serve::Image Fit(const video::Frame& frame) {
  const double scale =
      std::min(1.0, static_cast<double>(kSide) / std::max(frame.width, frame.height));
  serve::Image image;
  image.width = std::max(1, static_cast<int>(frame.width * scale));
  image.height = std::max(1, static_cast<int>(frame.height * scale));
  image.rgb.resize(static_cast<size_t>(image.width) * image.height * 3);
  for (int y = 0; y < image.height; ++y) {
    const int sy = std::min(frame.height - 1, static_cast<int>(y / scale));
    for (int x = 0; x < image.width; ++x) {
      const int sx = std::min(frame.width - 1, static_cast<int>(x / scale));
      std::copy_n(frame.pixel(sx, sy), 3,
                  image.rgb.data() + (static_cast<size_t>(y) * image.width + x) * 3);
    }
  }
  return image;
}

}  // namespace

std::string HistoryThumbnailPng(const serve::DetectionResult& result,
                                const std::string& video_path) {
  for (const serve::TrackResult& track : result.tracks) {
    if (track.track_id != result.deciding_track || track.thumbnails.empty()) continue;
    return serve::EncodePng(track.thumbnails[track.thumbnails.size() / 2]);
  }
  for (const serve::TrackResult& track : result.tracks) {
    if (!track.thumbnails.empty())
      return serve::EncodePng(track.thumbnails[track.thumbnails.size() / 2]);
  }
  video::SamplingOptions sampling;
  sampling.strategy = video::SamplingStrategy::kFirstConsecutive;
  sampling.num_frames = 1;
  sampling.max_decoded_frames = 30;
  absl::StatusOr<std::vector<video::Frame>> frames = video::SampleFrames(video_path, sampling);
  if (!frames.ok() || frames->empty() || frames->front().width <= 0) return "";
  return serve::EncodePng(Fit(frames->front()));
}

}  // namespace serve::web
