// The training loop of //train:train (see trainer.h for the files it writes).
#include "train/trainer.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/atomic_file.h"
#include "base/progress_bar.h"
#include "base/status_macros.h"
#include "base/thread_pool.h"
#include "eval/evaluate.h"
#include "eval/metrics.h"
#include "eval/model_file.h"
#include "eval/plot/chart.h"
#include "eval/score.h"
#include "nn/build_info.h"
#include "nn/io/checkpoint.h"
#include "nn/io/safetensors.h"
#include "nn/layers/init.h"
#include "nn/models/detector.h"
#include "nn/models/presets.h"
#include "nn/ops/activation.h"
#include "nn/ops/loss.h"
#include "nn/optim/adam.h"
#include "nn/optim/clip_grad_norm.h"
#include "nn/optim/lr_scheduler.h"
#include "nn/optim/sgd.h"
#include "serve/cli/common_flags.h"
#include "train/data/augment.h"
#include "train/data/dataset.h"
#include "train/data/face_store.h"
#include "train/data/loader.h"
#include "train/distributed/communicator.h"
#include "train/distributed/gradient_sync.h"
#if NN_HAVE_CUDA
#include "train/distributed/nccl_communicator.h"
#endif
#include "train/feature_cache.h"

namespace train {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr char kStateFormat[] = "deepfake-trainer-state";
constexpr char kStateVersion[] = "1";
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// The project version (serve/version.h's kProjectVersion; train/ does not depend on serve/).
constexpr char kVersion[] = "deepfake 0.1.0";

std::string PathIn(const std::string& dir, const std::string& name) {
  return (fs::path(dir) / name).string();
}

double Seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// JSON numbers with NaN as null, and back.
json Number(double value) { return std::isfinite(value) ? json(value) : json(nullptr); }
double NumberOr(const json& j, const char* key, double fallback = kNaN) {
  return j.contains(key) && j[key].is_number() ? j[key].get<double>() : fallback;
}

std::string UtcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

// --- Optimizers and schedule. ------------------------------------------------------------

std::unique_ptr<nn::optim::Optimizer> MakeOptimizer(const TrainConfig& config,
                                                    nn::optim::NamedParameterList parameters) {
  if (config.optimizer == "sgd") {
    nn::optim::SGDOptions options;
    options.lr = config.learning_rate;
    options.momentum = 0.9;
    options.weight_decay = config.weight_decay;
    return std::make_unique<nn::optim::SGD>(std::move(parameters), options);
  }
  if (config.optimizer == "adamw") {
    nn::optim::AdamWOptions options;
    options.lr = config.learning_rate;
    options.weight_decay = config.weight_decay;
    return std::make_unique<nn::optim::AdamW>(std::move(parameters), options);
  }
  nn::optim::AdamOptions options;
  options.lr = config.learning_rate;
  options.weight_decay = config.weight_decay;
  return std::make_unique<nn::optim::Adam>(std::move(parameters), options);
}

// The schedule steps once per epoch; plateau watches the validation loss.
struct Schedule {
  std::unique_ptr<nn::optim::LRScheduler> scheduler;
  nn::optim::ReduceLROnPlateau* plateau = nullptr;
  nn::optim::StepLR* step = nullptr;
  nn::optim::CosineAnnealingLR* cosine = nullptr;

  void EpochEnd(double val_loss) {
    if (plateau != nullptr && std::isfinite(val_loss)) plateau->Step(val_loss);
    if (step != nullptr) step->Step();
    if (cosine != nullptr) cosine->Step();
  }
};

Schedule MakeSchedule(const TrainConfig& config, nn::optim::Optimizer* optimizer) {
  Schedule schedule;
  if (config.scheduler == "cosine") {
    auto s = std::make_unique<nn::optim::CosineAnnealingLR>(optimizer, config.epochs);
    schedule.cosine = s.get();
    schedule.scheduler = std::move(s);
  } else if (config.scheduler == "step") {
    auto s =
        std::make_unique<nn::optim::StepLR>(optimizer, config.lr_step_epochs, config.lr_factor);
    schedule.step = s.get();
    schedule.scheduler = std::move(s);
  } else {
    nn::optim::ReduceLROnPlateauOptions options;
    options.factor = config.lr_factor;
    options.patience = config.lr_patience;
    auto s = std::make_unique<nn::optim::ReduceLROnPlateau>(optimizer, options);
    schedule.plateau = s.get();
    schedule.scheduler = std::move(s);
  }
  return schedule;
}

// --- The resumable state: one safetensors file. ------------------------------------------
// Tensors "model.<state>", "optim.head.<slot>.<param>", "optim.backbone.<slot>.<param>";
// metadata "format", "format_version", the schedule under "sched." and "trainer" (JSON:
// epoch, step, dropout counters, best so far, history). The backbone has its own optimizer
// so that its moments start when it is unfrozen (as PyTorch skips parameters without
// gradients) and a frozen backbone is not moved by weight decay.

absl::Status SaveState(const std::string& path, nn::Detector& model,
                       const nn::optim::Optimizer& head, const nn::optim::Optimizer& backbone,
                       const nn::optim::LRScheduler& schedule, const json& trainer) {
  nn::io::TensorMap tensors;
  nn::io::Metadata metadata = {
      {"format", kStateFormat}, {"format_version", kStateVersion}, {"trainer", trainer.dump()}};
  for (const auto& [name, tensor] : model.NamedState()) {
    tensors["model." + name] = tensor->device().is_cpu() ? *tensor : tensor->To(nn::Device::CPU());
  }
  head.ExportState("optim.head.", &tensors, &metadata);
  backbone.ExportState("optim.backbone.", &tensors, &metadata);
  schedule.ExportState("sched.", &metadata);
  return nn::io::WriteSafetensors(path, tensors, metadata);
}

absl::Status LoadState(const std::string& path, nn::Detector* model, nn::optim::Optimizer* head,
                       nn::optim::Optimizer* backbone, nn::optim::LRScheduler* schedule,
                       json* trainer) {
  nn::io::Metadata metadata;
  ASSIGN_OR_RETURN(nn::io::TensorMap tensors, nn::io::ReadSafetensors(path, &metadata));
  if (metadata["format"] != kStateFormat || metadata["format_version"] != kStateVersion) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": not a training state of this trainer (format '", metadata["format"], "' v'",
        metadata["format_version"], "', expected '", kStateFormat, "' v", kStateVersion, ")"));
  }
  json parsed = json::parse(metadata["trainer"], nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": metadata 'trainer' is not JSON"));
  }
  // Check everything, then change everything.
  ASSIGN_OR_RETURN(std::vector<nn::Tensor> state, nn::io::ReadModuleState(path, "model.", model));
  for (auto [prefix, optimizer] : {std::pair{"optim.head.", head}, {"optim.backbone.", backbone}}) {
    if (absl::Status s = optimizer->CheckState(prefix, tensors, metadata); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", s.message()));
    }
  }
  if (absl::Status s = schedule->CheckState("sched.", metadata); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", s.message()));
  }
  nn::io::AssignModuleState(state, model);
  NN_CHECK(head->ImportState("optim.head.", tensors, metadata).ok());
  NN_CHECK(backbone->ImportState("optim.backbone.", tensors, metadata).ok());
  NN_CHECK(schedule->ImportState("sched.", metadata).ok());
  *trainer = std::move(parsed);
  return absl::OkStatus();
}

// --- --init. -------------------------------------------------------------------------------

