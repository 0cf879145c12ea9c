// Detector forward/backward for both readouts.
#include "nn/models/detector.h"

#include <cstring>

namespace nn {

Detector::Detector(const DetectorOptions& options)
    : options_(options),
      feature_dropout_(options.feature_dropout, options.seed * 2 + 1),
      logit_dropout_(options.logit_dropout, options.seed * 2 + 2) {
  NN_CHECK(options.backbone.sequential_names && options.backbone.num_classes == 0)
      << "the detector's backbone is the paper's nn.Sequential trunk";
  NN_CHECK_EQ(options.lstm.input_size, options.backbone.feature_channels())
      << "LSTM input size vs backbone features";
  ResNeXtOptions backbone = options.backbone;
  backbone.input_grad = false;  // frames are data
  backbone_ = RegisterModule("model", std::make_unique<ResNeXt>(backbone));
  lstm_ = RegisterModule("lstm", std::make_unique<Lstm>(options.lstm, options.seed * 2 + 3));
  linear1_ = RegisterModule(
      "linear1", std::make_unique<Linear>(options.lstm.num_directions() * options.lstm.hidden_size,
                                          options.num_outputs));
  // Stateless, so not registered (no state_dict entries); they follow this module's mode.
  feature_dropout_.Train(is_training());
  logit_dropout_.Train(is_training());
}

DetectorOutput Detector::Forward(const Tensor& frames) {
  NN_CHECK(frames.rank() == 5 && frames.dim(2) == 3)
      << "Detector input " << frames.shape() << ", expected [B, T, 3, H, W]";
  feature_dropout_.Train(is_training());
  logit_dropout_.Train(is_training());
  batch_ = frames.dim(0);
  frames_ = frames.dim(1);
  const int64_t channels = options_.backbone.feature_channels();

  const Tensor maps =
      backbone_->Forward(frames.Reshape({batch_ * frames_, 3, frames.dim(3), frames.dim(4)}));
  const Tensor pooled = avgpool_.Forward(maps);  // [B*T, C, 1, 1]
  pooled_shape_ = pooled.shape();
  // Both readouts view the features as [B, T, C]; only the LSTM's batch_first differs.
  const Tensor sequence = lstm_->Forward(pooled.Reshape({batch_, frames_, channels}));
  const int64_t width = sequence.dim(2);

  DetectorOutput output;
  if (options_.readout == DetectorReadout::kMeanOfFrames) {
    const Tensor features = feature_dropout_.Forward(sequence).Reshape({batch_ * frames_, width});
    output.frame_logits =
        linear1_->Forward(features).Reshape({batch_, frames_, options_.num_outputs});
    output.video_logits = Tensor::Zeros({batch_, options_.num_outputs});
    const float* frame = output.frame_logits.data<float>();
    float* video = output.video_logits.data<float>();
    for (int64_t b = 0; b < batch_; ++b) {
      for (int64_t t = 0; t < frames_; ++t) {
        for (int k = 0; k < options_.num_outputs; ++k) {
          video[b * options_.num_outputs + k] +=
              frame[(b * frames_ + t) * options_.num_outputs + k] / static_cast<float>(frames_);
        }
      }
    }
    return output;
  }
  // x_lstm[:, -1, :]: the last entry of axis 1 (frames) for every video.
  Tensor last = Tensor::Empty({batch_, width});
  for (int64_t b = 0; b < batch_; ++b) {
    std::memcpy(last.data<float>() + b * width,
                sequence.data<float>() + (b * frames_ + frames_ - 1) * width,
                width * sizeof(float));
  }
  output.video_logits = logit_dropout_.Forward(linear1_->Forward(last));
  return output;
}

void Detector::Backward(const Tensor& video_logits_grad) {
  NN_CHECK(video_logits_grad.shape() == (Shape{batch_, options_.num_outputs}))
      << "Detector::Backward gradient " << video_logits_grad.shape();
  const int64_t width = options_.lstm.num_directions() * options_.lstm.hidden_size;
  Tensor sequence_grad;
  if (options_.readout == DetectorReadout::kMeanOfFrames) {
    // video = mean_t frame_t  =>  dframe_t = dvideo / T.
    Tensor frame_grad = Tensor::Empty({batch_ * frames_, options_.num_outputs});
    for (int64_t b = 0; b < batch_; ++b) {
      for (int64_t t = 0; t < frames_; ++t) {
        for (int k = 0; k < options_.num_outputs; ++k) {
          frame_grad.data<float>()[(b * frames_ + t) * options_.num_outputs + k] =
              video_logits_grad.data<float>()[b * options_.num_outputs + k] /
              static_cast<float>(frames_);
        }
      }
    }
    sequence_grad =
        feature_dropout_.Backward(linear1_->Backward(frame_grad).Reshape({batch_, frames_, width}));
  } else {
    const Tensor last_grad = linear1_->Backward(logit_dropout_.Backward(video_logits_grad));
    sequence_grad = Tensor::Zeros({batch_, frames_, width});
    for (int64_t b = 0; b < batch_; ++b) {
      std::memcpy(sequence_grad.data<float>() + (b * frames_ + frames_ - 1) * width,
                  last_grad.data<float>() + b * width, width * sizeof(float));
    }
  }
  const Tensor feature_grad = lstm_->Backward(sequence_grad);
  backbone_->Backward(avgpool_.Backward(feature_grad.Reshape(pooled_shape_)));
}

}  // namespace nn
