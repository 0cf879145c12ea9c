#include "serve/version.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nn/build_info.h"

namespace serve {
namespace {

using ::testing::HasSubstr;

TEST(VersionReportTest, NamesEveryComponent) {
  const std::string report = VersionReport();
  EXPECT_THAT(report, HasSubstr("deepfake 0.1.0\n"));
  EXPECT_THAT(report, HasSubstr("FFmpeg: 5.1"));
  EXPECT_THAT(report, HasSubstr("dlib: 19.24"));
  EXPECT_THAT(report, HasSubstr("shape_predictor_68_face_landmarks.dat)"));
  EXPECT_THAT(report, HasSubstr("Eigen: 3.4.0\n"));
  EXPECT_THAT(report, HasSubstr("CUDA: " + nn::CudaDescription()));
  EXPECT_THAT(report, ::testing::Not(HasSubstr("WARNING")));
  EXPECT_THAT(report, ::testing::Not(HasSubstr("MISSING")));
}

}  // namespace
}  // namespace serve
