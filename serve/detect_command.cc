// The detect subcommand: flags -> checks -> the model (--model_path or the shipped one) ->
// Detect / DetectBatch (or RunRealtime) -> lines, files, exit code.
#include "serve/detect_command.h"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/atomic_file.h"
#include "base/progress_bar.h"
#include "base/video_files.h"
#include "nn/models/presets.h"
#include "serve/annotate/annotate.h"
#include "serve/api/detector.h"
#include "serve/batch_shard.h"
#include "serve/cli/flags.h"
#include "serve/detect_output.h"
#include "serve/detector_flags.h"
#include "serve/realtime/realtime.h"
#include "serve/shipped_model.h"

namespace serve {
namespace {

namespace fs = std::filesystem;

constexpr char kCommand[] = "deepfake detect";

// The videos to analyse, in order: --video_path, --batch_paths (folders listed), or
// --batch_dir. Errors are usage errors (a missing --batch_dir, an empty folder).
absl::StatusOr<std::vector<std::string>> ResolveInputs(const DetectCommandOptions& options) {
  std::vector<std::string> paths;
  if (!options.video_path.empty()) paths.push_back(options.video_path);
  for (const std::string& given : options.batch_paths) {
    std::error_code error;
    if (fs::is_directory(given, error)) {
      absl::StatusOr<std::vector<std::string>> listed = base::ListVideoFiles(given);
      if (!listed.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("--batch_paths: ", listed.status().message()));
      }
      paths.insert(paths.end(), listed->begin(), listed->end());
    } else {
      paths.push_back(given);  // a missing file is reported as not analysed, like a bad one
    }
  }
  if (!options.batch_dir.empty()) {
    absl::StatusOr<std::vector<std::string>> listed = base::ListVideoFiles(options.batch_dir);
    if (!listed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--batch_dir: ", listed.status().message()));
    }
    if (listed->empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--batch_dir ", options.batch_dir,
                       ": no video files in it (extensions: .mp4, .mov, "
                       ".mkv, .webm, .avi, ...)"));
    }
    paths = *std::move(listed);
  }
  return paths;
}

// The folder a file is to be written into must exist (checked before any work).
absl::Status CheckWritableParent(const std::string& flag, const std::string& path) {
  fs::path parent = fs::path(path).parent_path();
  if (parent.empty()) parent = ".";
  std::error_code error;
  if (!fs::is_directory(parent, error)) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " ", path, ": the folder ", parent.string(), " does not exist"));
  }
  if (::access(parent.c_str(), W_OK) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " ", path, ": the folder ", parent.string(), " is not writable"));
  }
  return absl::OkStatus();
}

// The line of a finished video on `out`; its decoding warnings (damage skipped) on `err`.
void Report(const DetectionResult& result, std::ostream& out, std::ostream& err) {
  out << HumanLine(result) << "\n";
  out.flush();
  for (const std::string& warning : result.video.warnings) err << "  warning: " << warning << "\n";
}

// A FILE* writing into memory (for base::ProgressBar), whose new bytes Take() returns.
class MemoryFile {
 public:
  MemoryFile() : file_(open_memstream(&buffer_, &size_)) {}
  ~MemoryFile() {
    if (file_ != nullptr) std::fclose(file_);
    std::free(buffer_);
  }
  FILE* file() const { return file_; }
  std::string Take() {
    if (file_ == nullptr) return "";
    std::fflush(file_);
    std::string bytes(buffer_ + taken_, size_ - taken_);
    taken_ = size_;
    return bytes;
  }

 private:
  char* buffer_ = nullptr;
  size_t size_ = 0, taken_ = 0;
  FILE* file_;
};

// Ctrl-C / SIGTERM during --realtime set this; a second Ctrl-C kills (SA_RESETHAND).
std::atomic<bool> g_stop_realtime{false};
void StopRealtime(int) { g_stop_realtime.store(true); }

class DetectCommand : public cli::Command {
 public:
  DetectCommand() { common_.preset = ""; }  // "" = the checkpoint's

