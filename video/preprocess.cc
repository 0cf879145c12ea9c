// Video -> per-track normalized face tensors: sampling, detection, landmarks, tracking,
// crops, normalization.
#include "video/preprocess.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "base/thread_pool.h"
#include "video/landmarks.h"
#include "video/library_versions.h"

namespace video {
namespace {

using Clock = std::chrono::steady_clock;

double MillisecondsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Calls fn(i) for i in [0, n), on base's pool when `parallel` (one index at a time).
void ForEach(int64_t n, bool parallel, const std::function<void(int64_t)>& fn) {
  if (!parallel) {
    for (int64_t i = 0; i < n; ++i) fn(i);
    return;
  }
  base::ParallelForEach(n, fn);
}

// Byte offset (0 = R, 1 = G, 2 = B) of each output plane.
std::array<int, 3> PlaneSources(nn::ChannelOrder channel_order) {
  switch (channel_order) {
    case nn::ChannelOrder::kRgb:
      return {0, 1, 2};
    case nn::ChannelOrder::kBgr:
      return {2, 1, 0};
  }
  NN_CHECK(false) << "channel order " << static_cast<int>(channel_order);
  return {};
}

}  // namespace

PreprocessOptions PreprocessOptionsForPreset(const nn::ModelPreset& preset) {
  PreprocessOptions options;
  options.sampling.strategy = preset.faces.sampling;
  options.crop_mode = preset.faces.crop_mode;
  options.margin = preset.faces.margin;
  return options;
}

absl::StatusOr<nn::Tensor> CropsToTensor(const std::vector<std::vector<uint8_t>>& crops,
                                         const nn::Preprocessing& preprocessing) {
  const std::array<int, 3> sources = PlaneSources(preprocessing.channel_order);
  const int64_t size = preprocessing.image_size;
  const int64_t plane = size * size;
  nn::Tensor faces =
      nn::Tensor::Empty(nn::Shape{static_cast<int64_t>(crops.size()), 3, size, size});
  float* out = faces.data<float>();
  for (size_t t = 0; t < crops.size(); ++t) {
    NN_CHECK_EQ(crops[t].size(), static_cast<size_t>(plane * 3)) << "crop " << t;
    for (int c = 0; c < 3; ++c) {
      const float scale = 1.0f / (255.0f * preprocessing.std[c]);
      const float offset = -preprocessing.mean[c] / preprocessing.std[c];
      const uint8_t* in = crops[t].data() + sources[c];
      float* dst = out + (t * 3 + c) * plane;
      for (int64_t i = 0; i < plane; ++i) dst[i] = in[3 * i] * scale + offset;
    }
  }
  return faces;
}

std::vector<uint8_t> TensorFrameToRgb(const nn::Tensor& faces, int64_t t,
                                      const nn::Preprocessing& preprocessing) {
  NN_CHECK(faces.rank() == 4 && faces.dim(1) == 3) << "faces " << faces.shape();
  NN_CHECK(t >= 0 && t < faces.dim(0)) << "entry " << t << " of " << faces.shape();
  const std::array<int, 3> sources = PlaneSources(preprocessing.channel_order);
  const int64_t plane = faces.dim(2) * faces.dim(3);
  std::vector<uint8_t> rgb(plane * 3);
  const float* in = faces.data<float>() + t * 3 * plane;
  for (int c = 0; c < 3; ++c) {
    const float* src = in + c * plane;
    for (int64_t i = 0; i < plane; ++i) {
      const float value = (src[i] * preprocessing.std[c] + preprocessing.mean[c]) * 255.0f;
      rgb[3 * i + sources[c]] = static_cast<uint8_t>(std::clamp(std::lround(value), 0L, 255L));
    }
  }
  return rgb;
}

namespace {

// Detection + landmarks of one frame, and what it cost.
struct FrameFaces {
  const Frame* frame = nullptr;
  std::vector<FaceObservation> faces;
  int num_faces = 0;  // before landmark prediction (same count)
  FaceDetectorKind detector = FaceDetectorKind::kHog;
  bool fell_back = false;
  double scale = 1;
  FaceBox picture_area;  // FrameDetection::picture_area
  std::vector<float> layout;  // FrameLayout, for shot cuts
  int roi_searches = 0, roi_found = 0;
  absl::Status error;
  double detector_ms = 0, landmarks_ms = 0;
};

using LandmarkModelFuture =
    std::shared_future<absl::StatusOr<std::shared_ptr<const LandmarkModel>>>;

// One detected face: its landmarks (a template when the fit is implausible) and appearance.
absl::StatusOr<FaceObservation> Observe(const LandmarkModel& model, const Frame& frame,
                                        const FaceBox& box, FaceDetectorKind detector) {
  ASSIGN_OR_RETURN(FaceLandmarks landmarks, model.Predict(frame, box));
  FaceObservation face{box, std::move(landmarks), FaceAppearance(frame, box)};
  face.detector = detector;
  if (!PlausibleLandmarks(face.landmarks, box)) {
    face.landmarks = TemplateLandmarks(box);
    face.landmarks_implausible = true;
  } else {
    face.geometry = FaceGeometry(face.landmarks);
  }
  return face;
}

void DetectFaces(const FaceDetector& detector, const LandmarkModelFuture& landmark_model,
                 FrameFaces& item) {
  const Clock::time_point t0 = Clock::now();
  item.layout = FrameLayout(*item.frame);
  absl::StatusOr<FrameDetection> detection = detector.DetectFrame(*item.frame);
  item.detector_ms = MillisecondsSince(t0);
  if (!detection.ok()) {
    item.error = detection.status();
    return;
  }
  item.detector = detection->detector;
  item.fell_back = detection->fell_back;
  item.scale = detection->scale;
  item.picture_area = detection->picture_area;
  const std::vector<FaceBox>* boxes = &detection->faces;
  item.num_faces = static_cast<int>(boxes->size());
  if (boxes->empty()) return;
  const absl::StatusOr<std::shared_ptr<const LandmarkModel>>& model = landmark_model.get();
  if (!model.ok()) {
    item.error = model.status();
    return;
  }
  const Clock::time_point t1 = Clock::now();
  for (const FaceBox& box : *boxes) {
    absl::StatusOr<FaceObservation> face = Observe(**model, *item.frame, box, item.detector);
    if (!face.ok()) {
      item.error = face.status();
      return;
    }
    item.faces.push_back(*std::move(face));
  }
  item.landmarks_ms = MillisecondsSince(t1);
}

// kAuto's second look (FaceDetectorOptions::cnn_roi_fallback). The faces found so far are
// linked into tracks (any face seen twice is one); on each frame where a track has no
// detection, within its span or up to 2 frames past its ends, the CNN searches the region
// around the track's predicted box (interpolated between its detections, or its end box),
// unless the whole-frame CNN already looked at that frame at that resolution. A face that
// fits the prediction (BestFitToPredicted) and is not one the frame already has joins the
// frame's faces, flagged from_roi. Region searches run on base's pool.
absl::Status SearchLostTracks(const FaceDetector& detector, const LandmarkModel& model,
                              const PreprocessOptions& options, std::deque<FrameFaces>& items) {
  const int n = static_cast<int>(items.size());
  std::vector<std::vector<FaceObservation>> observations(n);
  for (int f = 0; f < n; ++f) observations[f] = items[f].faces;
  FaceTrackerOptions any_pair = options.tracker;
  any_pair.min_track_detections = 2;
  any_pair.min_track_fraction = 0;
  struct Search {
    int frame;
    FaceBox predicted;
    absl::StatusOr<FaceObservation> found = absl::NotFoundError("");
    double ms = 0;
  };
  std::vector<Search> searches;
  std::vector<SampledFrameContext> context;
  for (const FrameFaces& item : items) {
    context.push_back({item.frame->timestamp_seconds, item.layout});
  }
  const double cut = options.tracker.cut_layout_difference;
  for (const FaceTrack& track : TrackFaces(observations, any_pair, nullptr, context)) {
    std::vector<int> seen;  // frames with a detection
    for (int f = 0; f < n; ++f) {
      if (!track.faces[f].filled) seen.push_back(f);
    }
    for (int f = std::max(0, seen.front() - 2); f <= std::min(n - 1, seen.back() + 2); ++f) {
      if (!track.faces[f].filled) continue;
      // Past the track's ends the prediction holds only within the end detection's shot
      // (after a cut another person may stand there); between two detections of the
      // track it is interpolated (a change of light may look like a cut).
      if (f < seen.front() && ShotCutBetween(context, f, seen.front(), cut)) continue;
      if (f > seen.back() && ShotCutBetween(context, seen.back(), f, cut)) continue;
      double scale = 0;
      detector.CnnRegion(*items[f].frame, track.faces[f].box, &scale);
      if (items[f].fell_back && items[f].scale >= 0.8 * scale) continue;
      searches.push_back({f, track.faces[f].box});
    }
  }
  ForEach(static_cast<int64_t>(searches.size()), options.parallel, [&](int64_t k) {
    Search& search = searches[k];
    const Clock::time_point start = Clock::now();
    const Frame& frame = *items[search.frame].frame;
    absl::StatusOr<FrameDetection> found = detector.DetectInRegion(frame, search.predicted);
    if (!found.ok()) {
      search.found = found.status();
    } else if (const int fit = BestFitToPredicted(found->faces, search.predicted); fit >= 0) {
      search.found = Observe(model, frame, found->faces[fit], FaceDetectorKind::kCnn);
      if (search.found.ok()) search.found->from_roi = true;
    }
    search.ms = MillisecondsSince(start);
  });
  for (Search& search : searches) {
    FrameFaces& item = items[search.frame];
    ++item.roi_searches;
    item.detector_ms += search.ms;
    if (!search.found.ok()) {
      if (absl::IsNotFound(search.found.status())) continue;
      return search.found.status();
    }
    bool known = false;  // HOG's, or another track's search found it already
    for (const FaceObservation& face : item.faces) {
      known = known || IntersectionOverUnion(face.box, search.found->box) > 0.3;
    }
    if (known) continue;
    item.faces.push_back(*std::move(search.found));
    ++item.roi_found;
    ++item.num_faces;
  }
  return absl::OkStatus();
}

// The face stage as a queue that frames join as they are decoded: `workers` threads detect
// while the caller keeps decoding, and Finish() has the caller help with what is left. On
// two cores this overlaps decoding with detection instead of running them one after the
// other. Frames must outlive the stage; results come out in the order frames were added.
class FaceStage {
 public:
  FaceStage(const FaceDetector& detector, LandmarkModelFuture model, int workers,
            const std::atomic<bool>* cancel = nullptr)
      : detector_(detector), model_(std::move(model)), cancel_(cancel) {
    for (int i = 0; i < workers; ++i) {
      threads_.emplace_back([this] {
        FaceDetector::Preload();  // once per process, while the first frame decodes
        Work(/*wait=*/true);
      });
    }
  }
  ~FaceStage() { Close(); }

