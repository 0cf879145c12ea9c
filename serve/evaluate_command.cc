// The evaluate subcommand: dataset (train/data) -> LoadModel -> ScoreVideos -> Summarize
// -> per_video.csv, metrics.json, roc.png.
#include "serve/evaluate_command.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/atomic_file.h"
#include "base/progress_bar.h"
#include "base/status_macros.h"
#include "eval/evaluate.h"
#include "eval/model_file.h"
#include "eval/score_videos.h"
#include "nlohmann/json.hpp"
#include "serve/cli/flags.h"
#include "train/data/dataset.h"

namespace serve {
namespace {

namespace fs = std::filesystem;

struct Dataset {
  std::vector<eval::LabelledVideo> videos;
  nlohmann::json description;
};

absl::StatusOr<Dataset> LoadDataset(const EvaluateCommandOptions& options) {
  Dataset dataset;
  std::vector<train::data::VideoItem> items;
  if (!options.manifest.empty()) {
    ASSIGN_OR_RETURN(std::vector<train::data::VideoItem> all,
                     train::data::ItemsFromManifest(options.manifest));
    std::map<std::string, int> per_split;
    for (train::data::VideoItem& item : all) {
      ++per_split[item.split.empty() ? "(none)" : item.split];
      if (options.split == "all" || item.split == options.split) items.push_back(std::move(item));
    }
    if (items.empty()) {
      std::vector<std::string> present;
      for (const auto& [split, count] : per_split)
        present.push_back(absl::StrCat(split, " ", count));
      return absl::InvalidArgumentError(absl::StrCat(
          options.manifest, ": no video in split '", options.split, "' (videos per split: ",
          absl::StrJoin(present, ", "), "); choose one with --split, or --split all"));
    }
    dataset.description = {
        {"source", "manifest"}, {"manifest", options.manifest}, {"split", options.split}};
  } else {
    ASSIGN_OR_RETURN(items,
                     train::data::ResolveLabelledPaths(options.real_paths, options.fake_paths,
                                                       train::data::ClassRequirement::kAnyClass));
    dataset.description = {{"source", "paths"},
                           {"real_paths", options.real_paths},
                           {"fake_paths", options.fake_paths}};
  }
  for (const train::data::VideoItem& item : items) {
    dataset.videos.push_back({item.path, item.label});
  }
  return dataset;
}

std::string ShortHash(const std::string& sha256) { return sha256.substr(0, 12); }

}  // namespace

absl::Status CheckEvaluateOptions(const EvaluateCommandOptions& options) {
  if (options.model_path.empty()) {
    return absl::InvalidArgumentError("missing required flag --model_path");
  }
  if (options.out_dir.empty()) return absl::InvalidArgumentError("missing required flag --out_dir");
  const bool paths = !options.real_paths.empty() || !options.fake_paths.empty();
  if (paths && !options.manifest.empty()) {
    return absl::InvalidArgumentError(
        "give either --real_paths/--fake_paths or --manifest, not both");
  }
  if (!paths && options.manifest.empty()) {
    return absl::InvalidArgumentError(
        "no videos: give --real_paths and/or --fake_paths, or --manifest (with --split)");
  }
  if (options.threshold > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--threshold must be a probability in [0, 1] (got ", options.threshold, ")"));
  }
  if (options.batch_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--batch_size must be >= 1 (got ", options.batch_size, ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<EvaluateOutcome> RunEvaluateCommand(const EvaluateCommandOptions& options,
                                                   const cli::CommonFlags::Applied& common,
                                                   std::ostream& out) {
  RETURN_IF_ERROR(CheckEvaluateOptions(options));
  const auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(Dataset dataset, LoadDataset(options));
  ASSIGN_OR_RETURN(eval::LoadedModel model, eval::LoadModel(options.model_path, common.device));
  const bool threshold_from_flag = options.threshold >= 0;
  const double threshold = threshold_from_flag ? options.threshold : model.provenance.threshold;

  std::error_code error;
  fs::create_directories(options.out_dir, error);
  if (error) {
    return absl::PermissionDeniedError(
        absl::StrCat(options.out_dir, ": cannot create directory: ", error.message()));
  }

  int reals = 0, fakes = 0;
  for (const eval::LabelledVideo& video : dataset.videos) (video.label == 1 ? fakes : reals)++;
  out << absl::StrFormat("model: %s (preset %s, step %d, sha256 %s)\n", options.model_path,
                         model.preset.name, model.metadata.step, ShortHash(model.sha256));
  out << absl::StrFormat("threshold: %.4f (%s)\n", threshold,
                         threshold_from_flag
                             ? "--threshold"
                             : absl::StrCat("checkpoint, ", model.provenance.threshold_method));
  out << absl::StrFormat("evaluating %d videos (%d real, %d fake) on %s\n", dataset.videos.size(),
                         reals, fakes, common.device.ToString());

  eval::ScoreVideosOptions score_options;
  score_options.batch_size = options.batch_size;
  score_options.cache_dir = options.cache_dir;
  score_options.landmark_model_path = options.landmark_model;
  const int width = static_cast<int>(absl::StrCat(dataset.videos.size()).size());
  const std::vector<eval::VideoScore> videos = eval::ScoreVideos(
      *model.model, model.preset, dataset.videos, score_options,
      [&](const eval::ScoreVideosProgress& p) {
        const eval::VideoScore& v = *p.video;
        const std::string result =
            v.scored ? absl::StrFormat("%.4f %-4s", v.score, v.score >= threshold ? "FAKE" : "REAL")
                     : std::string("not analysed");
        out << absl::StrFormat("[%*d/%d] %s  %s  (%s, ETA %s)\n", width, p.done, p.total, result,
                               v.path,
                               v.label == 1 ? "fake" : (v.label == 0 ? "real" : "unlabelled"),
                               base::FormatDuration(p.eta_seconds));
        if (!v.scored) out << "    " << v.error << "\n";
        out.flush();
      });

  const eval::EvaluationSummary summary = eval::Summarize(videos, threshold);
  out << "\n" << eval::SummaryText(summary);
  if (summary.not_scored > 0) {
    out << absl::StrFormat("%d video(s) could not be analysed (not in the metrics):\n",
                           summary.not_scored);
    for (const eval::VideoScore& v : videos) {
      if (!v.scored) out << "  " << v.error << "\n";
    }
  }

  const fs::path dir(options.out_dir);
  const std::string csv_path = (dir / "per_video.csv").string();
  const std::string json_path = (dir / "metrics.json").string();
  const std::string png_path = (dir / "roc.png").string();
  RETURN_IF_ERROR(eval::WritePerVideoCsv(videos, threshold, csv_path));
  RETURN_IF_ERROR(eval::WriteRocPng(
      videos, absl::StrCat("ROC: ", fs::path(options.model_path).filename().string()), png_path));

  nlohmann::json json;
  json["model"] = {{"path", options.model_path},
                   {"sha256", model.sha256},
                   {"preset", model.preset.name},
                   {"step", model.metadata.step},
                   {"threshold", model.provenance.threshold},
                   {"threshold_method", model.provenance.threshold_method}};
  json["threshold"] = threshold;
  json["threshold_source"] = threshold_from_flag ? "flag" : "checkpoint";
  json["dataset"] = dataset.description;
  json["device"] = common.device.ToString();
  json["summary"] = eval::SummaryToJson(summary);
  nlohmann::json not_scored = nlohmann::json::array();
  nlohmann::json per_video = nlohmann::json::array();
  for (const eval::VideoScore& v : videos) {
    if (!v.scored) not_scored.push_back({{"path", v.path}, {"error", v.error}});
    per_video.push_back(eval::VideoScoreToJson(v));
  }
  json["not_scored"] = std::move(not_scored);
  json["videos"] = std::move(per_video);
  json["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  RETURN_IF_ERROR(base::WriteFileAtomically(json_path, json.dump(2) + "\n"));

  out << absl::StrFormat("wrote %s, %s, %s (%s)\n", csv_path, json_path, png_path,
                         base::FormatDuration(json["seconds"].get<double>()));
  EvaluateOutcome outcome;
  outcome.videos = summary.videos;
  outcome.scored = summary.scored;
  outcome.not_scored = summary.not_scored;
  return outcome;
}

namespace {

class EvaluateCommand : public cli::Command {
 public:
  std::string name() const override { return "evaluate"; }
  std::string summary() const override {
    return "score labelled videos with a checkpoint: AUC, EER, AP, accuracy, calibration, "
           "per-video CSV, ROC plot";
  }
  std::string usage() const override {
    return "--model_path=CKPT (--real_paths ... --fake_paths ... | --manifest=M [--split=S]) "
           "--out_dir=DIR [flags]";
  }
  bool MayPartlyFail() const override { return true; }

  void DefineFlags(cli::FlagSet& flags) override {
    flags
        .Path("model_path", &options_.model_path,
              "the checkpoint (best.safetensors of a //train:train run, or a converted one)")
        .Required();
    flags.StringList("real_paths", &options_.real_paths,
                     "real videos: globs ('data/real/*.mp4'), folders (searched recursively), "
                     ".txt/.lst lists (one path per line) or files");
    flags.StringList("fake_paths", &options_.fake_paths, "fake videos, given like --real_paths");
    flags.Path("manifest", &options_.manifest,
               "a dataset manifest.json (//tools:synth) instead of --real_paths/--fake_paths");
    flags.String("split", &options_.split,
                 "with --manifest: the split to evaluate (train, val, test, or all)");
    flags
        .Path("out_dir", &options_.out_dir,
              "where to write per_video.csv, metrics.json and roc.png")
        .Required();
    flags.Double("threshold", &options_.threshold,
                 "P(fake) at or above which a video is called fake (negative = the threshold "
                 "stored in the checkpoint, chosen on validation)");
    flags.Path("cache_dir", &options_.cache_dir,
               "face cache folder: preprocessed faces are stored there and reused by later "
               "runs (\"\" = none)");
    flags.Int("batch_size", &options_.batch_size, "face tracks per forward pass");
    flags.Path("landmark_model", &options_.landmark_model,
               "shape_predictor_68_face_landmarks.dat (\"\" = the libdlib-data install)");
    common_.Define(flags, kEvaluateCommonFlags);
  }

  int Run(const std::vector<std::string>&, std::ostream& out, std::ostream& err) override {
    absl::Status usage_error = CheckEvaluateOptions(options_);
    absl::StatusOr<cli::CommonFlags::Applied> common = common_.Apply(kEvaluateCommonFlags);
    if (usage_error.ok() && !common.ok()) usage_error = common.status();
    if (!usage_error.ok()) {
      err << "deepfake evaluate: " << usage_error.message() << "\nusage: deepfake evaluate "
          << usage() << "\n";
      return cli::kExitUsage;
    }
    EvaluateCommandOptions options = options_;
    for (std::string& path : options.real_paths) path = cli::ResolveUserPath(path);
    for (std::string& path : options.fake_paths) path = cli::ResolveUserPath(path);
    const absl::StatusOr<EvaluateOutcome> outcome = RunEvaluateCommand(options, *common, out);
    if (!outcome.ok()) {
      err << "deepfake evaluate: " << outcome.status().message() << "\n";
      return cli::kExitFailure;
    }
    if (outcome->not_scored > 0) {
      err << absl::StrFormat("deepfake evaluate: %d of %d videos could not be analysed\n",
                             outcome->not_scored, outcome->videos);
      return kExitSomeVideosNotAnalysed;
    }
    return cli::kExitOk;
  }

 private:
  EvaluateCommandOptions options_;
  cli::CommonFlags common_;
};

}  // namespace

std::unique_ptr<cli::Command> MakeEvaluateCommand() { return std::make_unique<EvaluateCommand>(); }

}  // namespace serve
