// Detector forward/backward for both readouts.
#include "nn/models/detector.h"

#include "nn/ops/readout.h"

namespace nn {

Detector::Detector(const DetectorOptions& options) : options_(options) {
  NN_CHECK(options.backbone.sequential_names && options.backbone.num_classes == 0)
      << "the detector's backbone is the paper's nn.Sequential trunk";
  NN_CHECK_EQ(options.lstm.input_size, options.backbone.feature_channels())
      << "LSTM input size vs backbone features";
  ResNeXtOptions backbone = options.backbone;
  backbone.input_grad = false;  // frames are data
  backbone_ = RegisterModule("model", std::make_unique<ResNeXt>(backbone));
  avgpool_ = RegisterModule("avgpool", std::make_unique<GlobalAvgPool2d>());
  lstm_ = RegisterModule("lstm", std::make_unique<Lstm>(options.lstm, options.seed * 2 + 3));
  linear1_ = RegisterModule(
      "linear1", std::make_unique<Linear>(options.lstm.num_directions() * options.lstm.hidden_size,
                                          options.num_outputs));
  feature_dropout_ = RegisterModule(
      "feature_dropout", std::make_unique<Dropout>(options.feature_dropout, options.seed * 2 + 1));
  logit_dropout_ = RegisterModule(
      "logit_dropout", std::make_unique<Dropout>(options.logit_dropout, options.seed * 2 + 2));
}

DetectorOutput Detector::Forward(const Tensor& frames) {
  NN_CHECK(frames.rank() == 5 && frames.dim(2) == 3)
      << "Detector input " << frames.shape() << ", expected [B, T, 3, H, W]";
  TrainingCall call(*this, "Detector::Forward");
  KeepFrozenBackboneInEval();
  const int64_t batch = frames.dim(0), num_frames = frames.dim(1);
  const Tensor pooled = Pooled(frames);  // [B*T, C, 1, 1]
  DetectorOutput output =
      Head(pooled.Reshape({batch, num_frames, options_.backbone.feature_channels()}));
  // A frozen trunk is in eval mode: nothing of it to backpropagate.
  if (is_training() && !backbone_frozen_) pooled_shape_ = pooled.shape();
  return output;
}

Tensor Detector::ExtractFeatures(const Tensor& frames) {
  NN_CHECK(frames.rank() == 5 && frames.dim(2) == 3)
      << "Detector::ExtractFeatures input " << frames.shape() << ", expected [B, T, 3, H, W]";
  TrainingCall call(*this, "Detector::ExtractFeatures");
  KeepFrozenBackboneInEval();
  NN_CHECK(!backbone_->is_training())
      << "Detector::ExtractFeatures needs the trunk in eval mode (Eval() or a frozen backbone)";
  return Pooled(frames).Reshape(
      {frames.dim(0), frames.dim(1), options_.backbone.feature_channels()});
}

DetectorOutput Detector::ForwardFeatures(const Tensor& features) {
  NN_CHECK(features.rank() == 3 && features.dim(2) == options_.backbone.feature_channels())
      << "Detector::ForwardFeatures input " << features.shape() << ", expected [B, T, "
      << options_.backbone.feature_channels() << "]";
  TrainingCall call(*this, "Detector::ForwardFeatures");
  return Head(features);
}

Tensor Detector::FeatureMaps(const Tensor& frames) {
  NN_CHECK(frames.rank() == 5 && frames.dim(2) == 3)
      << "Detector::FeatureMaps input " << frames.shape() << ", expected [B, T, 3, H, W]";
  NN_CHECK(!backbone_->is_training())
      << "Detector::FeatureMaps needs the trunk in eval mode (Eval() or a frozen backbone)";
  const int64_t batch = frames.dim(0), num_frames = frames.dim(1);
  const Tensor maps =
      backbone_->Forward(frames.Reshape({batch * num_frames, 3, frames.dim(3), frames.dim(4)}));
  return maps.Reshape({batch, num_frames, maps.dim(1), maps.dim(2), maps.dim(3)});
}

Tensor Detector::FeatureGradient(const Tensor& features, const Tensor& video_logits_grad) const {
  NN_CHECK(features.rank() == 3 && features.dim(2) == options_.backbone.feature_channels())
      << "Detector::FeatureGradient features " << features.shape() << ", expected [B, T, "
      << options_.backbone.feature_channels() << "]";
  const int64_t batch = features.dim(0), num_frames = features.dim(1);
  NN_CHECK(video_logits_grad.shape() == (Shape{batch, options_.num_outputs}))
      << "Detector::FeatureGradient gradient " << video_logits_grad.shape() << ", expected "
      << Shape{batch, options_.num_outputs};
  const int64_t width = options_.lstm.num_directions() * options_.lstm.hidden_size;
  // The linear head's input gradient does not depend on its input, so only the LSTM needs
  // the forward (Lstm::InputGradient recomputes it into a local cache).
  Tensor sequence_grad;
  if (options_.readout == DetectorReadout::kMeanOfFrames) {
    // video = mean_t W s_t + b  =>  dframe_t = dvideo / T,  ds_t = dframe_t W.
    Tensor frame_grad =
        Tensor::Zeros({batch, num_frames, options_.num_outputs}, DType::kFloat32, device());
    MeanOverAxisBackward(video_logits_grad, /*axis=*/1, &frame_grad);
    sequence_grad =
        linear1_->InputGradient(frame_grad.Reshape({batch * num_frames, options_.num_outputs}))
            .Reshape({batch, num_frames, width});
  } else {
    // video = W s[:, -1] + b  =>  ds[:, -1] = dvideo W, zero for the other frames.
    sequence_grad = Tensor::Zeros({batch, num_frames, width}, DType::kFloat32, device());
    SelectIndexBackward(linear1_->InputGradient(video_logits_grad), /*axis=*/1, /*index=*/-1,
                        &sequence_grad);
  }
  return lstm_->InputGradient(features, sequence_grad);
}

void Detector::SetBackboneFrozen(bool frozen) {
  backbone_frozen_ = frozen;
  backbone_->Train(is_training() && !frozen);
  batch_ = frames_ = 0;
  pooled_shape_ = Shape();
}

void Detector::KeepFrozenBackboneInEval() {
  // Only in training mode (one thread at a time); in eval mode the trunk is in eval anyway.
  if (backbone_frozen_ && backbone_->is_training()) backbone_->Eval();
}

Tensor Detector::Pooled(const Tensor& frames) {
  const int64_t batch = frames.dim(0), num_frames = frames.dim(1);
  const Tensor maps =
      backbone_->Forward(frames.Reshape({batch * num_frames, 3, frames.dim(3), frames.dim(4)}));
  return avgpool_->Forward(maps);
}

DetectorOutput Detector::Head(const Tensor& features) {
  const int64_t batch = features.dim(0), num_frames = features.dim(1);
  // Both readouts view the features as [B, T, C]; only the LSTM's batch_first differs.
  const Tensor sequence = lstm_->Forward(features);
  const int64_t width = sequence.dim(2);
  if (is_training()) {
    batch_ = batch;
    frames_ = num_frames;
    pooled_shape_ = Shape();  // Forward sets it after the head when the trunk trains
  }

  DetectorOutput output;
  if (options_.readout == DetectorReadout::kMeanOfFrames) {
    const Tensor head_input =
        feature_dropout_->Forward(sequence).Reshape({batch * num_frames, width});
    output.frame_logits =
        linear1_->Forward(head_input).Reshape({batch, num_frames, options_.num_outputs});
    // video = mean over the frames axis of [B, T, K].
    output.video_logits = Tensor::Empty(ReadoutOutputShape(output.frame_logits.shape(), 1),
                                        DType::kFloat32, device());
    MeanOverAxisForward(output.frame_logits, /*axis=*/1, &output.video_logits);
    return output;
  }
  // x_lstm[:, -1, :]: the last entry of axis 1 (frames) for every video.
  Tensor last = Tensor::Empty({batch, width}, DType::kFloat32, device());
  SelectIndexForward(sequence, /*axis=*/1, /*index=*/-1, &last);
  output.video_logits = logit_dropout_->Forward(linear1_->Forward(last));
  return output;
}

void Detector::Backward(const Tensor& video_logits_grad) {
  TrainingCall call(*this, "Detector::Backward");
  NN_CHECK(video_logits_grad.shape() == (Shape{batch_, options_.num_outputs}))
      << "Detector::Backward gradient " << video_logits_grad.shape() << ", expected "
      << Shape{batch_, options_.num_outputs} << " (the last training-mode Forward's)";
  const int64_t width = options_.lstm.num_directions() * options_.lstm.hidden_size;
  Tensor sequence_grad;
  if (options_.readout == DetectorReadout::kMeanOfFrames) {
    // video = mean_t frame_t  =>  dframe_t = dvideo / T.
    Tensor frame_grad =
        Tensor::Zeros({batch_, frames_, options_.num_outputs}, DType::kFloat32, device());
    MeanOverAxisBackward(video_logits_grad, /*axis=*/1, &frame_grad);
    sequence_grad = feature_dropout_->Backward(
        linear1_->Backward(frame_grad.Reshape({batch_ * frames_, options_.num_outputs}))
            .Reshape({batch_, frames_, width}));
  } else {
    // The last frame's gradient, scattered into zeros for the other frames.
    const Tensor last_grad = linear1_->Backward(logit_dropout_->Backward(video_logits_grad));
    sequence_grad = Tensor::Zeros({batch_, frames_, width}, DType::kFloat32, device());
    SelectIndexBackward(last_grad, /*axis=*/1, /*index=*/-1, &sequence_grad);
  }
  const Tensor feature_grad = lstm_->Backward(sequence_grad);
  // Feature mode or a frozen trunk: stop at the LSTM input.
  if (pooled_shape_.rank() == 0) return;
  backbone_->Backward(avgpool_->Backward(feature_grad.Reshape(pooled_shape_)));
}

std::vector<uint64_t> Detector::DropoutCounters() const {
  return {lstm_->calls(), feature_dropout_->calls(), logit_dropout_->calls()};
}

void Detector::SetDropoutCounters(const std::vector<uint64_t>& counters) {
  NN_CHECK_EQ(counters.size(), 3u) << "Detector::SetDropoutCounters: lstm, feature, logit";
  lstm_->set_calls(counters[0]);
  feature_dropout_->set_calls(counters[1]);
  logit_dropout_->set_calls(counters[2]);
}

void Detector::OnTrainingChanged() {
  batch_ = frames_ = 0;
  pooled_shape_ = Shape();
  if (backbone_frozen_ && is_training()) backbone_->Eval();
}

}  // namespace nn
