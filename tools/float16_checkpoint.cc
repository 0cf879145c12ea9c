// bazel run //tools:float16_checkpoint -- --input=best.safetensors --output=model_f16.safetensors
// Writes a copy of a native checkpoint with float16 storage (half the bytes; metadata kept,
// plus "storage" = "float16"); every loader widens it back to float32
// (nn/io/checkpoint.h). The training provenance loses its wall-clock "seconds" (written by
// older trainers), so the copy depends only on the training command, seed and thread count.
// Exit code 0 written, 1 failed (the message names the file), 2 usage.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "nlohmann/json.hpp"
#include "nn/io/checkpoint.h"
#include "serve/cli/flags.h"

ABSL_FLAG(std::string, input, "", "native checkpoint (.safetensors, float32)");
ABSL_FLAG(std::string, output, "", "where the float16 copy goes");

int main(int argc, char** argv) {
  constexpr char kUsage[] = "usage: float16_checkpoint --input=CKPT --output=CKPT_F16";
  absl::SetProgramUsageMessage(kUsage);
  const std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  const std::string input = serve::cli::ResolveUserPath(absl::GetFlag(FLAGS_input));
  const std::string output = serve::cli::ResolveUserPath(absl::GetFlag(FLAGS_output));
  if (positional.size() > 1 || input.empty() || output.empty()) {
    std::fprintf(stderr, "float16_checkpoint: give --input and --output\n%s\n", kUsage);
    return 2;
  }
  auto drop_seconds = [](nn::io::Metadata* metadata) {
    auto it = metadata->find("training");
    if (it == metadata->end()) return;
    nlohmann::json training = nlohmann::json::parse(it->second, nullptr, /*allow_exceptions=*/false);
    if (!training.is_object() || !training.contains("seconds")) return;
    training.erase("seconds");
    it->second = training.dump();
  };
  if (const absl::Status s = nn::io::WriteFloat16Checkpoint(input, output, drop_seconds);
      !s.ok()) {
    std::fprintf(stderr, "float16_checkpoint: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  std::printf("wrote %s (float16 storage of %s)\n", output.c_str(), input.c_str());
  return 0;
}
