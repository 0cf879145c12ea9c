// Face tracks across sampled frames: detections are linked frame to frame by box overlap
// (IoU) and landmark distance, one track per person. Tracks of small faces or seen in too
// few frames are dropped; every kept track then has an entry for every sampled frame, the
// frames where its face was missed filled from its nearest detections (interpolated
// between them, or copied at the ends) and flagged `filled`.
#ifndef VIDEO_FACE_TRACKER_H_
#define VIDEO_FACE_TRACKER_H_

#include <vector>

#include "video/face_detector.h"
#include "video/landmarks.h"

namespace video {

// One detected face: the detector's box and the landmarks predicted in it.
struct FaceObservation {
  FaceBox box;
  FaceLandmarks landmarks;
};

struct FaceTrackerOptions {
  // A detection continues a track when its box overlaps the track's last box by at least
  // min_iou, or when its landmarks are within max_landmark_distance (mean point distance
  // as a fraction of the face box side) of the track's last landmarks.
  double min_iou = 0.3;
  double max_landmark_distance = 0.35;
  // Faces whose box side is below this many frame pixels are ignored (too small to judge).
  double min_face_size = 40;
  // A track is kept when its face was detected in at least this many sampled frames and
  // this fraction of them (the larger of the two; both capped at the number of frames).
  int min_track_detections = 2;
  double min_track_fraction = 0.25;
};

struct TrackedFace {
  FaceBox box;  // for a filled entry, interpolated; score is 0
  FaceLandmarks landmarks;
  bool filled = false;  // true: no detection of this face in this frame
};

struct FaceTrack {
  int id = 0;                      // 0, 1, ... in order of first appearance, after filtering
  std::vector<TrackedFace> faces;  // one per sampled frame
  int num_detections = 0;          // entries with filled == false
  double mean_score = 0;           // over the detections
  double median_face_size = 0;     // box side in frame pixels, over the detections
};

struct TrackingSummary {
  int frames_with_faces = 0;  // sampled frames with at least one (large enough) face
  int faces_detected = 0;     // large-enough detections over all frames
  int faces_too_small = 0;    // detections dropped by min_face_size
  int tracks_too_brief = 0;   // tracks dropped by the detection-count thresholds
};

// `detections[i]` are the faces found in sampled frame i. Tracks come back ordered by
// first appearance. `summary` (optional) says what was dropped.
std::vector<FaceTrack> TrackFaces(const std::vector<std::vector<FaceObservation>>& detections,
                                  const FaceTrackerOptions& options = {},
                                  TrackingSummary* summary = nullptr);

}  // namespace video

#endif  // VIDEO_FACE_TRACKER_H_
