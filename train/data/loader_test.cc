// Tests for BatchLoader: exact normalization, batches that depend only on (seed, epoch,
// batch index) and not on the worker count, class balance, self-blending, temporal jitter,
// clean shutdown mid-epoch, and batches from the committed fixture clips.
#include "train/data/loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <set>

#include "base/testing/test_paths.h"
#include "nn/models/presets.h"
#include "train/data/dataset.h"
#include "train/data/face_store.h"
#include "train/synth/face_template.h"

namespace train::data {
namespace {

constexpr int kSize = 16;

// A track of `frames` size x size crops, pixel(f, x, y, c) each, with the template
// landmarks of an aligned crop.
StoredTrack TrackOf(int video, int frames, int size,
                    const std::function<int(int f, int x, int y, int c)>& pixel) {
  StoredTrack track;
  track.video = video;
  track.frames = frames;
  track.size = size;
  const synth::Landmarks lm = synth::AlignedCropLandmarks(size, 1.3);
  for (int f = 0; f < frames; ++f) {
    for (int y = 0; y < size; ++y)
      for (int x = 0; x < size; ++x)
        for (int c = 0; c < 3; ++c) track.rgb.push_back(static_cast<uint8_t>(pixel(f, x, y, c)));
    std::vector<std::array<float, 2>> points;
    for (const synth::Point& p : lm) points.push_back({float(p.x), float(p.y)});
    track.landmarks.push_back(points);
  }
  return track;
}

// A track whose frame f has every pixel = (base + f, base + f + 1, base + f + 2).
StoredTrack Track(int video, int frames, int base) {
  return TrackOf(video, frames, kSize, [&](int f, int, int, int c) { return base + f + c; });
}

// `reals` real and `fakes` fake videos, one track each, of `frames` frames; video v's
// pixels start at 10 * v.
FaceStore Store(int reals, int fakes, int frames = 4) {
  std::vector<VideoItem> videos;
  std::vector<StoredTrack> tracks;
  for (int v = 0; v < reals + fakes; ++v) {
    videos.push_back({"/v" + std::to_string(v) + ".mp4", v < reals ? 0 : 1, {}, "", ""});
    tracks.push_back(Track(v, frames, 10 * v));
  }
  return FaceStore::FromTracks(videos, tracks);
}

std::vector<int> All(const FaceStore& store) {
  std::vector<int> all(store.tracks().size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);
  return all;
}

LoaderOptions Options() {
  LoaderOptions o;
  o.batch_size = 3;
  o.sequence_length = 4;
  o.preprocessing.image_size = kSize;
  o.preprocessing.frames = 4;
  o.seed = 42;
  return o;
}

std::vector<Batch> Epoch(BatchLoader& loader, int64_t epoch) {
  loader.StartEpoch(epoch);
  std::vector<Batch> batches;
  while (std::optional<Batch> b = loader.Next()) batches.push_back(*std::move(b));
  return batches;
}

// How many samples of epoch 0 each track gave.
std::map<int, int> TimesSeen(BatchLoader& loader) {
  std::map<int, int> seen;
  for (const Batch& b : Epoch(loader, 0)) {
    for (int t : b.tracks) ++seen[t];
  }
  return seen;
}

bool SameBytes(const nn::Tensor& a, const nn::Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.raw_data(), b.raw_data(), a.bytes()) == 0;
}

bool SameBatches(const std::vector<Batch>& a, const std::vector<Batch>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!SameBytes(a[i].frames, b[i].frames) || !SameBytes(a[i].labels, b[i].labels) ||
        a[i].tracks != b[i].tracks || a[i].self_blended != b[i].self_blended ||
        a[i].face_swapped != b[i].face_swapped) {
      return false;
    }
  }
  return true;
}