  std::string name() const override { return "detect"; }
  std::string summary() const override {
    return "is a video fake? verdict, probability and faces per video (one, a batch, or a "
           "live source with --realtime)";
  }
  std::string usage() const override {
    return "[--model_path=CKPT] (VIDEO... | --video_path=VIDEO | --batch_paths V1 V2 ... | "
           "--batch_dir=DIR | --realtime [--video_path=SOURCE]) [--output_file=F.json|.jsonl|"
           ".csv] [flags]";
  }
  bool MayPartlyFail() const override { return true; }
  // Videos may be given as plain arguments: one is --video_path, several --batch_paths.
  bool TakesPositional() const override { return true; }
  std::string ExitCodes() const override {
    return "Exit codes: 0 every video was analysed and none is fake; 1 at least one video is "
           "FAKE (and every video was analysed); 2 usage or setup error (bad or missing flag, no "
           "model, a model that cannot be loaded, an output that cannot be written: then after the "
           "report, whatever else applies); 3 at least "
           "one video could not be analysed (UNDETERMINED: unreadable, damaged, no face, ...): "
           "the others are still reported. 3 wins over 1, so a script never takes an "
           "incomplete batch for a complete one: look in the report for FAKE lines. With "
           "--realtime: 1 when any score was FAKE, 3 when the source failed or stalled.";
  }
  std::string Details() const override {
    return "Output: one line per video on stdout (verdict, P(fake), threshold, face tracks, "
           "seconds, path; the reason when UNDETERMINED); the model and a progress bar on "
           "stderr. A video is FAKE when any of its face tracks is (P(fake) >= threshold). "
           "--output_file writes every result in the versioned layout of "
           "serve/api/result_schema.json (\"schema_version\" in each object): .json an array "
           "of result objects, .jsonl one object per line (also --realtime's: one per score "
           "and a summary), .csv one row per video.\n\n"
           "Without --model_path: $DEEPFAKE_MODEL, else the shipped model (" +
           std::string(kShippedModelPath) +
           "; its model card: models/README.md).\n\n"
           "Examples:\n\n"
           "  deepfake detect clip.mp4\n"
           "  deepfake detect --model_path=best.safetensors --video_path=clip.mp4\n"
           "  deepfake detect --model_path=M --batch_dir=videos/ --output_file=results.jsonl\n"
           "  deepfake detect --model_path=M --video_path=clip.mp4 --annotate=clip_annotated.mp4 "
           "--explain=heatmaps/\n"
           "  deepfake detect --model_path=M --realtime --video_path=/dev/video0 --every=8\n\n"
           "Array jobs (Slurm job arrays, Kubernetes indexed Jobs): --shard I/N analyses shard I "
           "of N. Each finished video is appended to OUTPUT.partial and fsync'ed, and the output "
           "file is written atomically at the end (then OUTPUT.partial is removed), so a killed "
           "task loses at most the videos in flight: run it again with the same flags and it "
           "skips the videos already done (\"skipped N already done\" on stderr; their lines "
           "are not printed again, the exit code covers them). Combine the shards with "
           "deepfake merge-results:\n\n"
           "  deepfake detect --model_path=M --batch_dir=videos/ --shard=$SLURM_ARRAY_TASK_ID/"
           "$SLURM_ARRAY_TASK_COUNT --output_file=out/shard$SLURM_ARRAY_TASK_ID.jsonl\n"
           "  deepfake merge-results --output_file=all.json --batch_dir=videos/ "
           "out/shard*.jsonl";
  }

