// In-memory AVIOContext callbacks.
#include "video/avio_memory.h"

#include <algorithm>
#include <cstring>

extern "C" {
#include <libavformat/avio.h>
#include <libavutil/error.h>
#include <libavutil/mem.h>
}

namespace video {
namespace {
constexpr int kBufferSize = 64 * 1024;
}  // namespace

MemoryAvio::MemoryAvio(std::string_view bytes) : bytes_(bytes) {
  auto* buffer = static_cast<unsigned char*>(av_malloc(kBufferSize));
  if (buffer == nullptr) return;
  avio_ = avio_alloc_context(buffer, kBufferSize, /*write_flag=*/0, this, &MemoryAvio::Read,
                             nullptr, &MemoryAvio::Seek);
  if (avio_ == nullptr) av_free(buffer);
}

MemoryAvio::~MemoryAvio() {
  if (avio_ != nullptr) {
    av_freep(&avio_->buffer);
    avio_context_free(&avio_);
  }
}

int MemoryAvio::Read(void* opaque, uint8_t* buffer, int size) {
  auto* self = static_cast<MemoryAvio*>(opaque);
  const int64_t left = static_cast<int64_t>(self->bytes_.size()) - self->position_;
  if (left <= 0 || size <= 0) return AVERROR_EOF;
  const int n = static_cast<int>(std::min<int64_t>(left, size));
  std::memcpy(buffer, self->bytes_.data() + self->position_, n);
  self->position_ += n;
  return n;
}

int64_t MemoryAvio::Seek(void* opaque, int64_t offset, int whence) {
  auto* self = static_cast<MemoryAvio*>(opaque);
  const int64_t size = static_cast<int64_t>(self->bytes_.size());
  if (whence & AVSEEK_SIZE) return size;
  int64_t target;
  switch (whence & ~AVSEEK_FORCE) {
    case SEEK_SET:
      target = offset;
      break;
    case SEEK_CUR:
      target = self->position_ + offset;
      break;
    case SEEK_END:
      target = size + offset;
      break;
    default:
      return AVERROR(EINVAL);
  }
  if (target < 0 || target > size) return AVERROR(EINVAL);
  self->position_ = target;
  return target;
}

}  // namespace video
