// BatchLoader: per-epoch sample order, per-sample randomness from (seed, epoch, position),
// and producer threads filling a bounded, in-order prefetch window.
//
// Why its own threads rather than base's pool: the pool's ParallelFor blocks its caller
// until the work is done, and the training step itself uses the pool for its kernels.
// Batches must be prepared *while* the step runs, so producers are long-lived threads that
// sleep on a condition variable when the window is full; their own kernels (augmentation)
// may still call the shared pool, which any number of threads may use at once.
#include "train/data/loader.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "nn/check.h"
#include "train/synth/online_face_swap.h"
#include "train/synth/online_self_blend.h"

namespace train::data {
namespace {

// SplitMix64's finalizer: a well-mixed 64-bit value from a few integers.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
uint64_t Seed(uint64_t seed, int64_t epoch, int64_t item, uint64_t tag) {
  return Mix(Mix(Mix(Mix(seed) ^ static_cast<uint64_t>(epoch)) ^ static_cast<uint64_t>(item)) ^
             tag);
}
constexpr uint64_t kOrderTag = 1, kSampleTag = 2;

}  // namespace

nlohmann::json LoaderOptionsToJson(const LoaderOptions& o) {
  return {
      {"batch_size", o.batch_size},
      {"sequence_length", o.sequence_length},
      {"samples_per_track", o.samples_per_track},
      {"shuffle", o.shuffle},
      {"drop_last", o.drop_last},
      {"balance", o.balance == ClassBalance::kOversample ? "oversample" : "none"},
      {"temporal_jitter", o.temporal_jitter},
      {"augment", o.augment},
      {"augmentations", o.augment ? AugmentOptionsToJson(o.augment_options) : nlohmann::json()},
      {"self_blend_ratio", o.self_blend_ratio},
      {"face_swap_ratio", o.face_swap_ratio},
      {"num_workers", o.num_workers},
      {"prefetch_batches", o.prefetch_batches},
      {"seed", o.seed},
      {"image_size", o.preprocessing.image_size},
      {"mean", o.preprocessing.mean},
      {"std", o.preprocessing.std},
      {"channel_order", nn::ChannelOrderName(o.preprocessing.channel_order)},
  };
}

// Everything the producers and the consumer share, behind one mutex.
struct BatchLoader::State {
  const FaceStore* store = nullptr;
  std::vector<int> tracks;
  std::vector<int> swap_sources;  // the real ones among `tracks` (face swaps' sources)
  LoaderOptions options;

  std::mutex mutex;
  std::condition_variable changed;  // any of the below changed
  bool stop = false;
  int64_t generation = 0;  // bumped by StartEpoch; stale results are dropped
  int64_t epoch = -1;
  // The epoch's samples (indices into store->tracks()); replaced, never modified, by
  // StartEpoch, so producers keep the one they started a batch with.
  std::shared_ptr<const std::vector<int>> order;
  int64_t num_batches = 0;
  int64_t next_to_produce = 0;  // next batch index a producer takes
  int64_t next_to_consume = 0;  // next batch index Next() returns
  std::map<int64_t, Batch> ready;