TEST(LoaderTest, NormalizesExactly) {
  const FaceStore store = Store(1, 1);
  for (const nn::ChannelOrder order : {nn::ChannelOrder::kRgb, nn::ChannelOrder::kBgr}) {
    LoaderOptions o = Options();
    o.shuffle = false;
    o.batch_size = 2;
    o.preprocessing.channel_order = order;
    o.preprocessing.mean = {0.1f, 0.2f, 0.3f};
    o.preprocessing.std = {0.5f, 0.25f, 2.0f};
    BatchLoader loader(&store, All(store), o);
    ASSERT_EQ(loader.BatchesPerEpoch(), 1);
    const std::vector<Batch> batches = Epoch(loader, 0);
    ASSERT_EQ(batches.size(), 1u);
    const Batch& b = batches[0];
    ASSERT_EQ(b.frames.shape(), nn::Shape({2, 4, 3, kSize, kSize}));
    ASSERT_EQ(b.labels.shape(), nn::Shape({2, 1}));
    EXPECT_EQ(b.labels.data<float>()[0], 0.f);
    EXPECT_EQ(b.labels.data<float>()[1], 1.f);
    EXPECT_THAT(b.tracks, ::testing::ElementsAre(0, 1));
    EXPECT_THAT(b.self_blended, ::testing::ElementsAre(false, false));
    const float* x = b.frames.data<float>();
    const int64_t plane = kSize * kSize;
    for (int n = 0; n < 2; ++n) {
      for (int t = 0; t < 4; ++t) {
        for (int c = 0; c < 3; ++c) {
          const int rgb_channel = order == nn::ChannelOrder::kBgr ? 2 - c : c;
          const float value = (10 * n + t + rgb_channel) / 255.0f;
          const float expected = (value - o.preprocessing.mean[c]) / o.preprocessing.std[c];
          const float* p = x + ((n * 4 + t) * 3 + c) * plane;
          EXPECT_NEAR(p[0], expected, 1e-6) << n << " " << t << " " << c;
          EXPECT_EQ(p[plane - 1], p[0]);
        }
      }
    }
  }
}

// With every random step on, batches are a function of (seed, epoch, index) only.
TEST(LoaderTest, WorkerCountDoesNotChangeBatches) {
  const FaceStore store = Store(5, 3, 8);
  LoaderOptions o = Options();
  o.balance = ClassBalance::kOversample;
  o.temporal_jitter = true;
  o.self_blend_ratio = 0.5;
  o.face_swap_ratio = 0.3;
  o.augment = true;
  o.augment_options = AugmentOptionsForPreset(*nn::GetPreset("tiny"));
  o.augment_options.h264_probability = 0;  // 16 px crops: keep the test fast
  o.num_workers = 1;
  BatchLoader one(&store, All(store), o);
  o.num_workers = 3;
  o.prefetch_batches = 2;
  BatchLoader three(&store, All(store), o);
  const std::vector<Batch> a0 = Epoch(one, 0), a1 = Epoch(one, 1);
  const std::vector<Batch> b0 = Epoch(three, 0), b1 = Epoch(three, 1);
  EXPECT_EQ(a0.size(), 4u);  // 10 samples (5 real + 5 fake), batches of 3
  EXPECT_EQ(a0.back().labels.dim(0), 1);
  EXPECT_TRUE(SameBatches(a0, b0));
  EXPECT_TRUE(SameBatches(a1, b1));
  EXPECT_FALSE(SameBatches(a0, a1));  // a new epoch: new order and new draws
  // Resuming at epoch 1 in a fresh loader gives the same batches.
  BatchLoader resumed(&store, All(store), o);
  EXPECT_TRUE(SameBatches(Epoch(resumed, 1), a1));
}

// Data-parallel shards: shard r's batch i is one loader's batch i * shards + r, byte for
// byte (same order, same per-sample randomness); the last batches of a shard may be empty.
TEST(LoaderTest, ShardsInterleaveTheBatchesOfOneLoader) {
  const FaceStore store = Store(5, 3, 8);
  LoaderOptions o = Options();
  o.balance = ClassBalance::kOversample;
  o.temporal_jitter = true;
  o.self_blend_ratio = 0.5;
  o.augment = true;
  o.augment_options = AugmentOptionsForPreset(*nn::GetPreset("tiny"));
  o.augment_options.h264_probability = 0;
  BatchLoader whole(&store, All(store), o);
  const std::vector<Batch> all = Epoch(whole, 1);
  ASSERT_EQ(all.size(), 4u);  // 10 samples in batches of 3
  for (int shards : {2, 3}) {
    for (int r = 0; r < shards; ++r) {
      o.shard_count = shards;
      o.shard_index = r;
      BatchLoader shard(&store, All(store), o);
      const int64_t per_shard = (4 + shards - 1) / shards;
      EXPECT_EQ(shard.BatchesPerEpoch(), per_shard);
      const std::vector<Batch> mine = Epoch(shard, 1);
      ASSERT_EQ(static_cast<int64_t>(mine.size()), per_shard);
      for (int64_t i = 0; i < per_shard; ++i) {
        const int64_t global = i * shards + r;
        if (global < 4) {
          EXPECT_TRUE(SameBatches({mine[i]}, {all[global]})) << shards << " " << r << " " << i;
        } else {
          EXPECT_EQ(mine[i].frames.dim(0), 0);
          EXPECT_EQ(mine[i].labels.dim(0), 0);
          EXPECT_TRUE(mine[i].tracks.empty());
        }
      }
    }
  }
}