absl::StatusOr<json> LoadInit(const TrainConfig& config, nn::Detector& model, std::FILE* log) {
  json report = {{"path", config.init}, {"mode", config.init_partial ? "partial" : "strict"}};
  if (!config.init_partial) {
    absl::Status loaded = nn::io::LoadCheckpoint(config.init, &model);
    if (!loaded.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--init does not fit preset '", config.preset, "': ", loaded.message(),
                       "\n(--init_partial loads the tensors that fit and reports the rest)"));
    }
    report["loaded"] = model.NamedState().size();
    absl::FPrintF(log, "init: %s, all %d tensors loaded\n", config.init,
                  static_cast<int>(model.NamedState().size()));
    return report;
  }
  absl::StatusOr<nn::io::TensorMap> file = nn::io::ReadSafetensors(config.init);
  if (!file.ok())
    return absl::InvalidArgumentError(absl::StrCat("--init: ", file.status().message()));
  std::vector<std::string> missing, mismatched, unexpected, loaded;
  std::set<std::string> known;
  for (auto& [name, tensor] : model.NamedState()) {
    known.insert(name);
    auto it = file->find(name);
    if (it == file->end()) {
      missing.push_back(name);
    } else if (it->second.shape() != tensor->shape() || it->second.dtype() != tensor->dtype()) {
      std::ostringstream text;
      text << name << ": model " << tensor->shape() << " vs file " << it->second.shape();
      mismatched.push_back(text.str());
    } else {
      tensor->CopyFrom(it->second);
      loaded.push_back(name);
    }
  }
  for (const auto& [name, tensor] : *file) {
    if (!known.count(name)) unexpected.push_back(name);
  }
  report["loaded"] = loaded.size();
  report["missing"] = missing;
  report["mismatched"] = mismatched;
  report["unexpected"] = unexpected;
  if (loaded.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--init ", config.init, ": no tensor fits preset '", config.preset, "' (", missing.size(),
        " missing, ", mismatched.size(), " mismatched, ", unexpected.size(), " unexpected)"));
  }
  absl::FPrintF(log,
                "init: %s (partial): %d tensors loaded, %d left initialised, %d mismatched, %d "
                "in the file unused\n",
                config.init, static_cast<int>(loaded.size()), static_cast<int>(missing.size()),
                static_cast<int>(mismatched.size()), static_cast<int>(unexpected.size()));
  for (const std::string& m : mismatched) absl::FPrintF(log, "  mismatched %s\n", m);
  return report;
}

// --- Outputs. ------------------------------------------------------------------------------

std::string CsvNumber(double value) {
  return std::isfinite(value) ? absl::StrFormat("%.6g", value) : "";
}

absl::Status WriteMetricsFiles(const std::string& out_dir,
                               const std::vector<EpochRecord>& history) {
  std::string jsonl;
  std::string csv =
      "epoch,train_loss,val_loss,val_accuracy,val_balanced_accuracy,val_auc,val_frame_auc,"
      "val_eer,val_average_precision,val_log_loss,threshold,threshold_balanced_accuracy,lr,"
      "frames_per_second,data_wait_share,seconds,backbone_frozen,best\n";
  for (const EpochRecord& r : history) {
    absl::StrAppend(&jsonl, EpochRecordToJson(r).dump(), "\n");
    const json& video = r.val.contains("video") ? r.val["video"] : json::object();
    auto v = [&](const char* key) { return NumberOr(video, key); };
    absl::StrAppend(&csv, r.epoch, ",", CsvNumber(r.train_loss), ",", CsvNumber(r.val_loss), ",",
                    CsvNumber(v("accuracy")), ",", CsvNumber(v("balanced_accuracy")), ",",
                    CsvNumber(r.val_auc), ",", CsvNumber(r.val_frame_auc), ",", CsvNumber(v("eer")),
                    ",", CsvNumber(v("average_precision")), ",", CsvNumber(v("log_loss")), ",",
                    CsvNumber(r.threshold), ",", CsvNumber(r.balanced_accuracy), ",",
                    CsvNumber(r.lr), ",", CsvNumber(r.frames_per_second), ",",
                    CsvNumber(r.data_wait_share), ",", CsvNumber(r.seconds), ",",
                    r.backbone_frozen ? 1 : 0, ",", r.best ? 1 : 0, "\n");
  }
  RETURN_IF_ERROR(base::WriteFileAtomically(PathIn(out_dir, "metrics.jsonl"), jsonl));
  return base::WriteFileAtomically(PathIn(out_dir, "metrics.csv"), csv);
}

absl::Status WriteCurves(const std::string& path, const std::string& run_name,
                         const std::vector<EpochRecord>& history) {
  eval::plot::Series train_loss{"train loss"}, val_loss{"validation loss"};
  eval::plot::Series video_auc{"video AUC"}, frame_auc{"frame AUC"};
  eval::plot::Series lr{"learning rate"};
  for (auto* s : {&train_loss, &val_loss, &video_auc, &frame_auc, &lr})
    s->markers = history.size() < 30;
  frame_auc.dashed = true;
  for (const EpochRecord& r : history) {
    for (auto* s : {&train_loss, &val_loss, &video_auc, &frame_auc, &lr}) s->x.push_back(r.epoch);
    train_loss.y.push_back(r.train_loss);
    val_loss.y.push_back(r.val_loss);
    video_auc.y.push_back(r.val_auc);
    frame_auc.y.push_back(r.val_frame_auc);
    lr.y.push_back(r.lr);
  }
  eval::plot::Figure figure;
  eval::plot::Chart loss;
  loss.title = absl::StrCat(run_name, ": loss");
  loss.x.label = "epoch";
  loss.y.label = "binary cross-entropy";
  loss.series = {train_loss, val_loss};
  eval::plot::Chart auc;
  auc.title = "validation ROC AUC";
  auc.x.label = "epoch";
  auc.y.label = "AUC";
  auc.y.min = -0.02;  // a margin, so a curve at 0 or 1 stays visible
  auc.y.max = 1.02;
  auc.series = {video_auc, frame_auc};
  figure.charts = {loss, auc};
  return eval::plot::WriteFigurePng(figure, path);
}

// "epoch 3/50: train loss 0.6123, val loss 0.5234, acc 81.2%, AUC 0.903 (frame 0.871), ..."
std::string EpochLine(const EpochRecord& r, int epochs) {
  const json& video = r.val.contains("video") ? r.val["video"] : json::object();
  return absl::StrFormat(
      "epoch %d/%d: train loss %.4f, val loss %.4f, acc %.1f%% (at 0.5), AUC %.4f (frame %.4f), "
      "EER %.3f, AP %.4f, threshold %.3f (bal. acc %.1f%%), lr %.3g, %.1f frames/s, data wait "
      "%.1f%%%s",
      r.epoch, epochs, r.train_loss, r.val_loss, 100 * NumberOr(video, "accuracy"), r.val_auc,
      r.val_frame_auc, NumberOr(video, "eer"), NumberOr(video, "average_precision"), r.threshold,
      100 * r.balanced_accuracy, r.lr, r.frames_per_second, 100 * r.data_wait_share,
      r.best ? "  [best]" : "");
}

// A better epoch: higher validation AUC, ties by lower validation loss (NaN AUC ranks last).
bool Better(double auc, double loss, double best_auc, double best_loss, bool have_best) {
  if (!have_best) return true;
  const double a = std::isnan(auc) ? -1 : auc, b = std::isnan(best_auc) ? -1 : best_auc;
  if (a != b) return a > b;
  return loss < best_loss;
}

// The configuration fields that decide the result: a resumed run must match them.
const char* const kResultFields[] = {"preset",
                                     "batch_size",
                                     "sequence_length",
                                     "samples_per_track",
                                     "learning_rate",
                                     "weight_decay",
                                     "optimizer",
                                     "scheduler",
                                     "lr_patience",
                                     "lr_factor",
                                     "lr_step_epochs",
                                     "grad_accum",
                                     "clip_grad_norm",
                                     "freeze_backbone_epochs",
                                     "seed",
                                     "threshold_max_fpr",
                                     "balance",
                                     "augment",
                                     "self_blend_ratio",
                                     "face_swap_ratio",
                                     "temporal_jitter",
                                     "feature_cache",
                                     "val_fraction",
                                     "real_paths",
                                     "fake_paths",
                                     "val_real_paths",
                                     "val_fake_paths",
                                     "manifest",
                                     "init",
                                     "init_partial"};

}  // namespace

json EpochRecordToJson(const EpochRecord& r) {
  return {{"epoch", r.epoch},
          {"train_loss", Number(r.train_loss)},
          {"val_loss", Number(r.val_loss)},
          {"val_auc", Number(r.val_auc)},
          {"val_frame_auc", Number(r.val_frame_auc)},
          {"threshold", Number(r.threshold)},
          {"threshold_balanced_accuracy", Number(r.balanced_accuracy)},
          {"lr", Number(r.lr)},
          {"seconds", Number(r.seconds)},
          {"frames_per_second", Number(r.frames_per_second)},
          {"data_wait_share", Number(r.data_wait_share)},
          {"backbone_frozen", r.backbone_frozen},
          {"best", r.best},
          {"val", r.val}};
}

