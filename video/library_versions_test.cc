#include "video/library_versions.h"

#include <dlib/image_processing/frontal_face_detector.h>

#include <fstream>

#include "gtest/gtest.h"

namespace video {
namespace {

TEST(LibraryVersionsTest, FfmpegIsTheLockedRelease) {
  // third_party/debian.lock pins FFmpeg 5.1.x.
  EXPECT_EQ(FfmpegVersion().rfind("5.1", 0), 0u) << FfmpegVersion();
  EXPECT_TRUE(FfmpegHeadersMatchLibraries());
}

TEST(LibraryVersionsTest, DlibIsTheLockedRelease) {
  EXPECT_EQ(DlibVersion().rfind("19.24", 0), 0u) << DlibVersion();
  // Links for real: builds the HOG detector from dlib's serialized model.
  dlib::frontal_face_detector detector = dlib::get_frontal_face_detector();
  EXPECT_GT(detector.num_detectors(), 0u);
}

TEST(LibraryVersionsTest, LandmarkModelIsInstalled) {
  std::ifstream model(DefaultLandmarkModelPath(), std::ios::binary | std::ios::ate);
  ASSERT_TRUE(model.good()) << DefaultLandmarkModelPath();
  EXPECT_GT(model.tellg(), 90'000'000);  // the 68-point model is ~99.7 MB
}

}  // namespace
}  // namespace video
