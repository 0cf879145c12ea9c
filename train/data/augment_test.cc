// Tests of train/data/augment.h: each augmentation alone (identity when off, deterministic in
// the generator, one transform for every frame, values in [0, 1], its own property: exact
// flip, luma-preserving hue, bounded compression error, erased box area), the presets'
// recipes, and the JSON round trip with its error messages.
#include "train/data/augment.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nn/models/presets.h"
#include "nn/tensor.h"

namespace train::data {
namespace {

using ::testing::HasSubstr;

// A smooth, face-like test picture with some edges and texture, values in [0.05, 0.95];
// frame t is shifted by `motion` * t pixels (0: identical frames); `texture` is the
// amplitude of a pattern near the sampling limit, which 4:2:0 chroma cannot keep.
nn::Tensor MakeClip(int frames, int height, int width, double motion = 0, double texture = 0.04) {
  nn::Tensor clip = nn::Tensor::Empty({frames, 3, height, width});
  float* p = clip.data<float>();
  for (int t = 0; t < frames; ++t) {
    for (int c = 0; c < 3; ++c) {
      for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) {
          const double u = (x + motion * t) / width, v = double(y) / height;
          double value = 0.45 + 0.25 * std::sin(6.0 * u + c) * std::cos(4.0 * v - c);
          const double dx = u - 0.5, dy = v - 0.45;
          if (dx * dx / 0.09 + dy * dy / 0.16 < 1) value += 0.15 * (c == 0 ? 1 : -0.5);  // face
          value += texture * std::sin(1.7 * x + 2.3 * y + c);
          *p++ = static_cast<float>(std::min(0.95, std::max(0.05, value)));
        }
      }
    }
  }
  return clip;
}

std::vector<float> Values(const nn::Tensor& t) {
  return std::vector<float>(t.data<float>(), t.data<float>() + t.numel());
}

double Psnr(const nn::Tensor& a, const nn::Tensor& b) {
  double se = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    const double d = a.data<float>()[i] - b.data<float>()[i];
    se += d * d;
  }
  return 10 * std::log10(1.0 / (se / a.numel()));
}

bool FramesIdentical(const nn::Tensor& clip) {
  const int64_t frame = clip.numel() / clip.dim(0);
  const float* p = clip.data<float>();
  for (int64_t t = 1; t < clip.dim(0); ++t) {
    if (!std::equal(p, p + frame, p + t * frame)) return false;
  }
  return true;
}

// Options with only one augmentation, always applied.
struct Single {
  std::string name;
  std::function<void(AugmentOptions*)> enable;
};
std::vector<Single> Singles() {
  return {
      {"hflip", [](AugmentOptions* o) { o->hflip_probability = 1; }},
      {"color_jitter", [](AugmentOptions* o) { o->color_jitter_probability = 1; }},
      {"downscale", [](AugmentOptions* o) { o->downscale_probability = 1; }},
      {"blur", [](AugmentOptions* o) { o->blur_probability = 1; }},
      {"noise", [](AugmentOptions* o) { o->noise_probability = 1; }},
      {"jpeg", [](AugmentOptions* o) { o->jpeg_probability = 1; }},
      {"h264", [](AugmentOptions* o) { o->h264_probability = 1; }},
      {"erase", [](AugmentOptions* o) { o->erase_probability = 1; }},
  };
}

class EachAugmentation : public ::testing::TestWithParam<int> {
 protected:
  AugmentOptions Options() const {
    AugmentOptions options = NoAugmentation();
    Singles()[GetParam()].enable(&options);
    return options;
  }
};

INSTANTIATE_TEST_SUITE_P(All, EachAugmentation, ::testing::Range(0, 8),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return Singles()[info.param].name;
                         });

TEST_P(EachAugmentation, ChangesTheClipKeepsShapeAndRange) {
  const nn::Tensor original = MakeClip(4, 30, 38, 1.5);
  nn::Tensor clip = original.Clone();
  std::mt19937_64 rng(7);
  AugmentClip(&clip, Options(), rng);
  EXPECT_EQ(clip.shape(), original.shape());
  EXPECT_NE(Values(clip), Values(original));
  for (float v : Values(clip)) {
    ASSERT_GE(v, 0.0f);
    ASSERT_LE(v, 1.0f);
  }
}

