// Tests for WriteFileAtomically: contents, replacement, no temporary left behind, errors
// that name the file and leave the old contents.
#include "base/atomic_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "base/testing/test_paths.h"

namespace base {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(WriteFileAtomicallyTest, WritesAndReplacesWithoutLeavingTemporaries) {
  const std::string path = testing::TestTempPath("report.json");
  ASSERT_TRUE(WriteFileAtomically(path, "first").ok());
  EXPECT_EQ(ReadFile(path), "first");
  std::string binary("a\0b", 3);
  ASSERT_TRUE(WriteFileAtomically(path, binary).ok());
  EXPECT_EQ(ReadFile(path), binary);
  ASSERT_TRUE(WriteFileAtomically(path, "").ok());
  EXPECT_EQ(fs::file_size(path), 0u);
  int files = 0;
  for (const auto& entry : fs::directory_iterator(testing::TestTempDir())) {
    EXPECT_EQ(entry.path().filename(), "report.json");
    ++files;
  }
  EXPECT_EQ(files, 1);
}

TEST(WriteFileAtomicallyTest, UsesTheDefaultPermissions) {
  const std::string path = testing::TestTempPath("mode.txt");
  ASSERT_TRUE(WriteFileAtomically(path, "x").ok());
  const mode_t mask = umask(0);
  umask(mask);
  struct stat info;
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0666 & ~mask);
}

TEST(WriteFileAtomicallyTest, MissingFolderIsNotFoundNamingThePath) {
  const std::string path = testing::TestTempPath("no_such_dir/out.json");
  const absl::Status status = WriteFileAtomically(path, "x");
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(status.message()), HasSubstr(path + ": cannot write"));
}

TEST(WriteFileAtomicallyTest, FailedRenameKeepsTheOldFileAndRemovesTheTemporary) {
  // A folder in the way: rename(2) cannot replace a directory with a file.
  const std::string path = testing::TestTempDir("in_the_way");
  const absl::Status status = WriteFileAtomically(path, "x");
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr(path + ": cannot write (rename)"));
  EXPECT_TRUE(fs::is_directory(path));
  int files = 0;
  for (const auto& entry : fs::directory_iterator(testing::TestTempDir())) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 1);  // only the folder
}

}  // namespace
}  // namespace base
