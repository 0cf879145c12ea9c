// The report `deepfake --version` prints: project version, libraries, CUDA.
#ifndef SERVE_VERSION_H_
#define SERVE_VERSION_H_

#include <string>

namespace serve {

inline constexpr char kProjectVersion[] = "0.1.0";

// One "name: value" line per component, e.g.
//   deepfake 0.1.0
//   FFmpeg: 5.1.9-0+deb12u1
//   dlib: 19.24.0 (landmark model: /usr/share/dlib/shape_predictor_68_face_landmarks.dat)
//   Eigen: 3.4.0
//   CUDA: not compiled in (build with --config=cuda)
std::string VersionReport();

}  // namespace serve

#endif  // SERVE_VERSION_H_