TEST_P(EachAugmentation, IdentityAtProbabilityZero) {
  const nn::Tensor original = MakeClip(3, 24, 24, 1);
  nn::Tensor clip = original.Clone();
  AugmentOptions options = Options();
  std::mt19937_64 rng(3);
  // Probability 0 for this one (all others are off too).
  options.hflip_probability = options.color_jitter_probability = options.downscale_probability =
      options.blur_probability = options.noise_probability = options.jpeg_probability =
          options.h264_probability = options.erase_probability = 0;
  AugmentClip(&clip, options, rng);
  EXPECT_EQ(Values(clip), Values(original));
  EXPECT_EQ(rng, std::mt19937_64(3)) << "an augmentation that is off must draw nothing";
}

TEST_P(EachAugmentation, DeterministicInTheGenerator) {
  const nn::Tensor original = MakeClip(4, 32, 32, 1);
  nn::Tensor a = original.Clone(), b = original.Clone();
  std::mt19937_64 rng_a(11), rng_b(11);
  AugmentClip(&a, Options(), rng_a);
  AugmentClip(&b, Options(), rng_b);
  EXPECT_EQ(Values(a), Values(b));
  EXPECT_EQ(rng_a, rng_b);
  if (Singles()[GetParam()].name == "hflip") return;  // no parameter to draw
  // Another seed draws another transform.
  nn::Tensor c = original.Clone();
  std::mt19937_64 rng_c(12);
  AugmentClip(&c, Options(), rng_c);
  EXPECT_NE(Values(a), Values(c));
}

TEST_P(EachAugmentation, SameTransformOnEveryFrame) {
  for (int seed = 0; seed < 3; ++seed) {
    nn::Tensor clip = MakeClip(5, 26, 34);  // identical frames, odd-sized for H.264 padding
    ASSERT_TRUE(FramesIdentical(clip));
    std::mt19937_64 rng(seed);
    AugmentClip(&clip, Options(), rng);
    EXPECT_TRUE(FramesIdentical(clip)) << "seed " << seed;
  }
}

TEST_P(EachAugmentation, WorksOnTinyOddClips) {
  for (const auto& [frames, height, width] : {std::tuple{1, 1, 1}, {2, 5, 7}, {3, 2, 9}}) {
    nn::Tensor clip = MakeClip(frames, height, width);
    std::mt19937_64 rng(2);
    AugmentClip(&clip, Options(), rng);
    for (float v : Values(clip)) ASSERT_TRUE(v >= 0 && v <= 1) << height << "x" << width;
  }
}

TEST(AugmentClipTest, FlipIsExact) {
  const nn::Tensor original = MakeClip(3, 8, 9, 2);
  nn::Tensor clip = original.Clone();
  AugmentOptions options = NoAugmentation();
  options.hflip_probability = 1;
  std::mt19937_64 rng(1);
  AugmentClip(&clip, options, rng);
  const float* in = original.data<float>();
  const float* out = clip.data<float>();
  for (int plane = 0; plane < 3 * 3; ++plane) {
    for (int y = 0; y < 8; ++y) {
      for (int x = 0; x < 9; ++x) {
        ASSERT_EQ(out[(plane * 8 + y) * 9 + x], in[(plane * 8 + y) * 9 + (8 - x)]);
      }
    }
  }
}

TEST(AugmentClipTest, FlipHappensAboutHalfTheTime) {
  AugmentOptions options = NoAugmentation();
  options.hflip_probability = 0.5;
  std::mt19937_64 rng(5);
  int flipped = 0;
  for (int i = 0; i < 400; ++i) {
    nn::Tensor clip = nn::Tensor::FromVector({1, 3, 1, 2}, {0, 1, 0, 1, 0, 1});
    AugmentClip(&clip, options, rng);
    flipped += clip.data<float>()[0] == 1;
  }
  EXPECT_GT(flipped, 160);
  EXPECT_LT(flipped, 240);
}

