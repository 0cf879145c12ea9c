// The common flags (serve/cli/common_flags.h) that configure a serve::Detector, copied into
// its options in one place for every command that loads one (detect, serve).
#ifndef SERVE_DETECTOR_FLAGS_H_
#define SERVE_DETECTOR_FLAGS_H_

#include "serve/api/detector.h"
#include "serve/cli/common_flags.h"

namespace serve {

// Sets device, frames, sampling, every_k and face_detector of `options` from `common`
// (after CommonFlags::Apply checked them); the other fields are left as they are.
inline void ApplyCommonDetectorFlags(const cli::CommonFlags& common, DetectorOptions* options) {
  options->device = common.device;
  options->frames = common.frames;
  options->sampling = common.sampling;
  options->every_k = common.every_k;
  options->face_detector = common.face_detector;
}

}  // namespace serve

#endif  // SERVE_DETECTOR_FLAGS_H_
