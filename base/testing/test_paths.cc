// TestTempDir: one folder per running gtest test under TEST_TMPDIR.
#include "base/testing/test_paths.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <system_error>

namespace base::testing {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "base::testing::TestTempDir: %s\n", message.c_str());
  std::abort();
}

std::string TestRoot() {
  const char* tmp = std::getenv("TEST_TMPDIR");
  if (tmp == nullptr || *tmp == '\0') Die("TEST_TMPDIR is not set (run the test with bazel test)");
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string test =
      info == nullptr ? "no_test" : std::string(info->test_suite_name()) + "." + info->name();
  fs::path root = fs::path(tmp) / test;
  // Parameterized tests are named Suite/Name.Case/0: keep them one folder each.
  std::string flat = root.string();
  for (size_t i = std::string(tmp).size() + 1; i < flat.size(); ++i) {
    if (flat[i] == '/') flat[i] = '_';
  }
  // Emptied the first time each test asks, so a test never sees a previous test's files.
  // Tests may ask from several threads.
  static std::mutex* const mutex = new std::mutex;
  std::lock_guard<std::mutex> lock(*mutex);
  static const ::testing::TestInfo* cleaned_for = nullptr;
  static bool cleaned_once = false;
  if (!cleaned_once || info != cleaned_for) {
    cleaned_once = true;
    cleaned_for = info;
    std::error_code error;
    fs::remove_all(flat, error);
    fs::create_directories(flat, error);
    if (error) Die(flat + ": cannot create: " + error.message());
  }
  return flat;
}

}  // namespace

std::string TestTempDir(const std::string& name) {
  const std::string root = TestRoot();
  if (name.empty()) return root;
  const std::string dir = (fs::path(root) / name).string();
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) Die(dir + ": cannot create: " + error.message());
  return dir;
}

std::string TestTempPath(const std::string& file_name) {
  return (fs::path(TestRoot()) / file_name).string();
}

}  // namespace base::testing
