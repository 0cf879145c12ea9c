// Greedy frame-to-frame linking of face detections, re-linking of one person's tracks by
// appearance, track filtering and gap filling.
#include "video/face_tracker.h"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace video {
namespace {

struct WorkingTrack {
  std::vector<int> frames;  // sampled frames with a detection, increasing
  std::vector<FaceObservation> observations;
};

double MedianFaceSize(const WorkingTrack& track) {
  std::vector<double> sizes;
  for (const FaceObservation& obs : track.observations) sizes.push_back(obs.box.size());
  std::sort(sizes.begin(), sizes.end());
  const size_t n = sizes.size();
  return n == 0 ? 0 : n % 2 == 1 ? sizes[n / 2] : 0.5 * (sizes[n / 2 - 1] + sizes[n / 2]);
}

// Mean appearance over the track's detections that have one (empty when none has).
std::vector<float> MeanAppearance(const WorkingTrack& track) {
  std::vector<float> mean;
  int count = 0;
  for (const FaceObservation& obs : track.observations) {
    if (obs.appearance.empty()) continue;
    if (mean.empty()) mean.assign(obs.appearance.size(), 0.0f);
    if (obs.appearance.size() != mean.size()) continue;
    for (size_t i = 0; i < mean.size(); ++i) mean[i] += obs.appearance[i];
    ++count;
  }
  for (float& v : mean) v /= std::max(1, count);
  return mean;
}

// Componentwise median of the track's plausible geometries (empty when none has one).
std::vector<float> MedianGeometry(const WorkingTrack& track) {
  std::vector<std::vector<float>> values;
  for (const FaceObservation& obs : track.observations) {
    if (obs.geometry.empty()) continue;
    if (values.empty()) values.resize(obs.geometry.size());
    if (obs.geometry.size() != values.size()) continue;
    for (size_t k = 0; k < values.size(); ++k) values[k].push_back(obs.geometry[k]);
  }
  std::vector<float> median;
  for (std::vector<float>& v : values) {
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    median.push_back(n % 2 == 1 ? v[n / 2] : 0.5f * (v[n / 2 - 1] + v[n / 2]));
  }
  return median;
}

// Whether joining `a` and `b` keeps every step between consecutive detections (one from
// each track) within reach: across a shot cut anything goes; within a shot the face moves
// at most max_relink_speed sides per second plus one side. `worst` gets the largest
// movement in sides beyond that allowance (for diagnostics).
bool PlausibleMotion(const WorkingTrack& a, const WorkingTrack& b,
                     const std::vector<SampledFrameContext>& context,
                     const FaceTrackerOptions& options, double* worst) {
  *worst = 0;
  if (context.empty()) return true;
  std::vector<std::pair<int, const FaceObservation*>> all;
  for (size_t i = 0; i < a.frames.size(); ++i) all.emplace_back(a.frames[i], &a.observations[i]);
  for (size_t i = 0; i < b.frames.size(); ++i)
    all.emplace_back(-1 - b.frames[i], &b.observations[i]);
  std::sort(all.begin(), all.end(), [](const auto& x, const auto& y) {
    return (x.first < 0 ? -1 - x.first : x.first) < (y.first < 0 ? -1 - y.first : y.first);
  });
  bool ok = true;
  for (size_t i = 1; i < all.size(); ++i) {
    if ((all[i - 1].first < 0) == (all[i].first < 0)) continue;  // same track
    const int f0 = all[i - 1].first < 0 ? -1 - all[i - 1].first : all[i - 1].first;
    const int f1 = all[i].first < 0 ? -1 - all[i].first : all[i].first;
    if (ShotCutBetween(context, f0, f1, options.cut_layout_difference)) continue;
    const FaceBox& p = all[i - 1].second->box;
    const FaceBox& q = all[i].second->box;
    const double side = std::max(1.0, 0.5 * (p.size() + q.size()));
    const double dt = std::max(0.0, context[f1].timestamp_seconds - context[f0].timestamp_seconds);
    const double moved =
        std::hypot(p.center_x() - q.center_x(), p.center_y() - q.center_y()) / side;
    const double excess = moved - (1.0 + options.max_relink_speed * dt);
    *worst = std::max(*worst, excess);
    if (excess > 0) ok = false;
  }
  return ok;
}

bool SharesAFrame(const WorkingTrack& a, const WorkingTrack& b) {
  size_t i = 0, j = 0;
  while (i < a.frames.size() && j < b.frames.size()) {
    if (a.frames[i] == b.frames[j]) return true;
    a.frames[i] < b.frames[j] ? ++i : ++j;
  }
  return false;
}

// `b`'s detections merged into `a`, in frame order (the two share no frame).
void Merge(WorkingTrack& a, WorkingTrack& b) {
  std::vector<std::pair<int, FaceObservation>> all;
  for (size_t i = 0; i < a.frames.size(); ++i) all.emplace_back(a.frames[i], a.observations[i]);
  for (size_t i = 0; i < b.frames.size(); ++i) all.emplace_back(b.frames[i], b.observations[i]);
  std::sort(all.begin(), all.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  a.frames.clear();
  a.observations.clear();
  for (auto& [frame, obs] : all) {
    a.frames.push_back(frame);
    a.observations.push_back(std::move(obs));
  }
  b.frames.clear();
  b.observations.clear();
}

// Joins tracks of one person: repeatedly the most similar pair that shares no frame, has
// similar face sizes, appearances at least min_relink_similarity alike, face proportions
// (FaceGeometry) within max_relink_geometry_distance (stricter bars when either track is a
// single detection) and plausible motion within shots (PlausibleMotion). Returns the
// number of joins; emptied tracks are removed, the rest stay in order of first frame.
int Relink(std::vector<WorkingTrack>& tracks, const FaceTrackerOptions& options,
           const std::vector<SampledFrameContext>& context) {
  int joins = 0;
  for (;;) {
    double best = options.min_relink_similarity;
    int best_a = -1, best_b = -1;
    std::vector<std::vector<float>> appearance, geometry;
    std::vector<double> sizes;
    for (const WorkingTrack& t : tracks) {
      appearance.push_back(MeanAppearance(t));
      geometry.push_back(MedianGeometry(t));
      sizes.push_back(MedianFaceSize(t));
    }
    for (int a = 0; a < static_cast<int>(tracks.size()); ++a) {
      for (int b = a + 1; b < static_cast<int>(tracks.size()); ++b) {
        if (appearance[a].empty() || appearance[b].empty()) continue;
        if (SharesAFrame(tracks[a], tracks[b])) continue;
        const double ratio =
            std::max(sizes[a], sizes[b]) / std::max(1.0, std::min(sizes[a], sizes[b]));
        const double similarity = AppearanceSimilarity(appearance[a], appearance[b]);
        const double shape = GeometryDistance(geometry[a], geometry[b]);
        double moved = 0;
        const bool motion = PlausibleMotion(tracks[a], tracks[b], context, options, &moved);
        if (ratio > options.max_relink_size_ratio || similarity < best) continue;
        if (shape < 0 || shape > options.max_relink_geometry_distance || !motion) continue;
        // One detection is weak evidence of who it is: it must match more closely.
        const bool single = tracks[a].frames.size() == 1 || tracks[b].frames.size() == 1;
        if (single && (similarity < options.min_relink_similarity_single ||
                       shape > options.max_relink_geometry_distance_single)) {
          continue;
        }
        best = similarity;
        best_a = a;
        best_b = b;
      }
    }
    if (best_a < 0) break;
    Merge(tracks[best_a], tracks[best_b]);
    tracks.erase(tracks.begin() + best_b);
    ++joins;
  }
  std::stable_sort(tracks.begin(), tracks.end(), [](const WorkingTrack& x, const WorkingTrack& y) {
    return x.frames.front() < y.frames.front();
  });
  return joins;
}

// How well detection `obs` continues a track whose last face is `last`; lower is better.
// Returns false when it does not continue it at all.
bool LinkCost(const FaceObservation& last, const FaceObservation& obs,
              const FaceTrackerOptions& options, double* cost) {
  const double iou = IntersectionOverUnion(last.box, obs.box);
  const double scale = std::max(1.0, std::max(last.box.size(), obs.box.size()));
  const double distance = MeanLandmarkDistance(last.landmarks, obs.landmarks) / scale;
  if (iou < options.min_iou && distance > options.max_landmark_distance) return false;
  *cost = distance - iou;
  return true;
}

TrackedFace Interpolate(const FaceObservation& a, const FaceObservation& b, double w) {
  TrackedFace face;
  auto mix = [w](double x, double y) { return (1 - w) * x + w * y; };
  face.box.left = mix(a.box.left, b.box.left);
  face.box.top = mix(a.box.top, b.box.top);
  face.box.right = mix(a.box.right, b.box.right);
  face.box.bottom = mix(a.box.bottom, b.box.bottom);
  face.box.score = 0;
  for (int k = 0; k < FaceLandmarks::kNumPoints; ++k) {
    face.landmarks.points[k].x = mix(a.landmarks.points[k].x, b.landmarks.points[k].x);
    face.landmarks.points[k].y = mix(a.landmarks.points[k].y, b.landmarks.points[k].y);
  }
  face.filled = true;
  return face;
}

}  // namespace

std::vector<float> FaceAppearance(const Frame& frame, const FaceBox& box) {
  const double half = 0.4 * box.size();
  const int x0 = std::max(0, static_cast<int>(std::floor(box.center_x() - half)));
  const int y0 = std::max(0, static_cast<int>(std::floor(box.center_y() - half)));
  const int x1 = std::min(frame.width, static_cast<int>(std::ceil(box.center_x() + half)));
  const int y1 = std::min(frame.height, static_cast<int>(std::ceil(box.center_y() + half)));
  if (x1 <= x0 || y1 <= y0 ||
      frame.rgb.size() < static_cast<size_t>(frame.width) * frame.height * 3) {
    return {};
  }
  // At most ~64x64 samples: a histogram needs no more.
  const int step = std::max(1, std::max(x1 - x0, y1 - y0) / 64);
  std::vector<float> histogram(64, 0.0f);
  int count = 0;
  for (int y = y0; y < y1; y += step) {
    for (int x = x0; x < x1; x += step) {
      const uint8_t* p = frame.pixel(x, y);
      ++histogram[(p[0] >> 6) * 16 + (p[1] >> 6) * 4 + (p[2] >> 6)];
      ++count;
    }
  }
  for (float& v : histogram) v /= count;
  return histogram;
}

std::vector<float> FaceGeometry(const FaceLandmarks& landmarks) {
  const Point2 left = landmarks.ImageLeftEyeCenter(), right = landmarks.ImageRightEyeCenter();
  const double ex = right.x - left.x, ey = right.y - left.y;
  const double eyes = std::hypot(ex, ey);
  if (!(eyes > 1e-6)) return {};
  const double ux = ex / eyes, uy = ey / eyes;  // the eye line; "down" is (-uy, ux)
  const Point2 mid = {0.5 * (left.x + right.x), 0.5 * (left.y + right.y)};
  auto along = [&](int k) {
    return (landmarks.points[k].x - mid.x) * ux + (landmarks.points[k].y - mid.y) * uy;
  };
  auto down = [&](int k) {
    return -(landmarks.points[k].x - mid.x) * uy + (landmarks.points[k].y - mid.y) * ux;
  };
  const double jaw = std::abs(along(16) - along(0));
  const double nose_width = std::abs(along(35) - along(31));
  const double eye_width =
      0.5 * (std::abs(along(39) - along(36)) + std::abs(along(45) - along(42)));
  const double lip = down(51), nose = down(33);
  if (!(jaw > 1e-6 && lip > 1e-6 && nose > 0)) return {};
  return {static_cast<float>(eyes / jaw), static_cast<float>(nose_width / jaw),
          static_cast<float>(eye_width / jaw), static_cast<float>(nose / lip),
          static_cast<float>(lip / eyes)};
}

double GeometryDistance(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.empty() || a.size() != b.size()) return -1;
  double worst = 0;
  for (size_t k = 0; k < a.size(); ++k) {
    const double mean = 0.5 * (std::abs(a[k]) + std::abs(b[k]));
    if (mean > 0) worst = std::max(worst, std::abs(a[k] - b[k]) / mean);
  }
  return worst;
}

