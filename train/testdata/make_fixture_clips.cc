// Makes the committed training fixtures in train/testdata/: short real clips of distinct
// people (trimmed from the project's real-face clips, cropped around the face, 160x160 at
// half the source frame rate) and one self-blended fake of each, with a strong, clip-wide
// colour mismatch and blur inside a sharp-edged face mask, so that the `tiny` preset
// separates real from fake after a few epochs. Writes videos/*.mp4 and manifest.json
// (identities and identity-disjoint splits). Run by hand (see README):
//
//   bazel run //train/testdata:make_fixture_clips -- --out_dir $PWD/train/testdata
//       --real_faces_dir /work/shared/data/real_faces
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/hash.h"
#include "base/status_macros.h"
#include "nn/models/presets.h"
#include "train/data/manifest.h"
#include "train/synth/contact_sheet.h"
#include "train/synth/face_track.h"
#include "train/synth/generator.h"
#include "train/synth/image.h"
#include "train/synth/self_blend.h"
#include "train/synth/split.h"
#include "video/encoder.h"
#include "video/library_versions.h"
#include "video/preprocess.h"

ABSL_FLAG(std::string, real_faces_dir, "", "folder with the real-face clips (its README)");
ABSL_FLAG(std::string, out_dir, "", "where videos/ and manifest.json are written");
ABSL_FLAG(int, frames, 12, "frames per output clip");
ABSL_FLAG(int, stride, 2, "keep every stride-th source frame");
ABSL_FLAG(int, size, 160, "output side in pixels");
ABSL_FLAG(int, crf, 26, "libx264 CRF of every output");
ABSL_FLAG(std::string, contact_sheet, "", "also write a PNG of each pair's first frame here");
ABSL_FLAG(uint64_t, seed, 11, "seed of the fakes' parameters and the split");

namespace {

namespace fs = std::filesystem;
namespace synth = train::synth;

// One clip per person (retalking_face3 shows the same person as AlexandriaOcasioCortez).
const char* const kClips[] = {
    "sadtalker_WDA_AlexandriaOcasioCortez_000",
    "sadtalker_WDA_KatieHill_000",
    "sadtalker_RD_Radio2_000",
    "sadtalker_RD_Radio34_000",
    "sadtalker_WDA_BobMenendez_000",
    "sadtalker_WDA_EdMarkey0_000",
    "retalking_face1",
    "retalking_face2",
    "retalking_face4",
    "retalking_face5",
    "liveportrait_d0",
    "liveportrait_d3",
};

struct Clip {
  std::vector<synth::Image> frames;
  std::vector<synth::Landmarks> landmarks;  // in output pixels
  double frame_rate = 12.5;
};

// A fixed square around the clip's mean face (side = 1.7 x the landmarks' extent), resized
// to size x size: the face stays ~95 px, above the detector's smallest face (~80 px).
absl::StatusOr<Clip> LoadCroppedClip(const std::string& path, const std::string& name,
                                     const synth::LandmarkSource& source, int frames, int stride,
                                     int size) {
  ASSIGN_OR_RETURN(synth::LoadedClip loaded, synth::LoadClip(path, frames * stride, 720));
  std::vector<video::Frame> kept;
  for (size_t i = 0; i < loaded.frames.size() && static_cast<int>(kept.size()) < frames;
       i += stride) {
    kept.push_back(loaded.frames[i]);
  }
  if (static_cast<int>(kept.size()) < frames) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": only ", kept.size(), " frames"));
  }
  ASSIGN_OR_RETURN(std::vector<synth::Landmarks> landmarks,
                   synth::TrackLandmarks(kept, source, 1.5, name));
  double min_x = 1e9, min_y = 1e9, max_x = -1e9, max_y = -1e9, cx = 0, cy = 0;
  int n = 0;
  for (const synth::Landmarks& lm : landmarks) {
    for (const synth::Point& p : lm) {
      min_x = std::min(min_x, p.x), max_x = std::max(max_x, p.x);
      min_y = std::min(min_y, p.y), max_y = std::max(max_y, p.y);
      cx += p.x, cy += p.y, ++n;
    }
  }
  cx /= n, cy /= n;
  const int width = kept[0].width, height = kept[0].height;
  int side = static_cast<int>(1.7 * std::max(max_x - min_x, max_y - min_y));
  side = std::min({side, width, height});
  const int x0 = std::clamp(static_cast<int>(std::lround(cx - side / 2.0)), 0, width - side);
  const int y0 = std::clamp(static_cast<int>(std::lround(cy - side / 2.0)), 0, height - side);
  Clip clip;
  clip.frame_rate = loaded.frame_rate / stride;
  const double scale = static_cast<double>(size) / side;
  for (size_t f = 0; f < kept.size(); ++f) {
    const synth::Image full = synth::ImageFromRgb8(kept[f].rgb.data(), width, height);
    synth::Image square(side, side);
    for (int y = 0; y < side; ++y) {
      std::copy_n(full.at(x0, y0 + y), side * 3, square.at(0, y));
    }
    clip.frames.push_back(synth::Resize(square, size, size));
    synth::Landmarks lm = landmarks[f];
    for (synth::Point& p : lm) {
      p.x = (p.x - x0 + 0.5) * scale - 0.5;
      p.y = (p.y - y0 + 0.5) * scale - 0.5;
    }
    clip.landmarks.push_back(std::move(lm));
  }
  return clip;
}

