// tools/convert_weights: PyTorch weights (.pt/.pth/.safetensors) -> native checkpoint.
//
//   bazel run //tools:convert_weights -- --input=model_93_acc_100_frames_final_data.pt
//       --preset=jadhav2020 --output=jadhav2020.safetensors [--verify=reference.safetensors]
//
// Prints what it mapped, skipped and freshly initialised; with --verify, runs the converted
// model on a reference input from PyTorch and reports the max abs difference of the outputs
// (exit status 1 above --tolerance). Relative paths are taken from the directory `bazel run`
// was started in.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nn/models/presets.h"
#include "tools/convert_weights.h"

ABSL_FLAG(std::string, input, "", "PyTorch .pt/.pth (torch.save) or .safetensors file");
ABSL_FLAG(std::string, preset, "default",
          "target model preset (default, jadhav2020, ...); torchvision ImageNet ResNeXt weights "
          "fill the preset's backbone only");
ABSL_FLAG(std::string, output, "", "native checkpoint to write (.safetensors)");
ABSL_FLAG(std::string, verify, "",
          "reference input/output pair (tools/pytorch_ref/make_conversion_reference.py) to "
          "compare the converted model with");
ABSL_FLAG(double, tolerance, 1e-4, "--verify fails above this max abs difference");
ABSL_FLAG(bool, verbose, false, "one report line per tensor");

namespace {

std::string FromWorkingDirectory(const std::string& path) {
  const char* dir = std::getenv("BUILD_WORKING_DIRECTORY");  // set by `bazel run`
  if (path.empty() || path[0] == '/' || dir == nullptr) return path;
  return absl::StrCat(dir, "/", path);
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "converts PyTorch weights into a native checkpoint:\n  convert_weights --input=FILE.pt "
      "--preset=" +
      absl::StrJoin(nn::PresetNames(), "|") +
      " --output=OUT.safetensors [--verify=REF.safetensors]");
  absl::ParseCommandLine(argc, argv);
  const std::string input = FromWorkingDirectory(absl::GetFlag(FLAGS_input));
  const std::string output = FromWorkingDirectory(absl::GetFlag(FLAGS_output));
  if (input.empty() || output.empty()) {
    std::fprintf(stderr, "convert_weights: --input and --output are required (see --help)\n");
    return 2;
  }
  absl::StatusOr<tools::ConversionReport> report =
      tools::ConvertWeights(input, absl::GetFlag(FLAGS_preset), output);
  if (!report.ok()) {
    std::fprintf(stderr, "convert_weights: %s\n", std::string(report.status().message()).c_str());
    return 1;
  }
  std::printf("%s", report->Table(absl::GetFlag(FLAGS_verbose)).c_str());

  const std::string reference = FromWorkingDirectory(absl::GetFlag(FLAGS_verify));
  if (reference.empty()) return 0;
  absl::StatusOr<tools::VerifyResult> verified = tools::VerifyCheckpoint(output, reference);
  if (!verified.ok()) {
    std::fprintf(stderr, "convert_weights: --verify: %s\n",
                 std::string(verified.status().message()).c_str());
    return 1;
  }
  const double tolerance = absl::GetFlag(FLAGS_tolerance);
  const bool ok = verified->max_abs_diff <= tolerance;
  std::printf(
      "\nverify: max abs difference %.3g on %s %s (largest reference value %.3g, "
      "tolerance %.3g): %s\n",
      verified->max_abs_diff, verified->compared.c_str(), verified->shape.ToString().c_str(),
      verified->max_abs_reference, tolerance, ok ? "OK" : "FAILED");
  return ok ? 0 : 1;
}
