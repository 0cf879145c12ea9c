// dlib's MMOD CNN face detector (mmod_human_face_detector.dat, see NOTICE), compiled in.
#ifndef VIDEO_MODELS_MMOD_MODEL_DATA_H_
#define VIDEO_MODELS_MMOD_MODEL_DATA_H_

#include <cstddef>

namespace video {

extern const unsigned char kMmodHumanFaceDetector[];  // dlib-serialized net
extern const size_t kMmodHumanFaceDetectorSize;       // 729940 bytes

}  // namespace video

#endif  // VIDEO_MODELS_MMOD_MODEL_DATA_H_
