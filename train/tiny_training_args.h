// Test helpers shared by trainer_test and trainer_distributed_test: the tiny preset's
// training flags on the fixture clips, and parsing them as //train:train would.
#ifndef TRAIN_TINY_TRAINING_ARGS_H_
#define TRAIN_TINY_TRAINING_ARGS_H_

#include <string>
#include <vector>

#include "train/train_config.h"

namespace train::testing {

inline constexpr char kFixtureManifest[] = "train/testdata/manifest.json";

// One face cache for every test of a binary ($TEST_TMPDIR/face_cache): preprocessing
// happens once.
std::string SharedCacheDir();

// ParseTrainFlags on `args` (without the program name); a failed parse fails the test and
// gives the default config.
TrainConfig Parse(std::vector<std::string> args);

// The tiny preset on the fixtures, small enough for well under a second per epoch on 2
// cores: batch 4, learning rate 3e-3, seed 2, no early stopping, `threads` kernel threads
// and as many loader workers. (With 7 training identities and 4 steps per epoch the tiny
// model learns slowly and unevenly: with this seed and learning rate, 20 epochs end at
// train loss ~0.2-0.5 and validation AUC 0.89-1 for seeds 1-4.)
std::vector<std::string> TinyArgs(const std::string& out_dir, int epochs, int threads);

}  // namespace train::testing

#endif  // TRAIN_TINY_TRAINING_ARGS_H_
