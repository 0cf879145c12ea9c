// Tests for the contact sheet: grid geometry, label bars, a readable PNG.
#include "train/synth/contact_sheet.h"

#include <filesystem>

#include "base/testing/test_paths.h"
#include "dlib/image_io.h"
#include "gtest/gtest.h"
#include "train/synth/synthetic_faces.h"

namespace train::synth {
namespace {

TEST(ContactSheetTest, GridWithLabelBarsWritesAPng) {
  const Image face = testing::RenderSyntheticFace(120, 100, 0, 1);
  const Image thumb = FaceThumbnail(face, testing::SyntheticLandmarks(120, 100, 0), 48);
  EXPECT_EQ(thumb.width, 48);
  std::vector<std::vector<Thumbnail>> rows = {{{thumb, false}, {thumb, true}, {thumb, true}},
                                              {{thumb, false}}};
  const Image sheet = ComposeContactSheet(rows, 48);
  EXPECT_EQ(sheet.width, 3 * 50 + 2);
  EXPECT_EQ(sheet.height, 2 * 50 + 2);
  EXPECT_GT(sheet.at(10, 2)[1], 150.f);  // green bar: real
  EXPECT_GT(sheet.at(60, 2)[0], 150.f);  // red bar: fake
  const std::string path = base::testing::TestTempPath("sheet.png");
  ASSERT_TRUE(WriteContactSheet(rows, 48, path).ok());
  dlib::array2d<dlib::rgb_pixel> read;
  dlib::load_png(read, path);
  EXPECT_EQ(read.nc(), sheet.width);
  EXPECT_EQ(read.nr(), sheet.height);
  const absl::Status status = WriteContactSheet(rows, 48, "/nonexistent-dir/sheet.png");
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(status.message().substr(0, 44), "/nonexistent-dir/sheet.png: cannot write PNG");
}

}  // namespace
}  // namespace train::synth