  // The epoch's batches over every shard, and this shard's.
  int64_t AllBatchesFor(int64_t samples) const {
    const int64_t b = options.batch_size;
    return options.drop_last ? samples / b : (samples + b - 1) / b;
  }
  int64_t BatchesFor(int64_t samples) const {
    return (AllBatchesFor(samples) + options.shard_count - 1) / options.shard_count;
  }
};

namespace {

// The epoch's sample order: every track samples_per_track times (or, oversampling, the
// minority class's tracks repeated, whole copies then a random subset, up to the majority's
// count), shuffled.
std::vector<int> EpochOrder(const FaceStore& store, const std::vector<int>& track_list,
                            const LoaderOptions& options, int64_t epoch) {
  std::mt19937_64 rng(Seed(options.seed, epoch, 0, kOrderTag));
  std::vector<int> tracks;
  for (int i = 0; i < options.samples_per_track; ++i) {
    tracks.insert(tracks.end(), track_list.begin(), track_list.end());
  }
  std::vector<int> order;
  if (options.balance == ClassBalance::kOversample) {
    std::vector<int> by_label[2];
    for (int t : tracks) by_label[store.videos()[store.tracks()[t].video].label != 0].push_back(t);
    const size_t target = std::max(by_label[0].size(), by_label[1].size());
    for (std::vector<int>& group : by_label) {
      if (group.empty()) continue;
      std::vector<int> picked;
      while (picked.size() + group.size() <= target) {
        picked.insert(picked.end(), group.begin(), group.end());
      }
      std::vector<int> rest = group;
      std::shuffle(rest.begin(), rest.end(), rng);
      picked.insert(picked.end(), rest.begin(), rest.begin() + (target - picked.size()));
      order.insert(order.end(), picked.begin(), picked.end());
    }
  } else {
    order = tracks;
  }
  if (options.shuffle) std::shuffle(order.begin(), order.end(), rng);
  return order;
}

// Which `length` of a track's `stored` frames a sample uses: evenly spaced (stretch starts),
// or with jitter one uniformly from each stretch [i*F/T, (i+1)*F/T): distinct and increasing
// when F >= T. Fewer stored frames than asked repeat frames.
std::vector<int> ChooseFrames(int stored, int length, bool jitter, std::mt19937_64& rng) {
  std::vector<int> frames(length);
  for (int i = 0; i < length; ++i) {
    const int64_t begin = int64_t{i} * stored / length;
    const int64_t end = std::max(begin + 1, int64_t{i + 1} * stored / length);
    frames[i] = static_cast<int>(
        jitter ? std::uniform_int_distribution<int64_t>(begin, end - 1)(rng) : begin);
  }
  return frames;
}

constexpr int kSwapCandidates = 8;

std::vector<synth::Landmarks> ClipLandmarks(const StoredTrack& track,
                                            const std::vector<int>& frames) {
  std::vector<synth::Landmarks> landmarks(frames.size());
  for (size_t t = 0; t < frames.size(); ++t) {
    const auto& points = track.landmarks[frames[t]];
    landmarks[t].resize(points.size());
    for (size_t i = 0; i < points.size(); ++i) landmarks[t][i] = {points[i][0], points[i][1]};
  }
  return landmarks;
}

// Whether two videos may be a swap's source and target: other source clips (a video is its
// own when none is given), no shared identity.
bool OtherPeople(const VideoItem& a, const VideoItem& b) {
  const std::string& clip_a = a.source_clip.empty() ? a.path : a.source_clip;
  const std::string& clip_b = b.source_clip.empty() ? b.path : b.source_clip;
  if (clip_a == clip_b) return false;
  for (const std::string& id : a.identities) {
    if (std::find(b.identities.begin(), b.identities.end(), id) != b.identities.end()) return false;
  }
  return true;
}

// A face swap's source for `target` (a track index), or -1: of kSwapCandidates tracks drawn
// from `sources`, those of other people, the one whose middle frame's landmarks are nearest.
int PickSwapSource(const FaceStore& store, int target, const std::vector<int>& sources,
                   std::mt19937_64& rng) {
  if (sources.empty()) return -1;
  const StoredTrack& t = store.tracks()[target];
  std::vector<int> candidates;
  std::vector<synth::Landmarks> landmarks;
  std::uniform_int_distribution<size_t> pick(0, sources.size() - 1);
  for (int i = 0; i < kSwapCandidates; ++i) {
    const int s = sources[pick(rng)];
    const StoredTrack& track = store.tracks()[s];
    if (!OtherPeople(store.videos()[track.video], store.videos()[t.video])) continue;
    candidates.push_back(s);
    landmarks.push_back(ClipLandmarks(track, {track.frames / 2})[0]);
  }
  std::vector<const synth::Landmarks*> pointers;
  for (const synth::Landmarks& l : landmarks) pointers.push_back(&l);
  const int best = synth::NearestLandmarks(ClipLandmarks(t, {t.frames / 2})[0], pointers);
  return best < 0 ? -1 : candidates[best];
}

// A clip's crops as [T, 3, size, size] floats in [0, 1].
nn::Tensor ClipCrops(const StoredTrack& track, const std::vector<int>& frames) {
  const int size = track.size, length = static_cast<int>(frames.size());
  const int64_t plane = int64_t{size} * size;
  nn::Tensor clip = nn::Tensor::Empty(nn::Shape{length, 3, size, size});
  float* c = clip.data<float>();
  for (int t = 0; t < length; ++t) {
    const uint8_t* rgb = track.rgb.data() + static_cast<size_t>(frames[t]) * plane * 3;
    float* out = c + t * 3 * plane;
    for (int64_t p = 0; p < plane; ++p) {
      for (int ch = 0; ch < 3; ++ch) out[ch * plane + p] = rgb[p * 3 + ch] / 255.0f;
    }
  }
  return clip;
}

// One sample, written into row `row` of the batch: crops -> [0,1] floats -> online fake
// (self-blend or face swap) -> augmentation -> normalization.
void MakeSample(const FaceStore& store, const LoaderOptions& o,
                const std::vector<int>& swap_sources, int64_t epoch, int64_t position,
                int track_index, int64_t row, Batch* batch) {
  const StoredTrack& track = store.tracks()[track_index];
  const int size = track.size;
  NN_CHECK_EQ(size, o.preprocessing.image_size)
      << "stored crops and the loader's preprocessing differ in size";
  const int length = o.sequence_length;
  std::mt19937_64 rng(Seed(o.seed, epoch, position, kSampleTag));
  const std::vector<int> frames = ChooseFrames(track.frames, length, o.temporal_jitter, rng);

  const int64_t plane = int64_t{size} * size;
  nn::Tensor clip = ClipCrops(track, frames);
  const float* c = clip.data<float>();
  int label = store.videos()[track.video].label != 0 ? 1 : 0;
  bool blended = false, swapped = false;
  const double u = std::uniform_real_distribution<double>(0, 1)(rng);
  if (label == 0 && u < o.self_blend_ratio) {
    synth::OnlineSelfBlendOptions blend;
    blend.consistent_over_clip = true;
    synth::SelfBlendCrops(&clip, ClipLandmarks(track, frames), blend, rng);
    label = 1;
    blended = true;
  } else if (label == 0 && u < o.self_blend_ratio + o.face_swap_ratio) {
    const int source_index = PickSwapSource(store, track_index, swap_sources, rng);
    if (source_index >= 0) {
      const StoredTrack& source = store.tracks()[source_index];
      const std::vector<int> source_frames =
          ChooseFrames(source.frames, length, o.temporal_jitter, rng);
      synth::SwapFaceCrops(&clip, ClipLandmarks(track, frames), ClipCrops(source, source_frames),
                           ClipLandmarks(source, source_frames), rng);
      label = 1;
      swapped = true;
    }
  }
  if (o.augment) AugmentClip(&clip, o.augment_options, rng);

  // Normalize into the batch, planes in the preset's channel order.
  const nn::Preprocessing& p = o.preprocessing;
  const int source[3] = {p.channel_order == nn::ChannelOrder::kBgr ? 2 : 0, 1,
                         p.channel_order == nn::ChannelOrder::kBgr ? 0 : 2};
  float* dst = batch->frames.data<float>() + row * length * 3 * plane;
  for (int t = 0; t < length; ++t) {
    for (int ch = 0; ch < 3; ++ch) {
      const float* in = c + (t * 3 + source[ch]) * plane;
      float* out = dst + (t * 3 + ch) * plane;
      const float mean = p.mean[ch], inv_std = 1.0f / p.std[ch];
      for (int64_t i = 0; i < plane; ++i) out[i] = (in[i] - mean) * inv_std;
    }
  }
  batch->labels.data<float>()[row] = static_cast<float>(label);
  batch->tracks[row] = track_index;
  batch->self_blended[row] = blended;
  batch->face_swapped[row] = swapped;
}

// The shard's batch `index`: the epoch's batch index * shard_count + shard_index, empty
// past the epoch's `all_batches`.
Batch MakeBatch(const FaceStore& store, const LoaderOptions& options,
                const std::vector<int>& swap_sources, int64_t epoch, const std::vector<int>& order,
                int64_t all_batches, int64_t index) {
  const int64_t global = index * options.shard_count + options.shard_index;
  const int64_t begin = global * options.batch_size;
  const int64_t end =
      global < all_batches ? std::min<int64_t>(begin + options.batch_size, order.size()) : begin;
  const int64_t rows = end - begin;
  const int size = options.preprocessing.image_size;
  Batch batch;
  batch.frames = nn::Tensor::Empty(nn::Shape{rows, options.sequence_length, 3, size, size});
  batch.labels = nn::Tensor::Empty(nn::Shape{rows, 1});
  batch.tracks.resize(rows);
  batch.self_blended.resize(rows);
  batch.face_swapped.resize(rows);
  for (int64_t r = 0; r < rows; ++r) {
    MakeSample(store, options, swap_sources, epoch, begin + r, order[begin + r], r, &batch);
  }
  return batch;
}

}  // namespace

BatchLoader::BatchLoader(const FaceStore* store, std::vector<int> track_indices,
                         const LoaderOptions& options)
    : state_(std::make_unique<State>()) {
  NN_CHECK(store != nullptr);
  NN_CHECK_GT(options.batch_size, 0);
  NN_CHECK_GT(options.sequence_length, 0);
  NN_CHECK_GT(options.num_workers, 0);
  NN_CHECK_GT(options.prefetch_batches, 0);
  NN_CHECK(options.shard_count > 0 && options.shard_index >= 0 &&
           options.shard_index < options.shard_count)
      << "shard " << options.shard_index << " of " << options.shard_count;
  NN_CHECK(options.self_blend_ratio >= 0 && options.face_swap_ratio >= 0 &&
           options.self_blend_ratio + options.face_swap_ratio <= 1)
      << "self_blend_ratio " << options.self_blend_ratio << ", face_swap_ratio "
      << options.face_swap_ratio;
  for (int t : track_indices) {
    NN_CHECK(t >= 0 && t < static_cast<int>(store->tracks().size()))
        << "track " << t << " of " << store->tracks().size();
  }
  state_->store = store;
  state_->tracks = std::move(track_indices);
  for (int t : state_->tracks) {
    if (store->videos()[store->tracks()[t].video].label == 0) state_->swap_sources.push_back(t);
  }
  state_->options = options;
  for (int w = 0; w < options.num_workers; ++w) {
    workers_.emplace_back([this] { Produce(); });
  }
}

BatchLoader::~BatchLoader() {
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->stop = true;
  }
  state_->changed.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

int64_t BatchLoader::BatchesPerEpoch() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  if (state_->epoch >= 0) return state_->num_batches;
  // Before the first epoch: the size the order will have.
  return state_->BatchesFor(
      static_cast<int64_t>(EpochOrder(*state_->store, state_->tracks, state_->options, 0).size()));
}

