// Face tracks across sampled frames: detections are linked frame to frame by box overlap
// (IoU) and landmark distance; then short tracks of one person (split where the head moved
// or the shot cut between sampled frames seconds apart) are re-linked by the appearance of
// the face (a colour histogram of the face, FaceAppearance), its proportions (FaceGeometry
// from the landmarks) and its size, never joining two tracks seen in the same frame nor
// two whose face could not have moved that far within a shot (SampledFrameContext). Tracks of small
// faces or seen in too few frames are dropped and reported (TrackingSummary); every kept track then
// has an entry for every sampled frame, the frames where its face was missed filled from its
// nearest detections (interpolated between them, or copied at the ends) and flagged `filled`.
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
  // FaceGeometry of the landmarks; empty: unknown (implausible fit).
  std::vector<float> geometry;
  // The landmark fit failed PlausibleLandmarks and `landmarks` are TemplateLandmarks(box).
  bool landmarks_implausible = false;
  // Which detector found it (kHog or kCnn); from_roi: the CNN found it in a region around
  // a lost track's predicted box (FaceDetector::DetectInRegion), not on the whole frame.
  FaceDetectorKind detector = FaceDetectorKind::kHog;
  bool from_roi = false;
};

// The appearance of the face in `box` of `frame`: a normalized 4x4x4 RGB histogram (64
// bins, sum 1) of the central 0.8 x 0.8 of the box (the face itself: a histogram with the
// surroundings split one person across scenes), clipped to the frame. Empty when the
// clipped region is empty.
std::vector<float> FaceAppearance(const Frame& frame, const FaceBox& box);
// Bhattacharyya coefficient of two FaceAppearance histograms: 1 = identical, 0 = disjoint.
double AppearanceSimilarity(const std::vector<float>& a, const std::vector<float>& b);

// The face's proportions from its 68 landmarks, in the eye line's frame (so in-plane
// rotation and scale cancel), as ratios that a turn of the head changes little: eye
// distance, nose width and eye width over jaw width (horizontal, all shrink alike when the
// head turns), nose length over the eyes-to-upper-lip height (vertical; brows, lower lip
// and chin are left out: they move when the person talks or sings), and that height over
// the eye distance. Empty for implausible fits (PlausibleLandmarks) or degenerate ones.
std::vector<float> FaceGeometry(const FaceLandmarks& landmarks);
// The largest relative difference between two FaceGeometry descriptors' components
// (|a - b| / mean(a, b)); -1 when either is empty.
double GeometryDistance(const std::vector<float>& a, const std::vector<float>& b);

// What the tracker knows of each sampled frame (optional): its time, for how far a face
// can move between frames, and a coarse picture of it (FrameLayout), to tell a shot cut.
struct SampledFrameContext {
  double timestamp_seconds = 0;
  std::vector<float> layout;
};
// 8x8 grid of mean luma (0..1) of the frame; what Cut compares.
std::vector<float> FrameLayout(const Frame& frame);
// How unlike two FrameLayouts are: the larger of their mean absolute difference over their
// mean brightness and 1 - their correlation (0: identical; a cut is ~0.5 or more; -1 when
// either is empty). Relative, so a cut in a dark room counts as one in a bright room.
double LayoutDifference(const std::vector<float>& a, const std::vector<float>& b);
// Whether the shot changes somewhere between sampled frames f0 < f1: two consecutive
// frames' layouts differ by at least `threshold`. False without context.
bool ShotCutBetween(const std::vector<SampledFrameContext>& context, int f0, int f1,
                    double threshold);

struct FaceTrackerOptions {
  // A detection continues a track when its box overlaps the track's last box by at least
  // min_iou, or when its landmarks are within max_landmark_distance (mean point distance
  // as a fraction of the face box side) of the track's last landmarks. Across a shot cut
  // (with frame context: ShotCutBetween) only a box overlapping by min_iou_across_cut
  // continues it (a change of light reads as a cut; another person seldom stands exactly
  // where the last one stood); the rest is left to re-linking, which checks identity.
  double min_iou = 0.3;
  double min_iou_across_cut = 0.5;
  double max_landmark_distance = 0.35;
  // A track missing from more than this many sampled frames in a row is not continued by
  // position (another person may stand there by then); re-linking, which checks identity,
  // may still join it.
  int max_link_gap = 2;
  // Faces whose box side is below this many frame pixels are ignored (too small to judge;
  // the CNN finds faces down to ~30 px in a small picture, which it enlarges 3x).
  double min_face_size = 32;
  // A track is kept when its face was detected in at least this many sampled frames and
  // this fraction of them (the larger of the two; both capped at the number of frames).
  int min_track_detections = 2;
  double min_track_fraction = 0.25;
  // Re-linking: two tracks never seen in the same frame are joined (most similar pair
  // first) when their mean appearances are at least this similar (AppearanceSimilarity;
  // above 1 disables re-linking) and their median face sizes differ by at most this factor.
  double min_relink_similarity = 0.8;
  double max_relink_size_ratio = 2.5;
  // ... and both have plausible landmark fits whose median FaceGeometry differ by at most
  // this (GeometryDistance; colour alone is never enough: lit alike, two people match) ...
  double max_relink_geometry_distance = 0.25;
  // ... tighter both when either track is a single detection (one look is weak evidence).
  double min_relink_similarity_single = 0.93;
  double max_relink_geometry_distance_single = 0.15;
  // ... and, with frame context, wherever one track's detection is followed by the other's
  // within a shot (FrameLayouts differing by less than cut_layout_difference), the face
  // moved at most max_relink_speed face sides per second plus one face side.
  double cut_layout_difference = 0.5;
  double max_relink_speed = 1.5;
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
  // The detection's FaceObservation::detector and from_roi (meaningless when filled).
  FaceDetectorKind detector = FaceDetectorKind::kHog;
  bool from_roi = false;
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
// first appearance. `summary` (optional) says what was dropped. `context` (optional: empty,
// or one per frame) lets re-linking check that a face could have moved that far.
std::vector<FaceTrack> TrackFaces(const std::vector<std::vector<FaceObservation>>& detections,
                                  const FaceTrackerOptions& options = {},
                                  TrackingSummary* summary = nullptr,
                                  const std::vector<SampledFrameContext>& context = {});

}  // namespace video

#endif  // VIDEO_FACE_TRACKER_H_
