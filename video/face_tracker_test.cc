// Tests for face tracking: linking, several people, filtering, gap filling.
#include "video/face_tracker.h"

#include <gtest/gtest.h>

namespace video {
namespace {

// A face of side `size` at (x, y) with landmarks spread over its box.
FaceObservation Face(double x, double y, double size, double score = 1.0) {
  FaceObservation face;
  face.box = {x, y, x + size, y + size, score};
  for (int i = 0; i < FaceLandmarks::kNumPoints; ++i) {
    face.landmarks.points[i] = {x + size * (i % 8) / 8.0, y + size * (i / 8) / 9.0};
  }
  return face;
}

TEST(TrackFacesTest, OnePersonMovingSlowlyIsOneTrack) {
  std::vector<std::vector<FaceObservation>> frames;
  for (int f = 0; f < 16; ++f) frames.push_back({Face(100 + 5 * f, 80, 120)});
  TrackingSummary summary;
  const std::vector<FaceTrack> tracks = TrackFaces(frames, {}, &summary);
  ASSERT_EQ(tracks.size(), 1u);
  EXPECT_EQ(tracks[0].num_detections, 16);
  EXPECT_EQ(tracks[0].faces.size(), 16u);
  EXPECT_DOUBLE_EQ(tracks[0].median_face_size, 120);
  EXPECT_EQ(summary.frames_with_faces, 16);
  for (const TrackedFace& face : tracks[0].faces) EXPECT_FALSE(face.filled);
}

TEST(TrackFacesTest, TwoPeopleInAnyDetectionOrderAreTwoTracks) {
  std::vector<std::vector<FaceObservation>> frames;
  for (int f = 0; f < 10; ++f) {
    FaceObservation left = Face(50, 100 + f, 100), right = Face(400, 100 - f, 100);
    frames.push_back(f % 2 ? std::vector<FaceObservation>{left, right}
                           : std::vector<FaceObservation>{right, left});
  }
  const std::vector<FaceTrack> tracks = TrackFaces(frames);
  ASSERT_EQ(tracks.size(), 2u);
  for (const FaceTrack& track : tracks) {
    EXPECT_EQ(track.num_detections, 10);
    const double x = track.faces[0].box.left;
    for (const TrackedFace& face : track.faces) EXPECT_DOUBLE_EQ(face.box.left, x);
  }
  EXPECT_EQ(tracks[0].id, 0);
  EXPECT_EQ(tracks[1].id, 1);
}

TEST(TrackFacesTest, MissedFramesAreFilledAndFlagged) {
  std::vector<std::vector<FaceObservation>> frames(8);
  frames[1] = {Face(100, 100, 100, 2.0)};
  frames[3] = {Face(120, 100, 100, 1.0)};
  frames[4] = {Face(124, 100, 100, 1.5)};
  const std::vector<FaceTrack> tracks = TrackFaces(frames);
  ASSERT_EQ(tracks.size(), 1u);
  const FaceTrack& track = tracks[0];
  ASSERT_EQ(track.faces.size(), 8u);
  EXPECT_EQ(track.num_detections, 3);
  EXPECT_DOUBLE_EQ(track.mean_score, 1.5);
  // Before the first detection: a copy of it; between: interpolated; after: the last.
  EXPECT_TRUE(track.faces[0].filled);
  EXPECT_DOUBLE_EQ(track.faces[0].box.left, 100);
  EXPECT_FALSE(track.faces[1].filled);
  EXPECT_TRUE(track.faces[2].filled);
  EXPECT_DOUBLE_EQ(track.faces[2].box.left, 110);
  EXPECT_DOUBLE_EQ(track.faces[2].landmarks.points[0].x, 110);
  EXPECT_DOUBLE_EQ(track.faces[2].box.score, 0);
  EXPECT_FALSE(track.faces[3].filled);
  for (int f = 5; f < 8; ++f) {
    EXPECT_TRUE(track.faces[f].filled);
    EXPECT_DOUBLE_EQ(track.faces[f].box.left, 124);
  }
}

TEST(TrackFacesTest, SmallAndBriefFacesAreDropped) {
  std::vector<std::vector<FaceObservation>> frames;
  for (int f = 0; f < 16; ++f) {
    std::vector<FaceObservation> faces = {Face(100, 100, 150), Face(600, 50, 20)};  // tiny
    if (f == 5 || f == 6) faces.push_back(Face(800, 400, 90));  // passer-by: 2 of 16 frames
    frames.push_back(faces);
  }
  TrackingSummary summary;
  const std::vector<FaceTrack> tracks = TrackFaces(frames, {}, &summary);
  ASSERT_EQ(tracks.size(), 1u);
  EXPECT_DOUBLE_EQ(tracks[0].faces[0].box.left, 100);
  EXPECT_EQ(summary.faces_too_small, 16);
  EXPECT_EQ(summary.tracks_too_brief, 1);

  FaceTrackerOptions lenient;
  lenient.min_face_size = 10;
  lenient.min_track_detections = 1;
  lenient.min_track_fraction = 0;
  EXPECT_EQ(TrackFaces(frames, lenient).size(), 3u);
}

TEST(TrackFacesTest, AJumpFarAwayStartsANewTrack) {
  std::vector<std::vector<FaceObservation>> frames;
  for (int f = 0; f < 8; ++f) frames.push_back({Face(f < 4 ? 0 : 1000, 0, 100)});
  const std::vector<FaceTrack> tracks = TrackFaces(frames);
  ASSERT_EQ(tracks.size(), 2u);
  EXPECT_EQ(tracks[0].num_detections, 4);
  EXPECT_TRUE(tracks[0].faces[7].filled);
  EXPECT_TRUE(tracks[1].faces[0].filled);
}

TEST(TrackFacesTest, EmptyAndSingleFrameInputs) {
  EXPECT_TRUE(TrackFaces({}).empty());
  EXPECT_TRUE(TrackFaces({{}, {}}).empty());
  const std::vector<FaceTrack> one = TrackFaces({{Face(0, 0, 100)}});
  ASSERT_EQ(one.size(), 1u);  // a single frame needs only its one detection
  EXPECT_EQ(one[0].faces.size(), 1u);
}

}  // namespace
}  // namespace video
