// The deepfake detector: a ResNeXt trunk embeds every frame (global average pool ->
// C-d feature), an LSTM runs over the frames, and a linear head scores them.
//
// Two readouts cover the presets (nn/models/presets.h):
//  - kMeanOfFrames (`default`): the head scores every LSTM step (per-frame logits) and the
//    video logit is their mean — equal to the head applied to the mean LSTM output.
//  - kPaperLastStep (`jadhav2020`): the published model verbatim. Its LSTM is built with
//    batch_first=False but fed [videos, frames, C], so it walks the *videos* axis as time
//    and treats frames as the batch; the logits come from x_lstm[:, -1, :] (the last
//    frame of each video) followed by dropout on the logits.
// Both readouts are ops (nn/ops/readout.h): MeanOverAxis and SelectIndex along axis 1.
//
// Training with a frozen backbone (SetBackboneFrozen): the trunk runs in evaluation mode
// (running statistics, not updated) and Backward stops at the LSTM input, so only the
// LSTM and the head learn. The feature mode splits Forward in two: ExtractFeatures (trunk
// + pool, per frame) and ForwardFeatures (LSTM + head on [B, T, C] features), so a
// frozen trunk's features can be computed once and cached (train/feature_cache.h);
// Forward(x) == ForwardFeatures(ExtractFeatures(x)).
// Parameter names follow the paper's module: model.<i>..., lstm.*, linear1.*.
// Threads and devices: the rules of nn/module.h (eval Forward may run concurrently).
#ifndef NN_MODELS_DETECTOR_H_
#define NN_MODELS_DETECTOR_H_

#include <cstdint>
#include <vector>

#include "nn/layers/activation_layers.h"
#include "nn/layers/linear.h"
#include "nn/layers/lstm.h"
#include "nn/layers/pooling.h"
#include "nn/models/resnext.h"
#include "nn/module.h"

namespace nn {

enum class DetectorReadout { kMeanOfFrames, kPaperLastStep };

struct DetectorOptions {
  ResNeXtOptions backbone;  // sequential_names, num_classes = 0
  LstmOptions lstm;         // input_size = backbone.feature_channels()
  int num_outputs = 1;
  DetectorReadout readout = DetectorReadout::kMeanOfFrames;
  float feature_dropout = 0.0f;  // on the LSTM outputs, before the head (kMeanOfFrames)
  float logit_dropout = 0.0f;    // on the logits (kPaperLastStep: 0.4)
  uint64_t seed = 0;             // dropout masks
};

struct DetectorOutput {
  Tensor video_logits;  // [B, num_outputs]
  Tensor frame_logits;  // [B, T, num_outputs] for kMeanOfFrames; undefined otherwise
};

class Detector : public Module {
 public:
  explicit Detector(const DetectorOptions& options);
  // frames [B, T, 3, H, W], normalized as the preset says, on device().
  DetectorOutput Forward(const Tensor& frames);
  // Accumulates every parameter's gradient of a loss whose gradient wrt the video logits
  // of the last Forward (training mode) is `video_logits_grad` [B, num_outputs]. The frames
  // are data: no gradient is computed for them.
  void Backward(const Tensor& video_logits_grad);

  // The per-frame features [B, T, C] (C = backbone feature channels) of frames
  // [B, T, 3, H, W]: trunk + global average pool. Must not be followed by Backward; use it
  // in eval mode or with a frozen backbone (checked), e.g. to fill a feature cache.
  Tensor ExtractFeatures(const Tensor& frames);
  // LSTM + readout on features [B, T, C] as ExtractFeatures returns them. A Backward after a
  // training-mode ForwardFeatures stops at the LSTM input (the trunk gets no gradient).
  DetectorOutput ForwardFeatures(const Tensor& features);

  // Explanations (Grad-CAM, serve/explain/grad_cam.h): evaluation-mode computations that
  // keep nothing in the module, so they may run concurrently with eval Forwards and with
  // each other.
  // The trunk's last block output for frames [B, T, 3, H, W]: maps [B, T, C, h, w], before
  // the global average pool (ExtractFeatures = their mean over h, w). Needs the trunk in
  // eval mode (checked).
  Tensor FeatureMaps(const Tensor& frames);
  // The gradient of <video_logits_grad, video_logits> wrt features [B, T, C], the head
  // (LSTM + readout + linear) run as in evaluation mode (dropouts are the identity) at
  // `features`; video_logits_grad [B, num_outputs] -> [B, T, C]. No parameter gradient.
  Tensor FeatureGradient(const Tensor& features, const Tensor& video_logits_grad) const;

  // Frozen: the trunk runs in evaluation mode whatever the detector's mode and gets no
  // gradient (its parameters' gradients stay as they are). Not while a Forward runs.
  // (Train() on an already training detector reaches the trunk too; the next Forward puts
  // a frozen trunk back into evaluation mode.)
  void SetBackboneFrozen(bool frozen);
  bool backbone_frozen() const { return backbone_frozen_; }

  // Resumable training: the dropout counters (masks drawn by the LSTM and both dropouts),
  // which the state_dict does not hold; restoring them continues the same mask sequence.
  std::vector<uint64_t> DropoutCounters() const;
  void SetDropoutCounters(const std::vector<uint64_t>& counters);

  const DetectorOptions& options() const { return options_; }
  ResNeXt& backbone() { return *backbone_; }

 protected:
  void OnTrainingChanged() override;

 private:
  // Trunk + pool -> [B*T, C, 1, 1].
  Tensor Pooled(const Tensor& frames);
  // LSTM + readout on [B, T, C]; records the shapes for Backward in training mode.
  DetectorOutput Head(const Tensor& features);
  // Puts a frozen trunk back into evaluation mode (Train() on the detector reaches it).
  void KeepFrozenBackboneInEval();

  DetectorOptions options_;
  ResNeXt* backbone_;
  GlobalAvgPool2d* avgpool_;
  Lstm* lstm_;
  Linear* linear1_;
  // Stateless children (no state_dict entries), registered so they follow the mode.
  Dropout* feature_dropout_;
  Dropout* logit_dropout_;
  // Training only: the shapes of the last training-mode Forward, for Backward.
  int64_t batch_ = 0, frames_ = 0;
  Shape pooled_shape_;  // empty: the last Forward started at the features (no trunk backward)
  bool backbone_frozen_ = false;
};

}  // namespace nn

#endif  // NN_MODELS_DETECTOR_H_