TEST(LoaderTest, OversamplingBalancesClasses) {
  const FaceStore store = Store(6, 2);
  LoaderOptions o = Options();
  o.balance = ClassBalance::kOversample;
  o.batch_size = 4;
  BatchLoader loader(&store, All(store), o);
  EXPECT_EQ(loader.BatchesPerEpoch(), 3);
  std::map<int, int> seen;
  int fakes = 0;
  for (const Batch& b : Epoch(loader, 0)) {
    for (int64_t r = 0; r < b.labels.dim(0); ++r) fakes += b.labels.data<float>()[r] == 1.f;
    for (int t : b.tracks) ++seen[t];
  }
  EXPECT_EQ(fakes, 6);
  for (int t = 0; t < 6; ++t) EXPECT_EQ(seen[t], 1) << t;
  EXPECT_EQ(seen[6], 3);
  EXPECT_EQ(seen[7], 3);

  // 5 real, 2 fake: two whole copies of the fakes, then one more drawn at random.
  const FaceStore uneven = Store(5, 2);
  BatchLoader loader2(&uneven, All(uneven), o);
  std::map<int, int> count = TimesSeen(loader2);
  EXPECT_EQ(count[5] + count[6], 5);
  EXPECT_GE(std::min(count[5], count[6]), 2);

  o.balance = ClassBalance::kNone;
  BatchLoader plain(&store, All(store), o);
  EXPECT_EQ(plain.BatchesPerEpoch(), 2);  // 8 samples
}

TEST(LoaderTest, SamplesPerTrackRepeatsEveryTrackBeforeOversampling) {
  const FaceStore store = Store(5, 2);
  LoaderOptions o = Options();
  o.batch_size = 4;
  o.samples_per_track = 3;
  BatchLoader plain(&store, All(store), o);
  EXPECT_EQ(plain.BatchesPerEpoch(), 6);  // 21 samples
  std::map<int, int> seen = TimesSeen(plain);
  for (int t = 0; t < 7; ++t) EXPECT_EQ(seen[t], 3) << t;
  // Oversampling then balances the 15 real and 6 fake samples: 15 fakes, every one of the
  // two fake tracks at least 3 times.
  o.balance = ClassBalance::kOversample;
  BatchLoader balanced(&store, All(store), o);
  std::map<int, int> count = TimesSeen(balanced);
  EXPECT_EQ(count[5] + count[6], 15);
  EXPECT_GE(std::min(count[5], count[6]), 6);
  for (int t = 0; t < 5; ++t) EXPECT_EQ(count[t], 3) << t;
}

TEST(LoaderTest, SelfBlendTurnsRealsIntoFakes) {
  const FaceStore store = Store(3, 2);
  LoaderOptions o = Options();
  o.shuffle = false;
  o.batch_size = 5;
  o.self_blend_ratio = 1;
  BatchLoader loader(&store, All(store), o);
  o.self_blend_ratio = 0;
  BatchLoader plain(&store, All(store), o);
  const Batch b = Epoch(loader, 0)[0], p = Epoch(plain, 0)[0];
  const int64_t sample = 4 * 3 * kSize * kSize;
  for (int r = 0; r < 5; ++r) {
    const bool real = r < 3;
    EXPECT_EQ(b.self_blended[r], real) << r;
    EXPECT_EQ(b.labels.data<float>()[r], 1.f) << r;
    EXPECT_EQ(p.labels.data<float>()[r], real ? 0.f : 1.f) << r;
    const bool same = std::memcmp(b.frames.data<float>() + r * sample,
                                  p.frames.data<float>() + r * sample, sample * 4) == 0;
    EXPECT_EQ(same, !real) << r;  // blended reals changed, fakes untouched
  }
}