TEST(AugmentClipTest, BrightnessScalesEveryPixelByOneFactor) {
  const nn::Tensor original = MakeClip(3, 16, 16, 1);
  AugmentOptions options = NoAugmentation();
  options.color_jitter_probability = 1;
  options.brightness = 0.2;
  options.contrast = options.saturation = options.hue = 0;
  for (int seed = 0; seed < 5; ++seed) {
    nn::Tensor clip = original.Clone();
    std::mt19937_64 rng(seed);
    AugmentClip(&clip, options, rng);
    const double factor = clip.data<float>()[0] / original.data<float>()[0];
    EXPECT_GE(factor, 0.8 - 1e-6);
    EXPECT_LE(factor, 1.2 + 1e-6);
    for (int64_t i = 0; i < clip.numel(); ++i) {
      const double expected = std::min(1.0, factor * original.data<float>()[i]);
      ASSERT_NEAR(clip.data<float>()[i], expected, 1e-5) << "seed " << seed << " element " << i;
    }
  }
}

TEST(AugmentClipTest, HueShiftKeepsLumaAndGreyStaysGrey) {
  AugmentOptions options = NoAugmentation();
  options.color_jitter_probability = 1;
  options.brightness = options.contrast = options.saturation = 0;
  options.hue = 0.05;
  nn::Tensor clip = MakeClip(2, 12, 12, 1);
  // Keep the colours in mid range, so nothing clips.
  for (int64_t i = 0; i < clip.numel(); ++i) {
    clip.data<float>()[i] = 0.35f + 0.3f * clip.data<float>()[i];
  }
  const nn::Tensor original = clip.Clone();
  std::mt19937_64 rng(9);
  AugmentClip(&clip, options, rng);
  EXPECT_NE(Values(clip), Values(original));
  const int64_t plane = 12 * 12;
  for (int t = 0; t < 2; ++t) {
    for (int64_t i = 0; i < plane; ++i) {
      auto luma = [&](const nn::Tensor& x) {
        const float* p = x.data<float>() + t * 3 * plane + i;
        return 0.299 * p[0] + 0.587 * p[plane] + 0.114 * p[2 * plane];
      };
      ASSERT_NEAR(luma(clip), luma(original), 1e-5);
    }
  }
  // Any jitter maps grey to grey.
  options = NoAugmentation();
  options.color_jitter_probability = 1;
  options.hue = 0.3;
  nn::Tensor grey = nn::Tensor::Empty({2, 3, 4, 4});
  for (int t = 0; t < 2; ++t) {
    for (int c = 0; c < 3; ++c) {
      for (int i = 0; i < 16; ++i) grey.data<float>()[(t * 3 + c) * 16 + i] = 0.1f + 0.05f * i;
    }
  }
  AugmentClip(&grey, options, rng);
  for (int t = 0; t < 2; ++t) {
    for (int i = 0; i < 16; ++i) {
      const float* p = grey.data<float>() + t * 48 + i;
      EXPECT_NEAR(p[0], p[16], 1e-5);
      EXPECT_NEAR(p[0], p[32], 1e-5);
    }
  }
}

TEST(AugmentClipTest, DownscaleAndBlurKeepAConstantImageAndSmoothEdges) {
  for (const char* which : {"downscale", "blur"}) {
    SCOPED_TRACE(which);
    AugmentOptions options = NoAugmentation();
    (std::string(which) == "blur" ? options.blur_probability : options.downscale_probability) = 1;
    options.blur_sigma_max = 1.5;
    options.downscale_min = 0.5;
    nn::Tensor flat = nn::Tensor::Full({2, 3, 17, 20}, 0.625f);
    std::mt19937_64 rng(4);
    AugmentClip(&flat, options, rng);
    for (float v : Values(flat)) ASSERT_NEAR(v, 0.625f, 1e-6);
    // A one-pixel checkerboard loses most of its contrast (a vertical edge would too).
    nn::Tensor checker = nn::Tensor::Empty({1, 3, 16, 16});
    for (int64_t i = 0; i < checker.numel(); ++i) {
      const int x = i % 16, y = (i / 16) % 16;
      checker.data<float>()[i] = (x + y) % 2 ? 0.9f : 0.1f;
    }
    // Each draw keeps or lowers the contrast (a factor or sigma near its limit changes
    // little), and on average most of it is gone.
    const double variance_before = 0.16;
    double mean_variance = 0;
    const int draws = 20;
    for (int seed = 0; seed < draws; ++seed) {
      nn::Tensor c = checker.Clone();
      std::mt19937_64 r(seed);
      AugmentClip(&c, options, r);
      double mean = 0;
      for (float v : Values(c)) mean += v / c.numel();
      double variance = 0;
      for (float v : Values(c)) variance += (v - mean) * (v - mean) / c.numel();
      EXPECT_LE(variance, variance_before + 1e-6) << "seed " << seed;
      mean_variance += variance / draws;
    }
    EXPECT_LT(mean_variance, 0.5 * variance_before);
  }
}