  void DefineFlags(cli::FlagSet& flags) override {
    flags.Path("model_path", &options_.model_path,
               "the checkpoint (best.safetensors of a //train:train run, or a converted one); "
               "\"\" = $DEEPFAKE_MODEL or the shipped model");
    flags.String("video_path", &options_.video_path,
                 "the video to analyse; with --realtime the live source (/dev/video0, pipe:0, a "
                 "FIFO, a URL, a lavfi graph with --input_format=lavfi); \"\" there = "
                 "/dev/video0");
    flags.StringList("batch_paths", &options_.batch_paths,
                     "several videos: --batch_paths a.mp4 b.mp4 ... (folders are searched "
                     "recursively)");
    flags.Path("batch_dir", &options_.batch_dir, "every video under this folder, recursively");
    flags.Path("output_file", &options_.output_file,
               "also write the results here; the extension picks the format: .json, .jsonl, "
               ".csv");
    flags.Double("confidence_threshold", &options_.confidence_threshold,
                 "P(fake) at or above which a video is FAKE (negative = the threshold stored in "
                 "the checkpoint, chosen on validation)");
    flags.Path("explain", &options_.explain_dir,
               "write Grad-CAM heatmaps here: VIDEO_track<ID>.png per face track, the crops "
               "with the heatmap blended in, left to right");
    flags.Path("annotate", &options_.annotate_path,
               "write the video (one --video_path) with a box per face track coloured and "
               "labelled by its running score and a score timeline, as H.264 MP4");
    flags.Int("batch_size", &options_.batch_size, "face tracks per forward pass");
    flags.Path("landmark_model", &options_.landmark_model,
               "shape_predictor_68_face_landmarks.dat (\"\" = the libdlib-data install)");
    flags.SetGroup("Array jobs");
    flags.String("shard", &options_.shard,
                 "I/N: analyse only shard I (0-based) of N of the batch (--batch_dir or "
                 "--batch_paths; videos are assigned by a stable hash of their path relative to "
                 "--batch_dir); needs a .json or .jsonl --output_file; implies --resume");
    flags.Bool("resume", &options_.resume,
               "reuse the results already in --output_file (and its journal OUTPUT.partial, "
               "left by a killed run) for videos unchanged since (same size and sha256), same "
               "model and threshold; unreadable / damaged ones are retried");
    flags.SetGroup("Real-time mode");
    flags.Bool("realtime", &options_.realtime,
               "score a live source continuously (--video_path) until it ends or Ctrl-C");
    flags.Int("every", &options_.every, "with --realtime: a new score every this many frames");
    flags.Int("window", &options_.window,
              "with --realtime: frames per score (0 = the model's frame count)");
    flags.Double("max_seconds", &options_.max_seconds,
                 "with --realtime: stop after this long (0 = until the source ends or Ctrl-C)");
    flags.String("input_format", &options_.input_format,
                 "with --realtime: FFmpeg input format of the source (v4l2, lavfi, mjpeg, ...; "
                 "\"\" = probe)");
    flags.Bool("show_window", &options_.show_window,
               "with --realtime: show the frames with boxes and scores in an X11 window");
    flags.Double("read_timeout", &options_.read_timeout,
                 "with --realtime: seconds without a frame after which the source counts as "
                 "stalled and the run ends (0 = wait forever)");
    flags.SetGroup("");
    common_.Define(flags, kDetectCommonFlags);
  }

  int Run(const std::vector<std::string>& positional, std::ostream& out,
          std::ostream& err) override;

 private:
  int Usage(const absl::Status& status, std::ostream& err) const {
    err << kCommand << ": " << status.message() << "\nusage: " << kCommand << " " << usage()
        << "\n";
    return cli::kExitUsage;
  }
  int RunFiles(const Detector& detector, const std::vector<std::string>& paths, std::ostream& out,
               std::ostream& err);
  int RunLive(const Detector& detector, std::ostream& out, std::ostream& err);

  DetectCommandOptions options_;
  cli::CommonFlags common_;
};