  void Add(const Frame* frame) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      items_.emplace_back();  // std::deque: references to earlier items stay valid
      items_.back().frame = frame;
    }
    ready_.notify_one();
  }

  // Frames not yet started are dropped (after a decoding error).
  void Cancel() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      items_.resize(next_);
    }
    Close();
  }

  // Detects what is still queued (on this thread too), waits for the workers, and returns
  // the results in order.
  std::deque<FrameFaces>& Finish() {
    Work(/*wait=*/false);
    Close();
    return items_;
  }

 private:
  void Work(bool wait) {
    for (;;) {
      FrameFaces* item = nullptr;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        if (wait) ready_.wait(lock, [this] { return next_ < items_.size() || closed_; });
        if (next_ == items_.size()) return;
        if (cancel_ != nullptr && cancel_->load()) return;  // the rest stays undetected
        item = &items_[next_++];
      }
      DetectFaces(detector_, model_, *item);
    }
  }

  void Close() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closed_ = true;
    }
    ready_.notify_all();
    for (std::thread& t : threads_) t.join();
    threads_.clear();
  }

  const FaceDetector& detector_;
  const LandmarkModelFuture model_;
  const std::atomic<bool>* cancel_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<FrameFaces> items_;
  size_t next_ = 0;
  bool closed_ = false;
  std::vector<std::thread> threads_;
};

