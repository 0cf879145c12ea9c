// What the dashboard's request handlers and workers share (one per Server): the resolved
// options, the store, the detector, metrics and the change notifier.
#ifndef SERVE_WEB_SERVER_CONTEXT_H_
#define SERVE_WEB_SERVER_CONTEXT_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "serve/api/detector.h"
#include "serve/web/change_notifier.h"
#include "serve/web/metrics.h"
#include "serve/web/server.h"
#include "serve/web/store.h"
#include "serve/web/worker_pool.h"

namespace serve::web {

// Multipart framing allowed on top of --max_upload_mb in an upload's Content-Length.
inline constexpr int64_t kMultipartOverheadBytes = int64_t{64} << 10;
inline constexpr int kMaxFilesPerUpload = 32;
inline constexpr int kMaxEventStreams = 32;  // open SSE connections (each holds a thread)

struct ServerContext {
  ServeOptions options;  // data_dir absolute, model_path resolved
  std::unique_ptr<Store> store;
  std::unique_ptr<serve::Detector> detector;
  Metrics metrics;
  ChangeNotifier changes;
  std::mutex admit_mutex;  // the queue-capacity check and the Inserts of one upload
  std::atomic<int> event_streams{0};
  WorkerPool* workers = nullptr;  // set once created (the Server owns it)
};

}  // namespace serve::web

#endif  // SERVE_WEB_SERVER_CONTEXT_H_