absl::StatusOr<EpochRecord> EpochRecordFromJson(const json& j) {
  if (!j.is_object() || !j.contains("epoch") || !j["epoch"].is_number_integer()) {
    return absl::InvalidArgumentError("epoch record without an integer 'epoch'");
  }
  EpochRecord r;
  r.epoch = j["epoch"].get<int>();
  r.train_loss = NumberOr(j, "train_loss");
  r.val_loss = NumberOr(j, "val_loss");
  r.val_auc = NumberOr(j, "val_auc");
  r.val_frame_auc = NumberOr(j, "val_frame_auc");
  r.threshold = NumberOr(j, "threshold", 0.5);
  r.balanced_accuracy = NumberOr(j, "threshold_balanced_accuracy");
  r.lr = NumberOr(j, "lr");
  r.seconds = NumberOr(j, "seconds");
  r.frames_per_second = NumberOr(j, "frames_per_second");
  r.data_wait_share = NumberOr(j, "data_wait_share");
  r.backbone_frozen = j.value("backbone_frozen", false);
  r.best = j.value("best", false);
  r.val = j.value("val", json::object());
  return r;
}

namespace {

// Everything one run holds; the steps of RunTraining are its methods.
class Run {
 public:
  Run(const TrainConfig& config, std::FILE* log, distributed::Communicator* comm)
      : config_(config), log_(log), comm_(comm), root_(comm->rank() == 0) {
    if (!root_) {
      // Other ranks print nothing but errors.
      quiet_ = std::fopen("/dev/null", "w");
      log_ = quiet_;
      bar_options_.out = quiet_;
    }
  }
  ~Run() {
    if (quiet_ != nullptr) std::fclose(quiet_);
  }

  absl::StatusOr<TrainResult> Execute();

 private:
  absl::Status PrepareOutDir();
  absl::Status ClearPreviousRun();
  absl::Status LoadData();
  absl::Status BuildModel();
  absl::Status Resume();
  // One epoch of training; returns the mean training loss.
  double TrainEpoch(int epoch, EpochRecord* record);
  std::vector<eval::VideoScore> Validate();
  absl::Status SaveEpoch(const EpochRecord& record, const eval::EvaluationSummary& summary);
  absl::Status WriteRunJson(const std::string& status);
  json TrainerState() const;
  void Print(const std::string& text) {
    if (!root_) return;
    absl::FPrintF(log_, "%s\n", text);
    std::fflush(log_);
  }
  // Rank 0's status on every rank (for steps rank 0 runs alone).
  absl::Status ShareRootStatus(const absl::Status& status);
  // Several ranks: every rank's scores merged (each rank scored its shard).
  void GatherScores(std::map<int, eval::TrackScore>* scores);

  TrainConfig config_;
  std::FILE* log_;
  distributed::Communicator* comm_;
  bool root_;
  std::FILE* quiet_ = nullptr;
  base::ProgressBarOptions bar_options_;
  std::optional<distributed::GradientAverager> averager_;
#if NN_HAVE_CUDA
  std::unique_ptr<distributed::NcclCommunicator> nccl_;  // GPU gradients under mpirun
#endif
  double start_seconds_ = Seconds();
  double elapsed_before_ = 0;  // seconds of earlier sessions (resume)
  std::string started_ = UtcNow();
  nn::ModelPreset preset_;
  nn::Device device_ = nn::Device::CPU();
  std::string device_note_;

  data::DatasetSplit split_;
  std::optional<data::FaceStore> store_;
  int num_train_videos_ = 0;  // store videos [0, n) are training, the rest validation
  std::vector<int> train_tracks_, val_tracks_;
  std::vector<int> train_track_labels_;
  json data_counts_;

  std::unique_ptr<nn::Detector> model_;
  std::unique_ptr<nn::optim::Optimizer> head_optimizer_, backbone_optimizer_;
  nn::optim::NamedParameterList head_parameters_, backbone_parameters_;
  Schedule schedule_;
  json init_report_ = nullptr;
  nn::Tensor pos_weight_;     // balance=loss_weight: fake weight real/fake (BCE)
  nn::Tensor class_weights_;  // the same for several outputs (cross-entropy)
  int fake_output_ = -1;      // -1: one output (sigmoid = P(fake)); else the FAKE index

  data::LoaderOptions train_options_, val_options_;
  std::unique_ptr<data::BatchLoader> train_loader_, val_loader_;
  std::optional<FeatureCache> features_;

  // Progress, saved in the state.
  int epochs_done_ = 0;
  int64_t steps_ = 0;
  int best_epoch_ = 0;
  double best_auc_ = kNaN, best_loss_ = kNaN;
  int bad_epochs_ = 0;
  std::vector<EpochRecord> history_;
  std::string stop_reason_;
};

absl::Status Run::PrepareOutDir() {
  const std::string& out = config_.out_dir;
  const std::string state = PathIn(out, "train_state.safetensors");
  std::error_code error;
  const bool holds_run = fs::exists(PathIn(out, "run.json"), error) || fs::exists(state, error) ||
                         fs::exists(PathIn(out, "last.safetensors"), error);
  if (config_.resume) {
    if (!fs::exists(state, error)) {
      return absl::FailedPreconditionError(
          absl::StrCat("--resume: ", out, " holds no train_state.safetensors to resume from"));
    }
    // The configuration that decides the result must be the saved run's.
    std::ifstream in(PathIn(out, "run.json"));
    json saved = json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (saved.is_object() && saved.contains("config")) {
      const json now = TrainConfigToJson(config_);
      // Another rank count: --grad_accum may change so that the global batch (batch size x
      // grad_accum x ranks) stays the run's.
      const int saved_ranks = saved.value("world_size", 1);
      const int saved_accum = saved["config"].value("grad_accum", config_.grad_accum);
      const bool same_global_batch =
          saved_ranks * saved_accum == comm_->size() * config_.grad_accum;
      if (saved_ranks != comm_->size()) {
        Print(absl::StrFormat(
            "note: the run used %d rank(s), now %d: %s", saved_ranks, comm_->size(),
            same_global_batch ? "the global batch stays the same"
                              : "the global batch (batch size x grad_accum x ranks) changes"));
      }
      std::vector<std::string> differences;
      for (const char* key : kResultFields) {
        if (std::string(key) == "grad_accum" && same_global_batch) continue;
        if (saved["config"].contains(key) && saved["config"][key] != now[key]) {
          differences.push_back(absl::StrCat("--", key, " ", now[key].dump(), " (the run has ",
                                             saved["config"][key].dump(), ")"));
        }
      }
      if (!differences.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--resume: the flags differ from the run in ", out, ": ",
            absl::StrJoin(differences, "; "), ". Give the run's values (see its run.json)."));
      }
      if (saved.contains("threads") && saved["threads"] != base::GetNumThreads()) {
        Print(absl::StrCat("note: the run used ", saved["threads"].dump(), " threads, now ",
                           base::GetNumThreads(), ": the result may differ in the last bits"));
      }
      elapsed_before_ = NumberOr(saved.value("time", json::object()), "seconds", 0);
    }
    return absl::OkStatus();
  }
  if (holds_run && !config_.overwrite) {
    return absl::FailedPreconditionError(
        absl::StrCat("--out_dir ", out,
                     " holds another run (run.json / checkpoints); pass --resume to continue it "
                     "or --overwrite to replace it"));
  }
  fs::create_directories(out, error);
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("--out_dir ", out, ": cannot create it: ", error.message()));
  }
  return absl::OkStatus();
}