int DetectCommand::Run(const std::vector<std::string>& positional, std::ostream& out,
                       std::ostream& err) {
  DetectCommandOptions& o = options_;
  if (!positional.empty()) {
    if (o.realtime || !o.video_path.empty() || !o.batch_paths.empty() || !o.batch_dir.empty()) {
      return Usage(absl::InvalidArgumentError(absl::StrCat(
                       "videos given as arguments (", positional.front(),
                       ") and with --video_path, --batch_paths, --batch_dir or --realtime: use "
                       "one form")),
                   err);
    }
    if (positional.size() == 1) {
      o.video_path = positional.front();
    } else {
      o.batch_paths = positional;
    }
  }
  const bool live_source =
      o.realtime && (!o.input_format.empty() || absl::StrContains(o.video_path, ":"));
  if (!live_source)
    o.video_path = cli::ResolveUserPath(o.video_path);  // lavfi graphs, URLs as given
  for (std::string& path : o.batch_paths) path = cli::ResolveUserPath(path);
  if (absl::Status status = CheckDetectOptions(o); !status.ok()) return Usage(status, err);
  absl::StatusOr<cli::CommonFlags::Applied> common =
      common_.Apply(kDetectCommonFlags & ~cli::kPresetFlag);
  if (!common.ok()) return Usage(common.status(), err);
  if (!common_.preset.empty()) {
    if (absl::StatusOr<nn::ModelPreset> preset = nn::GetPreset(common_.preset); !preset.ok()) {
      return Usage(
          absl::InvalidArgumentError(absl::StrCat("--preset: ", preset.status().message())), err);
    }
  }
  std::vector<std::string> paths;
  if (!o.realtime) {
    absl::StatusOr<std::vector<std::string>> resolved = ResolveInputs(o);
    if (!resolved.ok()) return Usage(resolved.status(), err);
    paths = *std::move(resolved);
  }
  if (!o.shard.empty()) {
    const Shard shard = *ParseShard(o.shard);  // checked
    const size_t all = paths.size();
    paths = SelectShard(paths, o.batch_dir, shard);
    err << absl::StrFormat("shard %d/%d: %d of %d video(s)\n", shard.index, shard.count,
                           paths.size(), all);
  }
  for (const auto& [flag, path] :
       {std::pair<std::string, std::string>{"--output_file", o.output_file},
        {"--annotate", o.annotate_path}}) {
    if (path.empty()) continue;
    if (absl::Status status = CheckWritableParent(flag, path); !status.ok()) {
      return Usage(status, err);
    }
  }

  std::string model_path = o.model_path;
  if (model_path.empty()) {
    absl::StatusOr<std::string> shipped = FindShippedModel();
    if (!shipped.ok()) {
      err << kCommand << ": " << shipped.status().message() << "\n";
      return cli::kExitUsage;
    }
    model_path = *shipped;
  }
  DetectorOptions detector_options;
  ApplyCommonDetectorFlags(common_, &detector_options);
  detector_options.threshold = o.confidence_threshold;
  detector_options.batch_size = o.batch_size;
  detector_options.thumbnail_size = 0;  // not written by the CLI
  detector_options.landmark_model_path = o.landmark_model;
  absl::StatusOr<std::unique_ptr<Detector>> detector = Detector::Load(model_path, detector_options);
  if (!detector.ok()) {
    err << kCommand << ": " << detector.status().message() << "\n";
    return cli::kExitUsage;
  }
  const ModelFacts& model = (*detector)->model();
  if (!common_.preset.empty() && common_.preset != model.preset) {
    err << kCommand << ": --preset " << common_.preset << ": " << model_path << " is a '"
        << model.preset << "' model\n";
    return cli::kExitUsage;
  }
  err << absl::StrFormat("model: %s (preset %s, %d frames, sha256 %s) on %s; threshold %.4f (%s)\n",
                         model_path, model.preset, model.frames, model.sha256.substr(0, 12),
                         model.device, (*detector)->threshold(),
                         o.confidence_threshold >= 0
                             ? "--confidence_threshold"
                             : absl::StrCat("checkpoint, ", model.threshold_method));
  return o.realtime ? RunLive(**detector, out, err) : RunFiles(**detector, paths, out, err);
}

