// The history thumbnail of an analysis: the deciding face track's middle crop, or, when no
// face was tracked, the video's first frame scaled to fit 160 px, as PNG bytes.
#ifndef SERVE_WEB_THUMBNAIL_H_
#define SERVE_WEB_THUMBNAIL_H_

#include <string>

#include "serve/api/detector.h"

namespace serve::web {

// "" when there is neither a face thumbnail nor a decodable frame.
std::string HistoryThumbnailPng(const serve::DetectionResult& result,
                                const std::string& video_path);

}  // namespace serve::web

#endif  // SERVE_WEB_THUMBNAIL_H_
