// Identity-disjoint dataset splits: identities (not clips) are assigned to train/val/test,
// so no person appears in two splits; and the folder layout the trainer reads,
// <out>/<split>/{real,fake}/<video>.
#ifndef TRAIN_SYNTH_SPLIT_H_
#define TRAIN_SYNTH_SPLIT_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "train/data/manifest.h"

namespace train::synth {

struct SplitFractions {
  double train = 0.7, val = 0.15, test = 0.15;
};

// Identity -> "train" | "val" | "test". Identities are shuffled by `seed` and assigned
// greedily to the split furthest below its share of clips; every split with a positive
// fraction first gets two identities (>= 3 per split available) or one (>= 1 per split).
std::map<std::string, std::string> AssignIdentitySplits(
    const std::map<std::string, int>& clips_per_identity, const SplitFractions& fractions,
    uint64_t seed);

// OK when every identity appears in one split only; else names the identity and splits.
absl::Status CheckIdentityDisjoint(const data::Manifest& manifest);

// Re-assigns splits by identity (AssignIdentitySplits over the manifest's identities);
// entries whose identities land in different splits are dropped (their number returned).
int Resplit(const SplitFractions& fractions, uint64_t seed, data::Manifest* manifest);

// Writes <out_dir>/<split>/{real,fake}/<basename of file> for every entry (hard links, or
// copies where linking fails) and <out_dir>/<split>/manifest.json with that split's
// entries (files relative to the split folder). Fails if the split is not identity-disjoint.
absl::Status WriteSplitLayout(const data::Manifest& manifest, const std::string& dataset_dir,
                              const std::string& out_dir);

}  // namespace train::synth

#endif  // TRAIN_SYNTH_SPLIT_H_
