// Which videos a run trains and validates on: `--real_paths` / `--fake_paths` (globs,
// folders searched recursively, list files with one path per line, or single files) or a
// dataset manifest (labels, identities and splits from train/data/manifest.h), and the
// validation split, made by identity where identities are known (by source clip otherwise),
// never by frame.
#ifndef TRAIN_DATA_DATASET_H_
#define TRAIN_DATA_DATASET_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace train::data {

struct VideoItem {
  std::string path;  // absolute or as given
  int label = 0;     // 0 = real, 1 = fake
  // Who is shown (all identities, e.g. a face swap's target and source); empty = unknown.
  std::vector<std::string> identities;
  // The source clip it was made from (a fake's target clip, a real clip itself); videos of
  // one source clip never straddle splits. Defaults to the path.
  std::string source_clip;
  std::string split;  // "train", "val", "test" or "" (not given)
};

// One --real_paths / --fake_paths argument list. An entry is a glob ('*', '?', '[...]'),
// a folder (every video under it, base::ListVideoFiles), a ".txt"/".lst" file listing one
// path per line (relative to the list's folder; '#' comments), or a video file. Errors,
// before any training: an entry that matches nothing ("--fake_paths 'x/*.mp4' matched no
// file"), a missing file, and (kBothClasses, for training) a class with no video at all;
// kAnyClass (evaluation: e.g. only fakes, to measure recall) needs one video of either class.
// Duplicates are dropped.
enum class ClassRequirement { kBothClasses, kAnyClass };
absl::StatusOr<std::vector<VideoItem>> ResolveLabelledPaths(
    const std::vector<std::string>& real_paths, const std::vector<std::string>& fake_paths,
    ClassRequirement requirement = ClassRequirement::kBothClasses);

// Every entry of DIR/manifest.json (paths made absolute against DIR), with labels,
// identities, source clips and splits from the manifest.
absl::StatusOr<std::vector<VideoItem>> ItemsFromManifest(const std::string& manifest_path);

struct DatasetSplit {
  std::vector<VideoItem> train, val, test;
  // How it was made: "given" (validation paths given), "manifest" (splits in the manifest),
  // "identity" or "source clip" (val_fraction).
  std::string method;
  // Human-readable, printed before training: per split and class the video count, and the
  // identities / source clips in validation.
  std::string Summary() const;
  nlohmann::json ToJson() const;  // counts per split and class, method
};

// Holds out about `val_fraction` of the videos as validation, choosing whole groups:
// connected components of videos that share an identity when every video has identities,
// else of videos that share a source clip. Deterministic in `seed`. Both classes must end
// up in both splits; when that is impossible (e.g. one identity) the error says why.
absl::StatusOr<DatasetSplit> SplitForValidation(const std::vector<VideoItem>& items,
                                                double val_fraction, uint64_t seed);

// The manifest's own splits (method "manifest"): "val" entries validate, "test" entries are
// held out, the rest ("train" or none) train. An error names a split lacking a class;
// `fakes_made_in_training` (online self-blending) lets the training split be real only.
absl::StatusOr<DatasetSplit> SplitFromManifest(const std::vector<VideoItem>& items,
                                               bool fakes_made_in_training = false);

}  // namespace train::data

#endif  // TRAIN_DATA_DATASET_H_
