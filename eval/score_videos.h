// Scoring video files end to end: each video is preprocessed exactly as the model's preset
// says (video::PreprocessVideo, through the face cache when one is given, so training's
// validation and evaluation see the same faces), its face tracks are scored in batches
// (eval/score.h) and the video gets the maximum. A video that cannot be analysed
// (unreadable, no face, ...) is returned with scored = false and the reason; it never
// stops the others.
#ifndef EVAL_SCORE_VIDEOS_H_
#define EVAL_SCORE_VIDEOS_H_

#include <functional>
#include <string>
#include <vector>

#include "eval/score.h"
#include "nn/models/detector.h"
#include "nn/models/presets.h"
#include "video/preprocess.h"

namespace eval {

struct LabelledVideo {
  std::string path;
  int label = -1;  // 1 fake, 0 real, -1 unknown
};

struct ScoreVideosOptions {
  int batch_size = 8;     // face tracks per Forward
  std::string cache_dir;  // video::FaceCache folder; "" = preprocess every time
  // Overrides of PreprocessOptionsForPreset(preset): the landmark model ("" = installed).
  std::string landmark_model_path;
  // Preprocess the next video on a second thread while the current one is scored.
  bool prefetch = true;
};

// After each video, in input order.
struct ScoreVideosProgress {
  int done = 0, total = 0;
  int not_scored = 0;  // so far
  double elapsed_seconds = 0;
  double eta_seconds = 0;             // remaining, at the average rate so far
  const VideoScore* video = nullptr;  // the one just finished
};
using ScoreVideosCallback = std::function<void(const ScoreVideosProgress&)>;

// Scores `videos` with `model` (eval mode, built from `preset`); output in input order.
std::vector<VideoScore> ScoreVideos(nn::Detector& model, const nn::ModelPreset& preset,
                                    const std::vector<LabelledVideo>& videos,
                                    const ScoreVideosOptions& options,
                                    const ScoreVideosCallback& progress = nullptr);

// Scores one preprocessed video's tracks (track ids from the preprocessing).
VideoScore ScorePreprocessedVideo(nn::Detector& model, const nn::ModelPreset& preset,
                                  const video::PreprocessedVideo& preprocessed, int label,
                                  int batch_size);

}  // namespace eval

#endif  // EVAL_SCORE_VIDEOS_H_