bool Canceled(const PreprocessOptions& options) {
  return options.cancel != nullptr && options.cancel->load();
}

absl::Status CheckPreprocessing(const std::string& name, const nn::Preprocessing& preprocessing) {
  if (preprocessing.image_size <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": crop size ", preprocessing.image_size, " is not positive"));
  }
  return absl::OkStatus();
}

absl::Status CheckFrameCount(const std::string& name, int num_frames,
                             const PreprocessOptions& options) {
  if (num_frames >= std::max(1, options.min_frames)) return absl::OkStatus();
  return WithPreprocessFailure(
      absl::InvalidArgumentError(
          absl::StrCat(name, ": only ", num_frames, " decodable frame(s); at least ",
                       std::max(1, options.min_frames), " are needed for a face sequence")),
      PreprocessFailure::kTooFewFrames);
}

// The 68-point model (cached per process after the first load, which takes ~0.6 s): on a
// thread of its own when `parallel`, so that a first load overlaps decoding.
LandmarkModelFuture LoadLandmarks(const PreprocessOptions& o) {
  const std::string path =
      o.landmark_model_path.empty() ? DefaultLandmarkModelPath() : o.landmark_model_path;
  return std::async(o.parallel ? std::launch::async : std::launch::deferred,
                    [path] { return LandmarkModel::Load(path); })
      .share();
}

