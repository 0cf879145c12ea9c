// Scoring preprocessed faces with a detector: the one code path from face tensors to
// probabilities that training's validation, `deepfake evaluate` (and later `deepfake
// detect`) share. A track's score is sigmoid of its video logit; its frame scores are the
// sigmoids of the per-frame logits (readouts that have them); a video's score is the
// maximum over its face tracks (a video is fake when any face is).
#ifndef EVAL_SCORE_H_
#define EVAL_SCORE_H_

#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "nn/models/detector.h"
#include "nn/models/presets.h"
#include "nn/tensor.h"

namespace eval {

struct TrackScore {
  int track_id = 0;
  double score = 0;                  // P(fake)
  std::vector<double> frame_scores;  // per frame; empty for readouts without frame logits
};

struct VideoScore {
  std::string path;
  int label = -1;       // 1 fake, 0 real, -1 unknown
  bool scored = false;  // false: `error` says why (unreadable, no face, ...)
  std::string error;
  double score = 0;  // max over tracks
  std::vector<TrackScore> tracks;
};

// Scores face tracks ([T, 3, H, W] each, normalized for `model`'s preset, same T) in
// batches of up to `batch_size` tracks. `model` must be in eval mode; several threads may
// call this on one model at once. Output in input order.
std::vector<TrackScore> ScoreTracks(nn::Detector& model, const std::vector<nn::Tensor>& tracks,
                                    int batch_size);
// The same for any number of outputs: with one output P(fake) is its sigmoid
// (`fake_output` is ignored); with several it is softmax entry `fake_output`
// (FakeOutputIndex of the preset, e.g. jadhav2020's FAKE = 0).
std::vector<TrackScore> ScoreTracks(nn::Detector& model, const std::vector<nn::Tensor>& tracks,
                                    int batch_size, int fake_output);
// -1 for one-output presets; else the index of the label "FAKE" (programmer error when
// there is none).
int FakeOutputIndex(const nn::ModelPreset& preset);

// The video's score from its tracks (maximum; 0 tracks: not scored).
void SetVideoScore(VideoScore* video);

// Scores paired with labels, at video level (one per scored video) and frame level (every
// frame of every track, labelled with its video's label).
struct LabelledScores {
  std::vector<double> scores;
  std::vector<int> labels;
};
LabelledScores VideoLevel(const std::vector<VideoScore>& videos);
LabelledScores FrameLevel(const std::vector<VideoScore>& videos);

nlohmann::json VideoScoreToJson(const VideoScore& video);

}  // namespace eval

#endif  // EVAL_SCORE_H_
