// Writes real detection results as JSONL for the schema test (result_schema_test.sh): a
// random-weight tiny model on the given clips (with frames and thumbnails, and without
// frames), a faceless clip, a missing file, and the first clip explained (heatmaps).
//   result_samples OUT.jsonl CLIP...
#include <fstream>
#include <iostream>

#include "base/testing/test_paths.h"
#include "serve/api/detector.h"
#include "serve/api/result_json.h"
#include "serve/api/testing/test_model.h"
#include "video/testing/synthetic_clips.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: result_samples OUT.jsonl CLIP...\n";
    return 2;
  }
  const std::string model = serve::testing::WriteRandomModel(
      base::testing::TestTempPath("result_samples_tiny.safetensors"));
  serve::DetectorOptions options;
  options.device = "cpu";
  options.landmark_model_path = base::testing::kLandmarkModelPath;
  options.thumbnail_size = 8;
  absl::StatusOr<std::unique_ptr<serve::Detector>> detector = serve::Detector::Load(model, options);
  if (!detector.ok()) {
    std::cerr << detector.status() << "\n";
    return 1;
  }
  const std::string faceless = base::testing::TestTempPath("result_samples_pattern.mp4");
  if (!video::testing::WriteSyntheticClip(faceless, {}).ok()) return 1;

  std::vector<std::string> paths(argv + 2, argv + argc);
  paths.push_back(faceless);
  paths.push_back(base::testing::TestTempPath("absent.mp4"));
  std::ofstream out(argv[1]);
  const serve::JsonOptions all{true, true}, summary{false, false};
  int determined = 0;
  for (const serve::DetectionResult& r : (*detector)->DetectBatch(paths)) {
    out << serve::ResultToJson(r, all).dump() << "\n" << serve::ResultToJson(r, summary).dump() << "\n";
    determined += r.verdict != serve::Verdict::kUndetermined;
  }
  // With Grad-CAM heatmaps.
  serve::DetectOptions explain;
  explain.explain = true;
  out << serve::ResultToJson((*detector)->Detect(paths.front(), explain), all).dump() << "\n";
  if (determined == 0) {
    std::cerr << "no clip was analysed\n";
    return 1;
  }
  return out.good() ? 0 : 1;
}