// Threads that detect beside the caller.
int DetectionWorkers(const PreprocessOptions& options) {
  return options.parallel ? std::max(0, base::GetNumThreads() - 1) : 0;
}

// Everything after detection: frame table, tracks, crops, tensors. `result` has its
// identity fields set; its stage times are added to.
absl::Status FinishPreprocessing(const std::string& name, const FaceDetector& detector,
                                 const LandmarkModel& model, std::deque<FrameFaces>& items,
                                 const nn::Preprocessing& preprocessing,
                                 const PreprocessOptions& options, PreprocessedVideo& result) {
  const int num_frames = static_cast<int>(items.size());
  if (absl::Status s = CheckFrameCount(name, num_frames, options); !s.ok()) return s;
  for (const FrameFaces& item : items) {
    if (!item.error.ok()) {
      return absl::Status(item.error.code(), absl::StrCat(name, ": ", item.error.message()));
    }
  }
  if (options.detector.kind == FaceDetectorKind::kAuto && options.detector.cnn_roi_fallback) {
    const Clock::time_point start = Clock::now();
    if (absl::Status s = SearchLostTracks(detector, model, options, items); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat(name, ": ", s.message()));
    }
    result.times.detect_ms += MillisecondsSince(start);
  }
  std::vector<std::vector<FaceObservation>> observations(num_frames);
  std::vector<SampledFrameContext> context(num_frames);
  for (int i = 0; i < num_frames; ++i) {
    FrameFaces& item = items[i];
    context[i] = {item.frame->timestamp_seconds, item.layout};
    result.times.detector_cpu_ms += item.detector_ms;
    result.times.landmarks_cpu_ms += item.landmarks_ms;
    SampledFrameInfo info;
    info.index = item.frame->index;
    info.timestamp_seconds = item.frame->timestamp_seconds;
    info.num_faces = item.num_faces;
    info.detector = item.detector;
    info.detector_fell_back = item.fell_back;
    info.detection_scale = item.scale;
    info.picture_area = item.picture_area;
    info.cnn_roi_searches = item.roi_searches;
    info.cnn_roi_found = item.roi_found;
    info.detect_ms = item.detector_ms;
    result.frames.push_back(info);
    observations[i] = std::move(item.faces);
  }
  result.width = items.front().frame->width;
  result.height = items.front().frame->height;
  if (result.info.path.empty()) {  // PreprocessFrames: no decoder
    result.info.path = name;
    result.info.width = result.width;
    result.info.height = result.height;
  }

  const Clock::time_point track_start = Clock::now();
  std::vector<FaceTrack> tracks =
      TrackFaces(observations, options.tracker, &result.tracking, context);
  result.times.track_ms = MillisecondsSince(track_start);
  if (tracks.empty()) {
    int frames_with_any_face = 0;
    for (const SampledFrameInfo& f : result.frames) frames_with_any_face += f.num_faces > 0;
    if (frames_with_any_face == 0) {
      return WithPreprocessFailure(
          absl::NotFoundError(
              absl::StrCat(name, ": no face found in any of ", num_frames, " sampled frames")),
          PreprocessFailure::kNoFace);
    }
    // Every detection dropped for its size: too small; else the tracks were too brief.
    const PreprocessFailure failure = result.tracking.faces_detected == 0
                                          ? PreprocessFailure::kFaceTooSmall
                                          : PreprocessFailure::kNoFaceTrack;
    return WithPreprocessFailure(
        absl::NotFoundError(absl::StrCat(
            name, ": no face track: faces found in ", frames_with_any_face, " of ", num_frames,
            " sampled frames, but ", result.tracking.faces_too_small, " were smaller than ",
            options.tracker.min_face_size, " px and ", result.tracking.tracks_too_brief,
            " track(s) were seen in too few frames")),
        failure);
  }

  // Crops, in parallel over (track, frame), then one tensor per track.
  const Clock::time_point crop_start = Clock::now();
  CropOptions crop;
  crop.mode = options.crop_mode;
  crop.margin = options.margin;
  crop.size = preprocessing.image_size;
  const int num_tracks = static_cast<int>(tracks.size());
  std::vector<std::vector<std::vector<uint8_t>>> crops(
      num_tracks, std::vector<std::vector<uint8_t>>(num_frames));
  ForEach(static_cast<int64_t>(num_tracks) * num_frames, options.parallel, [&](int64_t k) {
    const int t = static_cast<int>(k / num_frames), f = static_cast<int>(k % num_frames);
    const TrackedFace& face = tracks[t].faces[f];
    crops[t][f] = CropFace(*items[f].frame, face.box, &face.landmarks, crop);
  });
  for (int t = 0; t < num_tracks; ++t) {
    ASSIGN_OR_RETURN(nn::Tensor faces, CropsToTensor(crops[t], preprocessing));
    result.tracks.push_back({std::move(tracks[t]), std::move(faces)});
  }
  result.times.crop_ms = MillisecondsSince(crop_start);
  return absl::OkStatus();
}

