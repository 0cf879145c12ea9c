// Face tracks across sampled frames: detections are linked frame to frame by box overlap
// (IoU) and landmark distance; then short tracks of one person (split where the head moved
// or the shot cut between sampled frames seconds apart) are re-linked by the appearance of
// the face (a colour histogram of the face, FaceAppearance) and its size, never
// joining two tracks seen in the same frame. Tracks of small faces or seen in too few frames
// are dropped and reported (TrackingSummary); every kept track then has an entry for every
// sampled frame, the frames where its face was missed filled from its nearest detections
// (interpolated between them, or copied at the ends) and flagged `filled`.
#ifndef VIDEO_FACE_TRACKER_H_
#define VIDEO_FACE_TRACKER_H_

#include <string>
#include <vector>

#include "video/face_detector.h"
#include "video/frame.h"
#include "video/landmarks.h"

namespace video {

// One detected face: the detector's box and the landmarks predicted in it.
struct FaceObservation {
  FaceBox box;
  FaceLandmarks landmarks;
  // FaceAppearance of the face; empty: unknown (the track is then never re-linked).
  std::vector<float> appearance;
  // The landmark fit failed PlausibleLandmarks and `landmarks` are TemplateLandmarks(box).
  bool landmarks_implausible = false;
};

// The appearance of the face in `box` of `frame`: a normalized 4x4x4 RGB histogram (64
// bins, sum 1) of the central 0.8 x 0.8 of the box (the face itself: a histogram with the
// surroundings split one person across scenes), clipped to the frame. Empty when the
// clipped region is empty.
std::vector<float> FaceAppearance(const Frame& frame, const FaceBox& box);
// Bhattacharyya coefficient of two FaceAppearance histograms: 1 = identical, 0 = disjoint.
double AppearanceSimilarity(const std::vector<float>& a, const std::vector<float>& b);

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
  // Re-linking: two tracks never seen in the same frame are joined (most similar pair
  // first) when their mean appearances are at least this similar (AppearanceSimilarity;
  // above 1 disables re-linking) and their median face sizes differ by at most this factor.
  double min_relink_similarity = 0.8;
  double max_relink_size_ratio = 2.5;
};

// A track that was not kept, with why: "too brief" (seen in fewer frames than required).
struct RejectedTrack {
  std::string reason;
  int num_detections = 0;
  int first_frame = 0, last_frame = 0;  // sampled frame numbers of its first/last detection
  double median_face_size = 0;
  FaceBox first_box;  // its first detection
};

struct TrackedFace {
  FaceBox box;  // for a filled entry, interpolated; score is 0
  FaceLandmarks landmarks;
  bool filled = false;  // true: no detection of this face in this frame
  // The detection's landmark fit was implausible (turned head, false face): `landmarks`
  // are the box's template, so the crop is the box, upright, not a warped garbage fit.
  bool landmarks_implausible = false;
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
  int tracks_relinked = 0;    // joins of two tracks of one person by appearance
  int faces_implausible = 0;  // large-enough detections with implausible landmarks
  std::vector<RejectedTrack> rejected_tracks;  // the dropped tracks, in order of appearance
};

// `detections[i]` are the faces found in sampled frame i. Tracks come back ordered by
// first appearance. `summary` (optional) says what was dropped.
std::vector<FaceTrack> TrackFaces(const std::vector<std::vector<FaceObservation>>& detections,
                                  const FaceTrackerOptions& options = {},
                                  TrackingSummary* summary = nullptr);

}  // namespace video

#endif  // VIDEO_FACE_TRACKER_H_