// --overwrite: the previous run's files go only once every check before training passed
// (inputs, faces, model, --init), so a mistyped flag never costs the user a finished run.
absl::Status Run::ClearPreviousRun() {
  if (!config_.overwrite) return absl::OkStatus();
  for (const char* name :
       {"run.json", "train_state.safetensors", "last.safetensors", "best.safetensors",
        "metrics.jsonl", "metrics.csv", "curves.png", "roc.png", "val_predictions.csv"}) {
    std::error_code error;
    fs::remove(PathIn(config_.out_dir, name), error);
    if (error) {
      return absl::FailedPreconditionError(absl::StrCat(
          "--overwrite: cannot remove ", PathIn(config_.out_dir, name), ": ", error.message()));
    }
  }
  return absl::OkStatus();
}

absl::Status Run::LoadData() {
  // Which videos.
  if (!config_.manifest.empty()) {
    ASSIGN_OR_RETURN(std::vector<data::VideoItem> items, data::ItemsFromManifest(config_.manifest));
    const bool has_val = std::any_of(items.begin(), items.end(), [](const data::VideoItem& item) {
      return item.split == "val";
    });
    if (has_val) {
      // With online fakes the training split may be real only (blend-only training).
      ASSIGN_OR_RETURN(split_, data::SplitFromManifest(items, config_.self_blend_ratio > 0 ||
                                                                  config_.face_swap_ratio > 0));
    } else {
      // No validation split in the manifest: hold one out by identity (test stays out).
      std::vector<data::VideoItem> pool, test;
      for (const data::VideoItem& item : items)
        (item.split == "test" ? test : pool).push_back(item);
      ASSIGN_OR_RETURN(split_, data::SplitForValidation(pool, config_.val_fraction, config_.seed));
      split_.test = std::move(test);
    }
  } else {
    ASSIGN_OR_RETURN(std::vector<data::VideoItem> items,
                     data::ResolveLabelledPaths(config_.real_paths, config_.fake_paths));
    if (!config_.val_real_paths.empty()) {
      ASSIGN_OR_RETURN(std::vector<data::VideoItem> val,
                       data::ResolveLabelledPaths(config_.val_real_paths, config_.val_fake_paths));
      split_.train = std::move(items);
      split_.val = std::move(val);
      split_.method = "given";
    } else {
      ASSIGN_OR_RETURN(split_, data::SplitForValidation(items, config_.val_fraction, config_.seed));
    }
  }
  Print(split_.Summary());

  // Faces, once per video (the face cache makes later runs read no video).
  std::vector<data::VideoItem> items = split_.train;
  num_train_videos_ = static_cast<int>(items.size());
  items.insert(items.end(), split_.val.begin(), split_.val.end());
  data::FaceStoreOptions store_options;
  store_options.cache_dir = config_.cache_dir;
  // Training draws sequence_length frames (with jitter, from twice the model's count);
  // validation scores the model's frame count, as `deepfake detect` does.
  const bool jitter = config_.augment == "preset" && config_.temporal_jitter;
  const int frames = preset_.preprocessing.frames;
  store_options.frames_per_video = jitter ? 2 * frames : frames;
  std::unique_ptr<base::ProgressBar> bar;
  bar = std::make_unique<base::ProgressBar>("faces", static_cast<int64_t>(items.size()), "video",
                                            bar_options_);
  ASSIGN_OR_RETURN(data::FaceStore store,
                   data::FaceStore::Build(
                       items, preset_, store_options,
                       [&](int done, int total, const std::string& path, const std::string& error) {
                         (void)total;
                         (void)path;
                         bar->Update(done, error.empty() ? "" : "skipped: " + error);
                       }));
  bar->Finish();
  store_.emplace(std::move(store));

  // Per split and class: videos with a face track, tracks.
  std::map<std::pair<bool, int>, std::set<int>> usable;
  std::map<std::pair<bool, int>, int> tracks;
  for (size_t t = 0; t < store_->tracks().size(); ++t) {
    const data::StoredTrack& track = store_->tracks()[t];
    const bool train = track.video < num_train_videos_;
    const int label = store_->videos()[track.video].label;
    usable[{train, label}].insert(track.video);
    ++tracks[{train, label}];
    (train ? train_tracks_ : val_tracks_).push_back(static_cast<int>(t));
    if (train) train_track_labels_.push_back(label);
  }
  auto counts = [&](bool train) {
    json j;
    for (int label : {0, 1}) {
      const char* name = label ? "fake" : "real";
      const int given = static_cast<int>(std::count_if(
          (train ? split_.train : split_.val).begin(), (train ? split_.train : split_.val).end(),
          [&](const data::VideoItem& item) { return item.label == label; }));
      j[name] = {{"videos", given},
                 {"usable_videos", usable[{train, label}].size()},
                 {"tracks", tracks[{train, label}]}};
    }
    return j;
  };
  data_counts_ = {{"split", split_.ToJson()},
                  {"train", counts(true)},
                  {"val", counts(false)},
                  {"faces", store_->ToJson()}};
  const auto& skipped = store_->skipped();
  if (!skipped.empty()) {
    Print(absl::StrCat(skipped.size(), " of ", items.size(),
                       " videos skipped (listed in run.json):"));
    for (size_t i = 0; i < skipped.size() && i < 10; ++i) Print("  " + skipped[i].reason);
    if (skipped.size() > 10) Print(absl::StrCat("  ... and ", skipped.size() - 10, " more"));
  }
  // A real-only training split (online self-blends are its fakes) was allowed by the split.
  const bool blend_only = std::none_of(split_.train.begin(), split_.train.end(),
                                      [](const data::VideoItem& v) { return v.label == 1; });
  for (bool train : {true, false}) {
    for (int label : {0, 1}) {
      if (!usable[{train, label}].empty() || (train && label == 1 && blend_only)) continue;
      std::string example;
      for (const data::SkippedVideo& s : skipped) {
        if (s.label == label) {
          example = absl::StrCat(" (e.g. ", s.reason, ")");
          break;
        }
      }
      return absl::FailedPreconditionError(absl::StrCat(
          "no usable ", label ? "fake" : "real", " video in the ",
          train ? "training" : "validation", " split: every one was skipped", example));
    }
  }
  return absl::OkStatus();
}

