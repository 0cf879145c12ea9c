// Tests for the 68-point landmark model: loading (once, with clear errors) and prediction.
#include "video/landmarks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "base/testing/test_paths.h"
#include "video/sampling.h"

namespace video {
namespace {

using ::base::testing::kLandmarkModelPath;
using ::testing::HasSubstr;

TEST(LandmarkModelTest, MissingFileNamesThePath) {
  absl::StatusOr<std::shared_ptr<const LandmarkModel>> model =
      LandmarkModel::Load("/nonexistent/sp68.dat");
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(model.status().message().find("/nonexistent/sp68.dat"), std::string::npos);
}

TEST(LandmarkModelTest, NotAModelIsAnError) {
  const std::string path = base::testing::TestTempPath("not_a_model.dat");
  std::ofstream(path) << "hello, this is not a shape predictor";
  absl::StatusOr<std::shared_ptr<const LandmarkModel>> model = LandmarkModel::Load(path);
  EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(model.status().message()),
              HasSubstr(path + ": not a dlib shape predictor model: "));
}

TEST(LandmarkModelTest, LoadsOnceAndPredictsAPlausibleFace) {
  absl::StatusOr<std::shared_ptr<const LandmarkModel>> model =
      LandmarkModel::Load(kLandmarkModelPath);
  ASSERT_TRUE(model.ok()) << model.status();
  absl::StatusOr<std::shared_ptr<const LandmarkModel>> again =
      LandmarkModel::Load(kLandmarkModelPath);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(model->get(), again->get());

  SamplingOptions sampling;
  sampling.num_frames = 1;
  absl::StatusOr<std::vector<Frame>> frames =
      SampleFrames("video/testdata/retalking_face5_2s.mp4", sampling);
  ASSERT_TRUE(frames.ok()) << frames.status();
  const Frame& frame = frames->front();
  FaceDetector detector;
  absl::StatusOr<std::vector<FaceBox>> boxes = detector.Detect(frame);
  ASSERT_TRUE(boxes.ok());
  ASSERT_EQ(boxes->size(), 1u);
  const FaceBox& box = boxes->front();
  absl::StatusOr<FaceLandmarks> landmarks = (*model)->Predict(frame, box);
  ASSERT_TRUE(landmarks.ok()) << landmarks.status();
  const Point2 left_eye = landmarks->ImageLeftEyeCenter();
  const Point2 right_eye = landmarks->ImageRightEyeCenter();
  const Point2 mouth = landmarks->MouthCenter();
  EXPECT_LT(left_eye.x, right_eye.x);
  EXPECT_LT(left_eye.y, mouth.y);
  EXPECT_LT(right_eye.y, mouth.y);
  EXPECT_GT(mouth.x, left_eye.x);
  EXPECT_LT(mouth.x, right_eye.x);
  // Eyes and mouth inside the detector's box; the eye distance a sane fraction of it.
  for (const Point2& p : {left_eye, right_eye, mouth}) {
    EXPECT_GT(p.x, box.left);
    EXPECT_LT(p.x, box.right);
    EXPECT_GT(p.y, box.top);
    EXPECT_LT(p.y, box.bottom);
  }
  const double eye_distance = right_eye.x - left_eye.x;
  EXPECT_GT(eye_distance, 0.25 * box.width());
  EXPECT_LT(eye_distance, 0.6 * box.width());
  EXPECT_DOUBLE_EQ(MeanLandmarkDistance(*landmarks, *landmarks), 0.0);
  std::string why;
  EXPECT_TRUE(PlausibleLandmarks(*landmarks, box, &why)) << why;
  // The same fit on a box far away, or turned upside down, is not a face's geometry.
  FaceBox far = box;
  far.left += 3 * box.width();
  far.right += 3 * box.width();
  EXPECT_FALSE(PlausibleLandmarks(*landmarks, far, &why));
  EXPECT_EQ(why, "eyes outside the box");
  FaceLandmarks flipped = *landmarks;
  for (Point2& p : flipped.points) p.y = 2 * box.center_y() - p.y;
  EXPECT_FALSE(PlausibleLandmarks(flipped, box, &why));
  EXPECT_EQ(why, "mouth above the eyes");
}

TEST(PlausibleLandmarksTest, TheTemplateIsPlausibleAndDegenerateFitsAreNot) {
  const FaceBox box{100, 100, 200, 200};
  const FaceLandmarks face = TemplateLandmarks(box);
  EXPECT_TRUE(PlausibleLandmarks(face, box));
  EXPECT_DOUBLE_EQ(face.ImageLeftEyeCenter().x, 130.3);
  EXPECT_DOUBLE_EQ(face.ImageRightEyeCenter().y, 130.2);
  EXPECT_DOUBLE_EQ(face.MouthCenter().y, 176.4);
  // All points collapsed onto one (a fit to nothing): eyes no distance apart.
  FaceLandmarks collapsed;
  for (Point2& p : collapsed.points) p = {150, 150};
  std::string why;
  EXPECT_FALSE(PlausibleLandmarks(collapsed, box, &why));
  EXPECT_EQ(why, "eye distance");
  // The mouth beside an eye (a profile fit gone wrong).
  FaceLandmarks sideways = face;
  for (int i = 48; i < 68; ++i) sideways.points[i] = {195, 135};
  EXPECT_FALSE(PlausibleLandmarks(sideways, box, &why));
  EXPECT_EQ(why, "mouth beside the eyes");
}

TEST(LandmarkModelTest, EmptyBoxIsAnError) {
  absl::StatusOr<std::shared_ptr<const LandmarkModel>> model =
      LandmarkModel::Load(kLandmarkModelPath);
  ASSERT_TRUE(model.ok());
  Frame frame;
  frame.width = frame.height = 8;
  frame.rgb.assign(8 * 8 * 3, 0);
  const absl::StatusOr<FaceLandmarks> landmarks = (*model)->Predict(frame, FaceBox{4, 4, 4, 4});
  EXPECT_EQ(landmarks.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(landmarks.status().message(), "frame 0: empty face box for landmarks");
}

}  // namespace
}  // namespace video