int DetectCommand::RunFiles(const Detector& detector, const std::vector<std::string>& paths,
                            std::ostream& out, std::ostream& err) {
  const DetectCommandOptions& o = options_;
  DetectOptions detect_options;
  detect_options.explain = !o.explain_dir.empty();
  // Resumable runs (--shard, --resume): earlier results kept, the rest journaled as they end.
  const bool resumable = o.resume || !o.shard.empty();
  std::map<std::string, DetectionResult> reused;
  ResultJournal journal;
  bool journal_ok = false;
  std::vector<std::string> todo = paths;
  if (resumable) {
    absl::StatusOr<std::map<std::string, DetectionResult>> reusable =
        ReusableResults(o.output_file, paths, detector.model(), detector.threshold());
    if (!reusable.ok()) {
      err << kCommand << ": --output_file " << o.output_file
          << " holds earlier results that cannot be read back (delete it, or choose another "
             "file): "
          << reusable.status().message() << "\n";
      return cli::kExitUsage;
    }
    reused = *std::move(reusable);
    todo.clear();
    std::vector<DetectionResult> kept;
    for (const std::string& path : paths) {
      const auto it = reused.find(path);
      if (it == reused.end()) {
        todo.push_back(path);
      } else {
        kept.push_back(it->second);
      }
    }
    err << absl::StrFormat("resume: skipped %d already done (in %s), %d to analyse\n", kept.size(),
                           o.output_file, todo.size());
    if (absl::Status status = journal.Open(JournalPath(o.output_file), kept); !status.ok()) {
      err << kCommand << ": " << status.message() << "\n";
      return cli::kExitUsage;
    }
    journal_ok = true;
  }
  const auto journal_append = [&](const DetectionResult& result) {
    if (!journal_ok) return;
    if (absl::Status status = journal.Append(result); !status.ok()) {
      err << kCommand << ": " << status.message() << " (results are kept in memory)\n";
      journal_ok = false;
    }
  };
  std::vector<DetectionResult> results;
  if (todo.empty()) {
    // Nothing left to analyse (an empty shard, or everything done before).
  } else if (todo.size() == 1 && !resumable) {
    results.push_back(detector.Detect(todo[0], detect_options));
    Report(results[0], out, err);
  } else {
    // On the process's stderr the bar redraws in place on a terminal (a result line then
    // first clears it); any other `err` stream gets its log lines through a memory stream.
    const bool to_stderr = &err == &std::cerr;
    const bool tty = to_stderr && ::isatty(STDERR_FILENO) != 0;
    MemoryFile log;
    base::ProgressBarOptions bar_options;
    if (!to_stderr) {
      bar_options.out = log.file();
      bar_options.tty = 0;
    }
    base::ProgressBar bar("detect", static_cast<int64_t>(todo.size()), "video", bar_options);
    std::mutex mutex;
    results = detector.DetectBatch(todo, detect_options, [&](const BatchProgress& p) {
      std::lock_guard<std::mutex> lock(mutex);
      journal_append(*p.result);
      if (tty) std::fputs("\r\033[K", stderr);
      Report(*p.result, out, err);
      bar.Update(p.done, p.undetermined > 0 ? absl::StrCat(p.undetermined, " not analysed") : "");
      err << log.Take();
    });
    int fake = 0, undetermined = 0;
    for (const DetectionResult& r : results) {
      fake += r.verdict == Verdict::kFake ? 1 : 0;
      undetermined += r.verdict == Verdict::kUndetermined ? 1 : 0;
    }
    bar.Finish(absl::StrFormat("%d fake, %d real, %d not analysed", fake,
                               static_cast<int>(results.size()) - fake - undetermined,
                               undetermined));
    err << log.Take();
  }
  if (resumable) {  // every video of `paths`, in its order: the kept and the new
    std::vector<DetectionResult> all;
    size_t next = 0;
    for (const std::string& path : paths) {
      const auto it = reused.find(path);
      all.push_back(it != reused.end() ? std::move(it->second) : std::move(results[next++]));
    }
    results = std::move(all);
  }

  int exit_code = DetectExitCode(results);
  const auto output_failed = [&](const absl::Status& status) {
    err << kCommand << ": " << status.message() << "\n";
    exit_code = cli::kExitUsage;
  };
  if (!o.explain_dir.empty()) {
    std::vector<std::string> stems;
    int files = 0;
    for (const DetectionResult& r : results) {
      absl::StatusOr<std::vector<std::string>> written =
          WriteExplanations(r, o.explain_dir, UniqueStem(r.path, &stems));
      if (!written.ok()) {
        output_failed(written.status());
        break;
      }
      files += static_cast<int>(written->size());
    }
    err << absl::StrFormat("wrote %d Grad-CAM image(s) to %s\n", files, o.explain_dir);
  }
  if (!o.annotate_path.empty()) {
    const absl::StatusOr<annotate::AnnotateOutcome> annotated =
        annotate::AnnotateVideo(results[0], o.annotate_path);
    if (annotated.ok()) {
      err << absl::StrFormat("wrote %s (%d frames, %dx%d)\n", o.annotate_path, annotated->frames,
                             annotated->width, annotated->height);
    } else if (results[0].verdict == Verdict::kUndetermined) {
      // The input's own fault (exit 3 already says so), not the output's.
      err << kCommand << ": no annotated video: " << annotated.status().message() << "\n";
    } else {
      output_failed(annotated.status());
    }
  }
  if (!o.output_file.empty()) {
    const ResultFormat format = *ResultFormatForPath(o.output_file);  // checked
    if (absl::Status status =
            base::WriteFileAtomically(o.output_file, FormatResults(results, format));
        status.ok()) {
      err << "wrote " << o.output_file << "\n";
      if (resumable) {
        if (absl::Status removed = journal.Remove(); !removed.ok()) output_failed(removed);
      }
    } else {
      output_failed(status);
    }
  }
  if (exit_code == kExitNotAnalysed) {
    int undetermined = 0;
    for (const DetectionResult& r : results) undetermined += r.verdict == Verdict::kUndetermined;
    err << absl::StrFormat("%s: %d of %d video(s) could not be analysed\n", kCommand, undetermined,
                           results.size());
  }
  return exit_code;
}

