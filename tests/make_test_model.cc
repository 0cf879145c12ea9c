// make_test_model OUT.safetensors [PRESET] [SEED] [THRESHOLD]: a random-weight checkpoint
// with the metadata a trained one has (serve/api/testing/test_model.h), for shell tests
// that run the real `deepfake` binary.
#include <cstdlib>
#include <iostream>
#include <string>

#include "serve/api/testing/test_model.h"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 5) {
    std::cerr << "usage: make_test_model OUT.safetensors [PRESET=tiny] [SEED=5] [THRESHOLD=0.5]\n";
    return 2;
  }
  const std::string preset = argc > 2 ? argv[2] : "tiny";
  const int seed = argc > 3 ? std::atoi(argv[3]) : 5;
  const double threshold = argc > 4 ? std::atof(argv[4]) : 0.5;
  std::cout << serve::testing::WriteRandomModel(argv[1], preset, seed, threshold) << "\n";
  return 0;
}
