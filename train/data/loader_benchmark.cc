// Benchmark: batches per second BatchLoader prepares for a preset's input (default: 8 x 16
// frames of 224 px, the default preset's augmentation recipe, self-blend ratio 0.3, no face
// swaps) with 1,
// 2 and 4 producer threads, on synthetic stored tracks (no video decoding: the store is in
// memory in training too). Compare with the training step time to see whether the step
// would wait for data.
//   bazel run //train/data:loader_benchmark [-- --preset small --batch_size 8 --batches 12
//       --augment 0|1 --self_blend 0.3 --face_swap 0.3]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "nn/models/presets.h"
#include "train/data/augment.h"
#include "train/data/face_store.h"
#include "train/data/loader.h"
#include "train/synth/face_template.h"

int main(int argc, char** argv) {
  std::string preset_name = "default";
  int batch_size = 8, batches = 12;
  bool augment = true;
  double self_blend = 0.3, face_swap = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--preset")) preset_name = argv[i + 1];
    if (!std::strcmp(argv[i], "--batch_size")) batch_size = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--batches")) batches = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--augment")) augment = std::atoi(argv[i + 1]) != 0;
    if (!std::strcmp(argv[i], "--self_blend")) self_blend = std::atof(argv[i + 1]);
    if (!std::strcmp(argv[i], "--face_swap")) face_swap = std::atof(argv[i + 1]);
  }
  const absl::StatusOr<nn::ModelPreset> preset = nn::GetPreset(preset_name);
  if (!preset.ok()) {
    std::fprintf(stderr, "%s\n", std::string(preset.status().message()).c_str());
    return 2;
  }
  const int frames = preset->preprocessing.frames, size = preset->preprocessing.image_size;
  // 16 tracks of noise-textured crops with template landmarks, half real, half fake.
  std::vector<train::data::VideoItem> videos;
  std::vector<train::data::StoredTrack> tracks;
  std::mt19937 rng(1);
  const train::synth::Landmarks lm = train::synth::AlignedCropLandmarks(size, 1.3);
  for (int v = 0; v < 16; ++v) {
    videos.push_back({"/v" + std::to_string(v), v % 2, {}, "", ""});
    train::data::StoredTrack t;
    t.video = v;
    t.frames = frames;
    t.size = size;
    t.rgb.resize(static_cast<size_t>(frames) * size * size * 3);
    for (uint8_t& b : t.rgb) b = static_cast<uint8_t>(rng() & 0xff);
    std::vector<std::array<float, 2>> points;
    for (const auto& p : lm) points.push_back({float(p.x), float(p.y)});
    t.landmarks.assign(frames, points);
    tracks.push_back(std::move(t));
  }
  const train::data::FaceStore store =
      train::data::FaceStore::FromTracks(std::move(videos), std::move(tracks));
  std::vector<int> all(16);
  for (int i = 0; i < 16; ++i) all[i] = i;
  std::printf(
      "preset %s: batches of %d x %d frames of %d px, augmentation %s, self-blend %g, face "
      "swap %g\n",
      preset_name.c_str(), batch_size, frames, size, augment ? "on" : "off", self_blend, face_swap);
  for (const int workers : {1, 2, 4}) {
    train::data::LoaderOptions o;
    o.batch_size = batch_size;
    o.sequence_length = frames;
    o.preprocessing = preset->preprocessing;
    o.augment = augment;
    o.augment_options = train::data::AugmentOptionsForPreset(*preset);
    o.self_blend_ratio = self_blend;
    o.face_swap_ratio = face_swap;
    o.num_workers = workers;
    o.prefetch_batches = 2 * workers;
    train::data::BatchLoader loader(&store, all, o);
    const auto start = std::chrono::steady_clock::now();
    int made = 0;
    for (int64_t epoch = 0; made < batches; ++epoch) {
      loader.StartEpoch(epoch);
      while (made < batches && loader.Next()) ++made;
    }
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("  %d worker(s): %.2f batches/s, %.0f frames/s (%.0f ms per batch)\n", workers,
                made / s, made * batch_size * frames / s, 1000 * s / made);
  }
  return 0;
}