int DetectCommand::RunLive(const Detector& detector, std::ostream& out, std::ostream& err) {
  const DetectCommandOptions& o = options_;
  realtime::RealtimeOptions options;
  options.source = o.video_path.empty() ? "/dev/video0" : o.video_path;
  options.open.input_format = o.input_format;
  if (options.open.input_format.empty() && absl::StartsWith(options.source, "/dev/video")) {
    options.open.input_format = "v4l2";
  }
  options.open.read_timeout_seconds = o.read_timeout;
  options.every = o.every;
  options.window = o.window;
  options.max_seconds = o.max_seconds;
  options.output_file = o.output_file;
  options.show_window = o.show_window;

  g_stop_realtime.store(false);
  struct sigaction action = {}, old_int = {}, old_term = {};
  action.sa_handler = &StopRealtime;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND;  // a second Ctrl-C ends the process the usual way
  sigaction(SIGINT, &action, &old_int);
  sigaction(SIGTERM, &action, &old_term);
  const realtime::RealtimeSummary summary =
      realtime::RunRealtime(detector, options, g_stop_realtime, out, err);
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);

  // The error that ended the run is a line of the summary on `out` already.
  if (!summary.error.empty() || summary.source_stalled) return kExitNotAnalysed;
  return summary.fake_scores > 0 ? kExitFakeFound : kExitNoFake;
}

}  // namespace