// Clip-wide self-blend parameters far outside SBI's subtle ranges: a warm tint (red up,
// green and blue down), lower contrast, blur, and a narrow feather, so the face region
// visibly differs from the rest of the frame.
synth::SelfBlendParams StrongParams(std::mt19937_64& rng) {
  std::uniform_real_distribution<double> jitter(-1, 1);
  synth::SelfBlendParams p;
  p.channel_offset[0] = static_cast<float>(45 + 8 * jitter(rng));
  p.channel_offset[1] = static_cast<float>(-22 + 6 * jitter(rng));
  p.channel_offset[2] = static_cast<float>(-22 + 6 * jitter(rng));
  p.contrast = static_cast<float>(0.85 + 0.05 * jitter(rng));
  p.saturation = 1.2f;
  p.sharpness = -1.5;  // blur with sigma = 1.5% of the face size
  p.scale = 1.03;
  p.mask.shape = synth::MaskShape::kFullHull;
  p.mask.feather = 0.03;
  p.blend_ratio = 1;
  return p;
}

absl::Status Encode(const std::vector<synth::Image>& frames, double frame_rate, int crf,
                    const std::string& path) {
  video::EncoderOptions options;
  options.crf = crf;
  options.preset = "medium";
  options.frame_rate = frame_rate;
  ASSIGN_OR_RETURN(std::unique_ptr<video::Encoder> encoder,
                   video::Encoder::Open(path, frames[0].width, frames[0].height, options));
  for (const synth::Image& image : frames) {
    video::Frame frame;
    frame.width = image.width;
    frame.height = image.height;
    frame.rgb = synth::ImageToRgb8(image);
    RETURN_IF_ERROR(encoder->Write(frame));
  }
  return encoder->Close();
}

// The tiny preset must find a face track in every output.
absl::Status CheckFaces(const std::string& path) {
  ASSIGN_OR_RETURN(const nn::ModelPreset preset, nn::GetPreset("tiny"));
  ASSIGN_OR_RETURN(const video::PreprocessedVideo video, video::PreprocessVideo(path, preset));
  if (video.tracks.empty()) return absl::InternalError(absl::StrCat(path, ": no face track"));
  return absl::OkStatus();
}