TEST(AugmentClipTest, NoiseIsZeroMeanWithBoundedStd) {
  AugmentOptions options = NoAugmentation();
  options.noise_probability = 1;
  options.noise_std_max = 0.05;
  for (int seed = 0; seed < 4; ++seed) {
    nn::Tensor clip = nn::Tensor::Full({2, 3, 64, 64}, 0.5f);
    std::mt19937_64 rng(seed);
    AugmentClip(&clip, options, rng);
    double sum = 0, sum2 = 0;
    for (float v : Values(clip)) sum += v - 0.5, sum2 += (v - 0.5) * (v - 0.5);
    const double n = clip.numel(), mean = sum / n, sd = std::sqrt(sum2 / n - mean * mean);
    EXPECT_LE(sd, 0.05 * 1.03) << "seed " << seed;
    EXPECT_NEAR(mean, 0, 4 * sd / std::sqrt(n / 2) + 1e-9) << "seed " << seed;
  }
}

// Compression at a fixed quality: PSNR within a range that depends on the quality.
double CompressedPsnr(const std::string& codec, int quality, const nn::Tensor& original) {
  AugmentOptions options = NoAugmentation();
  if (codec == "jpeg") {
    options.jpeg_probability = 1;
    options.jpeg_quality_min = options.jpeg_quality_max = quality;
  } else {
    options.h264_probability = 1;
    options.h264_crf_min = options.h264_crf_max = quality;
  }
  nn::Tensor clip = original.Clone();
  std::mt19937_64 rng(1);
  AugmentClip(&clip, options, rng);
  return Psnr(clip, original);
}

TEST(AugmentClipTest, JpegErrorIsBoundedAndGrowsAsQualityFalls) {
  const nn::Tensor original = MakeClip(2, 64, 64, 2, /*texture=*/0.01);
  const double high = CompressedPsnr("jpeg", 95, original);
  const double low = CompressedPsnr("jpeg", 40, original);
  std::printf("JPEG PSNR: quality 95 %.2f dB, quality 40 %.2f dB\n", high, low);
  EXPECT_GT(high, 35);  // near-lossless
  EXPECT_LT(high, 45);  // but not lossless (8-bit, 4:2:0 chroma)
  EXPECT_GT(low, 30);
  EXPECT_LT(low, high - 3);
  // PIL 9.4 (Image.save(quality=q, subsampling=2), its own libjpeg calls) on the same picture,
  // rounded to 8 bits the same way, gives 37.3935 and 33.2228 dB.
  EXPECT_NEAR(high, 37.3935, 0.01);
  EXPECT_NEAR(low, 33.2228, 0.01);
}

TEST(AugmentClipTest, H264ErrorIsBoundedAndGrowsWithCrf) {
  const nn::Tensor original = MakeClip(6, 48, 64, 1.5, /*texture=*/0.01);
  const double high = CompressedPsnr("h264", 18, original);
  const double low = CompressedPsnr("h264", 40, original);
  std::printf("H.264 PSNR: CRF 18 %.2f dB, CRF 40 %.2f dB\n", high, low);
  EXPECT_GT(high, 33);
  EXPECT_LT(high, 60);
  EXPECT_GT(low, 20);
  EXPECT_LT(low, high - 3);
}

