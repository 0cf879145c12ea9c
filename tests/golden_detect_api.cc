// The C++ API's side of tests/golden_detect_test.py: loads a checkpoint on the CPU with
// serve::Detector and prints ResultToJson of Detect for each video, one JSON object per
// line (doubles round-trip exactly through nlohmann's printing).
//   golden_detect_api MODEL LANDMARK_MODEL VIDEO...
#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "serve/api/detector.h"
#include "serve/api/result_json.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s MODEL LANDMARK_MODEL VIDEO...\n", argv[0]);
    return 2;
  }
  serve::DetectorOptions options;
  options.device = "cpu";
  options.landmark_model_path = argv[2];
  absl::StatusOr<std::unique_ptr<serve::Detector>> detector =
      serve::Detector::Load(argv[1], options);
  if (!detector.ok()) {
    std::fprintf(stderr, "%s\n", detector.status().ToString().c_str());
    return 1;
  }
  for (int i = 3; i < argc; ++i) {
    const serve::DetectionResult result = (*detector)->Detect(argv[i]);
    std::printf("%s\n", serve::ResultToJson(result).dump().c_str());
  }
  return 0;
}
