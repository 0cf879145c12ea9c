// Batches for training and validation, prepared on the loader's own producer threads while
// the model trains (a prefetch queue): sampling (shuffled, optionally class-balanced by
// oversampling), frame choice (evenly spaced, or with temporal jitter), online fakes made
// from real clips (self-blends, face swaps), augmentation, normalization. Every batch is a pure
// function of (seed, epoch, batch index) and the data, never of worker count or timing, so a
// resumed run sees exactly the batches of an uninterrupted one.
#ifndef TRAIN_DATA_LOADER_H_
#define TRAIN_DATA_LOADER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "nlohmann/json.hpp"
#include "nn/models/preprocessing.h"
#include "nn/tensor.h"
#include "train/data/augment.h"
#include "train/data/face_store.h"

namespace train::data {

enum class ClassBalance {
  kNone,        // every track once per epoch
  kOversample,  // the minority class's tracks repeated so each epoch is half real, half fake
};

struct LoaderOptions {
  int batch_size = 8;
  int sequence_length = 16;  // frames per sample (the preset's)
  int samples_per_track = 1;  // each track's samples per epoch (before oversampling)
  bool shuffle = true;
  bool drop_last = false;  // drop a final partial batch
  ClassBalance balance = ClassBalance::kNone;
  // Choose sequence_length of a track's stored frames: evenly spaced, or (jitter) each one
  // uniformly from its stretch of the track.
  bool temporal_jitter = false;
  bool augment = false;
  AugmentOptions augment_options;
  // Probability that a real track becomes a self-blended fake (train/synth/online_self_blend.h).
  double self_blend_ratio = 0;
  // Probability that a real track becomes a landmark face swap (train/synth/online_face_swap.h):
  // the face of another of the loader's real tracks, from another source clip and identity,
  // the nearest in landmarks of kSwapCandidates drawn at random. self_blend_ratio +
  // face_swap_ratio <= 1. A track with no such partner stays real.
  double face_swap_ratio = 0;
  int num_workers = 1;       // producer threads
  int prefetch_batches = 4;  // queue depth
  uint64_t seed = 0;
  // Data-parallel training: this loader serves shard `shard_index` of `shard_count`, whose
  // batch i is the epoch's batch i * shard_count + shard_index (the order, the batches and
  // each sample's randomness are those of one loader, whatever the shard count). Every
  // shard has the same number of batches; the last ones may be empty (0 rows).
  int shard_index = 0, shard_count = 1;
  nn::Preprocessing preprocessing;  // size, mean/std, channel order of the output
};
nlohmann::json LoaderOptionsToJson(const LoaderOptions& options);

struct Batch {
  nn::Tensor frames;               // [B, T, 3, H, W] float32 CPU, normalized as the preset says
  nn::Tensor labels;               // [B, 1] float32, 1 = fake
  std::vector<int> tracks;         // FaceStore::tracks() index per row
  std::vector<bool> self_blended;  // per row
  std::vector<bool> face_swapped;  // per row
};

class BatchLoader {
 public:
  // `track_indices`: which of store's tracks this loader serves (e.g. the training split's).
  BatchLoader(const FaceStore* store, std::vector<int> track_indices, const LoaderOptions& options);
  ~BatchLoader();  // stops and joins the producers
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  int64_t BatchesPerEpoch() const;
  // Starts producing epoch `epoch` (abandoning what is left of the previous one).
  void StartEpoch(int64_t epoch);
  // The epoch's next batch in order, blocking until it is ready; nullopt after the last.
  // `wait_seconds` (optional): how long this call blocked (data-loading stall).
  std::optional<Batch> Next(double* wait_seconds = nullptr);

 private:
  struct State;
  void Produce();  // a producer thread's loop

  std::unique_ptr<State> state_;
  std::vector<std::thread> workers_;
};

}  // namespace train::data

#endif  // TRAIN_DATA_LOADER_H_
