// Faces in hard footage (the fixtures of //video/testing:make_face_fixtures): a dark room,
// a small and a tiny face in small pictures of 1080p frames, a mirrored and turned head, two people side by side, and
// a test pattern with no face. Each detector mode is asserted on: `auto` finds every face,
// and no mode finds a face in the pattern.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "base/testing/test_paths.h"
#include "nn/models/presets.h"
#include "video/cnn_face_detector.h"
#include "video/face_detector.h"
#include "video/preprocess.h"
#include "video/sampling.h"

namespace video {
namespace {

std::vector<Frame> Sample(const std::string& name, int n) {
  SamplingOptions options;
  options.num_frames = n;
  absl::StatusOr<std::vector<Frame>> frames = SampleFrames("video/testdata/" + name, options);
  EXPECT_TRUE(frames.ok()) << frames.status();
  return frames.ok() ? *frames : std::vector<Frame>();
}

// Faces found by `kind` in each of 3 sampled frames of the clip.
std::vector<int> FacesPerFrame(const std::string& clip, FaceDetectorKind kind,
                               std::vector<FaceDetectorKind>* used = nullptr) {
  FaceDetectorOptions options;
  options.kind = kind;
  FaceDetector detector(options);
  std::vector<int> counts;
  for (const Frame& frame : Sample(clip, 3)) {
    absl::StatusOr<FrameDetection> found = detector.DetectFrame(frame);
    EXPECT_TRUE(found.ok()) << found.status();
    counts.push_back(found.ok() ? static_cast<int>(found->faces.size()) : -1);
    if (used != nullptr && found.ok()) used->push_back(found->detector);
  }
  return counts;
}

const std::vector<int> kNone = {0, 0, 0}, kOne = {1, 1, 1}, kTwo = {2, 2, 2};

TEST(HardFacesTest, NoDetectorFindsAFaceInATestPattern) {
  for (FaceDetectorKind kind :
       {FaceDetectorKind::kHog, FaceDetectorKind::kCnn, FaceDetectorKind::kAuto}) {
    SCOPED_TRACE(FaceDetectorKindName(kind));
    EXPECT_EQ(FacesPerFrame("no_face_pattern.mp4", kind), kNone);
  }
}

// A landscape without a person: a sky gradient with clouds, ridges of mountains drawn as
// sums of sines, textured with value noise, and grass in front. Made here (no footage).
Frame Landscape(int width, int height, uint32_t seed) {
  uint32_t state = seed * 2654435761u + 1;
  auto uniform = [&state] {
    state = state * 1664525u + 1013904223u;
    return (state >> 8) / 16777216.0;
  };
  std::vector<double> phases(12);
  for (double& p : phases) p = 6.2832 * uniform();
  std::vector<double> noise(static_cast<size_t>(width) * height);
  for (double& v : noise) v = uniform();
  Frame frame;
  frame.width = width;
  frame.height = height;
  frame.rgb.resize(static_cast<size_t>(width) * height * 3);
  for (int x = 0; x < width; ++x) {
    const double u = static_cast<double>(x) / width;
    double far = 0.45, near = 0.62;
    for (int k = 0; k < 6; ++k) {
      far += 0.08 / (k + 1) * std::sin((k + 1) * 5.0 * u + phases[k]);
      near += 0.06 / (k + 1) * std::sin((k + 1) * 9.0 * u + phases[6 + k]);
    }
    for (int y = 0; y < height; ++y) {
      const double v = static_cast<double>(y) / height;
      const double n = noise[static_cast<size_t>(y) * width + x];
      double r, g, b;
      if (v < far) {  // sky, lighter at the horizon, streaks of cloud
        const double cloud = std::max(0.0, std::sin(u * 13 + phases[0] + 9 * v) - 0.6) * 2;
        r = 90 + 120 * v + 120 * cloud;
        g = 140 + 90 * v + 100 * cloud;
        b = 230 + 20 * v;
      } else if (v < near) {  // far mountains: grey-blue rock
        r = 100 + 40 * n;
        g = 110 + 40 * n;
        b = 130 + 30 * n;
      } else if (v < 0.8) {  // near slopes: forest
        r = 40 + 50 * n;
        g = 80 + 60 * n;
        b = 40 + 30 * n;
      } else {  // grass
        r = 70 + 80 * n;
        g = 120 + 90 * n;
        b = 40 + 40 * n;
      }
      uint8_t* p = frame.rgb.data() + (static_cast<size_t>(y) * width + x) * 3;
      p[0] = static_cast<uint8_t>(std::clamp(r, 0.0, 255.0));
      p[1] = static_cast<uint8_t>(std::clamp(g, 0.0, 255.0));
      p[2] = static_cast<uint8_t>(std::clamp(b, 0.0, 255.0));
    }
  }
  return frame;
}

// No false faces where no one is: FFmpeg's fractal and cellular sources (lavfi, real
// decoding) and landscapes, through HOG and auto (which runs the CNN on each, HOG having
// found nothing; the CNN costs ~1.5 s a frame, so one frame per source).
TEST(HardFacesTest, NoDetectorFindsAFaceWhereNoOneIs) {
  std::vector<Frame> frames;
  for (const char* source : {"mandelbrot=size=1280x720:rate=25", "cellauto=size=640x360:rate=25",
                             "gradients=size=640x360:rate=25:nb_colors=5"}) {
    SamplingOptions options;
    options.num_frames = 1;
    options.max_decoded_frames = 30;
    options.open_options.input_format = "lavfi";
    absl::StatusOr<std::vector<Frame>> decoded = SampleFrames(source, options);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    ASSERT_EQ(decoded->size(), 1u) << source;
    for (Frame& frame : *decoded) frames.push_back(std::move(frame));
  }
  for (uint32_t seed : {1u, 2u}) frames.push_back(Landscape(960, 540, seed));
  for (FaceDetectorKind kind : {FaceDetectorKind::kHog, FaceDetectorKind::kAuto}) {
    FaceDetectorOptions options;
    options.kind = kind;
    FaceDetector detector(options);
    for (size_t i = 0; i < frames.size(); ++i) {
      absl::StatusOr<FrameDetection> found = detector.DetectFrame(frames[i]);
      ASSERT_TRUE(found.ok()) << found.status();
      EXPECT_TRUE(found->faces.empty())
          << FaceDetectorKindName(kind) << " found " << found->faces.size() << " in frame " << i;
      if (kind == FaceDetectorKind::kAuto) {
        EXPECT_TRUE(found->fell_back);
      }
    }
  }
}

TEST(HardFacesTest, AutoFindsTheFaceInADarkRoom) {
  // The frames are dark: the detectors see them contrast-stretched.
  Frame dark = Sample("faces_dark.mp4", 1).front();
  std::vector<uint8_t> pixels = dark.rgb;
  EXPECT_TRUE(StretchContrast(pixels, 3));
  EXPECT_EQ(FacesPerFrame("faces_dark.mp4", FaceDetectorKind::kAuto), kOne);
  EXPECT_EQ(FacesPerFrame("faces_dark.mp4", FaceDetectorKind::kCnn), kOne);
}

TEST(HardFacesTest, AutoFindsASmallFaceInA1080pFrame) {
  EXPECT_EQ(FacesPerFrame("faces_small_1080p.mp4", FaceDetectorKind::kHog), kNone);
  std::vector<FaceDetectorKind> used;
  EXPECT_EQ(FacesPerFrame("faces_small_1080p.mp4", FaceDetectorKind::kAuto, &used), kOne);
  EXPECT_EQ(used, std::vector<FaceDetectorKind>(3, FaceDetectorKind::kCnn));
}

// A 120 px tall picture in a black 1080p frame: a face of ~65 px, ~44 px at the whole-
// frame CNN pass's 0.67x, which misses it. The CNN finds it in the picture area, enlarged 3x.
TEST(HardFacesTest, AutoFindsATinyFaceInASmallPictureOfA1080pFrame) {
  const std::vector<Frame> frames = Sample("faces_tiny_1080p.mp4", 3);
  ASSERT_EQ(frames.size(), 3u);
  FaceDetectorOptions whole_frame_only;
  whole_frame_only.kind = FaceDetectorKind::kCnn;
  whole_frame_only.cnn_picture_search = false;
  FaceDetector auto_detector, whole_frame(whole_frame_only);
  absl::StatusOr<FrameDetection> whole = whole_frame.DetectFrame(frames[1]);
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_TRUE(whole->faces.empty());
  EXPECT_FALSE(whole->in_picture_area());
  for (const Frame& frame : frames) {
    const FaceBox area = PictureArea(frame);
    EXPECT_NEAR(area.left, 1500, 4);
    EXPECT_NEAR(area.top, 760, 4);
    EXPECT_NEAR(area.height(), 120, 8);
    absl::StatusOr<FrameDetection> found = auto_detector.DetectFrame(frame);
    ASSERT_TRUE(found.ok()) << found.status();
    ASSERT_EQ(found->faces.size(), 1u);
    EXPECT_EQ(found->detector, FaceDetectorKind::kCnn);
    EXPECT_TRUE(found->fell_back);
    EXPECT_TRUE(found->in_picture_area());
    EXPECT_DOUBLE_EQ(found->scale, 3.0);
    const FaceBox& face = found->faces[0];
    EXPECT_GT(face.left, area.left);
    EXPECT_LT(face.right, area.right);
    EXPECT_GT(face.size(), 50);
    EXPECT_LT(face.size(), 80);
  }
}

TEST(HardFacesTest, AutoFindsAMirroredTurnedHead) {
  EXPECT_EQ(FacesPerFrame("faces_turned.mp4", FaceDetectorKind::kAuto), kOne);
}

TEST(HardFacesTest, AutoFindsBothOfTwoPeople) {
  EXPECT_EQ(FacesPerFrame("faces_two_people.mp4", FaceDetectorKind::kAuto), kTwo);
}

// The whole preprocessing with `auto`: one track per person, the detector per frame
// recorded, and no track (an error saying no face was found) for the pattern.
TEST(HardFacesTest, PreprocessingGivesOneTrackPerPersonAndNoneForThePattern) {
  nn::ModelPreset preset = nn::GetPreset("default").value();
  preset.preprocessing.frames = 4;
  preset.preprocessing.image_size = 64;
  PreprocessOptions options = PreprocessOptionsForPreset(preset);
  options.landmark_model_path = base::testing::kLandmarkModelPath;
  for (const auto& [clip, people] :
       std::vector<std::pair<std::string, int>>{{"faces_dark.mp4", 1},
                                                {"faces_small_1080p.mp4", 1},
                                                {"faces_tiny_1080p.mp4", 1},
                                                {"faces_turned.mp4", 1},
                                                {"faces_two_people.mp4", 2}}) {
    SCOPED_TRACE(clip);
    absl::StatusOr<PreprocessedVideo> video =
        PreprocessVideo("video/testdata/" + clip, preset.preprocessing, options);
    ASSERT_TRUE(video.ok()) << video.status();
    EXPECT_EQ(video->tracks.size(), static_cast<size_t>(people));
    EXPECT_GE(video->tracking.frames_with_faces, 4);
    for (const PreprocessedTrack& track : video->tracks) EXPECT_GE(track.track.num_detections, 4);
    for (const SampledFrameInfo& frame : video->frames) {
      EXPECT_GT(frame.detection_scale, 0);
      if (frame.detector == FaceDetectorKind::kCnn) {
        EXPECT_TRUE(frame.detector_fell_back);
      }
      // The small pictures in black 1080p frames are searched alone, finer.
      EXPECT_EQ(frame.picture_area.width() > 0, clip.find("1080p") != std::string::npos);
    }
  }
  absl::StatusOr<PreprocessedVideo> none =
      PreprocessVideo("video/testdata/no_face_pattern.mp4", preset.preprocessing, options);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(none.status().message(),
            "video/testdata/no_face_pattern.mp4: no face found in any of 4 sampled frames");
}

// Two people; in frames 8..16 (of 25) the right one's face is in deep shadow, so HOG finds
// only the left one there. `auto` searches around the right track's predicted box with the
// CNN (contrast stretched on the region) and finds it: the track has detections there,
// from the CNN's region search, while the frame's own detector stays HOG.
TEST(HardFacesTest, AutoFindsALostTracksFaceWhereHogFoundOnlyOthers) {
  nn::ModelPreset preset = nn::GetPreset("default").value();
  preset.preprocessing.frames = 16;  // frames 5..10 of them in shadow
  preset.preprocessing.image_size = 64;
  PreprocessOptions options = PreprocessOptionsForPreset(preset);
  options.landmark_model_path = base::testing::kLandmarkModelPath;
  const std::string clip = "video/testdata/faces_two_people_shadow.mp4";

  options.detector.cnn_roi_fallback = false;
  absl::StatusOr<PreprocessedVideo> without = PreprocessVideo(clip, preset.preprocessing, options);
  ASSERT_TRUE(without.ok()) << without.status();
  ASSERT_EQ(without->tracks.size(), 2u);
  const int lit = without->tracks[1].track.num_detections;
  EXPECT_LT(lit, 16);  // HOG missed the shadowed face
  for (const SampledFrameInfo& f : without->frames) EXPECT_EQ(f.cnn_roi_searches, 0);

  options.detector.cnn_roi_fallback = true;
  absl::StatusOr<PreprocessedVideo> with = PreprocessVideo(clip, preset.preprocessing, options);
  ASSERT_TRUE(with.ok()) << with.status();
  ASSERT_EQ(with->tracks.size(), 2u);
  const FaceTrack& right = with->tracks[1].track;
  EXPECT_GT(right.faces[0].box.center_x(), 360);
  EXPECT_GT(right.num_detections, lit);
  int searches = 0, found = 0, from_roi = 0;
  for (size_t f = 0; f < with->frames.size(); ++f) {
    const SampledFrameInfo& info = with->frames[f];
    searches += info.cnn_roi_searches;
    found += info.cnn_roi_found;
    EXPECT_EQ(info.detector, FaceDetectorKind::kHog);  // HOG found the left face everywhere
    EXPECT_FALSE(with->tracks[0].track.faces[f].filled);
    if (!right.faces[f].filled && right.faces[f].from_roi) {
      ++from_roi;
      EXPECT_EQ(right.faces[f].detector, FaceDetectorKind::kCnn);
      EXPECT_EQ(info.cnn_roi_found, 1);
    }
  }
  EXPECT_GE(searches, 16 - lit);
  EXPECT_EQ(found, right.num_detections - lit);
  EXPECT_EQ(from_roi, found);
  EXPECT_GE(found, 2);
}

// 16 sampled "shots" seconds apart, as in a music video: each frame shows the clip's face
// at a new place (no box overlap, far-apart landmarks between any two frames), so frame-to-
// frame linking alone leaves 16 one-frame tracks, each too brief.
std::vector<Frame> Shots(const std::vector<const std::vector<Frame>*>& people) {
  std::vector<Frame> frames;
  for (int f = 0; f < 16; ++f) {
    const Frame& src = (*people[f % people.size()])[f / people.size()];
    Frame canvas;
    canvas.index = f;
    canvas.width = 1280;
    canvas.height = 720;
    canvas.rgb.assign(1280 * 720 * 3, 60);
    int w = 0, h = 0;
    const std::vector<uint8_t> tile = ResizedRgb(src, 280.0 / src.width, &w, &h);
    const int x0 = (f % 4) * 320 + (f / 4) * 40, y0 = (f / 4) * 140;
    for (int y = 0; y < h && y0 + y < 720; ++y) {
      std::copy_n(tile.data() + static_cast<size_t>(y) * w * 3, std::min(w, 1280 - x0) * 3,
                  canvas.rgb.data() + (static_cast<size_t>(y0 + y) * 1280 + x0) * 3);
    }
    frames.push_back(std::move(canvas));
  }
  return frames;
}

TEST(HardFacesTest, OnePersonAcrossCutsIsOneTrackAndTwoPeopleAreTwo) {
  SamplingOptions sampling;
  sampling.num_frames = 16;
  const std::vector<Frame> face2 =
      SampleFrames("video/testdata/retalking_face2_2s.mp4", sampling).value();
  const std::vector<Frame> face5 =
      SampleFrames("video/testdata/retalking_face5_2s.mp4", sampling).value();
  nn::ModelPreset preset = nn::GetPreset("default").value();
  preset.preprocessing.image_size = 64;
  PreprocessOptions options = PreprocessOptionsForPreset(preset);
  options.landmark_model_path = base::testing::kLandmarkModelPath;
  options.detector.kind = FaceDetectorKind::kHog;
  options.detector.max_detection_side = 0;  // HOG at 1280x720 finds the ~140 px faces

  absl::StatusOr<PreprocessedVideo> one =
      PreprocessFrames("one person", Shots({&face2}), preset.preprocessing, options);
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(one->tracking.frames_with_faces, 16);
  ASSERT_EQ(one->tracks.size(), 1u);
  EXPECT_EQ(one->tracks[0].track.num_detections, 16);
  EXPECT_EQ(one->tracking.tracks_relinked, 15);

  absl::StatusOr<PreprocessedVideo> two =
      PreprocessFrames("two people", Shots({&face2, &face5}), preset.preprocessing, options);
  ASSERT_TRUE(two.ok()) << two.status();
  ASSERT_EQ(two->tracks.size(), 2u);
  EXPECT_EQ(two->tracks[0].track.num_detections, 8);
  EXPECT_EQ(two->tracks[1].track.num_detections, 8);
  // face2 in the even frames (frame 2's tile is at x 640..920), face5 in the odd ones.
  EXPECT_GT(two->tracks[0].track.faces[2].box.center_x(), 640);
  EXPECT_LT(two->tracks[0].track.faces[2].box.center_x(), 920);
  EXPECT_FALSE(two->tracks[0].track.faces[2].filled);
  EXPECT_TRUE(two->tracks[0].track.faces[1].filled);

  // Without re-linking: no track, and the 16 fragments are reported, not silently dropped.
  options.tracker.min_relink_similarity = 2;
  absl::StatusOr<PreprocessedVideo> split =
      PreprocessFrames("one person", Shots({&face2}), preset.preprocessing, options);
  ASSERT_FALSE(split.ok());
  EXPECT_EQ(split.status().message(),
            "one person: no face track: faces found in 16 of 16 sampled frames, but 0 were "
            "smaller than 32 px and 16 track(s) were seen in too few frames");
}

}  // namespace
}  // namespace video
