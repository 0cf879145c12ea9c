// bazel run //tools:split_dataset -- --dataset=DIR --output=OUT: writes the identity-disjoint
// layout OUT/{train,val,test}/{real,fake}/ (hard links) from DIR/manifest.json, keeping the
// manifest's splits, or re-splitting by identity with --resplit (fakes whose identities land
// in different splits are then dropped and counted).
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "train/data/manifest.h"
#include "train/synth/split.h"

ABSL_FLAG(std::string, dataset, "", "folder with manifest.json (written by //tools:synth)");
ABSL_FLAG(std::string, output, "", "where {train,val,test}/{real,fake}/ go");
ABSL_FLAG(bool, resplit, false, "assign splits anew by identity instead of the manifest's");
ABSL_FLAG(std::string, split, "0.7,0.15,0.15", "train,val,test fractions for --resplit");
ABSL_FLAG(uint64_t, seed, 1, "seed for --resplit");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Writes an identity-disjoint train/val/test layout of a dataset.");
  absl::ParseCommandLine(argc, argv);
  namespace synth = train::synth;
  const std::string dataset = absl::GetFlag(FLAGS_dataset), output = absl::GetFlag(FLAGS_output);
  if (dataset.empty() || output.empty()) {
    std::fprintf(stderr, "split_dataset: --dataset and --output are required\n");
    return 1;
  }
  auto manifest =
      train::data::ReadManifest((std::filesystem::path(dataset) / "manifest.json").string());
  if (!manifest.ok()) {
    std::fprintf(stderr, "split_dataset: %s\n", std::string(manifest.status().message()).c_str());
    return 1;
  }
  if (absl::GetFlag(FLAGS_resplit)) {
    std::vector<double> f;
    for (absl::string_view s : absl::StrSplit(absl::GetFlag(FLAGS_split), ',')) {
      double v;
      if (!absl::SimpleAtod(s, &v) || v < 0) {
        std::fprintf(stderr, "split_dataset: --split: bad fraction\n");
        return 1;
      }
      f.push_back(v);
    }
    if (f.size() != 3) {
      std::fprintf(stderr, "split_dataset: --split needs train,val,test\n");
      return 1;
    }
    const int dropped = synth::Resplit({f[0], f[1], f[2]}, absl::GetFlag(FLAGS_seed), &*manifest);
    std::printf("re-split by identity; %d fakes spanning two splits dropped\n", dropped);
  }
  if (absl::Status s = synth::WriteSplitLayout(*manifest, dataset, output); !s.ok()) {
    std::fprintf(stderr, "split_dataset: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  std::map<std::string, std::map<std::string, int>> counts;
  for (const train::data::ManifestEntry& e : manifest->entries) ++counts[e.split][e.label];
  for (const auto& [split, labels] : counts) {
    std::printf("%-5s: %d real, %d fake\n", split.c_str(),
                labels.count("real") ? labels.at("real") : 0,
                labels.count("fake") ? labels.at("fake") : 0);
  }
  return 0;
}
