// Tests for the per-test temporary folders.
#include "base/testing/test_paths.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace base::testing {
namespace {

namespace fs = std::filesystem;

TEST(TestTempDirTest, IsUnderTestTmpdirAndNamedAfterTheTest) {
  const std::string dir = TestTempDir();
  EXPECT_EQ(dir, std::string(std::getenv("TEST_TMPDIR")) +
                     "/TestTempDirTest.IsUnderTestTmpdirAndNamedAfterTheTest");
  EXPECT_TRUE(fs::is_directory(dir));
  EXPECT_TRUE(fs::is_directory(TestTempDir("sub")));
  EXPECT_EQ(TestTempPath("a.bin"), dir + "/a.bin");
}

TEST(TestTempDirTest, KeepsFilesWithinOneTest) {
  std::ofstream(TestTempPath("kept.txt")) << "x";
  TestTempDir("other");
  EXPECT_TRUE(fs::exists(TestTempPath("kept.txt")));
}

// Writes a file that the next test must not see in its own folder.
TEST(TestTempDirTest, A_Writes) { std::ofstream(TestTempPath("leftover.txt")) << "x"; }
TEST(TestTempDirTest, B_StartsEmpty) {
  EXPECT_TRUE(fs::is_empty(TestTempDir()));
  EXPECT_TRUE(fs::exists(std::string(std::getenv("TEST_TMPDIR")) +
                         "/TestTempDirTest.A_Writes/leftover.txt"));
}

TEST(LandmarkModelPathTest, IsInRunfiles) {
  EXPECT_GT(fs::file_size(kLandmarkModelPath), 1000000u);
}

}  // namespace
}  // namespace base::testing