// Decoder::Open failed: the input cannot be read as a video (missing, empty, not a video,
// unsupported codec, too large), unless Open says it found a container that is broken.
PreprocessFailure OpenFailure(const absl::Status& status) {
  return IsDamagedInputError(status) ? PreprocessFailure::kDamaged : PreprocessFailure::kUnreadable;
}

PreprocessedVideo EmptyResult(const std::string& name, const nn::Preprocessing& preprocessing,
                              const PreprocessOptions& options) {
  PreprocessedVideo result;
  result.path = name;
  result.preprocessing = preprocessing;
  result.crop_mode = options.crop_mode;
  result.margin = options.margin;
  return result;
}

}  // namespace

constexpr char kFailurePayload[] = "type.googleapis.com/video.PreprocessFailure";

const char* PreprocessFailureName(PreprocessFailure failure) {
  switch (failure) {
    case PreprocessFailure::kOther:
      return "other";
    case PreprocessFailure::kUnreadable:
      return "unreadable";
    case PreprocessFailure::kDamaged:
      return "damaged";
    case PreprocessFailure::kTooFewFrames:
      return "too_few_frames";
    case PreprocessFailure::kNoFace:
      return "no_face";
    case PreprocessFailure::kFaceTooSmall:
      return "face_too_small";
    case PreprocessFailure::kNoFaceTrack:
      return "no_face_track";
  }
  return "other";
}

PreprocessFailure PreprocessFailureOf(const absl::Status& status) {
  const auto payload = status.GetPayload(kFailurePayload);
  if (!payload.has_value()) return PreprocessFailure::kOther;
  const std::string name(*payload);
  for (PreprocessFailure f : {PreprocessFailure::kUnreadable, PreprocessFailure::kDamaged,
                              PreprocessFailure::kTooFewFrames, PreprocessFailure::kNoFace,
                              PreprocessFailure::kFaceTooSmall, PreprocessFailure::kNoFaceTrack}) {
    if (name == PreprocessFailureName(f)) return f;
  }
  return PreprocessFailure::kOther;
}

absl::Status WithPreprocessFailure(absl::Status status, PreprocessFailure failure) {
  if (!status.ok() && failure != PreprocessFailure::kOther) {
    status.SetPayload(kFailurePayload, absl::Cord(PreprocessFailureName(failure)));
  }
  return status;
}

