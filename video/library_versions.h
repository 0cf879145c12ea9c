// Versions of the media libraries video/ is built on (FFmpeg, dlib) and where dlib's
// 68-point landmark model is. For `deepfake --version` and bug reports.
#ifndef VIDEO_LIBRARY_VERSIONS_H_
#define VIDEO_LIBRARY_VERSIONS_H_

#include <string>

namespace video {

// FFmpeg's release as the linked libraries report it, e.g. "5.1.9-0+deb12u1".
std::string FfmpegVersion();
// True when the headers compiled against and the libraries loaded at run time agree on
// each library's major version (a mismatch means a broken install).
bool FfmpegHeadersMatchLibraries();
std::string DlibVersion();  // "19.24.0"
// Default location of shape_predictor_68_face_landmarks.dat (Debian's libdlib-data).
std::string DefaultLandmarkModelPath();

}  // namespace video

#endif  // VIDEO_LIBRARY_VERSIONS_H_
