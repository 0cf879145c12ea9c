// Resolving --real_paths / --fake_paths and manifests into labelled videos, and the
// group-wise validation split.
#include "train/data/dataset.h"

#include <glob.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "base/video_files.h"
#include "train/data/manifest.h"

namespace train::data {
namespace {

namespace fs = std::filesystem;

const char* ClassName(int label) { return label == 0 ? "real" : "fake"; }
const char* FlagName(int label) { return label == 0 ? "--real_paths" : "--fake_paths"; }

bool IsGlob(const std::string& entry) { return entry.find_first_of("*?[") != std::string::npos; }

bool IsListFile(const std::string& path) {
  const std::string ext = absl::AsciiStrToLower(fs::path(path).extension().string());
  return ext == ".txt" || ext == ".lst";
}

// Every file a glob pattern matches, sorted (glob(3) sorts by default).
std::vector<std::string> Glob(const std::string& pattern) {
  glob_t result{};
  std::vector<std::string> matches;
  if (glob(pattern.c_str(), GLOB_NOESCAPE, nullptr, &result) == 0) {
    for (size_t i = 0; i < result.gl_pathc; ++i) matches.emplace_back(result.gl_pathv[i]);
  }
  globfree(&result);
  return matches;
}

absl::StatusOr<std::vector<std::string>> ReadListFile(const std::string& list_path,
                                                      const std::string& flag) {
  std::ifstream in(list_path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(flag, " '", list_path, "': cannot read the list"));
  }
  const fs::path dir = fs::path(list_path).parent_path();
  std::vector<std::string> paths;
  std::string line;
  int line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    const std::string entry(absl::StripAsciiWhitespace(line));
    if (entry.empty() || entry[0] == '#') continue;
    const fs::path path = fs::path(entry).is_absolute() ? fs::path(entry) : dir / entry;
    std::error_code error;
    if (!fs::exists(path, error)) {
      return absl::NotFoundError(absl::StrCat(list_path, ":", line_number, ": '", entry,
                                              "' does not exist (", path.string(), ")"));
    }
    paths.push_back(path.lexically_normal().string());
  }
  return paths;
}

// A file or a folder (every video under it).
absl::Status AddPath(const std::string& path, const std::string& flag, const std::string& entry,
                     std::vector<std::string>* out) {
  std::error_code error;
  if (fs::is_directory(path, error)) {
    ASSIGN_OR_RETURN(std::vector<std::string> videos, base::ListVideoFiles(path));
    if (videos.empty()) {
      return absl::NotFoundError(
          absl::StrCat(flag, " '", entry, "': no video file in the folder ", path));
    }
    out->insert(out->end(), videos.begin(), videos.end());
    return absl::OkStatus();
  }
  if (!fs::exists(path, error)) {
    return absl::NotFoundError(absl::StrCat(flag, " '", entry, "': no such file or folder"));
  }
  out->push_back(fs::path(path).lexically_normal().string());
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ResolveEntry(const std::string& entry,
                                                      const std::string& flag) {
  std::vector<std::string> paths;
  if (IsGlob(entry)) {
    const std::vector<std::string> matches = Glob(entry);
    if (matches.empty()) {
      return absl::NotFoundError(absl::StrCat(flag, " '", entry, "' matched no file"));
    }
    for (const std::string& match : matches) {
      std::error_code error;
      if (fs::is_directory(match, error)) {
        ASSIGN_OR_RETURN(std::vector<std::string> videos, base::ListVideoFiles(match));
        paths.insert(paths.end(), videos.begin(), videos.end());
      } else if (base::HasVideoExtension(match)) {
        // 'clips/*' names the videos in clips/, not its README or list files.
        paths.push_back(fs::path(match).lexically_normal().string());
      }
    }
    if (paths.empty()) {
      return absl::NotFoundError(absl::StrCat(flag, " '", entry, "' matched no video file"));
    }
    return paths;
  }
  std::error_code error;
  if (IsListFile(entry) && fs::is_regular_file(entry, error)) {
    ASSIGN_OR_RETURN(std::vector<std::string> listed, ReadListFile(entry, flag));
    for (const std::string& path : listed) RETURN_IF_ERROR(AddPath(path, flag, path, &paths));
    return paths;
  }
  RETURN_IF_ERROR(AddPath(entry, flag, entry, &paths));
  return paths;
}

// The key duplicates are found by: the absolute, lexically normal path.
std::string PathKey(const std::string& path) {
  std::error_code error;
  fs::path absolute = fs::absolute(path, error);
  if (error) absolute = path;
  return absolute.lexically_normal().string();
}

// Union-find over item indices.
class Components {
 public:
  explicit Components(size_t n) : parent_(n) { std::iota(parent_.begin(), parent_.end(), 0); }
  size_t Find(size_t i) {
    while (parent_[i] != i) i = parent_[i] = parent_[parent_[i]];
    return i;
  }
  void Union(size_t a, size_t b) {
    a = Find(a);
    b = Find(b);
    if (a != b) parent_[std::max(a, b)] = std::min(a, b);
  }

 private:
  std::vector<size_t> parent_;
};

std::string SourceClipOf(const VideoItem& item) {
  return item.source_clip.empty() ? item.path : item.source_clip;
}

struct Group {
  std::vector<size_t> items;
  int count[2] = {0, 0};        // per label
  std::set<std::string> names;  // identities or source clips
};

int CountLabel(const std::vector<VideoItem>& items, int label) {
  return static_cast<int>(std::count_if(items.begin(), items.end(),
                                        [&](const VideoItem& v) { return v.label == label; }));
}

}  // namespace

