// The video extension list and the recursive, sorted listing.
#include "base/video_files.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace base {

namespace fs = std::filesystem;

const std::vector<std::string>& VideoFileExtensions() {
  static const std::vector<std::string>* const kExtensions =
      new std::vector<std::string>{".mp4", ".mov", ".mkv", ".webm", ".avi",  ".m4v", ".flv",
                                   ".wmv", ".3gp", ".gif", ".mpg",  ".mpeg", ".ts"};
  return *kExtensions;
}

bool HasVideoExtension(const std::string& path) {
  const std::string extension = absl::AsciiStrToLower(fs::path(path).extension().string());
  const std::vector<std::string>& known = VideoFileExtensions();
  return std::find(known.begin(), known.end(), extension) != known.end();
}

absl::StatusOr<std::vector<std::string>> ListVideoFiles(const std::string& dir) {
  std::error_code error;
  if (!fs::is_directory(dir, error)) {
    return absl::NotFoundError(
        absl::StrCat(dir, fs::exists(dir, error) ? ": not a folder" : ": no such folder"));
  }
  std::vector<std::string> videos;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, error);
  for (; !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
    std::error_code type_error;
    if (it->is_regular_file(type_error) && HasVideoExtension(it->path().string())) {
      videos.push_back(it->path().string());
    }
  }
  if (error) {
    return absl::PermissionDeniedError(
        absl::StrCat(dir, ": cannot list the folder: ", error.message()));
  }
  std::sort(videos.begin(), videos.end());
  return videos;
}

}  // namespace base