absl::Status Run::BuildModel() {
  nn::DetectorOptions options = preset_.detector;
  options.seed = config_.seed;
  // The initial weights come from the process-wide init generator: seed it, so the run is
  // a function of --seed (and not of what this process constructed before).
  nn::SetInitSeed(config_.seed);
  fake_output_ = eval::FakeOutputIndex(preset_);
  if (fake_output_ >= 0 && preset_.detector.num_outputs != 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--preset ", preset_.name, ": training supports one output (sigmoid) or two (softmax)"));
  }
  model_ = std::make_unique<nn::Detector>(options);
  if (!config_.init.empty()) {
    ASSIGN_OR_RETURN(init_report_, LoadInit(config_, *model_, log_));
  }
  model_->To(device_);
  for (auto& [name, parameter] : model_->NamedParameters()) {
    (name.rfind("model.", 0) == 0 ? backbone_parameters_ : head_parameters_)
        .emplace_back(name, parameter);
  }
  head_optimizer_ = MakeOptimizer(config_, head_parameters_);
  backbone_optimizer_ = MakeOptimizer(config_, backbone_parameters_);
  schedule_ = MakeSchedule(config_, head_optimizer_.get());
  if (config_.balance == "loss_weight") {
    int real = 0, fake = 0;
    for (int label : train_track_labels_) (label ? fake : real)++;
    if (fake == 0) {
      return absl::FailedPreconditionError(
          "--balance loss_weight weighs fake training videos, and the training split has none "
          "(its fakes are online self-blends); use --balance none or oversample");
    }
    const float weight = static_cast<float>(real) / std::max(fake, 1);
    pos_weight_ = nn::Tensor::FromVector({1}, {weight});
    if (fake_output_ >= 0) {
      std::vector<float> weights(preset_.detector.num_outputs, 1.0f);
      weights[fake_output_] = weight;
      class_weights_ = nn::Tensor::FromVector({preset_.detector.num_outputs}, weights);
      if (!device_.is_cpu()) class_weights_ = class_weights_.To(device_);
    }
    if (!device_.is_cpu()) pos_weight_ = pos_weight_.To(device_);
  }
  Print(absl::StrFormat("model: preset %s, %d parameters (%d in the LSTM and head)", preset_.name,
                        model_->NumParameterElements(), [&] {
                          int64_t n = 0;
                          for (auto& [name, p] : head_parameters_) n += p->value.numel();
                          return n;
                        }()));

  // Loaders.
  train_options_.batch_size = config_.batch_size;
  train_options_.sequence_length = config_.sequence_length;
  train_options_.samples_per_track = config_.samples_per_track;
  train_options_.shuffle = true;
  train_options_.balance =
      config_.balance == "oversample" ? data::ClassBalance::kOversample : data::ClassBalance::kNone;
  train_options_.augment = config_.augment == "preset";
  train_options_.augment_options =
      train_options_.augment ? data::AugmentOptionsForPreset(preset_) : data::NoAugmentation();
  train_options_.temporal_jitter = train_options_.augment && config_.temporal_jitter;
  train_options_.self_blend_ratio = config_.self_blend_ratio;
  train_options_.face_swap_ratio = config_.face_swap_ratio;
  train_options_.num_workers = config_.workers;
  train_options_.seed = config_.seed;
  train_options_.preprocessing = preset_.preprocessing;
  val_options_ = train_options_;
  val_options_.batch_size =
      config_.val_batch_size > 0 ? config_.val_batch_size : config_.batch_size;
  val_options_.shuffle = false;
  val_options_.sequence_length = preset_.preprocessing.frames;
  val_options_.samples_per_track = 1;
  val_options_.balance = data::ClassBalance::kNone;
  val_options_.augment = false;
  val_options_.augment_options = data::NoAugmentation();
  val_options_.temporal_jitter = false;
  val_options_.self_blend_ratio = 0;
  val_options_.face_swap_ratio = 0;
  train_options_.shard_index = val_options_.shard_index = comm_->rank();
  train_options_.shard_count = val_options_.shard_count = comm_->size();

  if (config_.feature_cache) {
    model_->SetBackboneFrozen(true);
    std::vector<int> all = train_tracks_;
    all.insert(all.end(), val_tracks_.begin(), val_tracks_.end());
    base::ProgressBar bar("features", 1, "batch", bar_options_);
    features_.emplace(
        FeatureCache::Build(*model_, *store_, all, val_options_, [&](int64_t done, int64_t total) {
          (void)total;
          bar.Update(done);
        }));
    bar.Finish(absl::StrFormat("%.1f MiB cached", features_->size_bytes() / 1048576.0));
  } else {
    train_loader_ = std::make_unique<data::BatchLoader>(&*store_, train_tracks_, train_options_);
    val_loader_ = std::make_unique<data::BatchLoader>(&*store_, val_tracks_, val_options_);
  }
  return absl::OkStatus();
}

json Run::TrainerState() const {
  json history = json::array();
  for (const EpochRecord& r : history_) history.push_back(EpochRecordToJson(r));
  return {{"epochs_done", epochs_done_},
          {"steps", steps_},
          {"best_epoch", best_epoch_},
          {"best_auc", Number(best_auc_)},
          {"best_loss", Number(best_loss_)},
          {"bad_epochs", bad_epochs_},
          {"dropout_counters", model_->DropoutCounters()},
          {"history", history}};
}

absl::Status Run::Resume() {
  std::string path = PathIn(config_.out_dir, "train_state.safetensors");
  json state;
  if (comm_->size() == 1) {
    RETURN_IF_ERROR(LoadState(path, model_.get(), head_optimizer_.get(), backbone_optimizer_.get(),
                              schedule_.scheduler.get(), &state));
  } else {
    // Rank 0's file reaches the other ranks through the communicator (OUT_DIR need not be
    // on a shared filesystem); each loads it from a private copy.
    std::string bytes;
    absl::Status read = absl::OkStatus();
    if (root_) {
      std::ifstream in(path, std::ios::binary);
      std::ostringstream content;
      content << in.rdbuf();
      if (!in.good() && !in.eof()) read = absl::DataLossError(absl::StrCat(path, ": cannot read"));
      bytes = content.str();
    }
    RETURN_IF_ERROR(ShareRootStatus(read));
    bytes = distributed::BroadcastString(*comm_, bytes, 0);
    std::string copy;
    if (!root_) {
      copy = (fs::temp_directory_path() /
              absl::StrCat("deepfake_train_state_", ::getpid(), "_", comm_->rank(), ".safetensors"))
                 .string();
      RETURN_IF_ERROR(base::WriteFileAtomically(copy, bytes));
      path = copy;
    }
    const absl::Status loaded =
        LoadState(path, model_.get(), head_optimizer_.get(), backbone_optimizer_.get(),
                  schedule_.scheduler.get(), &state);
    if (!copy.empty()) {
      std::error_code ignored;
      fs::remove(copy, ignored);
    }
    RETURN_IF_ERROR(ShareRootStatus(loaded));
    RETURN_IF_ERROR(loaded);
  }
  epochs_done_ = state.value("epochs_done", 0);
  steps_ = state.value("steps", int64_t{0});
  best_epoch_ = state.value("best_epoch", 0);
  best_auc_ = NumberOr(state, "best_auc");
  best_loss_ = NumberOr(state, "best_loss");
  bad_epochs_ = state.value("bad_epochs", 0);
  model_->SetDropoutCounters(state.value("dropout_counters", std::vector<uint64_t>{0, 0, 0}));
  for (const json& r : state.value("history", json::array())) {
    ASSIGN_OR_RETURN(EpochRecord record, EpochRecordFromJson(r));
    history_.push_back(std::move(record));
  }
  backbone_optimizer_->set_lr(head_optimizer_->lr());
  Print(absl::StrFormat("resuming %s after epoch %d (step %d, best epoch %d)", config_.out_dir,
                        epochs_done_, steps_, best_epoch_));
  return absl::OkStatus();
}

absl::Status Run::ShareRootStatus(const absl::Status& status) {
  if (comm_->size() == 1) return status;
  int32_t code = root_ ? static_cast<int32_t>(status.code()) : 0;
  comm_->Broadcast(&code, sizeof(code), 0);
  const std::string message =
      distributed::BroadcastString(*comm_, root_ ? std::string(status.message()) : "", 0);
  if (root_ || code == 0) return status;
  return absl::Status(static_cast<absl::StatusCode>(code), absl::StrCat("rank 0: ", message));
}