TEST(AugmentClipTest, EraseBoxAreaInRangeAndTheSameOnEveryFrame) {
  AugmentOptions options = NoAugmentation();
  options.erase_probability = 1;
  options.erase_max_area = 0.25;
  const int h = 40, w = 50;
  double smallest = 1, largest = 0;
  for (int seed = 0; seed < 200; ++seed) {
    nn::Tensor clip = nn::Tensor::Full({3, 3, h, w}, -1.0f);  // out of range: marks untouched
    std::mt19937_64 rng(seed);
    // Erasing is the only augmentation on, so no clamping moves the marker.
    AugmentClip(&clip, options, rng);
    const float* p = clip.data<float>();
    int top = h, bottom = -1, left = w, right = -1, count = 0;
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        if (p[y * w + x] == -1.0f) continue;
        ++count;
        top = std::min(top, y), bottom = std::max(bottom, y);
        left = std::min(left, x), right = std::max(right, x);
      }
    }
    ASSERT_GT(count, 0) << "seed " << seed;
    ASSERT_EQ(count, (bottom - top + 1) * (right - left + 1)) << "not a box, seed " << seed;
    const double area = double(count) / (h * w);
    smallest = std::min(smallest, area), largest = std::max(largest, area);
    // Rounding of the box sides moves the area by up to about one row and column.
    ASSERT_GE(area, 0.02 - double(h + w) / (h * w)) << "seed " << seed;
    ASSERT_LE(area, 0.25 + double(h + w) / (h * w)) << "seed " << seed;
    for (float v : Values(clip)) {
      if (v != -1.0f) {
        ASSERT_TRUE(v >= 0 && v <= 1);
      }
    }
    ASSERT_TRUE(FramesIdentical(clip));
  }
  EXPECT_LT(smallest, 0.06);
  EXPECT_GT(largest, 0.2);
}

TEST(AugmentClipTest, AllTogetherStayInRangeAndConsistentAcrossFrames) {
  const nn::ModelPreset preset = nn::GetPreset("default").value();
  AugmentOptions options = AugmentOptionsForPreset(preset);
  options.hflip_probability = options.color_jitter_probability = options.downscale_probability =
      options.blur_probability = options.noise_probability = options.jpeg_probability =
          options.h264_probability = options.erase_probability = 1;
  for (int seed = 0; seed < 3; ++seed) {
    nn::Tensor clip = MakeClip(4, 32, 32);
    std::mt19937_64 rng(seed);
    AugmentClip(&clip, options, rng);
    EXPECT_TRUE(FramesIdentical(clip));
    for (float v : Values(clip)) ASSERT_TRUE(v >= 0 && v <= 1);
  }
}

