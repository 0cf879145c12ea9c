// A minimal, read-only ZIP reader for PyTorch's checkpoint archives (torch.save since 1.6):
// it parses the central directory (ZIP64 included) and locates each entry's bytes in the
// file, so callers can fseek/fread straight into their own buffers. Only STORED
// (uncompressed) entries can be read — what torch.save writes; compressed or encrypted
// entries are refused with a message. Every offset is checked against the file's size.
#ifndef NN_IO_ZIP_READER_H_
#define NN_IO_ZIP_READER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace nn::io {

struct ZipEntry {
  std::string name;
  uint16_t method = 0;  // 0 = stored
  uint16_t flags = 0;   // bit 0 = encrypted
  uint32_t crc32 = 0;
  uint64_t size = 0;  // uncompressed
  uint64_t compressed_size = 0;
  uint64_t data_offset = 0;  // file offset of the entry's first byte
};

class ZipArchive {
 public:
  // Reads the directory of `path`. Fails, naming the file, when it is not a ZIP archive,
  // is truncated, or its directory points outside the file.
  static absl::StatusOr<ZipArchive> Open(const std::string& path);

  const std::string& path() const { return path_; }
  uint64_t file_size() const { return file_size_; }
  const std::vector<ZipEntry>& entries() const { return entries_; }
  // The entry named `name`, or null.
  const ZipEntry* Find(const std::string& name) const;
  // Checks that `entry` is stored uncompressed and unencrypted (readable in place).
  absl::Status CheckStored(const ZipEntry& entry) const;
  // Reads a whole (small) stored entry into memory and checks its CRC-32.
  absl::StatusOr<std::string> ReadEntry(const ZipEntry& entry) const;

 private:
  std::string path_;
  uint64_t file_size_ = 0;
  std::vector<ZipEntry> entries_;
};

// True when the file starts with a ZIP local-file-header signature ("PK\3\4").
bool LooksLikeZip(const std::string& first_bytes);

uint32_t Crc32(const void* data, size_t size, uint32_t crc = 0);

}  // namespace nn::io

#endif  // NN_IO_ZIP_READER_H_
