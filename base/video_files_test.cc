// Tests for the video extension list and the recursive, sorted listing.
#include "base/video_files.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "base/testing/test_paths.h"

namespace base {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(HasVideoExtensionTest, KnowsTheUnionOfExtensionsInAnyCase) {
  for (const char* name : {"a.mp4", "a.MOV", "dir/b.mkv", "c.webm", "d.Avi", "e.m4v", "f.flv",
                           "g.wmv", "h.3gp", "i.gif", "j.mpg", "k.MPEG", "l.ts"}) {
    EXPECT_TRUE(HasVideoExtension(name)) << name;
  }
  for (const char* name : {"a.txt", "mp4", "a.mp4.json", "a.safetensors", "", "dir.mp4/x"}) {
    EXPECT_FALSE(HasVideoExtension(name)) << name;
  }
  EXPECT_EQ(VideoFileExtensions().size(), 13u);
}

TEST(ListVideoFilesTest, RecursesSortsAndSkipsOtherFiles) {
  const std::string dir = testing::TestTempDir("videos");
  fs::create_directories(dir + "/b/c");
  fs::create_directories(dir + "/folder.mp4");  // a folder, not a video
  for (const char* name : {"z.mp4", "a.MKV", "notes.txt", "b/c/deep.webm", "b/x.avi"}) {
    std::ofstream(dir + "/" + name) << "x";
  }
  const absl::StatusOr<std::vector<std::string>> videos = ListVideoFiles(dir);
  ASSERT_TRUE(videos.ok()) << videos.status();
  EXPECT_THAT(*videos, ElementsAre(dir + "/a.MKV", dir + "/b/c/deep.webm", dir + "/b/x.avi",
                                   dir + "/z.mp4"));
}

TEST(ListVideoFilesTest, EmptyFolderIsAnEmptyList) {
  const absl::StatusOr<std::vector<std::string>> videos = ListVideoFiles(testing::TestTempDir());
  ASSERT_TRUE(videos.ok()) << videos.status();
  EXPECT_TRUE(videos->empty());
}

TEST(ListVideoFilesTest, MissingOrNotAFolderIsNotFoundNamingIt) {
  const std::string missing = testing::TestTempPath("missing");
  absl::StatusOr<std::vector<std::string>> videos = ListVideoFiles(missing);
  EXPECT_EQ(videos.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(videos.status().message(), missing + ": no such folder");
  const std::string file = testing::TestTempPath("file.mp4");
  std::ofstream(file) << "x";
  videos = ListVideoFiles(file);
  EXPECT_EQ(videos.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(videos.status().message(), file + ": not a folder");
}

}  // namespace
}  // namespace base