absl::Status Run() {
  const std::string in_dir = absl::GetFlag(FLAGS_real_faces_dir);
  const std::string out_dir = absl::GetFlag(FLAGS_out_dir);
  if (in_dir.empty() || out_dir.empty()) {
    return absl::InvalidArgumentError("--real_faces_dir and --out_dir are required");
  }
  const int frames = absl::GetFlag(FLAGS_frames), stride = absl::GetFlag(FLAGS_stride),
            size = absl::GetFlag(FLAGS_size), crf = absl::GetFlag(FLAGS_crf);
  const uint64_t seed = absl::GetFlag(FLAGS_seed);
  fs::create_directories(fs::path(out_dir) / "videos");
  ASSIGN_OR_RETURN(std::unique_ptr<synth::DlibLandmarkSource> source,
                   synth::DlibLandmarkSource::Create(video::DefaultLandmarkModelPath()));

  std::map<std::string, int> clips_per_identity;
  for (const char* name : kClips) clips_per_identity[name] = 2;
  synth::SplitFractions fractions;
  fractions.train = 0.6, fractions.val = 0.25, fractions.test = 0.15;
  const std::map<std::string, std::string> split_of =
      synth::AssignIdentitySplits(clips_per_identity, fractions, seed);

  train::data::Manifest manifest;
  manifest.seed = seed;
  manifest.options = {{"frames", frames},
                      {"stride", stride},
                      {"size", size},
                      {"crf", crf},
                      {"generator", "train/testdata/make_fixture_clips.cc"}};
  std::vector<std::vector<synth::Thumbnail>> sheet;
  for (const char* name : kClips) {
    const std::string path = (fs::path(in_dir) / (std::string(name) + ".mp4")).string();
    ASSIGN_OR_RETURN(Clip clip, LoadCroppedClip(path, name, *source, frames, stride, size));
    std::mt19937_64 rng(seed ^ base::Xxh64Bytes(name, std::strlen(name)));
    const synth::SelfBlendParams params = StrongParams(rng);
    std::vector<synth::Image> fake;
    for (size_t f = 0; f < clip.frames.size(); ++f) {
      fake.push_back(synth::SelfBlend(clip.frames[f], clip.landmarks[f], params, nullptr));
    }
    sheet.push_back({{clip.frames[0], false}, {fake[0], true}});
    for (const bool is_fake : {false, true}) {
      train::data::ManifestEntry entry;
      entry.file = absl::StrCat("videos/", is_fake ? "fake_" : "real_", name, ".mp4");
      entry.label = is_fake ? "fake" : "real";
      entry.method = is_fake ? "self_blend" : "real";
      entry.target_clip = entry.source_clip = name;
      entry.target_identity = entry.source_identity = name;
      entry.split = split_of.at(name);
      entry.crf = crf;
      entry.seed = seed;
      entry.frames = frames;
      entry.width = entry.height = size;
      entry.frame_rate = clip.frame_rate;
      if (is_fake) {
        entry.params = {
            {"channel_offset",
             {params.channel_offset[0], params.channel_offset[1], params.channel_offset[2]}},
            {"contrast", params.contrast},
            {"saturation", params.saturation},
            {"sharpness", params.sharpness},
            {"scale", params.scale},
            {"mask_feather", params.mask.feather}};
      }
      const std::string out = (fs::path(out_dir) / entry.file).string();
      RETURN_IF_ERROR(Encode(is_fake ? fake : clip.frames, clip.frame_rate, crf, out));
      RETURN_IF_ERROR(CheckFaces(out));
      std::printf("%-60s %s %6ju bytes\n", entry.file.c_str(), entry.split.c_str(),
                  static_cast<uintmax_t>(fs::file_size(out)));
      manifest.entries.push_back(std::move(entry));
    }
  }
  if (!absl::GetFlag(FLAGS_contact_sheet).empty()) {
    RETURN_IF_ERROR(synth::WriteContactSheet(sheet, size, absl::GetFlag(FLAGS_contact_sheet)));
  }
  return train::data::WriteManifest(manifest, (fs::path(out_dir) / "manifest.json").string());
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Makes the training test fixtures in train/testdata/.");
  absl::ParseCommandLine(argc, argv);
  const absl::Status status = Run();
  if (!status.ok()) {
    std::fprintf(stderr, "make_fixture_clips: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