double Run::TrainEpoch(int epoch, EpochRecord* record) {
  const bool frozen = config_.feature_cache || epoch <= config_.freeze_backbone_epochs;
  record->backbone_frozen = frozen;
  model_->Train();
  model_->SetBackboneFrozen(frozen);
  model_->ZeroGrad();
  const int ranks = comm_->size(), rank = comm_->rank();

  // Feature mode: batches of cached features in a per-epoch order. Several ranks: this
  // rank's batch b is the epoch's batch b * ranks + rank (as the loader's shards).
  std::vector<int> order;
  int64_t batches, all_batches = 0;
  if (features_) {
    order = EpochOrder(train_tracks_, train_track_labels_, config_.balance == "oversample",
                       config_.seed, epoch);
    all_batches =
        (static_cast<int64_t>(order.size()) + config_.batch_size - 1) / config_.batch_size;
    batches = (all_batches + ranks - 1) / ranks;
  } else {
    train_loader_->StartEpoch(epoch);
    batches = train_loader_->BatchesPerEpoch();
  }
  base::ProgressBar bar(absl::StrCat("epoch ", epoch, "/", config_.epochs), batches, "batch",
                        bar_options_);
  nn::optim::NamedParameterList trainable = head_parameters_;
  if (!frozen)
    trainable.insert(trainable.end(), backbone_parameters_.begin(), backbone_parameters_.end());
  std::vector<nn::Parameter*> trainable_parameters;
  for (auto& [name, parameter] : trainable) trainable_parameters.push_back(parameter);

  // Several ranks: the epoch's batch j draws the dropout masks one process would draw for
  // it (counters = epoch start + j), so ranks differ and the run matches one process.
  const std::vector<uint64_t> dropout_base = model_->DropoutCounters();
  std::vector<double> dropout_counted(dropout_base.size(), 0);

  const double start = Seconds();
  double wait = 0, loss_sum = 0;
  int64_t frames = 0, samples = 0, nonempty = 0;
  int accumulated = 0;
  for (int64_t b = 0; b < batches; ++b) {
    nn::Tensor labels, input;
    bool have_input = true;
    if (features_) {
      const int64_t global = b * ranks + rank;
      const int64_t begin = std::min<int64_t>(global * config_.batch_size, order.size());
      const int64_t end = std::min<int64_t>(begin + config_.batch_size, order.size());
      std::vector<int> rows(order.begin() + begin, order.begin() + end);
      have_input = !rows.empty();
      if (have_input) {
        std::vector<float> values;
        for (int t : rows) values.push_back(store_->videos()[store_->tracks()[t].video].label);
        labels = nn::Tensor::FromVector({static_cast<int64_t>(rows.size()), 1}, values);
        if (!device_.is_cpu()) labels = labels.To(device_);
        input = features_->Batch(rows, device_);
      }
    } else {
      double waited = 0;
      std::optional<data::Batch> batch = train_loader_->Next(&waited);
      wait += waited;
      if (!batch) break;
      have_input = batch->frames.dim(0) > 0;
      if (have_input) {
        labels = device_.is_cpu() ? batch->labels : batch->labels.To(device_);
        input = device_.is_cpu() ? batch->frames : batch->frames.To(device_);
      }
    }
    float loss = 0;
    int64_t rows = 0;
    // An empty batch (the epoch's last ones, on some ranks) adds no gradient but still
    // takes part in the step's allreduce.
    if (have_input) {
      frames += input.dim(0) * input.dim(1);
      if (ranks > 1) {
        std::vector<uint64_t> counters = dropout_base;
        for (uint64_t& c : counters) c += static_cast<uint64_t>(b * ranks + rank);
        model_->SetDropoutCounters(counters);
      }
      const nn::DetectorOutput out =
          features_ ? model_->ForwardFeatures(input) : model_->Forward(input);
      if (ranks > 1) {
        const std::vector<uint64_t> after = model_->DropoutCounters();
        for (size_t i = 0; i < after.size(); ++i) {
          if (after[i] != dropout_base[i] + static_cast<uint64_t>(b * ranks + rank)) {
            dropout_counted[i] = 1;
          }
        }
      }
      nn::Tensor grad = nn::Tensor::Zeros(out.video_logits.shape(), nn::DType::kFloat32, device_);
      if (fake_output_ < 0) {
        const nn::Tensor* pos_weight = pos_weight_.defined() ? &pos_weight_ : nullptr;
        loss = nn::BCEWithLogitsForward(out.video_logits, labels, pos_weight);
        nn::BCEWithLogitsBackward(out.video_logits, labels, pos_weight, 1.0f / config_.grad_accum,
                                  &grad);
      } else {
        // Several outputs (e.g. the paper's FAKE/REAL softmax): cross-entropy on class indices.
        const nn::Tensor host = labels.device().is_cpu() ? labels : labels.To(nn::Device::CPU());
        std::vector<int64_t> targets;
        for (int64_t r = 0; r < host.numel(); ++r) {
          targets.push_back(host.data<float>()[r] > 0.5f ? fake_output_ : 1 - fake_output_);
        }
        nn::CrossEntropyOptions options;
        if (pos_weight_.defined()) options.class_weights = &class_weights_;
        loss = nn::CrossEntropyForward(out.video_logits, targets, options);
        nn::CrossEntropyBackward(out.video_logits, targets, options, 1.0f / config_.grad_accum,
                                 &grad);
      }
      model_->Backward(grad);
      rows = out.video_logits.dim(0);
      ++nonempty;
    }
    loss_sum += static_cast<double>(loss) * rows;
    samples += rows;
    if (++accumulated == config_.grad_accum || b + 1 == batches) {
      // Every rank's gradients averaged (each was scaled by 1/grad_accum): the gradient of
      // the mean loss over the global batch, as one process with ranks x grad_accum.
      averager_->Average(trainable_parameters);
      if (config_.clip_grad_norm > 0) nn::optim::ClipGradNorm(trainable, config_.clip_grad_norm);
      head_optimizer_->Step();
      if (!frozen) backbone_optimizer_->Step();
      model_->ZeroGrad();
      accumulated = 0;
      ++steps_;
    }
    const double elapsed = Seconds() - start;
    bar.Update(b + 1, absl::StrFormat("loss %.4f, %.1f frames/s", samples ? loss_sum / samples : 0,
                                      elapsed > 0 ? ranks * frames / elapsed : 0));
  }
  const double seconds = Seconds() - start;
  if (ranks > 1) {
    // Epoch totals over every rank; the dropout counters continue past the epoch's batches.
    std::vector<double> totals = {loss_sum, static_cast<double>(samples),
                                  static_cast<double>(frames), wait, static_cast<double>(nonempty)};
    totals.insert(totals.end(), dropout_counted.begin(), dropout_counted.end());
    comm_->AllreduceSum(totals.data(), static_cast<int64_t>(totals.size()));
    loss_sum = totals[0];
    samples = static_cast<int64_t>(totals[1]);
    frames = static_cast<int64_t>(totals[2]);
    wait = totals[3] / ranks;
    std::vector<uint64_t> counters = dropout_base;
    for (size_t i = 0; i < counters.size(); ++i) {
      if (totals[5 + i] > 0) counters[i] += static_cast<uint64_t>(totals[4]);
    }
    model_->SetDropoutCounters(counters);
  }
  record->frames_per_second = seconds > 0 ? frames / seconds : 0;
  record->data_wait_share = seconds > 0 ? wait / seconds : 0;
  bar.Finish(absl::StrFormat("loss %.4f", samples > 0 ? loss_sum / samples : kNaN));
  return samples > 0 ? loss_sum / samples : kNaN;
}

// Each rank scored its shard; every rank gets every score (the same summary everywhere,
// so every rank takes the same decisions: best epoch, schedule, early stopping).
void Run::GatherScores(std::map<int, eval::TrackScore>* scores) {
  if (comm_->size() == 1) return;
  json mine = json::array();
  for (const auto& [t, score] : *scores) {
    json frame_scores = json::array();
    for (double f : score.frame_scores) frame_scores.push_back(Number(f));
    mine.push_back({t, score.track_id, Number(score.score), frame_scores});
  }
  scores->clear();
  for (const std::string& part : comm_->AllGather(mine.dump())) {
    for (const json& entry : json::parse(part)) {
      eval::TrackScore score;
      score.track_id = entry[1].get<int>();
      score.score = entry[2].is_number() ? entry[2].get<double>() : kNaN;
      for (const json& f : entry[3])
        score.frame_scores.push_back(f.is_number() ? f.get<double>() : kNaN);
      (*scores)[entry[0].get<int>()] = std::move(score);
    }
  }
}