// The loader augments clips on several threads at once: results must not depend on it.
TEST(AugmentClipTest, ConcurrentCallsGiveTheSerialResults) {
  AugmentOptions options = NoAugmentation();
  options.hflip_probability = options.color_jitter_probability = options.downscale_probability =
      options.blur_probability = options.noise_probability = options.jpeg_probability =
          options.h264_probability = options.erase_probability = 1;
  const int kClips = 6;
  std::vector<nn::Tensor> serial, parallel;
  for (int i = 0; i < kClips; ++i) {
    serial.push_back(MakeClip(3, 24, 24, i));
    parallel.push_back(serial.back().Clone());
    std::mt19937_64 rng(100 + i);
    AugmentClip(&serial.back(), options, rng);
  }
  std::vector<std::thread> threads;
  for (int i = 0; i < kClips; ++i) {
    threads.emplace_back([&, i] {
      std::mt19937_64 rng(100 + i);
      AugmentClip(&parallel[i], options, rng);
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int i = 0; i < kClips; ++i) EXPECT_EQ(Values(parallel[i]), Values(serial[i])) << i;
}

TEST(AugmentClipDeathTest, RejectsABadClipOrBadOptions) {
  std::mt19937_64 rng(1);
  nn::Tensor rank3 = nn::Tensor::Zeros({3, 8, 8});
  EXPECT_DEATH(AugmentClip(&rank3, NoAugmentation(), rng),
               "the clip must be \\[T, 3, H, W\\] float32 on the CPU, got \\[3, 8, 8\\]");
  nn::Tensor clip = nn::Tensor::Zeros({1, 3, 8, 8});
  AugmentOptions options = NoAugmentation();
  options.jpeg_quality_min = 90;
  options.jpeg_quality_max = 50;
  EXPECT_DEATH(AugmentClip(&clip, options, rng),
               "'jpeg_quality_min' \\(90\\) must not exceed 'jpeg_quality_max' \\(50\\)");
}

TEST(AugmentOptionsTest, PresetRecipesReadFieldsOnly) {
  const nn::ModelPreset preset = nn::GetPreset("default").value();
  const AugmentOptions full = AugmentOptionsForPreset(preset);
  for (double p : {full.hflip_probability, full.color_jitter_probability,
                   full.downscale_probability, full.blur_probability, full.noise_probability,
                   full.jpeg_probability, full.h264_probability, full.erase_probability}) {
    EXPECT_GT(p, 0);
    EXPECT_LE(p, 1);
  }
  // The name plays no part; the crop size does.
  nn::ModelPreset renamed = preset;
  renamed.name = "something_else";
  EXPECT_EQ(AugmentOptionsToJson(AugmentOptionsForPreset(renamed)), AugmentOptionsToJson(full));
  const nn::ModelPreset tiny = nn::GetPreset("tiny").value();
  ASSERT_LT(tiny.preprocessing.image_size, preset.preprocessing.image_size);
  nn::ModelPreset shrunk = preset;
  shrunk.preprocessing.image_size = tiny.preprocessing.image_size;
  const AugmentOptions small = AugmentOptionsForPreset(tiny);
  EXPECT_EQ(AugmentOptionsToJson(AugmentOptionsForPreset(shrunk)), AugmentOptionsToJson(small));
  EXPECT_LT(small.blur_sigma_max, full.blur_sigma_max);
  EXPECT_GT(small.downscale_min, full.downscale_min);
  // Every preset's recipe is valid.
  for (const nn::ModelPreset& p : nn::Presets()) {
    EXPECT_TRUE(AugmentOptionsFromJson(AugmentOptionsToJson(AugmentOptionsForPreset(p))).ok())
        << p.name;
  }
}

TEST(AugmentOptionsTest, NoAugmentationTurnsEverythingOff) {
  const AugmentOptions none = NoAugmentation();
  for (double p : {none.hflip_probability, none.color_jitter_probability,
                   none.downscale_probability, none.blur_probability, none.noise_probability,
                   none.jpeg_probability, none.h264_probability, none.erase_probability}) {
    EXPECT_EQ(p, 0);
  }
}

TEST(AugmentOptionsTest, JsonRoundTrip) {
  AugmentOptions options = AugmentOptionsForPreset(nn::GetPreset("default").value());
  options.jpeg_quality_min = 55;
  options.h264_crf_max = 33;
  options.hue = 0.031;
  const nlohmann::json json = AugmentOptionsToJson(options);
  EXPECT_EQ(json.size(), 20u);
  EXPECT_EQ(json.at("jpeg_quality_min"), 55);
  EXPECT_EQ(json.at("hue"), 0.031);
  const absl::StatusOr<AugmentOptions> back = AugmentOptionsFromJson(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(AugmentOptionsToJson(*back), json);
  // Missing keys keep the defaults.
  const absl::StatusOr<AugmentOptions> partial =
      AugmentOptionsFromJson(nlohmann::json{{"blur_probability", 0.7}});
  ASSERT_TRUE(partial.ok()) << partial.status();
  AugmentOptions expected;
  expected.blur_probability = 0.7;
  EXPECT_EQ(AugmentOptionsToJson(*partial), AugmentOptionsToJson(expected));
}

TEST(AugmentOptionsTest, JsonErrorsNameTheKey) {
  auto error = [](const nlohmann::json& json) {
    const absl::StatusOr<AugmentOptions> options = AugmentOptionsFromJson(json);
    EXPECT_FALSE(options.ok()) << json.dump();
    return options.ok() ? std::string() : std::string(options.status().message());
  };
  EXPECT_EQ(error(nlohmann::json::array()),
            "augmentation options must be a JSON object, got array");
  EXPECT_THAT(error({{"jpeg_probabilty", 0.5}}),
              HasSubstr("unknown augmentation option 'jpeg_probabilty' (known: hflip_probability"));
  EXPECT_EQ(error({{"blur_probability", "high"}}),
            "augmentation option 'blur_probability' must be a number, got \"high\"");
  EXPECT_EQ(error({{"blur_probability", 1.5}}),
            "augmentation option 'blur_probability' must be in [0, 1], got 1.5");
  EXPECT_EQ(error({{"jpeg_quality_max", 80.5}}),
            "augmentation option 'jpeg_quality_max' must be an integer, got 80.5");
  EXPECT_EQ(error({{"h264_crf_min", 60}}),
            "augmentation option 'h264_crf_min' must be an integer in 0..51, got 60");
  EXPECT_EQ(error({{"h264_crf_min", 40}, {"h264_crf_max", 30}}),
            "augmentation options 'h264_crf_min' (40) must not exceed 'h264_crf_max' (30)");
}

}  // namespace
}  // namespace train::data