// A textured 48 px track: pixel (x, y) of video v varies with v's own pattern, so that a
// swapped face stays visible after the colour transfer.
StoredTrack TexturedTrack(int video, int frames) {
  return TrackOf(video, frames, 48, [&](int, int x, int y, int c) {
    return 60 + 40 * video + c * 10 + ((video % 2 ? x : y) * (video + 3) % 23) * 4;
  });
}

TEST(LoaderTest, FaceSwapGivesRealsAnotherPersonsFace) {
  // Videos 0-2 real (0 and 1 show the same person), 3 fake.
  std::vector<VideoItem> videos = {{"/a.mp4", 0, {"ann"}, "", ""},
                                   {"/b.mp4", 0, {"ann"}, "", ""},
                                   {"/c.mp4", 0, {"cid"}, "", ""},
                                   {"/d.mp4", 1, {"dee"}, "", ""}};
  std::vector<StoredTrack> tracks;
  for (int v = 0; v < 4; ++v) tracks.push_back(TexturedTrack(v, 2));
  const FaceStore store = FaceStore::FromTracks(videos, tracks);
  LoaderOptions o = Options();
  o.shuffle = false;
  o.batch_size = 4;
  o.sequence_length = 2;
  o.preprocessing.image_size = 48;
  o.face_swap_ratio = 1;
  BatchLoader loader(&store, All(store), o);
  o.face_swap_ratio = 0;
  BatchLoader plain(&store, All(store), o);
  const Batch b = Epoch(loader, 0)[0], p = Epoch(plain, 0)[0];
  const int64_t sample = 2 * 3 * 48 * 48;
  for (int r = 0; r < 4; ++r) {
    const bool real = r < 3;
    EXPECT_EQ(b.face_swapped[r], real) << r;  // every real has a partner of another person
    EXPECT_FALSE(b.self_blended[r]) << r;
    EXPECT_EQ(b.labels.data<float>()[r], 1.f) << r;
    const float *x = b.frames.data<float>() + r * sample, *y = p.frames.data<float>() + r * sample;
    int changed = 0;
    for (int64_t i = 0; i < sample; ++i) changed += x[i] != y[i];
    if (real) {
      EXPECT_GT(changed, sample / 20) << r;  // the face changed
      EXPECT_EQ(x[0], y[0]) << r;            // the corner did not
    } else {
      EXPECT_EQ(changed, 0) << r;  // fakes untouched
    }
  }
  // Only the same person to swap with: the real stays real.
  StoredTrack second = tracks[1];
  second.video = 1;
  const FaceStore pair = FaceStore::FromTracks({videos[0], videos[1]}, {tracks[0], second});
  o.face_swap_ratio = 1;
  BatchLoader lonely(&pair, All(pair), o);
  const Batch l = Epoch(lonely, 0)[0];
  EXPECT_THAT(l.face_swapped, ::testing::ElementsAre(false, false));
  EXPECT_EQ(l.labels.data<float>()[0], 0.f);
}

TEST(LoaderTest, TemporalJitterPicksDistinctIncreasingFrames) {
  const FaceStore store = Store(1, 0, 12);  // frame f: red = f
  LoaderOptions o = Options();
  o.batch_size = 1;
  o.sequence_length = 4;
  auto frames_of = [&](const Batch& b) {
    std::vector<int> frames;
    const int64_t plane = kSize * kSize;
    for (int t = 0; t < 4; ++t) {
      const float red = b.frames.data<float>()[t * 3 * plane];
      frames.push_back(static_cast<int>(
          std::lround((red * o.preprocessing.std[0] + o.preprocessing.mean[0]) * 255)));
    }
    return frames;
  };
  BatchLoader even(&store, All(store), o);
  EXPECT_THAT(frames_of(Epoch(even, 0)[0]), ::testing::ElementsAre(0, 3, 6, 9));
  o.temporal_jitter = true;
  BatchLoader jitter(&store, All(store), o);
  std::set<std::vector<int>> choices;
  for (int epoch = 0; epoch < 20; ++epoch) {
    const std::vector<int> f = frames_of(Epoch(jitter, epoch)[0]);
    for (int t = 0; t < 4; ++t) {
      EXPECT_GE(f[t], 3 * t);
      EXPECT_LT(f[t], 3 * t + 3);
    }
    choices.insert(f);
  }
  EXPECT_GT(choices.size(), 5u);
}