std::vector<eval::VideoScore> Run::Validate() {
  model_->Eval();
  const auto& tracks = store_->tracks();
  std::map<int, eval::TrackScore> scores;  // store track -> score
  if (features_) {
    const int batch = val_options_.batch_size;
    for (size_t begin = 0; begin < val_tracks_.size(); begin += batch) {
      // Several ranks: batch k is rank k % ranks's.
      if (static_cast<int64_t>(begin / batch) % comm_->size() != comm_->rank()) continue;
      std::vector<int> rows(val_tracks_.begin() + begin,
                            val_tracks_.begin() + std::min(begin + batch, val_tracks_.size()));
      const nn::DetectorOutput out = model_->ForwardFeatures(features_->Batch(rows, device_));
      nn::Tensor video = nn::Tensor::Empty(out.video_logits.shape(), nn::DType::kFloat32, device_);
      nn::SigmoidForward(out.video_logits, &video);
      video = video.To(nn::Device::CPU());
      nn::Tensor frame;
      if (out.frame_logits.defined()) {
        frame = nn::Tensor::Empty(out.frame_logits.shape(), nn::DType::kFloat32, device_);
        nn::SigmoidForward(out.frame_logits, &frame);
        frame = frame.To(nn::Device::CPU());
      }
      for (size_t r = 0; r < rows.size(); ++r) {
        eval::TrackScore score;
        score.track_id = tracks[rows[r]].track_id;
        score.score = video.data<float>()[r * video.dim(1)];
        if (frame.defined()) {
          for (int64_t t = 0; t < frame.dim(1); ++t) {
            score.frame_scores.push_back(
                frame.data<float>()[(r * frame.dim(1) + t) * frame.dim(2)]);
          }
        }
        scores[rows[r]] = std::move(score);
      }
    }
  } else {
    val_loader_->StartEpoch(0);
    while (std::optional<data::Batch> batch = val_loader_->Next()) {
      if (batch->frames.dim(0) == 0) continue;  // past the end, on some ranks
      std::vector<nn::Tensor> clips;
      const nn::Tensor& f = batch->frames;
      for (int64_t r = 0; r < f.dim(0); ++r) {
        clips.push_back(f.Slice(r, r + 1).Reshape({f.dim(1), f.dim(2), f.dim(3), f.dim(4)}));
      }
      std::vector<eval::TrackScore> batch_scores =
          eval::ScoreTracks(*model_, clips, val_options_.batch_size, fake_output_);
      for (size_t r = 0; r < batch_scores.size(); ++r) {
        batch_scores[r].track_id = tracks[batch->tracks[r]].track_id;
        scores[batch->tracks[r]] = std::move(batch_scores[r]);
      }
    }
  }
  GatherScores(&scores);
  // One entry per validation video, scored or with the reason it is not.
  std::map<std::string, std::string> skipped;
  for (const data::SkippedVideo& s : store_->skipped()) skipped[s.path] = s.reason;
  std::vector<eval::VideoScore> videos;
  for (int v = num_train_videos_; v < static_cast<int>(store_->videos().size()); ++v) {
    eval::VideoScore video;
    video.path = store_->videos()[v].path;
    video.label = store_->videos()[v].label;
    videos.push_back(std::move(video));
  }
  for (const auto& [t, score] : scores) {
    videos[tracks[t].video - num_train_videos_].tracks.push_back(score);
  }
  for (eval::VideoScore& video : videos) {
    if (video.tracks.empty()) {
      auto it = skipped.find(video.path);
      video.error = it != skipped.end() ? it->second : "no usable face track";
    }
    eval::SetVideoScore(&video);
  }
  return videos;
}

absl::Status Run::WriteRunJson(const std::string& status) {
  json best = nullptr;
  for (const EpochRecord& r : history_) {
    if (r.epoch == best_epoch_) best = EpochRecordToJson(r);
  }
  const double seconds = elapsed_before_ + Seconds() - start_seconds_;
  const EpochRecord* last = history_.empty() ? nullptr : &history_.back();
  json run = {
      {"status", status},
      {"command", config_.command},
      {"config", TrainConfigToJson(config_)},
      {"preset",
       {{"name", preset_.name},
        {"frames", preset_.preprocessing.frames},
        {"image_size", preset_.preprocessing.image_size},
        {"labels", preset_.labels}}},
      {"device", device_.is_cpu() ? "cpu" : "cuda"},
      {"device_note", device_note_},
      {"threads", base::GetNumThreads()},
      {"world_size", comm_->size()},
      {"distributed",
       {{"communicator", comm_->Description()},
        {"global_batch", config_.batch_size * config_.grad_accum * comm_->size()},
        {"allreduce_seconds", averager_ ? averager_->seconds() : 0.0},
        {"allreduce_bytes", averager_ ? averager_->bytes_reduced() : 0}}},
      {"data", data_counts_},
      {"loader", data::LoaderOptionsToJson(train_options_)},
      {"augmentations", data::AugmentOptionsToJson(train_options_.augment_options)},
      {"init", init_report_},
      {"epochs_completed", epochs_done_},
      {"optimizer_steps", steps_},
      {"best_epoch", best_epoch_},
      {"best", best},
      {"stop_reason", stop_reason_},
      {"throughput",
       {{"frames_per_second", last ? Number(last->frames_per_second) : json(nullptr)},
        {"data_wait_share", last ? Number(last->data_wait_share) : json(nullptr)}}},
      {"time", {{"started", started_}, {"updated", UtcNow()}, {"seconds", seconds}}},
      {"version", kVersion},
  };
  if (device_.is_cuda()) {  // the caching allocator's account of this GPU
    const nn::cuda::AllocatorStats memory = nn::CudaMemoryStats(device_.index);
    run["gpu_memory"] = {
        {"peak_in_use_bytes", memory.peak_in_use},   {"peak_reserved_bytes", memory.peak_reserved},
        {"reserved_bytes", memory.reserved},         {"not_in_use_share", memory.fragmentation()},
        {"raw_allocations", memory.raw_allocations}, {"cache_hits", memory.cache_hits}};
  }
  return base::WriteFileAtomically(PathIn(config_.out_dir, "run.json"), run.dump(2) + "\n");
}

absl::Status Run::SaveEpoch(const EpochRecord& record, const eval::EvaluationSummary& summary) {
  const std::string& out = config_.out_dir;
  auto metadata = [&](const EpochRecord& r) {
    eval::ModelProvenance provenance;
    provenance.threshold = r.threshold;
    provenance.threshold_method = config_.threshold_max_fpr > 0
                                      ? absl::StrCat("val_fpr_at_most_", config_.threshold_max_fpr)
                                      : "val_balanced_accuracy";
    provenance.val_balanced_accuracy = r.balanced_accuracy;
    provenance.training = {
        {"run", fs::path(out).filename().string()},
        {"epoch", r.epoch},
        {"step", steps_},
        {"command", config_.command},
        {"dataset", data_counts_.contains("train")
                        ? json{{"train", data_counts_["train"]}, {"val", data_counts_["val"]}}
                        : json(nullptr)},
        {"validation", eval::SummaryToJson(summary)},
        // No wall-clock time here (it is in run.json and metrics.csv): the same command,
        // seed and thread count give the same checkpoint bytes.
        {"version", kVersion}};
    return eval::MetadataForModel(preset_, provenance, steps_);
  };
  if (record.best) {
    RETURN_IF_ERROR(
        nn::io::SaveCheckpoint(PathIn(out, "best.safetensors"), *model_, metadata(record)));
  }
  RETURN_IF_ERROR(
      nn::io::SaveCheckpoint(PathIn(out, "last.safetensors"), *model_, metadata(record)));
  RETURN_IF_ERROR(SaveState(PathIn(out, "train_state.safetensors"), *model_, *head_optimizer_,
                            *backbone_optimizer_, *schedule_.scheduler, TrainerState()));
  RETURN_IF_ERROR(WriteMetricsFiles(out, history_));
  RETURN_IF_ERROR(
      WriteCurves(PathIn(out, "curves.png"), fs::path(out).filename().string(), history_));
  return WriteRunJson("running");
}

