// serve::Detector: the one detection API. The CLI (`deepfake detect`), the dashboard and
// the Python module all call it, so every surface gives the same answer for the same video
// and model.
//
//   auto detector = serve::Detector::Load("model.safetensors", {});   // StatusOr
//   serve::DetectionResult r = (*detector)->Detect("clip.mp4");
//   r.verdict: REAL / FAKE / UNDETERMINED (+ reason), r.fake_probability, r.tracks[...]
//
// Pipeline (the same as training's validation and `deepfake evaluate`):
// video::PreprocessVideo with the checkpoint's preset -> every face track scored
// (eval::ScoreTracks) -> the video's probability is the maximum over its tracks: a video
// is fake when any tracked face is fake (DetectionResult::decision_rule says so).
//
// Threads: one Detector may be used from any number of threads at once (Detect,
// DetectBatch, Explain); results do not depend on concurrency or on the thread count.
// Errors: Load returns a Status naming the file; Detect never fails — a video that cannot
// be analysed comes back UNDETERMINED with a reason code and a message naming the file.
#ifndef SERVE_API_DETECTOR_H_
#define SERVE_API_DETECTOR_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nn/models/presets.h"
#include "nn/tensor.h"
#include "video/face_detector.h"
#include "video/frame.h"
#include "video/preprocess.h"

namespace serve {

enum class Verdict { kReal, kFake, kUndetermined };
// "REAL", "FAKE", "UNDETERMINED".
const char* VerdictName(Verdict verdict);

// Why a video is UNDETERMINED (kNone for REAL / FAKE).
enum class UndeterminedReason {
  kNone,
  kUnreadable,    // missing, empty, not a video, unsupported codec, too large
  kDamaged,       // the container or stream is broken beyond what decoding can skip
  kTooFewFrames,  // fewer decodable frames than the preset needs (min_frames)
  kNoFace,        // no face in any sampled frame
  kFaceTooSmall,  // faces found, but all below the minimum face size
  kNoFaceTrack,   // faces found, but none seen in enough frames to form a track
  kCanceled,      // DetectOptions::progress asked to stop
};
// Stable snake_case codes for JSON/CSV: "", "unreadable", "damaged", "too_few_frames",
// "no_face", "face_too_small", "no_face_track", "canceled".
const char* ReasonCode(UndeterminedReason reason);

struct DetectorOptions {
  std::string device = "auto";  // "cpu", "cuda" or "auto" (CUDA when usable, else CPU)
  int frames = 0;               // frames sampled per video; 0 = the preset's
  std::string sampling;         // "uniform", "first", "every"; "" = the preset's
  int every_k = 1;              // with sampling "every"
  double threshold = -1;        // P(fake) >= threshold is FAKE; < 0 = the checkpoint's
  int batch_size = 8;           // face tracks per model Forward
  int thumbnail_size = 112;     // side of the face thumbnails (RGB); 0 = none
  std::string landmark_model_path;  // "" = the installed shape_predictor_68
  // Face detector: "auto" (HOG, the CNN where HOG finds nothing), "hog" or "cnn".
  std::string face_detector = "auto";
};

// Per-call options of Detect / DetectBatch.
struct DetectOptions {
  bool explain = false;  // also compute Grad-CAM heatmaps for every track (see Explain)
  // DetectBatch: face tracks of videos that are ready together share a Forward (up to
  // batch_size tracks). 1 = on, 0 = one video per Forward, -1 = on where it pays: on a
  // GPU; on the CPU a video's frames already fill the kernels and sharing measured no
  // faster (README, detect_batch_benchmark). Results are the same either way.
  int cross_video_batching = -1;
  // Detect only (DetectBatch ignores it): called as the analysis moves on, with the stage
  // ("decoding" per sampled frame, "faces" once every frame is sampled, "scoring",
  // "explaining") and the fraction of the whole analysis done (0..1, non-decreasing), on
  // the calling thread. Returning false cancels: Detect returns UNDETERMINED with reason
  // kCanceled at its next stage boundary (decoding is not interrupted mid-way).
  std::function<bool(std::string_view stage, double fraction)> progress;
  // Detect only: when set and it becomes true (from any thread), the analysis stops as
  // soon as the current frame's face finding ends (or at the next stage boundary) with
  // reason kCanceled.
  const std::atomic<bool>* cancel = nullptr;
};

struct Image {  // packed RGB, row-major
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;  // width * height * 3
};

// A Grad-CAM heatmap of one face crop: where in the crop the model's evidence for FAKE
// lies (ReLU of the gradient-weighted sum of the backbone's last convolution's channels,
// normalised to [0, 1] over the track), and that heatmap blended over the crop.
struct Heatmap {
  int width = 0, height = 0;   // the last convolution's grid (e.g. 7 x 7 at 224 px)
  std::vector<float> values;   // width * height, in [0, 1]
  Image overlay;               // the crop (model input size) with the heatmap blended in
};

// One sampled frame of a face track.
struct TrackFrame {
  int64_t frame_index = 0;  // in the video
  double timestamp_seconds = 0;
  video::FaceBox box;       // in frame pixels
  bool detected = true;     // false: the face was not detected here (box interpolated)
  double score = -1;        // this frame's P(fake) (sequence model's per-frame readout); -1 none
};

struct TrackResult {
  int track_id = 0;
  double fake_probability = 0;  // the track's P(fake)
  bool fake = false;            // fake_probability >= threshold
  int num_detections = 0;
  double median_face_size = 0;  // box side in frame pixels
  std::vector<TrackFrame> frames;  // one per sampled frame
  std::vector<Image> thumbnails;   // one per sampled frame (thumbnail_size); empty if 0
  std::vector<Heatmap> heatmaps;   // one per sampled frame when explained; else empty
};

struct VideoFacts {
  std::string path;
  std::string sha256;  // of the file ("" for live sources)
  int64_t size_bytes = 0;
  double duration_seconds = 0;
  double frame_rate = 0;
  int width = 0, height = 0;
  std::string codec, container;
  int rotation_degrees = 0;
  int frames_sampled = 0;
  std::vector<std::string> warnings;  // damage found while decoding (naming the file)
};

struct ModelFacts {
  std::string name;    // file name of the checkpoint
  std::string path;
  std::string preset;  // e.g. "default"
  std::string sha256;  // of the checkpoint file
  std::string device;  // "cpu", "cuda:0"
  int frames = 0, image_size = 0;
  std::string threshold_method;  // "val_balanced_accuracy", "default", "flag"
};

struct StageTimesMs {
  double decode = 0;  // decoding (overlapped with face finding)
  double faces = 0;   // detection + landmarks after decoding, and tracking
  double crop = 0;    // aligned crops + normalisation
  double model = 0;   // Forward of every track
  double explain = 0; // Grad-CAM (0 unless asked)
  double total = 0;
};

struct DetectionResult {
  std::string path;
  Verdict verdict = Verdict::kUndetermined;
  UndeterminedReason reason = UndeterminedReason::kNone;
  std::string message;  // for UNDETERMINED: the error naming the file; else ""
  double fake_probability = -1;  // max over tracks; -1 when UNDETERMINED
  double threshold = 0.5;
  // "any_face": the video is FAKE when any tracked face's probability reaches the
  // threshold; its probability is the maximum over tracks.
  std::string decision_rule = "any_face";
  int deciding_track = -1;  // the track with the maximum probability; -1 none
  std::vector<TrackResult> tracks;
  VideoFacts video;
  ModelFacts model;
  StageTimesMs times;
};

// Per video of a batch, in input order, after it is finished.
struct BatchProgress {
  int done = 0, total = 0;
  int undetermined = 0;  // so far
  double elapsed_seconds = 0, eta_seconds = 0;
  const DetectionResult* result = nullptr;  // the one just finished
};
using BatchCallback = std::function<void(const BatchProgress&)>;

class Detector {
 public:
  // Reads a native checkpoint (eval/model_file.h: preset, preprocessing, labels and
  // threshold from its metadata; a converted paper checkpoint works too) onto
  // options.device. Errors name the file: missing, truncated, not a checkpoint, unknown or
  // mismatched preset, bad option values ("--frames" style names are the caller's).
  static absl::StatusOr<std::unique_ptr<Detector>> Load(const std::string& model_path,
                                                        const DetectorOptions& options = {});
  ~Detector();