TEST(LoaderTest, DropLastAndPartialBatches) {
  const FaceStore store = Store(4, 3);
  LoaderOptions o = Options();
  BatchLoader keep(&store, All(store), o);
  EXPECT_EQ(keep.BatchesPerEpoch(), 3);
  const std::vector<Batch> batches = Epoch(keep, 0);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[2].frames.dim(0), 1);
  o.drop_last = true;
  BatchLoader drop(&store, All(store), o);
  EXPECT_EQ(drop.BatchesPerEpoch(), 2);
  EXPECT_EQ(Epoch(drop, 0).size(), 2u);
  // A subset of the tracks.
  BatchLoader subset(&store, {1, 5}, Options());
  const std::vector<Batch> s = Epoch(subset, 0);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_THAT(s[0].tracks, ::testing::UnorderedElementsAre(1, 5));
}

TEST(LoaderTest, RestartsAndStopsMidEpoch) {
  const FaceStore store = Store(20, 20);
  LoaderOptions o = Options();
  o.num_workers = 3;
  o.prefetch_batches = 2;
  BatchLoader fresh(&store, All(store), o);
  const std::vector<Batch> epoch2 = Epoch(fresh, 2);
  {
    BatchLoader loader(&store, All(store), o);
    loader.StartEpoch(0);
    double wait = -1;
    ASSERT_TRUE(loader.Next(&wait).has_value());
    EXPECT_GE(wait, 0);
    // Abandon epoch 0 after one batch: epoch 2 is exactly a fresh loader's.
    EXPECT_TRUE(SameBatches(Epoch(loader, 2), epoch2));
    loader.StartEpoch(3);
    ASSERT_TRUE(loader.Next().has_value());
  }  // destroyed mid-epoch with producers waiting on a full window: must not hang
  SUCCEED();
}

TEST(LoaderDeathTest, NextBeforeStartEpoch) {
  const FaceStore store = Store(1, 1);
  BatchLoader loader(&store, All(store), Options());
  EXPECT_DEATH(loader.Next(), "BatchLoader::Next before StartEpoch");
}

TEST(LoaderTest, OptionsJson) {
  LoaderOptions o = Options();
  o.balance = ClassBalance::kOversample;
  o.augment = true;
  const nlohmann::json json = LoaderOptionsToJson(o);
  EXPECT_EQ(json["batch_size"], 3);
  EXPECT_EQ(json["balance"], "oversample");
  EXPECT_EQ(json["augmentations"], AugmentOptionsToJson(o.augment_options));
  EXPECT_EQ(json["channel_order"], "RGB");
  EXPECT_EQ(json["seed"], 42);
}

// The real pipeline: fixture clips -> FaceStore (tiny preset) -> batches.
TEST(LoaderTest, BatchesFromFixtureClips) {
  absl::StatusOr<std::vector<VideoItem>> items = ItemsFromManifest("train/testdata/manifest.json");
  ASSERT_TRUE(items.ok()) << items.status();
  items->resize(4);
  FaceStoreOptions store_options;
  store_options.cache_dir = base::testing::TestTempDir("cache");
  const nn::ModelPreset tiny = *nn::GetPreset("tiny");
  absl::StatusOr<FaceStore> store = FaceStore::Build(*items, tiny, store_options);
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_EQ(store->tracks().size(), 4u);
  LoaderOptions o;
  o.batch_size = 4;
  o.sequence_length = tiny.preprocessing.frames;
  o.preprocessing = tiny.preprocessing;
  o.augment = true;
  o.augment_options = AugmentOptionsForPreset(tiny);
  o.self_blend_ratio = 0.5;
  BatchLoader loader(&*store, All(*store), o);
  const std::vector<Batch> batches = Epoch(loader, 0);
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].frames.shape(), nn::Shape({4, 4, 3, 32, 32}));
  // Normalized ImageNet-style: values well inside [-3, 3].
  const float* x = batches[0].frames.data<float>();
  for (int64_t i = 0; i < batches[0].frames.numel(); ++i) {
    ASSERT_TRUE(x[i] > -2.2f && x[i] < 2.7f) << i << ": " << x[i];
  }
}

}  // namespace
}  // namespace train::data