absl::StatusOr<TrainResult> Run::Execute() {
  // Before any data is read: preset, device, threads, out_dir.
  ASSIGN_OR_RETURN(preset_, nn::GetPreset(config_.preset));
  // Clips shorter than the preset's (frame-level training) still give a model that scores,
  // and is validated on, the preset's frame count; longer ones make that the model's count.
  preset_.preprocessing.frames = std::max(config_.sequence_length, preset_.preprocessing.frames);
  if (config_.threads > 0) {
    base::SetNumThreads(config_.threads);
  } else if (comm_->local_size() > 1) {
    // Several ranks on this machine share its cores.
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    base::SetNumThreads(std::max(1, cores / comm_->local_size()));
  }
  ASSIGN_OR_RETURN(device_, serve::cli::ParseDevice(config_.device, nn::CudaCompiledIn(),
                                                    nn::CudaDeviceCount()));
  if (device_.is_cuda() && comm_->local_size() > 1) {
    // One GPU per rank on a machine (wrapping around when ranks outnumber GPUs).
    device_ = nn::Device::CUDA(comm_->local_rank() % std::max(1, nn::CudaDeviceCount()));
  }
  device_note_ = config_.device == "auto"
                     ? absl::StrCat("auto: ", device_.is_cpu() ? "CPU" : "CUDA", " (CUDA ",
                                    nn::CudaDescription(), ")")
                     : config_.device;
  // OUT_DIR is rank 0's alone.
  RETURN_IF_ERROR(ShareRootStatus(root_ ? PrepareOutDir() : absl::OkStatus()));
  Print(absl::StrFormat("device: %s; threads: %d; out_dir: %s", device_note_, base::GetNumThreads(),
                        config_.out_dir));
  if (comm_->size() > 1) {
    Print(absl::StrFormat(
        "data-parallel: %s; global batch %d (%d per rank x %d ranks x "
        "grad_accum %d)",
        comm_->Description(), config_.batch_size * comm_->size() * config_.grad_accum,
        config_.batch_size, comm_->size(), config_.grad_accum));
  }
  if (!config_.init.empty() && !fs::exists(config_.init)) {
    return absl::NotFoundError(absl::StrCat("--init ", config_.init, ": no such file"));
  }
  // Rank 0 reads the videos first (filling the face cache); the others then read the cache
  // where it is shared, or build their own.
  const absl::Status root_data = root_ ? LoadData() : absl::OkStatus();
  comm_->Barrier();
  RETURN_IF_ERROR(ShareRootStatus(root_data));
  if (!root_) RETURN_IF_ERROR(LoadData());
  RETURN_IF_ERROR(BuildModel());
  if (config_.resume) RETURN_IF_ERROR(Resume());
  // Every rank starts from rank 0's weights and buffers.
  distributed::BroadcastModuleState(*comm_, *model_);
#if NN_HAVE_CUDA
  // GPU gradients are averaged on the GPUs over NCCL (a collective: every rank is here).
  if (device_.is_cuda() && comm_->size() > 1) {
    nccl_ = std::make_unique<distributed::NcclCommunicator>(*comm_, device_.index);
    Print(absl::StrFormat("allreduce: %s on cuda:%d", distributed::NcclCommunicator::Version(),
                          device_.index));
  }
  averager_.emplace(comm_, distributed::kDefaultBucketBytes, nccl_.get());
#else
  averager_.emplace(comm_);
#endif
  RETURN_IF_ERROR(ShareRootStatus(root_ ? ClearPreviousRun() : absl::OkStatus()));
  RETURN_IF_ERROR(ShareRootStatus(root_ ? WriteRunJson("running") : absl::OkStatus()));

  double epoch_seconds = 0;
  stop_reason_ = "epochs";
  if (config_.early_stopping_patience > 0 && bad_epochs_ >= config_.early_stopping_patience) {
    stop_reason_ = "early stopping";
  }
  for (int epoch = epochs_done_ + 1; epoch <= config_.epochs && stop_reason_ == "epochs"; ++epoch) {
    const double epoch_start = Seconds();
    EpochRecord record;
    record.epoch = epoch;
    record.lr = head_optimizer_->lr();
    backbone_optimizer_->set_lr(head_optimizer_->lr());
    record.train_loss = TrainEpoch(epoch, &record);

    // Validation and checkpoints use rank 0's batch-norm statistics.
    distributed::BroadcastModuleState(*comm_, *model_);
    const std::vector<eval::VideoScore> videos = Validate();
    const eval::EvaluationSummary summary = eval::Summarize(videos, 0.5);
    std::vector<double> track_scores;
    std::vector<int> track_labels;
    for (const eval::VideoScore& video : videos) {
      for (const eval::TrackScore& track : video.tracks) {
        track_scores.push_back(track.score);
        track_labels.push_back(video.label);
      }
    }
    record.val_loss = eval::LogLoss(track_scores, track_labels);
    record.val = eval::SummaryToJson(summary);
    record.val_auc = summary.video.auc;
    record.val_frame_auc = summary.frame.auc;
    eval::ThresholdChoice threshold = summary.video.best_threshold;
    if (config_.threshold_max_fpr > 0) {
      const eval::LabelledScores video = eval::VideoLevel(videos);
      threshold = eval::MaxFprThreshold(video.scores, video.labels, config_.threshold_max_fpr);
    }
    record.threshold = threshold.threshold;
    record.balanced_accuracy = threshold.balanced_accuracy;
    record.best = Better(record.val_auc, record.val_loss, best_auc_, best_loss_, best_epoch_ > 0);
    if (record.best) {
      best_epoch_ = epoch;
      best_auc_ = record.val_auc;
      best_loss_ = record.val_loss;
      bad_epochs_ = 0;
    } else {
      ++bad_epochs_;
    }
    schedule_.EpochEnd(record.val_loss);
    epochs_done_ = epoch;
    record.seconds = Seconds() - epoch_start;
    history_.push_back(record);
    RETURN_IF_ERROR(ShareRootStatus(root_ ? SaveEpoch(record, summary) : absl::OkStatus()));
    epoch_seconds = record.seconds;
    const double elapsed = elapsed_before_ + Seconds() - start_seconds_;
    Print(absl::StrCat(EpochLine(record, config_.epochs), "; ETA ",
                       base::FormatDuration(epoch_seconds * (config_.epochs - epoch))));

    if (config_.early_stopping_patience > 0 && bad_epochs_ >= config_.early_stopping_patience) {
      stop_reason_ = "early stopping";
      Print(absl::StrFormat("early stopping: no better validation AUC for %d epochs", bad_epochs_));
    } else if (config_.max_hours > 0 && epoch < config_.epochs &&
               elapsed + epoch_seconds > config_.max_hours * 3600) {
      stop_reason_ = "max_hours";
      Print(
          absl::StrFormat("stopping: another epoch would pass --max_hours %g", config_.max_hours));
    }
    // Rank 0's clock decides --max_hours for every rank.
    stop_reason_ = distributed::BroadcastString(*comm_, stop_reason_, 0);
  }

  // The best checkpoint's ROC and per-video verdicts on validation.
  if (best_epoch_ > 0) {
    RETURN_IF_ERROR(ShareRootStatus(
        root_ ? nn::io::LoadCheckpoint(PathIn(config_.out_dir, "best.safetensors"), model_.get())
              : absl::OkStatus()));
    distributed::BroadcastModuleState(*comm_, *model_);
    const std::vector<eval::VideoScore> videos = Validate();
    const EpochRecord* best = nullptr;
    for (const EpochRecord& r : history_) {
      if (r.epoch == best_epoch_) best = &r;
    }
    const double threshold = best != nullptr ? best->threshold : 0.5;
    auto write = [&]() -> absl::Status {
      if (!root_) return absl::OkStatus();
      RETURN_IF_ERROR(eval::WriteRocPng(
          videos,
          absl::StrFormat("%s, best epoch %d (validation)",
                          fs::path(config_.out_dir).filename().string(), best_epoch_),
          PathIn(config_.out_dir, "roc.png")));
      return eval::WritePerVideoCsv(videos, threshold,
                                    PathIn(config_.out_dir, "val_predictions.csv"));
    };
    RETURN_IF_ERROR(ShareRootStatus(write()));
    const eval::EvaluationSummary summary = eval::Summarize(videos, threshold);
    Print(absl::StrFormat("best epoch %d (validation, at threshold %.3f):\n%s", best_epoch_,
                          threshold, eval::SummaryText(summary)));
  }
  RETURN_IF_ERROR(ShareRootStatus(root_ ? WriteRunJson("finished") : absl::OkStatus()));
  if (device_.is_cuda()) {
    Print("GPU memory (cuda:" + std::to_string(device_.index) +
          "): " + nn::CudaMemoryStats(device_.index).ToString());
  }
  Print(absl::StrFormat(
      "done (%s) in %s: %s/best.safetensors, metrics.csv, curves.png, roc.png, "
      "run.json",
      stop_reason_, base::FormatDuration(elapsed_before_ + Seconds() - start_seconds_),
      config_.out_dir));
  TrainResult result;
  result.history = history_;
  result.best_epoch = best_epoch_;
  result.stop_reason = stop_reason_;
  return result;
}

}  // namespace

absl::StatusOr<TrainResult> RunTraining(const TrainConfig& config, std::FILE* log,
                                        distributed::Communicator* comm) {
  Run run(config, log, comm != nullptr ? comm : &distributed::WorldCommunicator());
  return run.Execute();
}

}  // namespace train
