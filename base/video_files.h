// Which files are videos, and listing them: one extension list for every tool that takes a
// folder of videos (dataset generation, the face cache, reports).
#ifndef BASE_VIDEO_FILES_H_
#define BASE_VIDEO_FILES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace base {

// The video file extensions, lower case with the dot: .mp4 .mov .mkv .webm .avi .m4v .flv
// .wmv .3gp .gif .mpg .mpeg .ts.
const std::vector<std::string>& VideoFileExtensions();

// True when the file name ends in one of VideoFileExtensions(), in any case ("A.MP4").
bool HasVideoExtension(const std::string& path);

// Every regular file with a video extension under `dir`, recursively (folders it may not
// read are skipped), sorted by path. Errors name the folder: kNotFound when it is missing
// or not a folder, kPermissionDenied when it cannot be listed.
absl::StatusOr<std::vector<std::string>> ListVideoFiles(const std::string& dir);

}  // namespace base

#endif  // BASE_VIDEO_FILES_H_
