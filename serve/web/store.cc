// Engine-independent parts of store.h: job state names and the clock.
#include "serve/web/store.h"

#include <chrono>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace serve::web {

const char* JobStateName(JobState state) {
  switch (state) {
    case JobState::kQueued:
      return "queued";
    case JobState::kRunning:
      return "running";
    case JobState::kDone:
      return "done";
    case JobState::kFailed:
      return "failed";
    case JobState::kCanceled:
      return "canceled";
  }
  return "unknown";
}

absl::StatusOr<JobState> ParseJobState(const std::string& name) {
  for (JobState state : {JobState::kQueued, JobState::kRunning, JobState::kDone, JobState::kFailed,
                         JobState::kCanceled}) {
    if (name == JobStateName(state)) return state;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown job state '", name, "' (expected queued, running, done, failed or canceled)"));
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace serve::web