void BatchLoader::StartEpoch(int64_t epoch) {
  std::vector<int> order = EpochOrder(*state_->store, state_->tracks, state_->options, epoch);
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    ++state_->generation;
    state_->epoch = epoch;
    state_->num_batches = state_->BatchesFor(static_cast<int64_t>(order.size()));
    state_->order = std::make_shared<const std::vector<int>>(std::move(order));
    state_->next_to_produce = 0;
    state_->next_to_consume = 0;
    state_->ready.clear();
  }
  state_->changed.notify_all();
}

std::optional<Batch> BatchLoader::Next(double* wait_seconds) {
  const auto start = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(state_->mutex);
  NN_CHECK_GE(state_->epoch, 0) << "BatchLoader::Next before StartEpoch";
  std::optional<Batch> result;
  if (state_->next_to_consume < state_->num_batches) {
    const int64_t index = state_->next_to_consume;
    state_->changed.wait(lock, [&] { return state_->ready.count(index) > 0; });
    auto it = state_->ready.find(index);
    result = std::move(it->second);
    state_->ready.erase(it);
    ++state_->next_to_consume;
  }
  lock.unlock();
  state_->changed.notify_all();  // the window moved
  if (wait_seconds != nullptr) {
    *wait_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  return result;
}

void BatchLoader::Produce() {
  State& s = *state_;
  std::unique_lock<std::mutex> lock(s.mutex);
  while (true) {
    s.changed.wait(lock, [&] {
      return s.stop || (s.epoch >= 0 && s.next_to_produce < s.num_batches &&
                        s.next_to_produce < s.next_to_consume + s.options.prefetch_batches);
    });
    if (s.stop) return;
    const int64_t index = s.next_to_produce++;
    const int64_t generation = s.generation, epoch = s.epoch;
    const std::shared_ptr<const std::vector<int>> order = s.order;
    lock.unlock();
    Batch batch = MakeBatch(*s.store, s.options, s.swap_sources, epoch, *order,
                            s.AllBatchesFor(static_cast<int64_t>(order->size())), index);
    lock.lock();
    if (s.generation == generation) {
      s.ready.emplace(index, std::move(batch));
      s.changed.notify_all();
    }
  }
}

}  // namespace train::data
