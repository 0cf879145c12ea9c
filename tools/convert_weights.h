// Converting published PyTorch weights into native checkpoints: the name mapping (the
// paper's nn.Sequential trunk vs torchvision's ResNeXt names), the target's state_dict
// layout per preset, the conversion itself (streamed: one tensor in memory at a time) with
// its report, and verification against a reference input/output pair from PyTorch.
// The command-line front end is tools/convert_weights_main.cc.
#ifndef TOOLS_CONVERT_WEIGHTS_H_
#define TOOLS_CONVERT_WEIGHTS_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "nn/io/pytorch_checkpoint.h"
#include "nn/models/presets.h"
#include "nn/tensor.h"

namespace tools {

// How the source file names its tensors.
enum class SourceLayout {
  kDetector,            // the detector's own names: model.0.weight, lstm.*, linear1.*
  kTorchvisionResNeXt,  // torchvision resnext50_32x4d: conv1.weight, layer1.0.conv1.weight, fc.*
};
const char* SourceLayoutName(SourceLayout layout);

// The Detector's state_dict (names and shapes, in order) for `preset`, computed one trunk
// block at a time and the head from its shapes, so that no full model is ever allocated.
// Equal to Detector(preset).NamedState() (convert_weights_test checks every preset).
std::vector<std::pair<std::string, nn::Shape>> DetectorStateSpec(const nn::ModelPreset& preset);

// torchvision name -> detector name, as the paper's nn.Sequential(*list(children())[:-2])
// numbers the children: conv1 -> model.0, bn1 -> model.1, layer1..4 -> model.4..7.
// nullopt for names outside the trunk (fc.*, unknown names).
std::optional<std::string> TorchvisionToDetectorName(const std::string& name);

// One row of the conversion: a target tensor and where its values came from.
struct ConversionRow {
  enum class Source { kFile, kFreshInit, kZeroCounter };
  std::string target;
  nn::Shape shape;
  Source source = Source::kFile;
  std::string source_name;   // kFile
  std::string source_dtype;  // kFile: "F32", "F16", ...
};

struct ConversionReport {
  std::string input, output, preset;
  nn::io::WeightsFileFormat format = nn::io::WeightsFileFormat::kPyTorchZip;
  SourceLayout layout = SourceLayout::kDetector;
  std::vector<std::string> notes;   // from the reader: unwrapping, prefix removal, skipped values
  std::vector<ConversionRow> rows;  // every target tensor, in order
  std::vector<std::pair<std::string, std::string>> skipped;  // source tensor, why

  // Human-readable report: grouped by module (or one line per tensor when verbose), then a
  // summary and what the target still lacks.
  std::string Table(bool verbose) const;
};

// Converts `input` (.pt/.pth/.safetensors) for `preset` ("default", "jadhav2020", ...) into
// the native checkpoint `output`, with the preset's preprocessing and labels as metadata.
// Strict: every source tensor must land on a target of the same shape and every target must
// be filled — except that a torchvision (ImageNet) source fills only the trunk and leaves
// the LSTM and head freshly initialised, and absent num_batches_tracked counters become 0.
// Nothing is written unless everything matches; the status lists every difference.
absl::StatusOr<ConversionReport> ConvertWeights(const std::string& input, const std::string& preset,
                                                const std::string& output);

struct VerifyResult {
  std::string compared;  // "logits" or "features"
  nn::Shape shape;
  double max_abs_diff = 0;
  double max_abs_reference = 0;
};

// Runs the native checkpoint `checkpoint` (its preset from its metadata) in eval mode on
// the reference file's "input" and compares with its "logits" (detector output, input
// [B, T, 3, H, W]) or "features" (globally pooled trunk features, input [N, 3, H, W]).
// Reference files come from tools/pytorch_ref/make_conversion_reference.py.
absl::StatusOr<VerifyResult> VerifyCheckpoint(const std::string& checkpoint,
                                              const std::string& reference);

}  // namespace tools

#endif  // TOOLS_CONVERT_WEIGHTS_H_