std::vector<float> FrameLayout(const Frame& frame) {
  if (frame.width <= 0 || frame.height <= 0 ||
      frame.rgb.size() < static_cast<size_t>(frame.width) * frame.height * 3) {
    return {};
  }
  std::vector<double> sums(64, 0);
  std::vector<int> counts(64, 0);
  const int step = std::max(1, std::min(frame.width, frame.height) / 64);  // ~64x64 samples
  for (int y = 0; y < frame.height; y += step) {
    for (int x = 0; x < frame.width; x += step) {
      const uint8_t* p = frame.pixel(x, y);
      const int cell = (y * 8 / frame.height) * 8 + x * 8 / frame.width;
      sums[cell] += (77 * p[0] + 150 * p[1] + 29 * p[2]) / (256.0 * 255.0);
      ++counts[cell];
    }
  }
  std::vector<float> layout(64);
  for (int i = 0; i < 64; ++i) layout[i] = counts[i] > 0 ? sums[i] / counts[i] : 0;
  return layout;
}

double LayoutDifference(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.empty() || a.size() != b.size()) return -1;
  const double n = static_cast<double>(a.size());
  double ma = 0, mb = 0;
  for (size_t i = 0; i < a.size(); ++i) ma += a[i] / n, mb += b[i] / n;
  double ab = 0, aa = 0, bb = 0, absolute = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) * (a[i] - ma);
    bb += (b[i] - mb) * (b[i] - mb);
    absolute += std::abs(a[i] - b[i]) / n;
  }
  // A flat frame (a fade to black) correlates with nothing; two flat frames are alike.
  const double correlation = aa > 1e-8 && bb > 1e-8       ? ab / std::sqrt(aa * bb)
                             : (aa > 1e-8) == (bb > 1e-8) ? 1.0
                                                          : 0.0;
  return std::max(absolute / std::max(0.05, 0.5 * (ma + mb)), 1 - correlation);
}

