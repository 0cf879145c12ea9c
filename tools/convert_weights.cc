// Weight conversion into native checkpoints (see convert_weights.h).
#include "tools/convert_weights.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "nn/io/checkpoint.h"
#include "nn/io/safetensors.h"
#include "nn/io/safetensors_stream_writer.h"
#include "nn/layers/init.h"
#include "nn/layers/linear.h"
#include "nn/layers/lstm.h"
#include "nn/models/detector.h"
#include "nn/models/resnext.h"
#include "nn/ops/lstm.h"

namespace tools {
namespace {

using nn::io::StoredTensor;
using nn::io::WeightsFile;

constexpr size_t kMaxListed = 12;  // names listed per category in an error message

void AppendState(nn::Module& module, const std::string& prefix,
                 std::vector<std::pair<std::string, nn::Shape>>* out) {
  for (const auto& [name, tensor] : module.NamedState()) {
    out->emplace_back(prefix + name, tensor->shape());
  }
}

// The head of the detector (LSTM and linear1), freshly initialised as the Detector would be.
struct DetectorHead {
  explicit DetectorHead(const nn::ModelPreset& preset)
      : lstm(preset.detector.lstm, preset.detector.seed * 2 + 3),
        linear1(preset.detector.lstm.num_directions() * preset.detector.lstm.hidden_size,
                preset.detector.num_outputs) {}
  nn::Lstm lstm;
  nn::Linear linear1;
};

std::string ListNames(const std::vector<std::string>& names) {
  std::vector<std::string> shown(names.begin(), names.begin() + std::min(names.size(), kMaxListed));
  std::string out = absl::StrJoin(shown, ", ");
  if (names.size() > kMaxListed)
    absl::StrAppend(&out, ", ... ", names.size() - kMaxListed, " more");
  return out;
}

// The module a tensor belongs to, for grouping the report: "model.4" / "layer1" / "lstm".
std::string GroupOf(const std::string& name) {
  const std::vector<std::string> parts = absl::StrSplit(name, '.');
  if (parts.size() >= 3 && parts[0] == "model") return parts[0] + "." + parts[1];
  return parts.size() >= 2 ? parts[0] : name;
}

std::string Basename(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

const char* SourceLayoutName(SourceLayout layout) {
  return layout == SourceLayout::kDetector ? "detector state_dict (model.*, lstm.*, linear1.*)"
                                           : "torchvision ResNeXt (ImageNet classifier)";
}

std::vector<std::pair<std::string, nn::Shape>> DetectorStateSpec(const nn::ModelPreset& preset) {
  std::vector<std::pair<std::string, nn::Shape>> spec;
  const nn::ResNeXtOptions& trunk = preset.detector.backbone;
  {
    // The stem alone: a ResNeXt without blocks names it exactly as the full one does.
    nn::ResNeXtOptions stem = trunk;
    stem.depths = {0, 0, 0, 0};
    nn::ResNeXt stem_only(stem);
    AppendState(stem_only, "model.", &spec);
  }
  // The stages, block by block, as nn::ResNeXt builds them (children 4..7 of the trunk).
  int64_t in_channels = trunk.base_width;
  for (int s = 0; s < 4; ++s) {
    const int64_t planes = int64_t{trunk.base_width} << s;
    for (int b = 0; b < trunk.depths[s]; ++b) {
      nn::Bottleneck block(in_channels, planes, (s > 0 && b == 0) ? 2 : 1, trunk.groups,
                           trunk.width_per_group);
      AppendState(block, absl::StrCat("model.", 4 + s, ".", b, "."), &spec);
      in_channels = planes * nn::Bottleneck::kExpansion;
    }
  }
  // The head by its documented shapes (nn/ops/lstm.h): building an nn::Lstm would allocate
  // it, values and gradients — 0.5 GB for jadhav2020's LSTM(2048, 2048).
  const nn::LstmOptions& lstm = preset.detector.lstm;
  const std::vector<std::string> names = nn::LstmParameterNames(lstm);
  const int per_layer = static_cast<int>(names.size()) / lstm.num_layers;
  for (size_t i = 0; i < names.size(); ++i) {
    const int layer = static_cast<int>(i) / per_layer;
    const int64_t gates = 4 * lstm.hidden_size;
    nn::Shape shape = absl::StartsWith(names[i], "weight_ih")
                          ? nn::Shape{gates, lstm.layer_input_size(layer)}
                      : absl::StartsWith(names[i], "weight_hh") ? nn::Shape{gates, lstm.hidden_size}
                                                                : nn::Shape{gates};
    spec.emplace_back("lstm." + names[i], shape);
  }
  const int64_t features = lstm.num_directions() * lstm.hidden_size;
  spec.emplace_back("linear1.weight", nn::Shape{preset.detector.num_outputs, features});
  spec.emplace_back("linear1.bias", nn::Shape{preset.detector.num_outputs});
  return spec;
}

std::optional<std::string> TorchvisionToDetectorName(const std::string& name) {
  static const std::pair<const char*, const char*> kChildren[] = {
      {"conv1.", "model.0."},  {"bn1.", "model.1."},    {"layer1.", "model.4."},
      {"layer2.", "model.5."}, {"layer3.", "model.6."}, {"layer4.", "model.7."}};
  for (const auto& [from, to] : kChildren) {
    if (absl::StartsWith(name, from)) return to + name.substr(std::string(from).size());
  }
  return std::nullopt;
}

std::string ConversionReport::Table(bool verbose) const {
  std::string out = absl::StrCat("Converted ", input, "\n  format: ", WeightsFileFormatName(format),
                                 "\n  names:  ", SourceLayoutName(layout), "\n  into:   ", output,
                                 " (preset ", preset, ")\n");
  for (const std::string& note : notes) absl::StrAppend(&out, "  note:   ", note, "\n");

  // Rows grouped by (what, source group, target group, dtype), in target order.
  struct Group {
    std::string what, source, target, dtype;
    int tensors = 0;
    int64_t values = 0;
  };
  std::vector<Group> groups;
  int64_t copied = 0, fresh = 0, zeroed = 0;
  for (const ConversionRow& row : rows) {
    Group g;
    if (row.source == ConversionRow::Source::kFile) {
      g.what = "copied";
      g.source = verbose ? row.source_name : GroupOf(row.source_name) + ".*";
      g.dtype = row.source_dtype == "F32" ? "F32" : row.source_dtype + "->F32";
      copied += row.shape.numel();
    } else if (row.source == ConversionRow::Source::kFreshInit) {
      g.what = "fresh init";
      g.source = "(not in file)";
      g.dtype = "F32";
      fresh += row.shape.numel();
    } else {
      g.what = "set to 0";
      g.source = "(not in file)";
      g.dtype = "F32";
      zeroed += 1;
    }
    g.target = verbose ? row.target : GroupOf(row.target) + ".*";
    if (!verbose && row.source == ConversionRow::Source::kZeroCounter) {
      g.target = "*.num_batches_tracked";
    }
    if (verbose) g.dtype += " " + row.shape.ToString();
    auto same = [&](const Group& o) {
      return o.what == g.what && o.source == g.source && o.target == g.target && o.dtype == g.dtype;
    };
    auto it = std::find_if(groups.begin(), groups.end(), same);
    if (it == groups.end()) {
      groups.push_back(g);
      it = groups.end() - 1;
    }
    it->tensors += 1;
    it->values += row.shape.numel();
  }
  for (const auto& [name, why] : skipped) {
    Group g{"skipped", verbose ? name : GroupOf(name) + ".*", "-", why};
    auto it = std::find_if(groups.begin(), groups.end(), [&](const Group& o) {
      return o.what == g.what && o.source == g.source && o.dtype == g.dtype;
    });
    if (it == groups.end()) {
      groups.push_back(g);
      it = groups.end() - 1;
    }
    it->tensors += 1;
  }
  size_t source_width = 6, target_width = 6;
  for (const Group& g : groups) {
    source_width = std::max(source_width, g.source.size());
    target_width = std::max(target_width, g.target.size());
  }
  absl::StrAppend(
      &out, "\n",
      absl::StrFormat("  %-10s  %-*s  %-*s  %7s  %11s  %s\n", "action",
                      static_cast<int>(source_width), "source", static_cast<int>(target_width),
                      "target", "tensors", "values", "dtype / reason"));
  for (const Group& g : groups) {
    absl::StrAppend(&out,
                    absl::StrFormat("  %-10s  %-*s  %-*s  %7d  %11s  %s\n", g.what,
                                    static_cast<int>(source_width), g.source,
                                    static_cast<int>(target_width), g.target, g.tensors,
                                    g.what == "skipped" ? "" : absl::StrCat(g.values), g.dtype));
  }
  absl::StrAppend(&out, "\n  ", rows.size(), " target tensors: ", copied,
                  " values copied from the file");
  if (fresh > 0) absl::StrAppend(&out, ", ", fresh, " freshly initialised");
  if (zeroed > 0) absl::StrAppend(&out, ", ", zeroed, " batch counters set to 0");
  absl::StrAppend(&out, "; ", skipped.size(), " file tensors skipped\n");
  std::set<std::string> fresh_modules;
  for (const ConversionRow& row : rows) {
    if (row.source == ConversionRow::Source::kFreshInit) fresh_modules.insert(GroupOf(row.target));
  }
  if (!fresh_modules.empty()) {
    absl::StrAppend(&out, "  The target still lacks trained weights for ",
                    absl::StrJoin(fresh_modules, ", "),
                    ": they are freshly initialised (PyTorch's default init); train them before "
                    "using the model.\n");
  } else {
    absl::StrAppend(&out, "  Every target tensor comes from the file.\n");
  }
  return out;
}

absl::StatusOr<ConversionReport> ConvertWeights(const std::string& input,
                                                const std::string& preset_name,
                                                const std::string& output) {
  ASSIGN_OR_RETURN(nn::ModelPreset preset, nn::GetPreset(preset_name));
  ASSIGN_OR_RETURN(WeightsFile file, WeightsFile::Open(input));

  ConversionReport report;
  report.input = input;
  report.output = output;
  report.preset = preset_name;
  report.format = file.format();
  report.notes = file.notes();

  // Which naming the file uses.
  bool torchvision = false, detector = false;
  for (const StoredTensor& t : file.tensors()) {
    torchvision |= t.name == "conv1.weight" || absl::StartsWith(t.name, "layer1.");
    detector |= absl::StartsWith(t.name, "model.");
  }
  if (torchvision == detector) {
    std::vector<std::string> first;
    for (const StoredTensor& t : file.tensors()) first.push_back(t.name);
    return absl::InvalidArgumentError(absl::StrCat(
        input, ": the tensor names match ", torchvision ? "both" : "neither",
        " torchvision's ResNeXt (conv1.weight, layer1.0.conv1.weight, ..., fc.weight) ",
        torchvision ? "and" : "nor",
        " the detector (model.0.weight, ..., lstm.*, linear1.*); "
        "names in the file: ",
        ListNames(first)));
  }
  report.layout = torchvision ? SourceLayout::kTorchvisionResNeXt : SourceLayout::kDetector;

  const std::vector<std::pair<std::string, nn::Shape>> spec = DetectorStateSpec(preset);
  std::map<std::string, size_t> spec_index;
  for (size_t i = 0; i < spec.size(); ++i) spec_index[spec[i].first] = i;

  std::vector<const StoredTensor*> source_of(spec.size(), nullptr);
  std::vector<std::string> unexpected, mismatched, missing;
  for (const StoredTensor& t : file.tensors()) {
    std::optional<std::string> target = t.name;
    if (torchvision) {
      if (absl::StartsWith(t.name, "fc.")) {
        report.skipped.emplace_back(t.name, "ImageNet classifier (the detector has its own head)");
        continue;
      }
      target = TorchvisionToDetectorName(t.name);
    }
    auto it = target ? spec_index.find(*target) : spec_index.end();
    if (it == spec_index.end()) {
      unexpected.push_back(t.name);
      continue;
    }
    if (source_of[it->second] != nullptr) {
      unexpected.push_back(absl::StrCat(t.name, " (a second source for ", *target, ")"));
      continue;
    }
    const nn::Shape& expected = spec[it->second].second;
    if (expected.ToVector() != t.shape) {
      mismatched.push_back(absl::StrCat(*target, ": preset '", preset_name, "' expects ",
                                        expected.ToString(), " but the file has ", t.ShapeString(),
                                        torchvision ? " (as " + t.name + ")" : ""));
      continue;
    }
    source_of[it->second] = &t;
  }
  for (size_t i = 0; i < spec.size(); ++i) {
    ConversionRow row;
    row.target = spec[i].first;
    row.shape = spec[i].second;
    if (source_of[i] != nullptr) {
      row.source_name = source_of[i]->name;
      row.source_dtype = source_of[i]->dtype;
    } else if (absl::EndsWith(row.target, "num_batches_tracked")) {
      row.source = ConversionRow::Source::kZeroCounter;
    } else if (torchvision && !absl::StartsWith(row.target, "model.")) {
      row.source = ConversionRow::Source::kFreshInit;
    } else {
      missing.push_back(row.target);
    }
    report.rows.push_back(std::move(row));
  }
  if (!missing.empty() || !unexpected.empty() || !mismatched.empty()) {
    std::vector<std::string> parts;
    if (!mismatched.empty()) {
      parts.push_back(
          absl::StrCat("mismatched ", mismatched.size(), " (", ListNames(mismatched), ")"));
    }
    if (!missing.empty()) {
      parts.push_back(absl::StrCat("missing ", missing.size(), " (", ListNames(missing), ")"));
    }
    if (!unexpected.empty()) {
      parts.push_back(
          absl::StrCat("unexpected ", unexpected.size(), " (", ListNames(unexpected), ")"));
    }
    return absl::InvalidArgumentError(absl::StrCat(input, ": does not fit preset '", preset_name,
                                                   "' (", SourceLayoutName(report.layout),
                                                   "): ", absl::StrJoin(parts, "; "),
                                                   ". Nothing was written. Is it the right preset? "
                                                   "Known presets: ",
                                                   absl::StrJoin(nn::PresetNames(), ", ")));
  }

  // Fresh values for what the file lacks, reproducibly.
  std::unique_ptr<DetectorHead> head;
  std::map<std::string, nn::Tensor*> fresh_values;
  std::set<std::string> fresh_modules;
  for (const ConversionRow& row : report.rows) {
    if (row.source == ConversionRow::Source::kFreshInit) fresh_modules.insert(GroupOf(row.target));
  }
  if (!fresh_modules.empty()) {
    nn::SetInitSeed(0);
    head = std::make_unique<DetectorHead>(preset);
    for (const auto& [name, tensor] : head->lstm.NamedState())
      fresh_values["lstm." + name] = tensor;
    for (const auto& [name, tensor] : head->linear1.NamedState()) {
      fresh_values["linear1." + name] = tensor;
    }
  }

  nn::io::CheckpointMetadata metadata;
  metadata.preset = preset_name;
  metadata.input_size = preset.preprocessing.image_size;
  metadata.mean = preset.preprocessing.mean;
  metadata.std_dev = preset.preprocessing.std;
  metadata.channel_order = nn::ChannelOrderName(preset.preprocessing.channel_order);
  metadata.label_order = absl::StrJoin(preset.labels, ",");
  metadata.extras["frames"] = absl::StrCat(preset.preprocessing.frames);
  metadata.extras["converted_from"] = Basename(input);
  metadata.extras["converted_from_format"] = WeightsFileFormatName(file.format());
  metadata.extras["converted_by"] = "tools/convert_weights";
  if (!fresh_modules.empty()) {
    metadata.extras["freshly_initialised"] = absl::StrJoin(fresh_modules, ",");
  }

  ASSIGN_OR_RETURN(std::unique_ptr<nn::io::SafetensorsStreamWriter> writer,
                   nn::io::SafetensorsStreamWriter::Create(
                       output, spec, nn::io::EncodeCheckpointMetadata(metadata)));
  std::vector<float> buffer;
  for (size_t i = 0; i < spec.size(); ++i) {
    const ConversionRow& row = report.rows[i];
    const int64_t numel = row.shape.numel();
    const float* data = nullptr;
    if (row.source == ConversionRow::Source::kFile) {
      buffer.resize(numel);
      if (absl::Status s = file.ReadFloat32(*source_of[i], buffer.data()); !s.ok()) return s;
      data = buffer.data();
    } else if (row.source == ConversionRow::Source::kFreshInit) {
      const nn::Tensor* value = fresh_values.at(row.target);
      NN_CHECK(value->shape() == row.shape) << row.target << ": " << value->shape();
      data = value->data<float>();
    } else {
      buffer.assign(numel, 0.0f);
      data = buffer.data();
    }
    if (absl::Status s = writer->Append(row.target, data, numel); !s.ok()) return s;
  }
  if (absl::Status s = writer->Finish(); !s.ok()) return s;
  return report;
}

absl::StatusOr<VerifyResult> VerifyCheckpoint(const std::string& checkpoint,
                                              const std::string& reference) {
  ASSIGN_OR_RETURN(nn::io::SafetensorsHeader header, nn::io::ReadSafetensorsHeader(checkpoint));
  nn::io::CheckpointMetadata metadata;
  if (absl::Status s = nn::io::DecodeCheckpointMetadata(checkpoint, header.metadata, &metadata);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<nn::ModelPreset> preset = nn::GetPreset(metadata.preset);
  if (!preset.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(checkpoint, ": metadata names preset '",
                                                   metadata.preset,
                                                   "': ", preset.status().message()));
  }
  ASSIGN_OR_RETURN(nn::io::TensorMap ref, nn::io::ReadSafetensors(reference));
  auto input = ref.find("input");
  auto logits = ref.find("logits");
  auto features = ref.find("features");
  if (input == ref.end() || (logits == ref.end()) == (features == ref.end())) {
    return absl::InvalidArgumentError(
        absl::StrCat(reference,
                     ": a reference file holds 'input' and one of 'logits' or 'features' "
                     "(tools/pytorch_ref/make_conversion_reference.py writes them)"));
  }
  const bool compare_logits = logits != ref.end();
  const nn::Tensor& x = input->second;
  if ((compare_logits && (x.rank() != 5 || x.dim(2) != 3)) ||
      (!compare_logits && (x.rank() != 4 || x.dim(1) != 3))) {
    return absl::InvalidArgumentError(
        absl::StrCat(reference, ": input ", x.shape().ToString(), " should be ",
                     compare_logits ? "[B, T, 3, H, W] for logits" : "[N, 3, H, W] for features"));
  }

  nn::Detector detector(preset->detector);
  if (absl::Status s = nn::io::LoadCheckpoint(checkpoint, &detector); !s.ok()) return s;
  detector.Eval();
  nn::Tensor actual;
  if (compare_logits) {
    actual = detector.Forward(x).video_logits;
  } else {
    const nn::Tensor maps = detector.backbone().Forward(x);  // [N, C, h, w]
    const int64_t n = maps.dim(0), c = maps.dim(1), hw = maps.dim(2) * maps.dim(3);
    actual = nn::Tensor::Zeros({n, c});
    const float* m = maps.data<float>();
    float* a = actual.data<float>();
    for (int64_t i = 0; i < n * c; ++i) {
      double sum = 0;
      for (int64_t k = 0; k < hw; ++k) sum += m[i * hw + k];
      a[i] = static_cast<float>(sum / hw);
    }
  }
  const nn::Tensor& expected = compare_logits ? logits->second : features->second;
  if (actual.shape() != expected.shape()) {
    return absl::InvalidArgumentError(absl::StrCat(
        reference, ": reference ", compare_logits ? "logits " : "features ",
        expected.shape().ToString(), " but the model produced ", actual.shape().ToString()));
  }
  VerifyResult result;
  result.compared = compare_logits ? "logits" : "features";
  result.shape = actual.shape();
  for (int64_t i = 0; i < actual.numel(); ++i) {
    const double e = expected.data<float>()[i];
    const double diff = std::abs(actual.data<float>()[i] - e);
    result.max_abs_diff = std::isnan(diff) ? INFINITY : std::max(result.max_abs_diff, diff);
    result.max_abs_reference = std::max(result.max_abs_reference, std::abs(e));
  }
  return result;
}

}  // namespace tools
