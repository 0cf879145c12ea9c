// Scoring: face tracks batched into [B, T, 3, H, W], one eval Forward per batch, logits to
// probabilities with the activation ops (sigmoid, or softmax for multi-output presets),
// then read back on the CPU.
#include "eval/score.h"

#include <algorithm>
#include <utility>

#include "nn/check.h"
#include "nn/ops/activation.h"

namespace eval {
namespace {

// P(fake) for every row of `logits` [..., K]: sigmoid when K = 1, else the softmax entry
// `fake_output`; as doubles on the CPU, in row order.
std::vector<double> Probabilities(const nn::Tensor& logits, int fake_output) {
  const int64_t outputs = logits.dim(-1);
  nn::Tensor probabilities = nn::Tensor::Empty(logits.shape(), logits.dtype(), logits.device());
  if (outputs == 1) {
    nn::SigmoidForward(logits, &probabilities);
  } else {
    NN_CHECK(fake_output >= 0 && fake_output < outputs)
        << "ScoreTracks: a model with " << outputs
        << " outputs needs the index of the fake output, got " << fake_output;
    nn::SoftmaxForward(logits, &probabilities);
  }
  const nn::Tensor host =
      probabilities.device().is_cpu() ? probabilities : probabilities.To(nn::Device::CPU());
  const float* values = host.data<float>();
  const int64_t rows = host.numel() / outputs;
  const int64_t column = outputs == 1 ? 0 : fake_output;
  std::vector<double> out(rows);
  for (int64_t r = 0; r < rows; ++r) out[r] = values[r * outputs + column];
  return out;
}

}  // namespace

int FakeOutputIndex(const nn::ModelPreset& preset) {
  if (preset.detector.num_outputs == 1) return -1;
  for (size_t k = 0; k < preset.labels.size(); ++k) {
    if (preset.labels[k] == "FAKE") return static_cast<int>(k);
  }
  NN_CHECK(false) << "preset '" << preset.name << "' has " << preset.detector.num_outputs
                  << " outputs but no label FAKE";
  return -1;
}

std::vector<TrackScore> ScoreTracks(nn::Detector& model, const std::vector<nn::Tensor>& tracks,
                                    int batch_size) {
  return ScoreTracks(model, tracks, batch_size, -1);
}

std::vector<TrackScore> ScoreTracks(nn::Detector& model, const std::vector<nn::Tensor>& tracks,
                                    int batch_size, int fake_output) {
  NN_CHECK(batch_size >= 1) << "ScoreTracks: batch_size " << batch_size;
  NN_CHECK(!model.is_training()) << "ScoreTracks: the model must be in eval mode";
  std::vector<TrackScore> scores(tracks.size());
  if (tracks.empty()) return scores;
  const nn::Shape track_shape = tracks[0].shape();
  NN_CHECK(track_shape.rank() == 4 && track_shape.dim(1) == 3)
      << "ScoreTracks: a track is [T, 3, H, W], got " << track_shape;
  for (size_t i = 0; i < tracks.size(); ++i) {
    NN_CHECK(tracks[i].shape() == track_shape)
        << "ScoreTracks: track " << i << " is " << tracks[i].shape() << ", track 0 " << track_shape
        << " (one batch needs one shape)";
  }
  const int64_t frames = track_shape.dim(0);
  for (size_t begin = 0; begin < tracks.size(); begin += batch_size) {
    const size_t end = std::min(tracks.size(), begin + static_cast<size_t>(batch_size));
    const int64_t count = static_cast<int64_t>(end - begin);
    nn::Tensor batch =
        nn::Tensor::Empty(nn::Shape({count, frames, 3, track_shape.dim(2), track_shape.dim(3)}),
                          tracks[0].dtype(), model.device());
    for (int64_t b = 0; b < count; ++b) {
      nn::Tensor slot = batch.Slice(b, b + 1).Reshape(track_shape);
      slot.CopyFrom(tracks[begin + b]);
    }
    const nn::DetectorOutput output = model.Forward(batch);
    const std::vector<double> video = Probabilities(output.video_logits, fake_output);
    std::vector<double> frame;
    if (output.frame_logits.defined()) frame = Probabilities(output.frame_logits, fake_output);
    for (int64_t b = 0; b < count; ++b) {
      TrackScore& score = scores[begin + b];
      score.track_id = static_cast<int>(begin + b);
      score.score = video[b];
      if (!frame.empty()) {
        score.frame_scores.assign(frame.begin() + b * frames, frame.begin() + (b + 1) * frames);
      }
    }
  }
  return scores;
}

void SetVideoScore(VideoScore* video) {
  video->scored = !video->tracks.empty();
  video->score = 0;
  for (const TrackScore& track : video->tracks) video->score = std::max(video->score, track.score);
}

LabelledScores VideoLevel(const std::vector<VideoScore>& videos) {
  LabelledScores out;
  for (const VideoScore& video : videos) {
    if (!video.scored || video.label < 0) continue;
    out.scores.push_back(video.score);
    out.labels.push_back(video.label);
  }
  return out;
}

LabelledScores FrameLevel(const std::vector<VideoScore>& videos) {
  LabelledScores out;
  for (const VideoScore& video : videos) {
    if (!video.scored || video.label < 0) continue;
    for (const TrackScore& track : video.tracks) {
      out.scores.insert(out.scores.end(), track.frame_scores.begin(), track.frame_scores.end());
      out.labels.insert(out.labels.end(), track.frame_scores.size(), video.label);
    }
  }
  return out;
}

nlohmann::json VideoScoreToJson(const VideoScore& video) {
  nlohmann::json json = {{"path", video.path}, {"label", video.label}, {"scored", video.scored}};
  if (!video.scored) {
    json["error"] = video.error;
    return json;
  }
  json["score"] = video.score;
  nlohmann::json tracks = nlohmann::json::array();
  for (const TrackScore& track : video.tracks) {
    tracks.push_back({{"track_id", track.track_id},
                      {"score", track.score},
                      {"frame_scores", track.frame_scores}});
  }
  json["tracks"] = std::move(tracks);
  return json;
}

}  // namespace eval
