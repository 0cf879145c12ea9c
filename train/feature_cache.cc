// FeatureCache: frozen-trunk features per track, and the epoch order of feature batches.
#include "train/feature_cache.h"

#include <algorithm>
#include <random>

#include "nn/check.h"

namespace train {

FeatureCache FeatureCache::Build(nn::Detector& model, const data::FaceStore& store,
                                 const std::vector<int>& track_indices,
                                 const data::LoaderOptions& clip_options,
                                 const std::function<void(int64_t, int64_t)>& progress) {
  FeatureCache cache;
  cache.features_.resize(store.tracks().size());
  data::LoaderOptions options = clip_options;
  options.shuffle = false;
  options.drop_last = false;
  options.augment = false;
  options.temporal_jitter = false;
  options.self_blend_ratio = 0;
  options.face_swap_ratio = 0;
  options.balance = data::ClassBalance::kNone;
  options.shard_index = 0;  // every rank of a data-parallel run caches every track
  options.shard_count = 1;
  data::BatchLoader loader(&store, track_indices, options);
  const bool was_training = model.is_training();
  model.Eval();
  loader.StartEpoch(0);
  const int64_t total = loader.BatchesPerEpoch();
  int64_t done = 0;
  while (std::optional<data::Batch> batch = loader.Next()) {
    const nn::Tensor features =
        model.ExtractFeatures(batch->frames.To(model.device())).To(nn::Device::CPU());
    for (size_t row = 0; row < batch->tracks.size(); ++row) {
      const int64_t r = static_cast<int64_t>(row);
      cache.features_[batch->tracks[row]] =
          features.Slice(r, r + 1).Reshape({features.dim(1), features.dim(2)}).Clone();
    }
    if (progress) progress(++done, total);
  }
  model.Train(was_training);
  return cache;
}

bool FeatureCache::contains(int track) const {
  return track >= 0 && track < static_cast<int>(features_.size()) && features_[track].defined();
}

const nn::Tensor& FeatureCache::features(int track) const {
  NN_CHECK(contains(track)) << "FeatureCache: track " << track << " is not cached";
  return features_[track];
}

int64_t FeatureCache::size_bytes() const {
  int64_t bytes = 0;
  for (const nn::Tensor& t : features_) bytes += t.defined() ? t.numel() * 4 : 0;
  return bytes;
}

nn::Tensor FeatureCache::Batch(const std::vector<int>& tracks, nn::Device device) const {
  NN_CHECK(!tracks.empty()) << "FeatureCache::Batch of no tracks";
  const nn::Tensor& first = features(tracks[0]);
  nn::Tensor batch =
      nn::Tensor::Empty({static_cast<int64_t>(tracks.size()), first.dim(0), first.dim(1)});
  for (size_t i = 0; i < tracks.size(); ++i) {
    const int64_t r = static_cast<int64_t>(i);
    batch.Slice(r, r + 1).CopyFrom(features(tracks[i]).Reshape({1, first.dim(0), first.dim(1)}));
  }
  return device.is_cpu() ? batch : batch.To(device);
}

std::vector<int> EpochOrder(const std::vector<int>& tracks, const std::vector<int>& labels,
                            bool oversample, uint64_t seed, int64_t epoch) {
  NN_CHECK_EQ(tracks.size(), labels.size()) << "EpochOrder: tracks vs labels";
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(epoch) * 7919 + 17);
  std::vector<int> order;
  if (!oversample) {
    order = tracks;
    std::shuffle(order.begin(), order.end(), rng);
    return order;
  }
  std::vector<int> real, fake;
  for (size_t i = 0; i < tracks.size(); ++i) (labels[i] ? fake : real).push_back(tracks[i]);
  std::shuffle(real.begin(), real.end(), rng);
  std::shuffle(fake.begin(), fake.end(), rng);
  const size_t per_class = std::max(real.size(), fake.size());
  for (std::vector<int>* cls : {&real, &fake}) {
    for (size_t i = 0; i < per_class && !cls->empty(); ++i)
      order.push_back((*cls)[i % cls->size()]);
  }
  std::shuffle(order.begin(), order.end(), rng);
  return order;
}

}  // namespace train