absl::StatusOr<std::vector<VideoItem>> ResolveLabelledPaths(
    const std::vector<std::string>& real_paths, const std::vector<std::string>& fake_paths,
    ClassRequirement requirement) {
  std::vector<VideoItem> items;
  std::map<std::string, int> label_of;  // PathKey -> label
  for (int label = 0; label < 2; ++label) {
    const std::vector<std::string>& entries = label == 0 ? real_paths : fake_paths;
    const std::string flag = FlagName(label);
    int added = 0;
    for (const std::string& entry : entries) {
      if (entry.empty()) continue;
      ASSIGN_OR_RETURN(std::vector<std::string> paths, ResolveEntry(entry, flag));
      for (const std::string& path : paths) {
        const std::string key = PathKey(path);
        auto [it, inserted] = label_of.emplace(key, label);
        if (!inserted) {
          if (it->second != label) {
            return absl::InvalidArgumentError(
                absl::StrCat(path,
                             " is given both as real (--real_paths) and as fake "
                             "(--fake_paths)"));
          }
          continue;  // a duplicate
        }
        VideoItem item;
        item.path = path;
        item.label = label;
        item.source_clip = path;
        items.push_back(std::move(item));
        ++added;
      }
    }
    if (added == 0 && requirement == ClassRequirement::kBothClasses) {
      return absl::InvalidArgumentError(
          absl::StrCat("no ", ClassName(label), " video given (", flag, " names no video)"));
    }
  }
  if (items.empty()) {
    return absl::InvalidArgumentError("no video given (--real_paths and --fake_paths name none)");
  }
  return items;
}

absl::StatusOr<std::vector<VideoItem>> ItemsFromManifest(const std::string& manifest_path) {
  ASSIGN_OR_RETURN(const Manifest manifest, ReadManifest(manifest_path));
  if (manifest.entries.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(manifest_path, ": the manifest lists no video"));
  }
  std::error_code error;
  fs::path dir = fs::absolute(fs::path(manifest_path), error).parent_path();
  if (error) dir = fs::path(manifest_path).parent_path();
  std::vector<VideoItem> items;
  std::set<std::string> seen;
  for (const ManifestEntry& entry : manifest.entries) {
    VideoItem item;
    const fs::path file(entry.file);
    item.path = (file.is_absolute() ? file : dir / file).lexically_normal().string();
    if (!seen.insert(item.path).second) continue;
    item.label = entry.label == "fake" ? 1 : 0;
    item.identities = EntryIdentities(entry);
    item.source_clip = entry.target_clip.empty() ? item.path : entry.target_clip;
    item.split = entry.split;
    items.push_back(std::move(item));
  }
  return items;
}

std::string DatasetSplit::Summary() const {
  std::string out = absl::StrCat("Dataset split (", method, "):\n");
  const std::pair<const char*, const std::vector<VideoItem>*> splits[] = {
      {"train", &train}, {"val", &val}, {"test", &test}};
  for (const auto& [name, items] : splits) {
    if (items->empty() && std::string(name) == "test") continue;
    absl::StrAppend(&out, "  ", name, ": ", items->size(), " videos (", CountLabel(*items, 0),
                    " real, ", CountLabel(*items, 1), " fake)\n");
  }
  // Who is in validation.
  const bool by_identity =
      method == "identity" ||
      (method != "source clip" && !val.empty() &&
       std::all_of(val.begin(), val.end(), [](const auto& v) { return !v.identities.empty(); }));
  std::set<std::string> names;
  for (const VideoItem& item : val) {
    if (by_identity) {
      names.insert(item.identities.begin(), item.identities.end());
    } else {
      names.insert(fs::path(SourceClipOf(item)).filename().string());
    }
  }
  if (!names.empty()) {
    std::vector<std::string> shown(names.begin(), names.end());
    const size_t total = shown.size();
    if (shown.size() > 30) shown.resize(30);
    absl::StrAppend(&out, "  validation ", by_identity ? "identities" : "source clips", " (", total,
                    "): ", absl::StrJoin(shown, ", "), total > shown.size() ? ", ..." : "", "\n");
  }
  return out;
}

nlohmann::json DatasetSplit::ToJson() const {
  nlohmann::json json = {{"method", method}};
  const std::pair<const char*, const std::vector<VideoItem>*> splits[] = {
      {"train", &train}, {"val", &val}, {"test", &test}};
  for (const auto& [name, items] : splits) {
    json[name] = {{"videos", items->size()},
                  {"real", CountLabel(*items, 0)},
                  {"fake", CountLabel(*items, 1)}};
  }
  return json;
}

