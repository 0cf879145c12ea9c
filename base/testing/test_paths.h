// Paths every test needs: a fresh temporary folder per test (under Bazel's TEST_TMPDIR) and
// the dlib 68-point landmark model in the test's runfiles.
#ifndef BASE_TESTING_TEST_PATHS_H_
#define BASE_TESTING_TEST_PATHS_H_

#include <string>

namespace base::testing {

// The landmark model as a runfiles path; the test needs
// `data = ["@dlib//:shape_predictor_68"]`.
inline constexpr char kLandmarkModelPath[] = "external/dlib/shape_predictor_68_face_landmarks.dat";

// $TEST_TMPDIR/<Suite>.<Test>[/<name>]: a folder for the running test, emptied and created
// on the first call in each test and kept for later calls in the same test (so tests never
// see each other's files). Aborts when TEST_TMPDIR is unset (not run by `bazel test`) or
// the folder cannot be created.
std::string TestTempDir(const std::string& name = "");

// TestTempDir() / file_name (the file is not created).
std::string TestTempPath(const std::string& file_name);

}  // namespace base::testing

#endif  // BASE_TESTING_TEST_PATHS_H_
