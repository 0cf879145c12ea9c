// Early-return macros for absl::Status / absl::StatusOr, instead of hand-written
// `if (!x.ok()) return x.status();` chains:
//
//   RETURN_IF_ERROR(encoder->Close());                        // a Status or a StatusOr
//   ASSIGN_OR_RETURN(std::unique_ptr<Decoder> d, Decoder::Open(path));
//   ASSIGN_OR_RETURN(clip, LoadClip(path));                   // assigns an existing variable
//
// Both return the error unchanged (code and message) from the enclosing function, which
// returns absl::Status or any absl::StatusOr<T>. ASSIGN_OR_RETURN declares a hidden
// variable named after the line, so use at most one per line; a `lhs` with a top-level
// comma (std::pair<A, B> x) needs an alias.
#ifndef BASE_STATUS_MACROS_H_
#define BASE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace base::status_macros_internal {

inline const absl::Status& ToStatus(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& ToStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

}  // namespace base::status_macros_internal

#define BASE_STATUS_MACROS_CONCAT_INNER(a, b) a##b
#define BASE_STATUS_MACROS_CONCAT(a, b) BASE_STATUS_MACROS_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                               \
  do {                                                      \
    if (const ::absl::Status base_status_macros_status =    \
            ::base::status_macros_internal::ToStatus(expr); \
        !base_status_macros_status.ok()) {                  \
      return base_status_macros_status;                     \
    }                                                       \
  } while (false)

#define ASSIGN_OR_RETURN(lhs, expr) \
  BASE_ASSIGN_OR_RETURN_IMPL(BASE_STATUS_MACROS_CONCAT(base_status_or_, __LINE__), lhs, expr)

#define BASE_ASSIGN_OR_RETURN_IMPL(status_or, lhs, expr)     \
  auto status_or = (expr);                                   \
  if (!status_or.ok()) return std::move(status_or).status(); \
  lhs = std::move(status_or).value()

#endif  // BASE_STATUS_MACROS_H_
