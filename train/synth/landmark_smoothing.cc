// Gap filling and zero-phase Gaussian smoothing of landmark tracks.
#include "train/synth/landmark_smoothing.h"

#include <algorithm>
#include <cmath>

#include "absl/status/status.h"
#include "nn/check.h"

namespace train::synth {

absl::StatusOr<std::vector<Landmarks>> SmoothLandmarkTrack(
    const std::vector<std::optional<Landmarks>>& track, double sigma_frames) {
  const int n = static_cast<int>(track.size());
  std::vector<int> known;
  for (int t = 0; t < n; ++t) {
    if (track[t].has_value()) known.push_back(t);
  }
  if (known.empty()) return absl::NotFoundError("no frame of the clip has a face");
  const size_t points = track[known[0]]->size();
  std::vector<Landmarks> filled(n);
  size_t next = 0;  // index into known of the first known frame >= t
  for (int t = 0; t < n; ++t) {
    while (next < known.size() && known[next] < t) ++next;
    if (next < known.size() && known[next] == t) {
      filled[t] = *track[t];
      NN_CHECK_EQ(filled[t].size(), points) << "frame " << t << " has a different point count";
      continue;
    }
    const int after = next < known.size() ? known[next] : -1;
    const int before = next > 0 ? known[next - 1] : -1;
    if (before < 0 || after < 0) {
      filled[t] = *track[before >= 0 ? before : after];
      continue;
    }
    const double w = double(t - before) / (after - before);
    filled[t].resize(points);
    for (size_t i = 0; i < points; ++i) {
      const Point &a = (*track[before])[i], &b = (*track[after])[i];
      filled[t][i] = {a.x + w * (b.x - a.x), a.y + w * (b.y - a.y)};
    }
  }
  if (sigma_frames <= 0) return filled;
  const int radius = std::max(1, int(std::ceil(3 * sigma_frames)));
  std::vector<double> kernel(2 * radius + 1);
  for (int k = -radius; k <= radius; ++k) {
    kernel[k + radius] = std::exp(-0.5 * k * k / (sigma_frames * sigma_frames));
  }
  std::vector<Landmarks> smoothed(n, Landmarks(points));
  for (int t = 0; t < n; ++t) {
    double total = 0;
    for (int k = -radius; k <= radius; ++k) {
      // Beyond the ends the track is extended by point reflection, x(-s) = 2 x(0) - x(s),
      // which keeps the filter zero-phase there and leaves linear motion exactly linear.
      int s = t + k, anchor = -1;
      if (s < 0) s = -s, anchor = 0;
      if (s >= n) s = 2 * (n - 1) - s, anchor = n - 1;
      s = std::clamp(s, 0, n - 1);
      const double w = kernel[k + radius];
      total += w;
      for (size_t i = 0; i < points; ++i) {
        Point v = filled[s][i];
        if (anchor >= 0) v = {2 * filled[anchor][i].x - v.x, 2 * filled[anchor][i].y - v.y};
        smoothed[t][i].x += w * v.x;
        smoothed[t][i].y += w * v.y;
      }
    }
    for (Point& p : smoothed[t]) p.x /= total, p.y /= total;
  }
  return smoothed;
}

double LandmarkJitter(const std::vector<Landmarks>& track) {
  if (track.size() < 3) return 0;
  double sum = 0;
  size_t count = 0;
  for (size_t t = 1; t + 1 < track.size(); ++t) {
    for (size_t i = 0; i < track[t].size(); ++i) {
      sum += std::hypot(track[t + 1][i].x - 2 * track[t][i].x + track[t - 1][i].x,
                        track[t + 1][i].y - 2 * track[t][i].y + track[t - 1][i].y);
      ++count;
    }
  }
  return count ? sum / count : 0;
}

}  // namespace train::synth
