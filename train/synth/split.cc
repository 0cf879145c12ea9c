// Identity split assignment, disjointness check and the real/ fake/ folder layout.
#include "train/synth/split.h"

#include <algorithm>
#include <filesystem>
#include <random>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"

namespace train::synth {

using data::Manifest;
using data::ManifestEntry;

std::map<std::string, std::string> AssignIdentitySplits(
    const std::map<std::string, int>& clips_per_identity, const SplitFractions& fractions,
    uint64_t seed) {
  std::vector<std::string> ids;
  int total = 0;
  for (const auto& [id, n] : clips_per_identity) ids.push_back(id), total += n;
  std::mt19937_64 rng(seed);
  std::shuffle(ids.begin(), ids.end(), rng);
  const std::string names[3] = {"train", "val", "test"};
  const double share[3] = {fractions.train, fractions.val, fractions.test};
  const double sum = std::max(1e-12, share[0] + share[1] + share[2]);
  double assigned[3] = {0, 0, 0};
  std::map<std::string, std::string> split;
  int needed = 0;
  for (double s : share) needed += s > 0;
  size_t i = 0;
  // Two identities for each wanted split first (one when there are too few; two let face
  // swaps stay inside every split), rare splits first; then by largest deficit.
  const int first = int(ids.size()) >= 3 * needed ? 2 : int(ids.size()) >= needed ? 1 : 0;
  for (int round = 0; round < first; ++round) {
    for (int s : {2, 1, 0}) {
      if (share[s] <= 0) continue;
      split[ids[i]] = names[s];
      assigned[s] += clips_per_identity.at(ids[i]);
      ++i;
    }
  }
  for (; i < ids.size(); ++i) {
    int best = 0;
    double deficit = -1e300;
    for (int s = 0; s < 3; ++s) {
      if (share[s] <= 0) continue;
      const double d = share[s] / sum * total - assigned[s];
      if (d > deficit) deficit = d, best = s;
    }
    split[ids[i]] = names[best];
    assigned[best] += clips_per_identity.at(ids[i]);
  }
  return split;
}

absl::Status CheckIdentityDisjoint(const Manifest& manifest) {
  std::map<std::string, std::set<std::string>> splits;
  for (const ManifestEntry& e : manifest.entries) {
    for (const std::string& id : EntryIdentities(e)) splits[id].insert(e.split);
  }
  for (const auto& [id, s] : splits) {
    if (s.size() > 1) {
      return absl::FailedPreconditionError(
          absl::StrCat("identity ", id, " appears in several splits: ", absl::StrJoin(s, ", ")));
    }
  }
  return absl::OkStatus();
}

int Resplit(const SplitFractions& fractions, uint64_t seed, Manifest* manifest) {
  std::map<std::string, int> clips;
  for (const ManifestEntry& e : manifest->entries) {
    if (e.label == "real") ++clips[e.target_identity];
    for (const std::string& id : EntryIdentities(e)) clips.emplace(id, 0);
  }
  for (auto& [id, n] : clips) n = std::max(n, 1);
  const auto split = AssignIdentitySplits(clips, fractions, seed);
  std::vector<ManifestEntry> kept;
  int dropped = 0;
  for (ManifestEntry& e : manifest->entries) {
    std::set<std::string> s;
    for (const std::string& id : EntryIdentities(e)) s.insert(split.at(id));
    if (s.size() > 1) {
      ++dropped;
      continue;
    }
    e.split = *s.begin();
    kept.push_back(std::move(e));
  }
  manifest->entries = std::move(kept);
  return dropped;
}

absl::Status WriteSplitLayout(const Manifest& manifest, const std::string& dataset_dir,
                              const std::string& out_dir) {
  namespace fs = std::filesystem;
  RETURN_IF_ERROR(CheckIdentityDisjoint(manifest));
  std::map<std::string, Manifest> per_split;
  for (const ManifestEntry& e : manifest.entries) {
    const fs::path from = fs::path(dataset_dir) / e.file;
    const fs::path relative = fs::path(e.label) / fs::path(e.file).filename();
    const fs::path to = fs::path(out_dir) / e.split / relative;
    std::error_code error;
    fs::create_directories(to.parent_path(), error);
    if (error) {
      return absl::PermissionDeniedError(
          absl::StrCat(to.parent_path().string(), ": cannot create: ", error.message()));
    }
    fs::remove(to, error);
    fs::create_hard_link(from, to, error);
    if (error) {
      error.clear();
      fs::copy_file(from, to, fs::copy_options::overwrite_existing, error);
      if (error) {
        return absl::NotFoundError(absl::StrCat(from.string(), ": cannot link or copy to ",
                                                to.string(), ": ", error.message()));
      }
    }
    Manifest& m = per_split[e.split];
    m.seed = manifest.seed;
    m.options = manifest.options;
    ManifestEntry copy = e;
    copy.file = relative.string();
    m.entries.push_back(std::move(copy));
  }
  for (const auto& [split, m] : per_split) {
    RETURN_IF_ERROR(WriteManifest(m, (fs::path(out_dir) / split / "manifest.json").string()));
  }
  return absl::OkStatus();
}

}  // namespace train::synth
