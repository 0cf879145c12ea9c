// Feature-cache training for CPUs: with the backbone frozen, every frame's feature vector
// (2048-d for ResNeXt-50) depends only on the frame, so it is computed once per run and
// the LSTM and head train on the cached [T, C] sequences — an epoch costs the LSTM's time,
// not the backbone's (about 100x less for the default preset). Augmentation cannot reach
// cached features, so this mode trains on the stored frames as they are.
#ifndef TRAIN_FEATURE_CACHE_H_
#define TRAIN_FEATURE_CACHE_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "nn/models/detector.h"
#include "nn/tensor.h"
#include "train/data/loader.h"

namespace train {

class FeatureCache {
 public:
  // Runs `model`'s frozen trunk (eval mode is set for the call) over the clips that a
  // non-augmenting, non-shuffling loader with `clip_options` makes of `track_indices`,
  // and keeps each track's features [T, C] on the CPU. `progress(done, total)` after each
  // batch.
  static FeatureCache Build(nn::Detector& model, const data::FaceStore& store,
                            const std::vector<int>& track_indices,
                            const data::LoaderOptions& clip_options,
                            const std::function<void(int64_t, int64_t)>& progress = nullptr);

  // Features of store track `track` ([T, C]); the track must be cached.
  const nn::Tensor& features(int track) const;
  bool contains(int track) const;
  int64_t size_bytes() const;

  // [B, T, C] on `device` for `tracks`.
  nn::Tensor Batch(const std::vector<int>& tracks, nn::Device device) const;

 private:
  std::vector<nn::Tensor> features_;  // by store track index; undefined when not cached
};

// The order of one training epoch over `tracks` (with `labels`, 1 = fake): shuffled by
// (seed, epoch); with `oversample`, the minority class repeated (cycled through its own
// shuffled order) until both classes have as many entries as the larger one. A pure
// function of its arguments, so a resumed run sees the same order.
std::vector<int> EpochOrder(const std::vector<int>& tracks, const std::vector<int>& labels,
                            bool oversample, uint64_t seed, int64_t epoch);

}  // namespace train

#endif  // TRAIN_FEATURE_CACHE_H_