  // Analyses one video file; never fails (UNDETERMINED with a reason instead).
  DetectionResult Detect(const std::string& video_path, const DetectOptions& options = {}) const;
  // The same on frames already decoded (a live window); `name` stands for the path.
  DetectionResult DetectFrames(const std::string& name, const std::vector<video::Frame>& frames,
                               const DetectOptions& options = {}) const;
  // Many videos: decoding and face finding of later videos overlap inference of earlier
  // ones, and face tracks of several videos share a Forward where that is faster. Results
  // in input order, each equal to what Detect gives for that video.
  std::vector<DetectionResult> DetectBatch(const std::vector<std::string>& paths,
                                           const DetectOptions& options = {},
                                           const BatchCallback& progress = nullptr) const;

  // Grad-CAM heatmaps for every face track of an already-detected result's video, filled
  // into result->tracks[i].heatmaps (the same as Detect with explain = true).
  absl::Status Explain(DetectionResult* result) const;

  // Scores face tracks ([T, 3, H, W] each, preprocessed for preset()): P(fake) per track
  // and per frame (eval::ScoreTracks with the right output). For live use.
  struct TrackScores {
    double fake_probability = 0;
    std::vector<double> frame_scores;  // empty when the readout has none
  };
  std::vector<TrackScores> ScoreFaceTracks(const std::vector<nn::Tensor>& tracks) const;

  const nn::ModelPreset& preset() const;  // with --frames / --sampling applied
  const ModelFacts& model() const;
  double threshold() const;
  // The preprocessing this detector runs (preset's, with the options applied).
  const video::PreprocessOptions& preprocess_options() const;

 private:
  struct State;
  explicit Detector(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace serve

#endif  // SERVE_API_DETECTOR_H_
