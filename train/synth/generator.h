// The synthetic-deepfake dataset generator: from real face clips, writes re-encoded real
// videos, face swaps between identities of the same split and self-blends of each clip,
// all with the same H.264 settings, plus a manifest, the identity split and a contact sheet.
#ifndef TRAIN_SYNTH_GENERATOR_H_
#define TRAIN_SYNTH_GENERATOR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "train/data/manifest.h"
#include "train/synth/face_track.h"
#include "train/synth/split.h"

namespace train::synth {

struct ClipSpec {
  std::string path;
  std::string clip_id;   // unique; names the outputs
  std::string identity;  // the person; clips of one person share it
};

struct GeneratorOptions {
  std::string output_dir;  // videos/ and manifest.json are written here
  uint64_t seed = 1;
  int max_frames = 64;           // frames per output (from the clip's start)
  int max_side = 512;            // frames are downscaled to at most this (even sizes)
  int swaps_per_clip = 3;        // face swaps with this clip as the target (head)
  int self_blends_per_clip = 2;  // alternating clip-consistent and per-frame self-blends
  std::vector<int> crfs = {18, 23, 28, 33};  // each output's CRF is drawn from these
  std::string preset = "veryfast";
  SplitFractions split;
  int threads = 2;
  double landmark_sigma = 1.5;  // temporal smoothing of landmark tracks (frames)
  std::string contact_sheet;    // PNG path ("" = none)
  int thumbnail_size = 128;
  bool verbose = false;  // progress and timings on stderr
};

// Clips from a folder: every video file in it or below (base::ListVideoFiles), clip_id =
// file stem, identity = clip_id unless `same_person` groups say otherwise (each group: clip
// ids of one person; the identity is the group's first id). Sorted by clip_id. Errors:
// the folder's (kNotFound when missing or without videos), kInvalidArgument naming both
// files when two have the same stem.
absl::StatusOr<std::vector<ClipSpec>> ClipsFromDirectory(
    const std::string& dir, const std::vector<std::vector<std::string>>& same_person);

// Plans and generates every output; writes <output_dir>/videos/*.mp4 and
// <output_dir>/manifest.json and returns the manifest. Deterministic in (clips, options):
// each output's randomness comes from its own seed, derived from options.seed and the
// output's name, so thread scheduling does not matter.
absl::StatusOr<data::Manifest> GenerateDataset(const std::vector<ClipSpec>& clips,
                                               const GeneratorOptions& options,
                                               const LandmarkSource& landmarks);

// A clip's first `max_frames` frames, downscaled to at most `max_side` and cropped to even
// sizes, with its frame rate.
struct LoadedClip {
  std::vector<video::Frame> frames;
  double frame_rate = 25;
};
absl::StatusOr<LoadedClip> LoadClip(const std::string& path, int max_frames, int max_side);

}  // namespace train::synth

#endif  // TRAIN_SYNTH_GENERATOR_H_