absl::StatusOr<DatasetSplit> SplitForValidation(const std::vector<VideoItem>& items,
                                                double val_fraction, uint64_t seed) {
  if (!(val_fraction > 0 && val_fraction < 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the validation fraction must be in (0, 1), got ", val_fraction));
  }
  if (items.empty())
    return absl::InvalidArgumentError("no video to split into train and validation");
  const bool by_identity = std::all_of(items.begin(), items.end(),
                                       [](const VideoItem& v) { return !v.identities.empty(); });
  const std::string what = by_identity ? "identity" : "source clip";

  // Connected components: videos sharing an identity (identity mode) or a source clip
  // (always: a fake and the clip it was made from never straddle the split).
  Components components(items.size());
  std::map<std::string, size_t> first_with;
  auto link = [&](const std::string& key, size_t i) {
    auto [it, inserted] = first_with.emplace(key, i);
    if (!inserted) components.Union(it->second, i);
  };
  for (size_t i = 0; i < items.size(); ++i) {
    link("clip:" + SourceClipOf(items[i]), i);
    if (by_identity) {
      for (const std::string& id : items[i].identities) link("id:" + id, i);
    }
  }
  std::map<size_t, Group> by_root;  // ordered by the component's first item
  for (size_t i = 0; i < items.size(); ++i) {
    Group& group = by_root[components.Find(i)];
    group.items.push_back(i);
    ++group.count[items[i].label == 0 ? 0 : 1];
    if (by_identity) {
      group.names.insert(items[i].identities.begin(), items[i].identities.end());
    } else {
      group.names.insert(SourceClipOf(items[i]));
    }
  }
  std::vector<Group> groups;
  for (auto& [root, group] : by_root) groups.push_back(std::move(group));
  std::mt19937_64 rng(seed);
  std::shuffle(groups.begin(), groups.end(), rng);

  int total[2] = {0, 0};
  for (const Group& g : groups) total[0] += g.count[0], total[1] += g.count[1];
  const int target = std::max<int>(1, static_cast<int>(std::lround(val_fraction * items.size())));
  std::vector<bool> in_val(groups.size(), false);
  int val_count[2] = {0, 0};
  auto take = [&](size_t g) {
    in_val[g] = true;
    val_count[0] += groups[g].count[0];
    val_count[1] += groups[g].count[1];
  };
  // Taking g leaves both classes in training.
  auto leaves_train = [&](size_t g) {
    return val_count[0] + groups[g].count[0] < total[0] &&
           val_count[1] + groups[g].count[1] < total[1];
  };
  // First one group for each class validation lacks, then fill up to the target.
  for (int label = 0; label < 2; ++label) {
    if (val_count[label] > 0) continue;
    for (size_t g = 0; g < groups.size(); ++g) {
      if (!in_val[g] && groups[g].count[label] > 0 && leaves_train(g)) {
        take(g);
        break;
      }
    }
  }
  for (size_t g = 0; g < groups.size(); ++g) {
    if (in_val[g]) continue;
    if (val_count[0] + val_count[1] + static_cast<int>(groups[g].items.size()) > target) continue;
    if (leaves_train(g)) take(g);
  }
  if (val_count[0] == 0 || val_count[1] == 0) {
    int with[2] = {0, 0};
    for (const Group& g : groups) with[0] += g.count[0] > 0, with[1] += g.count[1] > 0;
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot split ", items.size(), " videos by ", what,
        " with both classes in training and validation: they form ", groups.size(),
        " group(s) of videos that share an ", what, " (", with[0], " with real videos, ", with[1],
        " with fake videos), and every such group must stay on one side; give more ",
        what == "identity" ? "identities" : "source clips",
        " or the validation videos (--val_real_paths / --val_fake_paths)"));
  }
  DatasetSplit split;
  split.method = what;
  // Keep the input order within each split.
  std::vector<int> side(items.size(), 0);
  for (size_t g = 0; g < groups.size(); ++g) {
    if (!in_val[g]) continue;
    for (size_t i : groups[g].items) side[i] = 1;
  }
  for (size_t i = 0; i < items.size(); ++i) {
    (side[i] ? split.val : split.train).push_back(items[i]);
  }
  return split;
}

absl::StatusOr<DatasetSplit> SplitFromManifest(const std::vector<VideoItem>& items,
                                               bool fakes_made_in_training) {
  DatasetSplit split;
  split.method = "manifest";
  for (const VideoItem& item : items) {
    if (item.split == "val") {
      split.val.push_back(item);
    } else if (item.split == "test") {
      split.test.push_back(item);
    } else {
      split.train.push_back(item);
    }
  }
  for (const auto& [name, part] :
       {std::pair<const char*, const std::vector<VideoItem>*>{"train", &split.train},
        {"val", &split.val}}) {
    for (int label = 0; label < 2; ++label) {
      if (label == 1 && fakes_made_in_training && part == &split.train) continue;
      if (CountLabel(*part, label) == 0) {
        return absl::FailedPreconditionError(
            absl::StrCat("the manifest's '", name, "' split has no ", ClassName(label),
                         " video; give --val_fraction to split by identity instead"));
      }
    }
  }
  return split;
}

}  // namespace train::data
