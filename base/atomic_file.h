// Atomic file replacement: readers see the old contents or the new, never a torn file, and
// a failed write leaves the old file in place.
#ifndef BASE_ATOMIC_FILE_H_
#define BASE_ATOMIC_FILE_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace base {

// Writes `contents` to a new temporary file beside `path` (same directory, so the rename
// cannot cross file systems; PATH.tmp.<pid>.<n>, so concurrent writers do not collide),
// fsyncs it, renames it over `path` and fsyncs the directory (best effort). The file gets the
// default permissions (0666 minus the umask). On failure the temporary is removed, `path` is
// untouched, and the error names `path` and the failing step.
absl::Status WriteFileAtomically(const std::string& path, std::string_view contents);

}  // namespace base

#endif  // BASE_ATOMIC_FILE_H_
