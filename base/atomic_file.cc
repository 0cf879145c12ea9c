// WriteFileAtomically: temporary file, fsync, rename, fsync of the directory (POSIX).
#include "base/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"

namespace base {
namespace {

absl::Status Error(const std::string& path, const char* step, int error) {
  const std::string message =
      absl::StrCat(path, ": cannot write (", step, "): ", std::strerror(error));
  if (error == EACCES || error == EPERM || error == EROFS)
    return absl::PermissionDeniedError(message);
  if (error == ENOENT || error == ENOTDIR) return absl::NotFoundError(message);
  if (error == ENOSPC || error == EDQUOT) return absl::ResourceExhaustedError(message);
  return absl::UnavailableError(message);
}

// Opens a new, unique temporary file beside `path` (O_EXCL: never someone else's).
int OpenTemporary(const std::string& path, std::string* temporary) {
  static std::atomic<uint64_t> counter{0};
  for (int attempt = 0; attempt < 100; ++attempt) {
    *temporary = absl::StrCat(path, ".tmp.", getpid(), ".", counter.fetch_add(1));
    const int fd = open(temporary->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  errno = EEXIST;
  return -1;
}

}  // namespace

absl::Status WriteFileAtomically(const std::string& path, std::string_view contents) {
  std::string temporary;
  const int fd = OpenTemporary(path, &temporary);
  if (fd < 0) return Error(path, "create temporary file", errno);
  auto fail = [&](const char* step) {
    const int error = errno;
    if (fd >= 0) close(fd);
    std::remove(temporary.c_str());
    return Error(path, step, error);
  };
  const char* p = contents.data();
  size_t left = contents.size();
  while (left > 0) {
    const ssize_t written = write(fd, p, left);
    if (written < 0) {
      if (errno == EINTR) continue;
      return fail("write");
    }
    p += written;
    left -= static_cast<size_t>(written);
  }
  if (fsync(fd) != 0) return fail("fsync");
  if (close(fd) != 0) {
    const int error = errno;
    std::remove(temporary.c_str());
    return Error(path, "close", error);
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    const int error = errno;
    std::remove(temporary.c_str());
    return Error(path, "rename", error);
  }
  // The rename is durable once the directory entry is on disk.
  std::string directory = std::filesystem::path(path).parent_path().string();
  if (directory.empty()) directory = ".";
  const int dir_fd = open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    fsync(dir_fd);
    close(dir_fd);
  }
  return absl::OkStatus();
}

}  // namespace base
