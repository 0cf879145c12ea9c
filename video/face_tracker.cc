// Greedy frame-to-frame linking of face detections, track filtering and gap filling.
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

std::vector<FaceTrack> TrackFaces(const std::vector<std::vector<FaceObservation>>& detections,
                                  const FaceTrackerOptions& options, TrackingSummary* summary) {
  const int num_frames = static_cast<int>(detections.size());
  TrackingSummary local_summary;
  TrackingSummary& stats = summary != nullptr ? *summary : local_summary;
  stats = TrackingSummary();

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
    if (!faces.empty()) ++stats.frames_with_faces;

    // Greedy assignment, cheapest link first; each track and face is used once.
    std::vector<std::tuple<double, int, int>> links;  // cost, track, face
    for (int t = 0; t < static_cast<int>(working.size()); ++t) {
      for (int d = 0; d < static_cast<int>(faces.size()); ++d) {
        double cost = 0;
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

  const int required = std::min(
      num_frames,
      std::max(options.min_track_detections,
               static_cast<int>(std::ceil(options.min_track_fraction * num_frames - 1e-9))));
  std::vector<FaceTrack> tracks;
  for (const WorkingTrack& track : working) {
    const int count = static_cast<int>(track.frames.size());
    if (count < required) {
      ++stats.tracks_too_brief;
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
