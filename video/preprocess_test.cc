// Tests for the one preprocessing function: real clips, generated clips (rotated, VFR, odd
// sizes, several codecs), damaged and invalid inputs, normalization and channel order.
#include "video/preprocess.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "base/testing/test_paths.h"
#include "video/testing/synthetic_clips.h"

namespace video {
namespace {

using ::base::testing::kLandmarkModelPath;
using ::base::testing::TestTempPath;

constexpr char kClip[] = "video/testdata/retalking_face5_2s.mp4";

PreprocessOptions Options() {
  PreprocessOptions options;
  options.landmark_model_path = kLandmarkModelPath;
  return options;
}

nn::Preprocessing Default() { return nn::GetPreset("default")->preprocessing; }

// A 262x262 face (frame 0 of kClip, halved), decoded once.
const Frame& FaceImage() {
  static const Frame* face = [] {
    SamplingOptions sampling;
    sampling.num_frames = 1;
    const Frame full = SampleFrames(kClip, sampling).value().front();
    auto* half = new Frame;
    half->width = full.width / 2;
    half->height = full.height / 2;
    half->rgb.resize(half->width * half->height * 3);
    for (int y = 0; y < half->height; ++y) {
      for (int x = 0; x < half->width; ++x) {
        for (int c = 0; c < 3; ++c) {
          int sum = 0;
          for (int k = 0; k < 4; ++k) sum += full.pixel(2 * x + k % 2, 2 * y + k / 2)[c];
          half->rgb[(y * half->width + x) * 3 + c] = static_cast<uint8_t>(sum / 4);
        }
      }
    }
    return half;
  }();
  return *face;
}

// Draws FaceImage() on grey, rotated 90 degrees counter-clockwise when `ccw`.
testing::DrawFunction DrawFace(bool ccw) {
  return [ccw](int frame_index, int width, int height, uint8_t* rgb) {
    std::fill_n(rgb, width * height * 3, 110);
    const Frame& face = FaceImage();
    const int shift = frame_index % 5;  // a little motion
    for (int y = 0; y < face.height; ++y) {
      for (int x = 0; x < face.width; ++x) {
        // Counter-clockwise: source (x, y) lands at (y, W-1-x).
        const int dx = (ccw ? y : x) + 10 + shift, dy = (ccw ? face.width - 1 - x : y) + 10;
        if (dx >= width || dy >= height) continue;
        std::copy_n(face.pixel(x, y), 3, rgb + (static_cast<size_t>(dy) * width + dx) * 3);
      }
    }
  };
}

TEST(PreprocessVideoTest, RealClipGivesOneNormalizedTrack) {
  absl::StatusOr<PreprocessedVideo> video = PreprocessVideo(kClip, Default(), Options());
  ASSERT_TRUE(video.ok()) << video.status();
  EXPECT_EQ(video->frames.size(), 16u);
  ASSERT_EQ(video->tracks.size(), 1u);
  const PreprocessedTrack& track = video->tracks[0];
  EXPECT_EQ(track.faces.shape(), (nn::Shape{16, 3, 224, 224}));
  EXPECT_GE(track.track.num_detections, 15);
  EXPECT_GT(track.track.mean_score, 0);
  // Frame indices increase; timestamps within the 2 s clip.
  for (size_t i = 1; i < video->frames.size(); ++i) {
    EXPECT_GT(video->frames[i].index, video->frames[i - 1].index);
    EXPECT_GT(video->frames[i].timestamp_seconds, video->frames[i - 1].timestamp_seconds);
  }
  EXPECT_LT(video->frames.back().timestamp_seconds, 2.2);
  // ImageNet normalization: values roughly zero-mean, within [(0-m)/s, (1-m)/s].
  const float* x = track.faces.data<float>();
  double sum = 0;
  for (int64_t i = 0; i < track.faces.numel(); ++i) {
    ASSERT_GE(x[i], -2.2f);
    ASSERT_LE(x[i], 2.7f);
    sum += x[i];
  }
  EXPECT_LT(std::abs(sum / track.faces.numel()), 1.0);
  // The aligned crop is centred on the face: the eyes are in the upper half.
  const Point2 eye = track.track.faces[0].landmarks.ImageLeftEyeCenter();
  EXPECT_LT(eye.y, track.track.faces[0].landmarks.MouthCenter().y);
  EXPECT_GT(video->times.detect_ms, 0);
}

// Detection on worker threads while decoding goes on gives exactly the single-threaded
// result, and the frames-already-decoded entry point (PreprocessFrames) agrees too.
TEST(PreprocessVideoTest, OverlappedDetectionMatchesSingleThreaded) {
  PreprocessOptions serial = Options();
  serial.parallel = false;
  absl::StatusOr<PreprocessedVideo> one = PreprocessVideo(kClip, Default(), serial);
  absl::StatusOr<PreprocessedVideo> overlapped = PreprocessVideo(kClip, Default(), Options());
  SamplingOptions sampling;
  sampling.num_frames = Default().frames;
  absl::StatusOr<std::vector<Frame>> frames = SampleFrames(kClip, sampling);
  ASSERT_TRUE(frames.ok()) << frames.status();
  absl::StatusOr<PreprocessedVideo> from_frames =
      PreprocessFrames(kClip, *frames, Default(), Options());
  for (const absl::StatusOr<PreprocessedVideo>* video : {&one, &overlapped, &from_frames}) {
    ASSERT_TRUE(video->ok()) << video->status();
  }
  for (const absl::StatusOr<PreprocessedVideo>* video : {&overlapped, &from_frames}) {
    ASSERT_EQ((*video)->frames.size(), one->frames.size());
    for (size_t i = 0; i < one->frames.size(); ++i) {
      EXPECT_EQ((*video)->frames[i].index, one->frames[i].index);
      EXPECT_EQ((*video)->frames[i].num_faces, one->frames[i].num_faces);
    }
    ASSERT_EQ((*video)->tracks.size(), one->tracks.size());
    for (size_t t = 0; t < one->tracks.size(); ++t) {
      const nn::Tensor& a = one->tracks[t].faces;
      const nn::Tensor& b = (*video)->tracks[t].faces;
      ASSERT_EQ(a.shape(), b.shape());
      EXPECT_TRUE(std::equal(a.data<float>(), a.data<float>() + a.numel(), b.data<float>()));
      for (size_t f = 0; f < one->tracks[t].track.faces.size(); ++f) {
        EXPECT_EQ((*video)->tracks[t].track.faces[f].box.left,
                  one->tracks[t].track.faces[f].box.left);
        EXPECT_EQ((*video)->tracks[t].track.faces[f].box.score,
                  one->tracks[t].track.faces[f].box.score);
      }
    }
  }
}

TEST(PreprocessVideoTest, Jadhav2020UsesTheExactBoxAt112InBgr) {
  const nn::ModelPreset preset = nn::GetPreset("jadhav2020").value();
  PreprocessOptions options = PreprocessOptionsForPreset(preset);
  EXPECT_EQ(options.crop_mode, CropMode::kExactBox);
  EXPECT_EQ(options.sampling.strategy, SamplingStrategy::kFirstConsecutive);
  options.landmark_model_path = kLandmarkModelPath;
  absl::StatusOr<PreprocessedVideo> video = PreprocessVideo(kClip, preset.preprocessing, options);
  ASSERT_TRUE(video.ok()) << video.status();
  ASSERT_EQ(video->tracks.size(), 1u);
  EXPECT_EQ(video->tracks[0].faces.shape(), (nn::Shape{20, 3, 112, 112}));
  for (int i = 0; i < 20; ++i) EXPECT_EQ(video->frames[i].index, i);  // the first 20 frames
  EXPECT_EQ(video->crop_mode, CropMode::kExactBox);
}

// The options come from the preset's typed fields, whatever its name.
TEST(PreprocessOptionsForPresetTest, ReadsTheTypedFieldsNotTheName) {
  nn::ModelPreset preset = nn::GetPreset("default").value();
  preset.name = "jadhav2020";  // a name alone changes nothing
  PreprocessOptions options = PreprocessOptionsForPreset(preset);
  EXPECT_EQ(options.crop_mode, CropMode::kAligned);
  EXPECT_DOUBLE_EQ(options.margin, 1.3);
  EXPECT_EQ(options.sampling.strategy, SamplingStrategy::kEvenlySpaced);
  preset.name = "custom";
  preset.faces = {nn::CropMode::kExactBox, 1.0, nn::FrameSampling::kEveryKth};
  options = PreprocessOptionsForPreset(preset);
  EXPECT_EQ(options.crop_mode, CropMode::kExactBox);
  EXPECT_DOUBLE_EQ(options.margin, 1.0);
  EXPECT_EQ(options.sampling.strategy, SamplingStrategy::kEveryKth);
}

TEST(CropsToTensorTest, NormalizesInTheChannelOrderAndRoundTrips) {
  nn::Preprocessing p;
  p.image_size = 2;
  p.mean = {0.1f, 0.2f, 0.3f};
  p.std = {0.5f, 0.25f, 0.125f};
  std::vector<uint8_t> crop(2 * 2 * 3);
  for (int i = 0; i < 4; ++i) {
    crop[3 * i] = 255;     // R
    crop[3 * i + 1] = 0;   // G
    crop[3 * i + 2] = 51;  // B = 0.2
  }
  p.channel_order = nn::ChannelOrder::kRgb;
  nn::Tensor rgb = CropsToTensor({crop}, p).value();
  EXPECT_NEAR(rgb.data<float>()[0], (1.0f - 0.1f) / 0.5f, 1e-5);    // plane 0 = R
  EXPECT_NEAR(rgb.data<float>()[4], (0.0f - 0.2f) / 0.25f, 1e-5);   // plane 1 = G
  EXPECT_NEAR(rgb.data<float>()[8], (0.2f - 0.3f) / 0.125f, 1e-5);  // plane 2 = B
  p.channel_order = nn::ChannelOrder::kBgr;
  nn::Tensor bgr = CropsToTensor({crop}, p).value();
  EXPECT_NEAR(bgr.data<float>()[0], (0.2f - 0.1f) / 0.5f, 1e-5);    // plane 0 = B
  EXPECT_NEAR(bgr.data<float>()[8], (1.0f - 0.3f) / 0.125f, 1e-5);  // plane 2 = R
  EXPECT_EQ(TensorFrameToRgb(bgr, 0, p), crop);
}

TEST(PreprocessVideoTest, RotatedVariableFrameRateOddSizeClipsInSeveralCodecs) {
  for (const std::string codec : {"libx264", "mpeg4", "libvpx-vp9"}) {
    if (!testing::HasEncoder(codec)) continue;
    SCOPED_TRACE(codec);
    testing::SyntheticClipOptions clip;
    clip.codec = codec;
    const bool odd = codec == "libvpx-vp9";  // 4:2:0 H.264/MPEG-4 need even sizes
    clip.width = odd ? 301 : 302;            // coded size; shown rotated 90 degrees
    clip.height = odd ? 285 : 286;
    clip.frames = 20;
    clip.rotation_degrees = 90;
    clip.variable_frame_rate = true;
    clip.draw = DrawFace(/*ccw=*/true);
    const std::string path =
        TestTempPath("rotated_" + codec + ".mp4");  // MP4 keeps the display matrix for all three
    ASSERT_TRUE(testing::WriteSyntheticClip(path, clip).ok());
    PreprocessOptions options = Options();
    absl::StatusOr<PreprocessedVideo> video = PreprocessVideo(path, Default(), options);
    ASSERT_TRUE(video.ok()) << video.status();
    EXPECT_EQ(video->width, clip.height);  // displayed frames are rotated
    ASSERT_EQ(video->tracks.size(), 1u);
    EXPECT_EQ(video->tracks[0].track.num_detections, static_cast<int>(video->frames.size()));
  }
}

// Two people side by side, moving apart, the second one mirrored: one track each, each face
// followed in every frame and never swapped with the other.
TEST(PreprocessVideoTest, TwoPeopleAreTwoTracks) {
  testing::SyntheticClipOptions clip;
  clip.width = 720;
  clip.height = 360;
  clip.frames = 24;
  clip.draw = [](int frame_index, int width, int height, uint8_t* rgb) {
    std::fill_n(rgb, width * height * 3, 110);
    const Frame& face = FaceImage();
    Frame mirrored = face;
    for (int y = 0; y < face.height; ++y) {
      for (int x = 0; x < face.width; ++x) {
        std::copy_n(face.pixel(face.width - 1 - x, y), 3,
                    &mirrored.rgb[(static_cast<size_t>(y) * face.width + x) * 3]);
      }
    }
    testing::PasteImage(face.rgb.data(), face.width, face.height, 40 - frame_index, 50, width,
                        height, rgb);
    testing::PasteImage(mirrored.rgb.data(), face.width, face.height, 400 + frame_index, 40, width,
                        height, rgb);
  };
  const std::string path = TestTempPath("two_people.mp4");
  ASSERT_TRUE(testing::WriteSyntheticClip(path, clip).ok());
  absl::StatusOr<PreprocessedVideo> video = PreprocessVideo(path, Default(), Options());
  ASSERT_TRUE(video.ok()) << video.status();
  ASSERT_EQ(video->tracks.size(), 2u);
  const bool first_is_left = video->tracks[0].track.faces[0].box.center_x() < 360;
  for (int t = 0; t < 2; ++t) {
    const FaceTrack& track = video->tracks[t].track;
    EXPECT_EQ(track.id, t);
    EXPECT_GE(track.num_detections, static_cast<int>(video->frames.size()) - 1);
    EXPECT_EQ(video->tracks[t].faces.dim(0), static_cast<int64_t>(video->frames.size()));
    for (const TrackedFace& face : track.faces) {
      // Each track stays on its own half of the frame.
      EXPECT_EQ(face.box.center_x() < 360, (t == 0) == first_is_left)
          << "track " << t << " at " << face.box.center_x();
    }
  }
  EXPECT_EQ(video->tracking.tracks_too_brief, 0);
}

TEST(PreprocessVideoTest, ErrorsNameTheFileAndTheProblem) {
  const std::string missing = TestTempPath("missing.mp4");
  const std::string empty = TestTempPath("empty.mp4");
  std::ofstream(empty).close();
  const std::string text = TestTempPath("notes.mp4");
  std::ofstream(text) << "this is not a video, just some text\n";
  for (const std::string& path : {missing, empty, text}) {
    absl::StatusOr<PreprocessedVideo> video = PreprocessVideo(path, Default(), Options());
    ASSERT_FALSE(video.ok()) << path;
    EXPECT_NE(video.status().message().find(path), std::string::npos) << video.status();
  }
}

TEST(PreprocessVideoTest, NoFaceInAnySampledFrame) {
  const std::string path = TestTempPath("pattern.mp4");
  testing::SyntheticClipOptions clip;
  clip.width = 320;
  clip.height = 240;
  ASSERT_TRUE(testing::WriteSyntheticClip(path, clip).ok());
  absl::StatusOr<PreprocessedVideo> video = PreprocessVideo(path, Default(), Options());
  ASSERT_FALSE(video.ok());
  EXPECT_EQ(video.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(video.status().message(), path + ": no face found in any of 16 sampled frames");
}

TEST(PreprocessVideoTest, OneFrameVideoIsAnErrorUnlessAllowed) {
  const std::string path = TestTempPath("one_frame.mp4");
  testing::SyntheticClipOptions clip;
  clip.width = 320;
  clip.height = 300;
  clip.frames = 1;
  clip.draw = DrawFace(false);
  ASSERT_TRUE(testing::WriteSyntheticClip(path, clip).ok());
  absl::StatusOr<PreprocessedVideo> video = PreprocessVideo(path, Default(), Options());
  ASSERT_FALSE(video.ok());
  EXPECT_NE(video.status().message().find(path + ": only 1 decodable frame"), std::string::npos)
      << video.status();
  PreprocessOptions options = Options();
  options.min_frames = 1;
  video = PreprocessVideo(path, Default(), options);
  ASSERT_TRUE(video.ok()) << video.status();
  ASSERT_EQ(video->tracks.size(), 1u);
  EXPECT_EQ(video->tracks[0].faces.dim(0), 1);
}

TEST(PreprocessVideoTest, TooLargeAResolutionIsAnError) {
  const std::string path = TestTempPath("large.mp4");
  testing::SyntheticClipOptions clip;
  clip.width = 640;
  clip.height = 360;
  clip.frames = 3;
  ASSERT_TRUE(testing::WriteSyntheticClip(path, clip).ok());
  PreprocessOptions options = Options();
  options.sampling.open_options.max_width = 320;  // stands in for 8K+ without encoding one
  absl::StatusOr<PreprocessedVideo> video = PreprocessVideo(path, Default(), options);
  ASSERT_FALSE(video.ok());
  EXPECT_NE(video.status().message().find(path), std::string::npos) << video.status();
  EXPECT_NE(video.status().message().find("640"), std::string::npos) << video.status();
}

TEST(PreprocessVideoTest, TruncatedClipDecodesWhatIsReadable) {
  const std::string path = TestTempPath("truncated.mp4");
  {
    std::ifstream in(kClip, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(path, std::ios::binary) << bytes.substr(0, bytes.size() * 6 / 10);
  }
  absl::StatusOr<PreprocessedVideo> video = PreprocessVideo(path, Default(), Options());
  if (video.ok()) {
    // What was readable was preprocessed, and the damage is reported.
    ASSERT_EQ(video->tracks.size(), 1u);
    EXPECT_FALSE(video->decode_report.warnings.empty());
  } else {
    EXPECT_NE(video.status().message().find(path), std::string::npos) << video.status();
  }
}

// Frames stay in memory until cropped: a request that would not fit the budget is refused
// before anything is decoded, with the numbers.
TEST(PreprocessVideoTest, FrameMemoryOverTheLimitIsAnErrorBeforeDecoding) {
  PreprocessOptions options = Options();
  nn::Preprocessing many = Default();
  many.frames = 300;
  options.max_frame_memory_bytes = int64_t{100} << 20;  // 300 frames of 524x524 need ~236 MiB
  absl::StatusOr<PreprocessedVideo> video = PreprocessVideo(kClip, many, options);
  ASSERT_FALSE(video.ok());
  EXPECT_EQ(video.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(video.status().message().find(std::string(kClip) + ": 300 frames of "),
            std::string::npos)
      << video.status();
  EXPECT_NE(video.status().message().find("max_frame_memory_bytes"), std::string::npos);
  options.max_frame_memory_bytes = 0;  // no limit: the 2 s clip has only ~50 frames anyway
  video = PreprocessVideo(kClip, many, options);
  ASSERT_TRUE(video.ok()) << video.status();
  EXPECT_GT(video->frames.size(), 40u);
  EXPECT_LT(video->frames.size(), 60u);
}

TEST(PreprocessVideoTest, MissingLandmarkModelNamesIt) {
  PreprocessOptions options = Options();
  options.landmark_model_path = "/no/such/model.dat";
  absl::StatusOr<PreprocessedVideo> video = PreprocessVideo(kClip, Default(), options);
  ASSERT_FALSE(video.ok());
  EXPECT_NE(video.status().message().find("/no/such/model.dat"), std::string::npos);
}

}  // namespace
}  // namespace video
