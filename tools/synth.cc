// bazel run //tools:synth -- --input_dir=DIR --output_dir=OUT: generates a labelled
// synthetic-deepfake dataset (re-encoded real clips, face swaps, self-blends) from real face
// videos, with a manifest, an identity-disjoint split (OUT/splits/{train,val,test}/{real,fake})
// and a contact sheet (OUT/contact_sheet.png).
#include <chrono>
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
#include "train/synth/generator.h"
#include "train/synth/split.h"

ABSL_FLAG(std::string, input_dir, "", "folder of real face videos (one face each)");
ABSL_FLAG(std::string, output_dir, "", "where videos/, manifest.json, splits/ and the sheet go");
ABSL_FLAG(std::string, same_person, "",
          "clip ids (file stems) showing the same person: ids joined by '+', groups by ','; "
          "e.g. retalking_face3+sadtalker_WDA_AlexandriaOcasioCortez_000");
ABSL_FLAG(uint64_t, seed, 1, "random seed: the same seed and inputs give the same bytes");
ABSL_FLAG(int, max_frames, 64, "frames per output video (from each clip's start)");
ABSL_FLAG(int, max_side, 512, "frames are downscaled to at most this many pixels");
ABSL_FLAG(int, swaps_per_clip, 3, "face swaps per clip (the clip is the head)");
ABSL_FLAG(int, self_blends_per_clip, 2, "self-blends per clip (clip-consistent, per-frame, ...)");
ABSL_FLAG(std::string, crfs, "18,23,28,33", "H.264 CRFs; each output draws one");
ABSL_FLAG(std::string, preset, "veryfast", "libx264 preset");
ABSL_FLAG(std::string, split, "0.7,0.15,0.15", "train,val,test fractions (by identity)");
ABSL_FLAG(int, threads, 2, "worker threads");
ABSL_FLAG(std::string, model, DLIB_SHAPE_PREDICTOR_68_PATH, "dlib 68-point landmark model");
ABSL_FLAG(int, thumbnail_size, 128, "contact sheet cell size in pixels");

namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "synth: %s\n", std::string(status.message()).c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Generates synthetic deepfakes from real face videos.\n"
      "  bazel run //tools:synth -- --input_dir=DIR --output_dir=OUT [--same_person=a+b]");
  absl::ParseCommandLine(argc, argv);
  namespace synth = train::synth;
  const std::string input = absl::GetFlag(FLAGS_input_dir),
                    output = absl::GetFlag(FLAGS_output_dir);
  if (input.empty() || output.empty()) {
    return Fail(absl::InvalidArgumentError("--input_dir and --output_dir are required"));
  }
  std::vector<std::vector<std::string>> groups;
  for (absl::string_view group :
       absl::StrSplit(absl::GetFlag(FLAGS_same_person), ',', absl::SkipEmpty())) {
    groups.push_back(absl::StrSplit(group, '+', absl::SkipEmpty()));
  }
  synth::GeneratorOptions options;
  options.output_dir = output;
  options.seed = absl::GetFlag(FLAGS_seed);
  options.max_frames = absl::GetFlag(FLAGS_max_frames);
  options.max_side = absl::GetFlag(FLAGS_max_side);
  options.swaps_per_clip = absl::GetFlag(FLAGS_swaps_per_clip);
  options.self_blends_per_clip = absl::GetFlag(FLAGS_self_blends_per_clip);
  options.preset = absl::GetFlag(FLAGS_preset);
  options.threads = absl::GetFlag(FLAGS_threads);
  options.thumbnail_size = absl::GetFlag(FLAGS_thumbnail_size);
  options.verbose = true;
  options.contact_sheet = (std::filesystem::path(output) / "contact_sheet.png").string();
  options.crfs.clear();
  for (absl::string_view s : absl::StrSplit(absl::GetFlag(FLAGS_crfs), ',', absl::SkipEmpty())) {
    int crf;
    if (!absl::SimpleAtoi(s, &crf)) return Fail(absl::InvalidArgumentError("--crfs: not integers"));
    options.crfs.push_back(crf);
  }
  std::vector<double> fractions;
  for (absl::string_view s : absl::StrSplit(absl::GetFlag(FLAGS_split), ',')) {
    double f;
    if (!absl::SimpleAtod(s, &f) || f < 0)
      return Fail(absl::InvalidArgumentError("--split: bad fraction"));
    fractions.push_back(f);
  }
  if (fractions.size() != 3)
    return Fail(absl::InvalidArgumentError("--split needs train,val,test"));
  options.split = {fractions[0], fractions[1], fractions[2]};

  const auto start = std::chrono::steady_clock::now();
  auto clips = synth::ClipsFromDirectory(input, groups);
  if (!clips.ok()) return Fail(clips.status());
  auto landmarks = synth::DlibLandmarkSource::Create(absl::GetFlag(FLAGS_model));
  if (!landmarks.ok()) return Fail(landmarks.status());
  auto manifest = synth::GenerateDataset(*clips, options, **landmarks);
  if (!manifest.ok()) return Fail(manifest.status());
  const std::string splits = (std::filesystem::path(output) / "splits").string();
  if (absl::Status s = synth::WriteSplitLayout(*manifest, output, splits); !s.ok()) return Fail(s);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::map<std::string, std::map<std::string, int>> counts;      // split -> label -> n
  std::map<std::string, std::map<std::string, int>> identities;  // split -> identity -> n
  int real = 0, fake = 0;
  for (const train::data::ManifestEntry& e : manifest->entries) {
    ++counts[e.split][e.label];
    ++identities[e.split][e.target_identity];
    (e.label == "real" ? real : fake) += 1;
  }
  std::printf("%zu clips -> %d real + %d fake videos in %.1f s (%d threads)\n", clips->size(), real,
              fake, seconds, options.threads);
  for (const auto& [split, labels] : counts) {
    std::printf("  %-5s: %3d real, %3d fake, %zu identities\n", split.c_str(),
                labels.count("real") ? labels.at("real") : 0,
                labels.count("fake") ? labels.at("fake") : 0, identities[split].size());
  }
  std::printf("manifest: %s/manifest.json\nsplits: %s\ncontact sheet: %s\n", output.c_str(),
              splits.c_str(), options.contact_sheet.c_str());
  return 0;
}
