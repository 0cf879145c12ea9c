// Test helper: a random-weight checkpoint of a preset ("tiny", "small", ...) written with
// the metadata a trained one has (eval::MetadataForModel), so tests load real files.
#ifndef SERVE_API_TESTING_TEST_MODEL_H_
#define SERVE_API_TESTING_TEST_MODEL_H_

#include <string>

namespace serve::testing {

// Writes the checkpoint to `path` (weights from nn::SetInitSeed(seed)) with `threshold`
// ("threshold_method" "default") and returns `path`; a failure is a test-aborting check.
std::string WriteRandomModel(const std::string& path, const std::string& preset = "tiny",
                             int seed = 5, double threshold = 0.5);

}  // namespace serve::testing

#endif  // SERVE_API_TESTING_TEST_MODEL_H_
