// An AVIOContext that reads from bytes in memory, so FFmpeg's demuxers can decode an upload
// or a fuzzer input without a file. Read and seek are bounds-checked.
#ifndef VIDEO_AVIO_MEMORY_H_
#define VIDEO_AVIO_MEMORY_H_

#include <cstdint>
#include <string>
#include <string_view>

struct AVIOContext;

namespace video {

class MemoryAvio {
 public:
  // Copies `bytes`. avio() is null only when FFmpeg cannot allocate.
  explicit MemoryAvio(std::string_view bytes);
  ~MemoryAvio();
  MemoryAvio(const MemoryAvio&) = delete;
  MemoryAvio& operator=(const MemoryAvio&) = delete;

  AVIOContext* avio() const { return avio_; }

 private:
  static int Read(void* opaque, uint8_t* buffer, int size);
  static int64_t Seek(void* opaque, int64_t offset, int whence);

  std::string bytes_;
  int64_t position_ = 0;
  AVIOContext* avio_ = nullptr;
};

}  // namespace video

#endif  // VIDEO_AVIO_MEMORY_H_
