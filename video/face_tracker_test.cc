// Tests for face tracking: linking, several people, filtering, gap filling.
#include "video/face_tracker.h"

#include <gtest/gtest.h>

#include <cmath>

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

// A face missing from up to max_link_gap sampled frames in a row continues its track by
// position; after a longer absence the face there may be another person's, so position
// alone no longer links it (re-linking, which checks identity, may).
TEST(TrackFacesTest, PositionLinksAcrossAShortGapNotALongOne) {
  FaceTrackerOptions no_relink;
  no_relink.min_relink_similarity = 2;
  no_relink.min_track_fraction = 0;
  std::vector<std::vector<FaceObservation>> frames(12);
  frames[0] = {Face(100, 100, 100)};
  frames[1] = {Face(102, 100, 100)};
  frames[4] = {Face(104, 100, 100)};  // missed 2 frames: continues
  frames[5] = {Face(106, 100, 100)};
  frames[9] = {Face(108, 100, 100)};  // missed 3 frames: a new track
  frames[10] = {Face(110, 100, 100)};
  std::vector<FaceTrack> tracks = TrackFaces(frames, no_relink);
  ASSERT_EQ(tracks.size(), 2u);
  EXPECT_EQ(tracks[0].num_detections, 4);
  EXPECT_EQ(tracks[1].num_detections, 2);
  EXPECT_FALSE(tracks[1].faces[9].filled);

  no_relink.max_link_gap = 3;
  tracks = TrackFaces(frames, no_relink);
  ASSERT_EQ(tracks.size(), 1u);
  EXPECT_EQ(tracks[0].num_detections, 6);
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

// A histogram concentrated on `bin` (with a little spread), as FaceAppearance returns.
std::vector<float> Appearance(int bin) {
  std::vector<float> h(64, 0.01f / 63);
  h[bin] = 0.99f;
  return h;
}

// Face proportions as FaceGeometry returns them for a plausible fit.
const std::vector<float> kGeometry = {0.45f, 0.2f, 0.18f, 0.8f, 1.1f};

FaceObservation FaceLike(double x, double y, double size, int bin,
                         const std::vector<float>& geometry = kGeometry) {
  FaceObservation face = Face(x, y, size);
  face.appearance = Appearance(bin);
  face.geometry = geometry;
  return face;
}

// Frame context: frames `dt` seconds apart, one layout per shot (shot[f] numbers them).
std::vector<SampledFrameContext> Shots(const std::vector<int>& shot, double dt) {
  std::vector<SampledFrameContext> context;
  for (size_t f = 0; f < shot.size(); ++f) {
    std::vector<float> layout(64);
    for (int i = 0; i < 64; ++i) layout[i] = ((i * (shot[f] + 3) + shot[f]) % 17) / 17.0f;
    context.push_back({dt * f, layout});
  }
  return context;
}

TEST(TrackFacesTest, OnePersonAcrossShotCutsIsOneTrack) {
  // Sampled frames seconds apart: the face jumps every other frame (no overlap, far-apart
  // landmarks), and the tracks of the pieces alone are each too brief (2 of 16 < 4).
  std::vector<std::vector<FaceObservation>> frames;
  for (int f = 0; f < 16; ++f) {
    frames.push_back(
        {FaceLike((f / 2) % 2 ? 900 : 100, 100 + 200 * (f / 2), 150 + 10 * (f % 3), 21)});
  }
  FaceTrackerOptions no_relinking;
  no_relinking.min_relink_similarity = 2;
  TrackingSummary summary;
  EXPECT_TRUE(TrackFaces(frames, no_relinking, &summary).empty());
  EXPECT_EQ(summary.tracks_too_brief, 8);
  ASSERT_EQ(summary.rejected_tracks.size(), 8u);
  EXPECT_EQ(summary.rejected_tracks[0].reason, "too brief");
  EXPECT_EQ(summary.rejected_tracks[0].num_detections, 2);
  EXPECT_EQ(summary.rejected_tracks[1].first_frame, 2);
  EXPECT_EQ(summary.rejected_tracks[1].last_frame, 3);

  const std::vector<FaceTrack> tracks = TrackFaces(frames, {}, &summary);
  ASSERT_EQ(tracks.size(), 1u);
  EXPECT_EQ(tracks[0].num_detections, 16);
  EXPECT_EQ(summary.tracks_relinked, 7);
  EXPECT_TRUE(summary.rejected_tracks.empty());
  for (const TrackedFace& face : tracks[0].faces) EXPECT_FALSE(face.filled);
}

TEST(TrackFacesTest, TwoPeopleInAlternatingShotsStayTwoTracks) {
  std::vector<std::vector<FaceObservation>> frames;
  for (int f = 0; f < 16; ++f) {
    frames.push_back(
        {(f / 2) % 2 ? FaceLike(900, 100 + 10 * f, 150, 5) : FaceLike(100, 300 - 10 * f, 150, 42)});
  }
  const std::vector<FaceTrack> tracks = TrackFaces(frames);
  ASSERT_EQ(tracks.size(), 2u);
  EXPECT_EQ(tracks[0].num_detections, 8);
  EXPECT_EQ(tracks[1].num_detections, 8);
  EXPECT_DOUBLE_EQ(tracks[0].faces[0].box.left, 100);
  EXPECT_DOUBLE_EQ(tracks[1].faces[2].box.left, 900);
}

TEST(TrackFacesTest, LookalikesSeenInTheSameFrameAreNeverJoined) {
  // Twins (one appearance): together in frame 0, apart elsewhere, far from each other.
  std::vector<std::vector<FaceObservation>> frames;
  for (int f = 0; f < 8; ++f) {
    std::vector<FaceObservation> faces = {FaceLike(100, 100, 120, 7)};
    if (f % 4 == 0) faces.push_back(FaceLike(900, 400, 120, 7));
    frames.push_back(faces);
  }
  const std::vector<FaceTrack> tracks = TrackFaces(frames);
  ASSERT_EQ(tracks.size(), 2u);
  EXPECT_EQ(tracks[0].num_detections, 8);
  EXPECT_EQ(tracks[1].num_detections, 2);
}

TEST(TrackFacesTest, VeryDifferentFaceSizesAreNotJoined) {
  std::vector<std::vector<FaceObservation>> frames;
  for (int f = 0; f < 8; ++f)
    frames.push_back({FaceLike(f < 4 ? 0 : 1000, 0, f < 4 ? 60 : 400, 3)});
  EXPECT_EQ(TrackFaces(frames).size(), 2u);
}

TEST(TrackFacesTest, ColourAloneNeverJoins) {
  // Two fragments alike in colour, one without a plausible landmark fit (no geometry).
  std::vector<std::vector<FaceObservation>> frames;
  for (int f = 0; f < 8; ++f) {
    frames.push_back(
        {FaceLike(f < 4 ? 100 : 900, 100, 150, 9, f < 4 ? kGeometry : std::vector<float>())});
  }
  EXPECT_EQ(TrackFaces(frames).size(), 2u);
  for (int f = 4; f < 8; ++f) frames[f][0].geometry = kGeometry;
  EXPECT_EQ(TrackFaces(frames).size(), 1u);
}

TEST(TrackFacesTest, DifferentFaceProportionsAreNotJoined) {
  std::vector<float> other = kGeometry;
  other[1] *= 1.4f;  // a nose 40% wider relative to the jaw
  std::vector<std::vector<FaceObservation>> frames;
  for (int f = 0; f < 8; ++f)
    frames.push_back({FaceLike(f < 4 ? 100 : 900, 100, 150, 9, f < 4 ? kGeometry : other)});
  EXPECT_EQ(TrackFaces(frames).size(), 2u);
}

TEST(TrackFacesTest, ASingleDetectionNeedsACloserMatch) {
  // Frame 7's face is a little off in proportions: enough for a track of several
  // detections, not for a single look.
  std::vector<float> near = kGeometry;
  near[4] *= 1.2f;
  std::vector<std::vector<FaceObservation>> frames;
  for (int f = 0; f < 8; ++f)
    frames.push_back({FaceLike(f < 7 ? 100 : 900, 100, 150, 9, f < 7 ? kGeometry : near)});
  TrackingSummary summary;
  const std::vector<FaceTrack> tracks = TrackFaces(frames, {}, &summary);
  ASSERT_EQ(tracks.size(), 1u);
  EXPECT_EQ(tracks[0].num_detections, 7);
  EXPECT_EQ(summary.tracks_too_brief, 1);
  for (int f = 5; f < 8; ++f) frames[f][0] = FaceLike(900, 100, 150, 9, near);
  EXPECT_EQ(TrackFaces(frames, {}, &summary).size(), 1u);  // 3 detections: joined
  EXPECT_EQ(summary.tracks_relinked, 1);
}

TEST(TrackFacesTest, AFaceCannotCrossTheFrameWithinAShotButMayAcrossACut) {
  // Frames 0.1 s apart: the face jumps 800 px (5 face sides) between frames 3 and 4.
  std::vector<std::vector<FaceObservation>> frames;
  for (int f = 0; f < 8; ++f) frames.push_back({FaceLike(f < 4 ? 100 : 900, 100, 150, 9)});
  EXPECT_EQ(TrackFaces(frames, {}, nullptr, Shots({0, 0, 0, 0, 0, 0, 0, 0}, 0.1)).size(), 2u);
  EXPECT_EQ(TrackFaces(frames, {}, nullptr, Shots({0, 0, 0, 0, 1, 1, 1, 1}, 0.1)).size(), 1u);
  // Seconds apart within one shot, it may have walked there.
  EXPECT_EQ(TrackFaces(frames, {}, nullptr, Shots({0, 0, 0, 0, 0, 0, 0, 0}, 3.0)).size(), 1u);
}

TEST(TrackFacesTest, AcrossACutOnlyAStronglyOverlappingBoxContinuesATrack) {
  // Two people in colour unlike each other take turns at nearly the same place: without
  // context the boxes overlap enough (IoU 0.43) to link them into one track; with a cut
  // between every frame they need IoU >= 0.5 too, so a box that moved more is not linked.
  std::vector<std::vector<FaceObservation>> frames;
  for (int f = 0; f < 8; ++f)
    frames.push_back({FaceLike(100 + (f % 2) * 60, 100, 150, f % 2 ? 3 : 40)});
  EXPECT_EQ(TrackFaces(frames).size(), 1u);
  const std::vector<FaceTrack> cut =
      TrackFaces(frames, {}, nullptr, Shots({0, 1, 2, 3, 4, 5, 6, 7}, 1.0));
  EXPECT_EQ(cut.size(), 2u);
}

TEST(FaceGeometryTest, ProportionsIgnoreScaleRotationAndPlaceButNotShape) {
  FaceLandmarks face;
  for (int k = 0; k < FaceLandmarks::kNumPoints; ++k) face.points[k] = {0, 0};
  auto set = [&face](int first, int last, double x, double y) {
    for (int k = first; k <= last; ++k) face.points[k] = {x, y};
  };
  set(0, 0, -50, 0);
  set(16, 16, 50, 0);
  set(36, 41, -20, 0);
  face.points[36] = {-28, 0};
  face.points[39] = {-12, 0};
  set(42, 47, 20, 0);
  face.points[42] = {12, 0};
  face.points[45] = {28, 0};
  set(31, 31, -8, 30);
  set(35, 35, 8, 30);
  set(33, 33, 0, 32);
  set(51, 51, 0, 45);
  const std::vector<float> g = FaceGeometry(face);
  ASSERT_EQ(g.size(), 5u);
  EXPECT_NEAR(g[0], 40.0 / 100, 1e-6);  // eye distance / jaw
  EXPECT_NEAR(g[1], 16.0 / 100, 1e-6);  // nose width / jaw
  EXPECT_NEAR(g[2], 16.0 / 100, 1e-6);  // eye width / jaw
  EXPECT_NEAR(g[3], 32.0 / 45, 1e-6);   // nose length / eyes-to-upper-lip
  EXPECT_NEAR(g[4], 45.0 / 40, 1e-6);   // eyes-to-upper-lip / eye distance
  // Twice the size, turned 30 degrees, moved: the same proportions.
  FaceLandmarks moved = face;
  const double c = std::cos(M_PI / 6), s = std::sin(M_PI / 6);
  for (Point2& p : moved.points) p = {300 + 2 * (c * p.x - s * p.y), 200 + 2 * (s * p.x + c * p.y)};
  EXPECT_LT(GeometryDistance(g, FaceGeometry(moved)), 1e-5);
  // A wider nose is another face.
  face.points[31].x = -14;
  face.points[35].x = 14;
  EXPECT_NEAR(GeometryDistance(g, FaceGeometry(face)), (28.0 - 16) / 22, 1e-5);
  EXPECT_EQ(GeometryDistance(g, {}), -1);
  EXPECT_TRUE(FaceGeometry(FaceLandmarks()).empty());
}

TEST(FrameLayoutTest, ACutDiffersALightingChangeOfTheWholeFrameDoesNot) {
  Frame frame;
  frame.width = 160;
  frame.height = 90;
  frame.rgb.resize(160 * 90 * 3);
  for (int y = 0; y < 90; ++y) {
    for (int x = 0; x < 160; ++x) {
      for (int k = 0; k < 3; ++k) frame.rgb[(y * 160 + x) * 3 + k] = static_cast<uint8_t>(x + y);
    }
  }
  Frame darker = frame, other = frame;
  for (uint8_t& v : darker.rgb) v = static_cast<uint8_t>(v / 2);
  for (int y = 0; y < 90; ++y) {
    for (int x = 0; x < 160; ++x) {
      for (int k = 0; k < 3; ++k)
        other.rgb[(y * 160 + x) * 3 + k] = static_cast<uint8_t>(250 - x - y);
    }
  }
  const std::vector<float> a = FrameLayout(frame);
  ASSERT_EQ(a.size(), 64u);
  EXPECT_NEAR(LayoutDifference(a, a), 0, 1e-9);
  // Half as bright: correlated, but half the level (a difference of 2/3 of the mean).
  EXPECT_NEAR(LayoutDifference(a, FrameLayout(darker)), 2.0 / 3, 0.02);
  EXPECT_GT(LayoutDifference(a, FrameLayout(other)), 1.5);  // anti-correlated: a cut
  std::vector<SampledFrameContext> context = {{0, a}, {1, a}, {2, FrameLayout(other)}};
  EXPECT_FALSE(ShotCutBetween(context, 0, 1, 0.5));
  EXPECT_TRUE(ShotCutBetween(context, 0, 2, 0.5));
  EXPECT_EQ(LayoutDifference(a, {}), -1);
}

TEST(FaceAppearanceTest, HistogramOfTheEnlargedBoxClippedToTheFrame) {
  Frame frame;
  frame.width = 100;
  frame.height = 100;
  frame.rgb.assign(100 * 100 * 3, 0);
  for (int y = 0; y < 100; ++y) {
    for (int x = 50; x < 100; ++x) frame.rgb[(y * 100 + x) * 3] = 255;  // right half red
  }
  const std::vector<float> left = FaceAppearance(frame, {10, 10, 30, 30});
  ASSERT_EQ(left.size(), 64u);
  EXPECT_FLOAT_EQ(left[0], 1.0f);  // all black
  const std::vector<float> right = FaceAppearance(frame, {70, 70, 90, 90});
  EXPECT_FLOAT_EQ(right[48], 1.0f);  // all red: R bin 3, G 0, B 0
  EXPECT_DOUBLE_EQ(AppearanceSimilarity(left, right), 0.0);
  EXPECT_NEAR(AppearanceSimilarity(left, left), 1.0, 1e-6);
  // Straddling the edge: half and half (the box is clipped at the frame's border).
  const std::vector<float> middle = FaceAppearance(frame, {40, 40, 60, 60});
  EXPECT_NEAR(middle[0], 0.5, 0.05);
  EXPECT_NEAR(middle[48], 0.5, 0.05);
  EXPECT_TRUE(FaceAppearance(frame, {200, 200, 220, 220}).empty());
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
