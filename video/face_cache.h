// A disk cache of preprocessed faces, so training epochs do not re-decode video. An entry
// is keyed by the video's content (XXH64 of the file's bytes, streamed: base/hash.h) and the
// XXH64 of every
// parameter that changes the output; it is a safetensors file holding one [T,3,H,W] tensor
// per track, with the metadata (preprocess_json.h), the full parameter key and a checksum
// of the tensor bytes in __metadata__. A damaged, truncated or mismatched entry is
// detected, recomputed and rewritten (atomically).
#ifndef VIDEO_FACE_CACHE_H_
#define VIDEO_FACE_CACHE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "nn/models/presets.h"
#include "video/preprocess.h"

namespace video {

// Every parameter that affects PreprocessVideo's output, as one canonical string (the
// cache format version, dlib's version and the landmark model's path and size included).
std::string PreprocessingKey(const nn::Preprocessing& preprocessing,
                             const PreprocessOptions& options);

enum class CacheOutcome {
  kHit,         // read from the cache
  kMiss,        // computed and stored
  kRecomputed,  // the entry was damaged or did not match: computed again and rewritten
};

class FaceCache {
 public:
  // Entries live in `directory` (created when missing).
  explicit FaceCache(std::string directory);

  // PreprocessVideo(path, preprocessing, options), from the cache when the same bytes were
  // preprocessed with the same parameters before. Preprocessing errors are returned (and
  // not cached); a cache entry that cannot be written is an error naming it.
  absl::StatusOr<PreprocessedVideo> Get(const std::string& path,
                                        const nn::Preprocessing& preprocessing,
                                        const PreprocessOptions& options,
                                        CacheOutcome* outcome = nullptr);

  // The file an entry for these contents and parameters lives in.
  std::string EntryPath(uint64_t content_hash, const std::string& key) const;

 private:
  absl::StatusOr<PreprocessedVideo> Read(const std::string& entry, const std::string& key) const;
  absl::Status Write(const std::string& entry, const std::string& key, uint64_t content_hash,
                     const PreprocessedVideo& video) const;

  std::string directory_;
};

}  // namespace video

#endif  // VIDEO_FACE_CACHE_H_