bool ShotCutBetween(const std::vector<SampledFrameContext>& context, int f0, int f1,
                    double threshold) {
  for (int f = std::max(0, f0); f < f1 && f + 1 < static_cast<int>(context.size()); ++f) {
    if (LayoutDifference(context[f].layout, context[f + 1].layout) >= threshold) return true;
  }
  return false;
}

double AppearanceSimilarity(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.empty() || a.size() != b.size()) return 0;
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) sum += std::sqrt(static_cast<double>(a[i]) * b[i]);
  return sum;
}

std::vector<FaceTrack> TrackFaces(const std::vector<std::vector<FaceObservation>>& detections,
                                  const FaceTrackerOptions& options, TrackingSummary* summary,
                                  const std::vector<SampledFrameContext>& context) {
  const int num_frames = static_cast<int>(detections.size());
  TrackingSummary local_summary;
  TrackingSummary& stats = summary != nullptr ? *summary : local_summary;
  stats = TrackingSummary();

  const bool use_context = context.size() == detections.size();
  std::vector<WorkingTrack> working;
  for (int f = 0; f < num_frames; ++f) {
    std::vector<const FaceObservation*> faces;
    for (const FaceObservation& obs : detections[f]) {
      if (obs.box.size() < options.min_face_size) {
        ++stats.faces_too_small;
      } else {
        faces.push_back(&obs);
      }
    }
    stats.faces_detected += static_cast<int>(faces.size());
    for (const FaceObservation* face : faces)
      stats.faces_implausible += face->landmarks_implausible;
    if (!faces.empty()) ++stats.frames_with_faces;

    // Greedy assignment, cheapest link first; each track and face is used once.
    std::vector<std::tuple<double, int, int>> links;  // cost, track, face
    for (int t = 0; t < static_cast<int>(working.size()); ++t) {
      // Position says little about who is there after a long absence: re-linking decides.
      if (f - working[t].frames.back() > options.max_link_gap + 1) continue;
      const bool cut = use_context && ShotCutBetween(context, working[t].frames.back(), f,
                                                     options.cut_layout_difference);
      for (int d = 0; d < static_cast<int>(faces.size()); ++d) {
        double cost = 0;
        if (cut && IntersectionOverUnion(working[t].observations.back().box, faces[d]->box) <
                       options.min_iou_across_cut) {
          continue;
        }
        if (LinkCost(working[t].observations.back(), *faces[d], options, &cost)) {
          links.emplace_back(cost, t, d);
        }
      }
    }
    std::sort(links.begin(), links.end());
    std::vector<bool> track_used(working.size(), false), face_used(faces.size(), false);
    for (const auto& [cost, t, d] : links) {
      if (track_used[t] || face_used[d]) continue;
      track_used[t] = face_used[d] = true;
      working[t].frames.push_back(f);
      working[t].observations.push_back(*faces[d]);
    }
    for (int d = 0; d < static_cast<int>(faces.size()); ++d) {
      if (face_used[d]) continue;
      WorkingTrack track;
      track.frames.push_back(f);
      track.observations.push_back(*faces[d]);
      working.push_back(std::move(track));
    }
  }

  stats.tracks_relinked =
      Relink(working, options, use_context ? context : std::vector<SampledFrameContext>());

  const int required = std::min(
      num_frames,
      std::max(options.min_track_detections,
               static_cast<int>(std::ceil(options.min_track_fraction * num_frames - 1e-9))));
  std::vector<FaceTrack> tracks;
  for (const WorkingTrack& track : working) {
    const int count = static_cast<int>(track.frames.size());
    if (count < required) {
      ++stats.tracks_too_brief;
      RejectedTrack rejected;
      rejected.reason = "too brief";
      rejected.num_detections = count;
      rejected.first_frame = track.frames.front();
      rejected.last_frame = track.frames.back();
      rejected.median_face_size = MedianFaceSize(track);
      rejected.first_box = track.observations.front().box;
      stats.rejected_tracks.push_back(rejected);
      continue;
    }
    FaceTrack out;
    out.id = static_cast<int>(tracks.size());
    out.num_detections = count;
    std::vector<double> sizes;
    for (const FaceObservation& obs : track.observations) {
      out.mean_score += obs.box.score / count;
      sizes.push_back(obs.box.size());
    }
    std::sort(sizes.begin(), sizes.end());
    out.median_face_size =
        count % 2 == 1 ? sizes[count / 2] : 0.5 * (sizes[count / 2 - 1] + sizes[count / 2]);
    out.faces.resize(num_frames);
    size_t next = 0;  // index into track.frames of the first detection at or after f
    for (int f = 0; f < num_frames; ++f) {
      while (next < track.frames.size() && track.frames[next] < f) ++next;
      if (next < track.frames.size() && track.frames[next] == f) {
        out.faces[f].box = track.observations[next].box;
        out.faces[f].landmarks = track.observations[next].landmarks;
        out.faces[f].filled = false;
        out.faces[f].landmarks_implausible = track.observations[next].landmarks_implausible;
        out.faces[f].detector = track.observations[next].detector;
        out.faces[f].from_roi = track.observations[next].from_roi;
      } else if (next == 0) {  // before the first detection
        out.faces[f] = Interpolate(track.observations[0], track.observations[0], 0);
      } else if (next == track.frames.size()) {  // after the last detection
        out.faces[f] = Interpolate(track.observations.back(), track.observations.back(), 0);
      } else {
        const int before = track.frames[next - 1], after = track.frames[next];
        out.faces[f] = Interpolate(track.observations[next - 1], track.observations[next],
                                   static_cast<double>(f - before) / (after - before));
      }
    }
    tracks.push_back(std::move(out));
  }
  return tracks;
}

}  // namespace video