absl::StatusOr<PreprocessedVideo> PreprocessFrames(const std::string& name,
                                                   const std::vector<Frame>& frames,
                                                   const nn::Preprocessing& preprocessing,
                                                   const PreprocessOptions& options) {
  const Clock::time_point start = Clock::now();
  if (absl::Status s = CheckPreprocessing(name, preprocessing); !s.ok()) return s;
  if (absl::Status s = CheckFrameCount(name, static_cast<int>(frames.size()), options); !s.ok()) {
    return s;
  }
  const LandmarkModelFuture model = LoadLandmarks(options);
  if (!model.get().ok()) return model.get().status();
  PreprocessedVideo result = EmptyResult(name, preprocessing, options);

  const Clock::time_point detect_start = Clock::now();
  FaceDetector detector(options.detector);
  FaceStage stage(detector, model, DetectionWorkers(options), options.cancel);
  for (const Frame& frame : frames) stage.Add(&frame);
  std::deque<FrameFaces>& items = stage.Finish();
  result.times.detect_ms = MillisecondsSince(detect_start);
  if (Canceled(options)) return absl::CancelledError(absl::StrCat(name, ": canceled"));

  if (absl::Status s =
          FinishPreprocessing(name, detector, **model.get(), items, preprocessing, options, result);
      !s.ok()) {
    return s;
  }
  result.times.total_ms = MillisecondsSince(start);
  return result;
}

absl::StatusOr<PreprocessedVideo> PreprocessVideo(const std::string& path,
                                                  const nn::Preprocessing& preprocessing,
                                                  const PreprocessOptions& options) {
  const Clock::time_point start = Clock::now();
  if (preprocessing.frames <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", preprocessing.frames, " frames requested"));
  }
  if (absl::Status s = CheckPreprocessing(path, preprocessing); !s.ok()) return s;
  // The landmark model loads (first time only) while frames decode and faces are detected.
  const LandmarkModelFuture model = LoadLandmarks(options);
  PreprocessedVideo result = EmptyResult(path, preprocessing, options);

  // Frames are detected on while later ones decode (FaceStage); `frames` owns them.
  SamplingOptions sampling = options.sampling;
  sampling.num_frames = preprocessing.frames;
  const Clock::time_point decode_start = Clock::now();
  absl::StatusOr<std::unique_ptr<Decoder>> opened = Decoder::Open(path, sampling.open_options);
  if (!opened.ok()) return WithPreprocessFailure(opened.status(), OpenFailure(opened.status()));
  std::unique_ptr<Decoder> decoder = *std::move(opened);
  const VideoInfo& info = decoder->info();
  result.info = info;
  const double frame_memory =
      static_cast<double>(sampling.num_frames) * info.width * info.height * 3;
  if (options.max_frame_memory_bytes > 0 && frame_memory > options.max_frame_memory_bytes) {
    return WithPreprocessFailure(
        absl::ResourceExhaustedError(absl::StrFormat(
            "%s: %d frames of %dx%d need %.1f GiB in memory; the limit is %.1f GiB "
            "(max_frame_memory_bytes): sample fewer frames",
            path, sampling.num_frames, info.width, info.height, frame_memory / (1 << 30),
            static_cast<double>(options.max_frame_memory_bytes) / (1 << 30))),
        PreprocessFailure::kUnreadable);
  }
  std::deque<Frame> frames;
  FaceDetector detector(options.detector);
  FaceStage stage(detector, model, DetectionWorkers(options), options.cancel);
  absl::StatusOr<int> decoded = SampleFrames(*decoder, sampling, [&](Frame frame) {
    if (Canceled(options)) return;  // decoding runs out; nothing more is kept
    frames.push_back(std::move(frame));
    stage.Add(&frames.back());
    if (options.on_frame_sampled) {
      options.on_frame_sampled(static_cast<int>(frames.size()), sampling.num_frames);
    }
  });
  result.decode_report = decoder->report();
  result.times.decode_ms = MillisecondsSince(decode_start);
  if (!decoded.ok()) {
    stage.Cancel();
    return WithPreprocessFailure(decoded.status(), PreprocessFailure::kDamaged);
  }
  std::deque<FrameFaces>& items = stage.Finish();
  result.times.detect_ms = MillisecondsSince(decode_start) - result.times.decode_ms;
  if (Canceled(options)) return absl::CancelledError(absl::StrCat(path, ": canceled"));
  if (!model.get().ok()) return model.get().status();

  if (absl::Status s =
          FinishPreprocessing(path, detector, **model.get(), items, preprocessing, options, result);
      !s.ok()) {
    return s;
  }
  result.times.total_ms = MillisecondsSince(start);
  return result;
}

absl::StatusOr<PreprocessedVideo> PreprocessVideo(const std::string& path,
                                                  const nn::ModelPreset& preset) {
  return PreprocessVideo(path, preset.preprocessing, PreprocessOptionsForPreset(preset));
}

}  // namespace video