absl::Status CheckDetectOptions(const DetectCommandOptions& o) {
  const int forms = (!o.video_path.empty() ? 1 : 0) + (!o.batch_paths.empty() ? 1 : 0) +
                    (!o.batch_dir.empty() ? 1 : 0);
  if (o.realtime) {
    if (!o.batch_paths.empty() || !o.batch_dir.empty()) {
      return absl::InvalidArgumentError(
          "--realtime reads one live source (--video_path), not --batch_paths or --batch_dir");
    }
    if (!o.annotate_path.empty() || !o.explain_dir.empty()) {
      return absl::InvalidArgumentError(
          "--annotate and --explain are for video files, not --realtime (see --show_window)");
    }
    if (!o.output_file.empty() &&
        absl::AsciiStrToLower(fs::path(o.output_file).extension().string()) != ".jsonl") {
      return absl::InvalidArgumentError(
          absl::StrCat("--output_file ", o.output_file,
                       ": --realtime writes JSONL (one object per score); "
                       "name it .jsonl"));
    }
    if (o.every < 1) {
      return absl::InvalidArgumentError(absl::StrCat("--every must be >= 1 (got ", o.every, ")"));
    }
    if (o.window < 0 || o.window == 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--window must be 0 (the model's frame count) or >= 2 (got ", o.window, ")"));
    }
    if (o.max_seconds < 0 || o.read_timeout < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          o.max_seconds < 0 ? "--max_seconds" : "--read_timeout", " must be >= 0 (got ",
          o.max_seconds < 0 ? o.max_seconds : o.read_timeout, ")"));
    }
  } else {
    const DetectCommandOptions defaults;
    const std::pair<bool, const char*> realtime_only[] = {
        {o.every != defaults.every, "--every"},
        {o.window != defaults.window, "--window"},
        {o.max_seconds != defaults.max_seconds, "--max_seconds"},
        {o.input_format != defaults.input_format, "--input_format"},
        {o.show_window != defaults.show_window, "--show_window"},
        {o.read_timeout != defaults.read_timeout, "--read_timeout"}};
    for (const auto& [given, flag] : realtime_only) {
      if (given) return absl::InvalidArgumentError(absl::StrCat(flag, " is for --realtime"));
    }
    if (forms == 0) {
      return absl::InvalidArgumentError(
          "no video: give --video_path, --batch_paths or --batch_dir (or --realtime)");
    }
    if (forms > 1) {
      return absl::InvalidArgumentError(
          "give one of --video_path, --batch_paths and --batch_dir, not several");
    }
    if (!o.annotate_path.empty()) {
      if (o.video_path.empty()) {
        return absl::InvalidArgumentError(
            "--annotate writes one video: use it with --video_path, not a batch");
      }
      if (absl::AsciiStrToLower(fs::path(o.annotate_path).extension().string()) != ".mp4") {
        return absl::InvalidArgumentError(absl::StrCat("--annotate ", o.annotate_path,
                                                       ": the annotated video is an MP4; name "
                                                       "it .mp4"));
      }
    }
    if (!o.output_file.empty()) {
      if (absl::StatusOr<ResultFormat> format = ResultFormatForPath(o.output_file); !format.ok()) {
        return format.status();
      }
    }
  }
  if (!o.shard.empty() || o.resume) {
    const std::string flag = !o.shard.empty() ? "--shard" : "--resume";
    if (!o.shard.empty()) {
      if (absl::StatusOr<Shard> shard = ParseShard(o.shard); !shard.ok()) return shard.status();
    }
    if (o.realtime || (o.batch_dir.empty() && o.batch_paths.empty())) {
      return absl::InvalidArgumentError(absl::StrCat(
          flag, " is for a batch of video files: give --batch_dir (or --batch_paths)"));
    }
    if (o.output_file.empty() || *ResultFormatForPath(o.output_file) == ResultFormat::kCsv) {
      return absl::InvalidArgumentError(absl::StrCat(
          flag,
          " needs --output_file ending in .jsonl or .json (results are read back from it "
          "on a re-run; CSV cannot be; merge-results writes CSV)"));
    }
  }
  if (o.confidence_threshold > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--confidence_threshold must be a probability in [0, 1] (got ",
                     o.confidence_threshold, ")"));
  }
  if (o.batch_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--batch_size must be >= 1 (got ", o.batch_size, ")"));
  }
  return absl::OkStatus();
}

std::unique_ptr<cli::Command> MakeDetectCommand() { return std::make_unique<DetectCommand>(); }

}  // namespace serve
