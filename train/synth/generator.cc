// Dataset generation: landmark tracks for every clip, a seeded plan of outputs (real,
// face swaps within a split, self-blends), parallel rendering and encoding, the manifest
// and the contact sheet.
#include "train/synth/generator.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "base/thread_pool.h"
#include "base/video_files.h"
#include "train/synth/contact_sheet.h"
#include "train/synth/face_swap.h"
#include "train/synth/self_blend.h"
#include "video/decoder.h"
#include "video/encoder.h"

namespace train::synth {
namespace fs = std::filesystem;
using data::Manifest;
using data::ManifestEntry;
namespace {

// SplitMix64 finalizer over (seed, FNV-1a of name): independent streams per output.
uint64_t DeriveSeed(uint64_t seed, const std::string& name) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
  uint64_t z = seed ^ h;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Runs fn(i) for i in [0, n) on `pool`, one index at a time; returns the first error (by
// index).
absl::Status ForEachItem(base::ThreadPool& pool, int n,
                         const std::function<absl::Status(int)>& fn) {
  std::vector<absl::Status> status(n);
  pool.ParallelForEach(n, [&](int64_t i) { status[i] = fn(static_cast<int>(i)); });
  for (const absl::Status& s : status) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

nlohmann::json MaskJson(const MaskOptions& m) {
  return {{"shape", MaskShapeName(m.shape)},
          {"shrink", m.shrink},
          {"feather", m.feather},
          {"deform", m.deform},
          {"deform_seed", m.deform_seed}};
}

nlohmann::json FaceSwapJson(const FaceSwapParams& p) {
  return {
      {"mask", MaskJson(p.mask)},
      {"blend", p.blend == BlendMode::kPoisson ? "poisson" : "alpha"},
      {"blend_ratio", p.blend_ratio},
      {"color_strength", p.color_strength},
      {"color_offset_lab", {p.color_offset_lab[0], p.color_offset_lab[1], p.color_offset_lab[2]}},
      {"source_resolution", p.source_resolution},
      {"color_momentum", p.color_momentum}};
}

nlohmann::json SelfBlendJson(const SelfBlendParams& p) {
  return {{"channel_offset", {p.channel_offset[0], p.channel_offset[1], p.channel_offset[2]}},
          {"brightness", p.brightness},
          {"contrast", p.contrast},
          {"saturation", p.saturation},
          {"sharpness", p.sharpness},
          {"scale", p.scale},
          {"shift_x", p.shift_x},
          {"shift_y", p.shift_y},
          {"mask", MaskJson(p.mask)},
          {"blend_ratio", p.blend_ratio}};
}

struct ClipData {
  std::vector<Landmarks> track;
  int frames = 0, width = 0, height = 0;
  double frame_rate = 25;
};

struct Job {
  std::string name;    // output file stem
  std::string method;  // real, face_swap, self_blend
  int target = 0, source = -1;
  bool per_frame = false;  // self_blend: new parameters every frame
  int crf = 23;
  uint64_t seed = 0;
  FaceSwapParams swap;
  SelfBlendParams blend;
};

video::Frame ToFrame(const Image& image) {
  video::Frame f;
  f.width = image.width, f.height = image.height;
  f.rgb = ImageToRgb8(image);
  return f;
}

}  // namespace

absl::StatusOr<LoadedClip> LoadClip(const std::string& path, int max_frames, int max_side) {
  ASSIGN_OR_RETURN(std::unique_ptr<video::Decoder> decoder, video::Decoder::Open(path));
  LoadedClip clip;
  clip.frame_rate = decoder->info().frame_rate > 0 ? decoder->info().frame_rate : 25;
  while (int(clip.frames.size()) < max_frames) {
    ASSIGN_OR_RETURN(std::optional<video::Frame> frame, decoder->Next());
    if (!frame.has_value()) break;
    video::Frame& f = *frame;
    const double scale = std::min(1.0, double(max_side) / std::max(f.width, f.height));
    const int w = int(f.width * scale) / 2 * 2, h = int(f.height * scale) / 2 * 2;
    if (w < 16 || h < 16)
      return absl::InvalidArgumentError(absl::StrCat(path, ": frames too small"));
    if (w != f.width || h != f.height) {
      if (scale < 1) {
        f.rgb = ImageToRgb8(Resize(ImageFromRgb8(f.rgb.data(), f.width, f.height), w, h));
      } else {  // odd size: drop the last column/row
        std::vector<uint8_t> rgb(size_t(w) * h * 3);
        for (int y = 0; y < h; ++y)
          std::copy_n(f.rgb.data() + size_t(y) * f.width * 3, size_t(w) * 3,
                      rgb.data() + size_t(y) * w * 3);
        f.rgb = std::move(rgb);
      }
      f.width = w, f.height = h;
    }
    clip.frames.push_back(std::move(f));
  }
  if (clip.frames.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no frames"));
  return clip;
}

absl::StatusOr<std::vector<ClipSpec>> ClipsFromDirectory(
    const std::string& dir, const std::vector<std::vector<std::string>>& same_person) {
  ASSIGN_OR_RETURN(const std::vector<std::string> videos, base::ListVideoFiles(dir));
  std::map<std::string, std::string> identity;
  for (const auto& group : same_person) {
    for (const std::string& id : group) identity[id] = group.front();
  }
  std::vector<ClipSpec> clips;
  std::map<std::string, std::string> path_of_id;
  for (const std::string& path : videos) {
    ClipSpec c;
    c.path = path;
    c.clip_id = fs::path(path).stem().string();
    c.identity = identity.count(c.clip_id) ? identity[c.clip_id] : c.clip_id;
    // Clip ids name the outputs and the identities: two files with one stem are ambiguous.
    if (auto [it, added] = path_of_id.emplace(c.clip_id, path); !added) {
      return absl::InvalidArgumentError(absl::StrCat(dir, ": two clips with the id '", c.clip_id,
                                                     "': ", it->second, " and ", path));
    }
    clips.push_back(c);
  }
  std::sort(clips.begin(), clips.end(),
            [](const ClipSpec& a, const ClipSpec& b) { return a.clip_id < b.clip_id; });
  if (clips.empty()) return absl::NotFoundError(absl::StrCat(dir, ": no video files"));
  return clips;
}

absl::StatusOr<Manifest> GenerateDataset(const std::vector<ClipSpec>& input_clips,
                                         const GeneratorOptions& options,
                                         const LandmarkSource& landmark_source) {
  if (input_clips.empty()) return absl::InvalidArgumentError("no input clips");
  if (options.crfs.empty() || options.max_frames < 1) {
    return absl::InvalidArgumentError("need at least one CRF and one frame per output");
  }
  std::vector<ClipSpec> clips = input_clips;
  std::sort(clips.begin(), clips.end(),
            [](const ClipSpec& a, const ClipSpec& b) { return a.clip_id < b.clip_id; });
  for (size_t i = 1; i < clips.size(); ++i) {
    if (clips[i].clip_id == clips[i - 1].clip_id) {
      return absl::InvalidArgumentError(absl::StrCat("duplicate clip id ", clips[i].clip_id));
    }
  }
  const fs::path videos = fs::path(options.output_dir) / "videos";
  std::error_code error;
  fs::create_directories(videos, error);
  if (error)
    return absl::PermissionDeniedError(absl::StrCat(videos.string(), ": ", error.message()));

  // 1. Landmark tracks of every clip.
  base::ThreadPool pool(std::max(1, options.threads));
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  const int n = static_cast<int>(clips.size());
  std::vector<ClipData> data(n);
  absl::Status status = ForEachItem(pool, n, [&](int i) -> absl::Status {
    ASSIGN_OR_RETURN(auto clip, LoadClip(clips[i].path, options.max_frames, options.max_side));
    ASSIGN_OR_RETURN(auto track, TrackLandmarks(clip.frames, landmark_source,
                                                options.landmark_sigma, clips[i].path));
    data[i].track = std::move(track);
    data[i].frames = static_cast<int>(clip.frames.size());
    data[i].width = clip.frames[0].width, data[i].height = clip.frames[0].height;
    data[i].frame_rate = clip.frame_rate;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (options.verbose) std::fprintf(stderr, "synth: landmarks of %d clips: %.1f s\n", n, elapsed());

  // 2. The plan: identity splits, then per target clip its outputs.
  std::map<std::string, int> clips_per_identity;
  for (const ClipSpec& c : clips) ++clips_per_identity[c.identity];
  const auto split = AssignIdentitySplits(clips_per_identity, options.split, options.seed);
  std::vector<Job> jobs;
  for (int t = 0; t < n; ++t) {
    std::mt19937_64 rng(DeriveSeed(options.seed, "plan/" + clips[t].clip_id));
    auto pick_crf = [&] {
      return options.crfs[std::uniform_int_distribution<size_t>(0, options.crfs.size() - 1)(rng)];
    };
    Job real;
    real.name = clips[t].clip_id + "__real";
    real.method = "real";
    real.target = t;
    real.crf = pick_crf();
    jobs.push_back(real);
    std::vector<int> partners;
    for (int s = 0; s < n; ++s) {
      if (clips[s].identity != clips[t].identity &&
          split.at(clips[s].identity) == split.at(clips[t].identity)) {
        partners.push_back(s);
      }
    }
    std::shuffle(partners.begin(), partners.end(), rng);
    int self_blends = options.self_blends_per_clip;
    for (int k = 0; k < options.swaps_per_clip; ++k) {
      if (partners.empty()) {  // alone in its split: self-blends take the swaps' place
        ++self_blends;
        continue;
      }
      Job job;
      job.method = "face_swap";
      job.target = t;
      job.source = partners[k % partners.size()];
      job.name = absl::StrCat(clips[t].clip_id, "__swap", k, "_from_", clips[job.source].clip_id);
      job.crf = pick_crf();
      jobs.push_back(job);
    }
    for (int k = 0; k < self_blends; ++k) {
      Job job;
      job.method = "self_blend";
      job.target = t;
      job.per_frame = k % 2 == 1;
      job.name =
          absl::StrCat(clips[t].clip_id, "__selfblend", k, job.per_frame ? "_frame" : "_clip");
      job.crf = pick_crf();
      jobs.push_back(job);
    }
  }
  for (Job& job : jobs) {
    job.seed = DeriveSeed(options.seed, job.name);
    std::mt19937_64 rng(job.seed);
    if (job.method == "face_swap") job.swap = SampleFaceSwapParams(rng);
    if (job.method == "self_blend") job.blend = SampleSelfBlendParams(rng);
  }

  // 3. Render and encode.
  const int m = static_cast<int>(jobs.size());
  std::vector<ManifestEntry> entries(m);
  std::vector<Thumbnail> thumbs(m);
  status = ForEachItem(pool, m, [&](int j) -> absl::Status {
    const Job& job = jobs[j];
    const ClipSpec& target_spec = clips[job.target];
    const ClipData& target_data = data[job.target];
    ASSIGN_OR_RETURN(auto target, LoadClip(target_spec.path, options.max_frames, options.max_side));
    LoadedClip source;
    std::vector<Triangle> triangles;
    if (job.method == "face_swap") {
      ASSIGN_OR_RETURN(source,
                       LoadClip(clips[job.source].path, options.max_frames, options.max_side));
      triangles = FaceSwapTriangles(target_data.track);
    }
    const std::string file = (fs::path("videos") / (job.name + ".mp4")).string();
    const std::string path = (fs::path(options.output_dir) / file).string();
    video::EncoderOptions encoder_options;
    encoder_options.crf = job.crf;
    encoder_options.preset = options.preset;
    encoder_options.frame_rate = target.frame_rate;
    const int frames = static_cast<int>(target.frames.size());
    ASSIGN_OR_RETURN(
        std::unique_ptr<video::Encoder> encoder,
        video::Encoder::Open(path, target_data.width, target_data.height, encoder_options));
    FaceSwapState swap_state;
    std::mt19937_64 frame_rng(job.seed ^ 0x5bd1e995u);
    const int middle = frames / 2;
    Image middle_image;
    for (int t = 0; t < frames; ++t) {
      const video::Frame& frame = target.frames[t];
      Image image = ImageFromRgb8(frame.rgb.data(), frame.width, frame.height);
      const Landmarks& lm = target_data.track[t];
      if (job.method == "face_swap") {
        // Source frames play forwards then backwards (ping-pong) when the source is shorter.
        const int len = static_cast<int>(source.frames.size());
        int s = len > 1 ? t % (2 * len - 2) : 0;
        if (s >= len) s = 2 * len - 2 - s;
        const video::Frame& sf = source.frames[s];
        const Image source_image = ImageFromRgb8(sf.rgb.data(), sf.width, sf.height);
        image = SwapFace(source_image, data[job.source].track[s], image, lm, triangles, job.swap,
                         &swap_state, nullptr);
      } else if (job.method == "self_blend") {
        SelfBlendParams params = job.blend;
        if (job.per_frame && t > 0) params = SampleSelfBlendParams(frame_rng);
        image = SelfBlend(image, lm, params, nullptr);
      }
      if (t == middle) middle_image = image;
      RETURN_IF_ERROR(encoder->Write(ToFrame(image)));
    }
    RETURN_IF_ERROR(encoder->Close());
    // The thumbnail comes from the encoded video, compression included.
    ASSIGN_OR_RETURN(const LoadedClip encoded, LoadClip(path, middle + 1, options.max_side));
    const video::Frame& shown = encoded.frames.back();
    thumbs[j].image =
        FaceThumbnail(ImageFromRgb8(shown.rgb.data(), shown.width, shown.height),
                      target_data.track[std::min<int>(middle, encoded.frames.size() - 1)],
                      options.thumbnail_size);
    thumbs[j].fake = job.method != "real";

    ManifestEntry& e = entries[j];
    e.file = file;
    e.label = job.method == "real" ? "real" : "fake";
    e.method = job.method;
    e.target_clip = target_spec.clip_id;
    e.target_identity = target_spec.identity;
    e.source_clip = job.source >= 0 ? clips[job.source].clip_id : target_spec.clip_id;
    e.source_identity = job.source >= 0 ? clips[job.source].identity : target_spec.identity;
    e.split = split.at(target_spec.identity);
    e.crf = job.crf;
    e.seed = job.seed;
    e.frames = frames;
    e.width = target_data.width, e.height = target_data.height;
    e.frame_rate = target.frame_rate;
    if (job.method == "face_swap") {
      e.params = FaceSwapJson(job.swap);
      e.params["source_frames"] = source.frames.size();
    } else if (job.method == "self_blend") {
      e.params = SelfBlendJson(job.blend);
      e.params["mode"] = job.per_frame ? "per_frame" : "clip";
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (options.verbose) std::fprintf(stderr, "synth: %d videos rendered: %.1f s\n", m, elapsed());

  Manifest manifest;
  manifest.seed = options.seed;
  manifest.options = {{"max_frames", options.max_frames},
                      {"max_side", options.max_side},
                      {"swaps_per_clip", options.swaps_per_clip},
                      {"self_blends_per_clip", options.self_blends_per_clip},
                      {"crfs", options.crfs},
                      {"preset", options.preset},
                      {"landmark_sigma", options.landmark_sigma},
                      {"split", {options.split.train, options.split.val, options.split.test}}};
  manifest.entries = std::move(entries);
  RETURN_IF_ERROR(
      WriteManifest(manifest, (fs::path(options.output_dir) / "manifest.json").string()));
  if (!options.contact_sheet.empty()) {
    std::vector<std::vector<Thumbnail>> rows(n);
    for (int j = 0; j < m; ++j) rows[jobs[j].target].push_back(std::move(thumbs[j]));
    RETURN_IF_ERROR(WriteContactSheet(rows, options.thumbnail_size, options.contact_sheet));
  }
  return manifest;
}

}  // namespace train::synth
