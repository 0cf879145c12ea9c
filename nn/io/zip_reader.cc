// ZIP central-directory reader (format: PKWARE APPNOTE 6.3, sections 4.3 and 4.5.3).
#include "nn/io/zip_reader.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "nn/io/little_endian.h"

namespace nn::io {
namespace {

constexpr uint32_t kLocalHeaderSignature = 0x04034b50;
constexpr uint32_t kCentralHeaderSignature = 0x02014b50;
constexpr uint32_t kEndOfCentralDirectorySignature = 0x06054b50;
constexpr uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr uint32_t kZip64EndSignature = 0x06064b50;
constexpr size_t kEndRecordBytes = 22;
constexpr size_t kMaxCommentBytes = 0xffff;
constexpr size_t kCentralHeaderBytes = 46;
constexpr size_t kLocalHeaderBytes = 30;
constexpr uint64_t kMaxEntryReadBytes = uint64_t{1} << 30;  // ReadEntry is for small entries

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

absl::Status Corrupt(const std::string& path, const std::string& problem) {
  return absl::DataLossError(absl::StrCat(path, ": not a readable ZIP archive: ", problem));
}

bool ReadAt(std::FILE* f, uint64_t offset, void* out, size_t bytes) {
  return fseeko(f, static_cast<off_t>(offset), SEEK_SET) == 0 &&
         std::fread(out, 1, bytes, f) == bytes;
}

}  // namespace

uint32_t Crc32(const void* data, size_t size, uint32_t crc) {
  static const auto* table = [] {
    auto* t = new uint32_t[256];
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  const auto* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
  for (size_t i = 0; i < size; ++i) crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

bool LooksLikeZip(const std::string& first_bytes) {
  return first_bytes.size() >= 4 && first_bytes.compare(0, 4, "PK\x03\x04", 4) == 0;
}

absl::StatusOr<ZipArchive> ZipArchive::Open(const std::string& path) {
  File f(std::fopen(path.c_str(), "rb"));
  if (!f) {
    return absl::NotFoundError(
        absl::StrCat(path, ": cannot open: ", std::generic_category().message(errno)));
  }
  ZipArchive archive;
  archive.path_ = path;
  if (fseeko(f.get(), 0, SEEK_END) != 0) return Corrupt(path, "cannot seek");
  const uint64_t file_size = static_cast<uint64_t>(ftello(f.get()));
  archive.file_size_ = file_size;
  if (file_size < kEndRecordBytes) {
    return Corrupt(path, absl::StrCat("the file is only ", file_size, " bytes"));
  }

  // The end-of-central-directory record is in the last 22 + 65535 bytes.
  const uint64_t tail_size = std::min<uint64_t>(file_size, kEndRecordBytes + kMaxCommentBytes);
  std::vector<unsigned char> tail(tail_size);
  if (!ReadAt(f.get(), file_size - tail_size, tail.data(), tail_size)) {
    return Corrupt(path, "cannot read the end of the file");
  }
  int64_t end_record = -1;
  for (int64_t i = static_cast<int64_t>(tail_size - kEndRecordBytes); i >= 0; --i) {
    if (LoadLittleEndian(&tail[i], 4) == kEndOfCentralDirectorySignature &&
        i + kEndRecordBytes + LoadLittleEndian(&tail[i + 20], 2) == tail_size) {
      end_record = i;
      break;
    }
  }
  if (end_record < 0) {
    return Corrupt(path,
                   "no end-of-central-directory record: the file is truncated (an interrupted "
                   "download or copy?) or is not a ZIP archive");
  }
  const unsigned char* eocd = &tail[end_record];
  uint64_t entry_count = LoadLittleEndian(eocd + 10, 2);
  uint64_t directory_size = LoadLittleEndian(eocd + 12, 4);
  uint64_t directory_offset = LoadLittleEndian(eocd + 16, 4);
  const uint64_t eocd_offset = file_size - tail_size + end_record;

  // ZIP64: a locator just before the end record points at the 64-bit end record.
  if (eocd_offset >= 20) {
    unsigned char locator[20];
    if (ReadAt(f.get(), eocd_offset - 20, locator, 20) &&
        LoadLittleEndian(locator, 4) == kZip64LocatorSignature) {
      const uint64_t zip64_offset = LoadLittleEndian(locator + 8, 8);
      unsigned char record[56];
      if (zip64_offset + 56 > eocd_offset || !ReadAt(f.get(), zip64_offset, record, 56) ||
          LoadLittleEndian(record, 4) != kZip64EndSignature) {
        return Corrupt(path, "the ZIP64 end-of-central-directory record is missing or damaged");
      }
      entry_count = LoadLittleEndian(record + 32, 8);
      directory_size = LoadLittleEndian(record + 40, 8);
      directory_offset = LoadLittleEndian(record + 48, 8);
    }
  }
  if (directory_offset > eocd_offset || directory_size > eocd_offset - directory_offset) {
    return Corrupt(path, absl::StrCat("the central directory (", directory_size, " bytes at ",
                                      directory_offset, ") lies outside the ", file_size,
                                      "-byte file: truncated?"));
  }
  if (entry_count > directory_size / kCentralHeaderBytes) {
    return Corrupt(path, absl::StrCat(entry_count, " entries cannot fit in a ", directory_size,
                                      "-byte central directory"));
  }

  std::vector<unsigned char> directory(directory_size);
  if (!ReadAt(f.get(), directory_offset, directory.data(), directory_size)) {
    return Corrupt(path, "cannot read the central directory");
  }
  size_t pos = 0;
  for (uint64_t n = 0; n < entry_count; ++n) {
    if (pos + kCentralHeaderBytes > directory.size() ||
        LoadLittleEndian(&directory[pos], 4) != kCentralHeaderSignature) {
      return Corrupt(path, absl::StrCat("central directory entry ", n, " is damaged"));
    }
    const unsigned char* h = &directory[pos];
    ZipEntry entry;
    entry.flags = static_cast<uint16_t>(LoadLittleEndian(h + 8, 2));
    entry.method = static_cast<uint16_t>(LoadLittleEndian(h + 10, 2));
    entry.crc32 = static_cast<uint32_t>(LoadLittleEndian(h + 16, 4));
    entry.compressed_size = LoadLittleEndian(h + 20, 4);
    entry.size = LoadLittleEndian(h + 24, 4);
    const size_t name_length = LoadLittleEndian(h + 28, 2);
    const size_t extra_length = LoadLittleEndian(h + 30, 2);
    const size_t comment_length = LoadLittleEndian(h + 32, 2);
    uint64_t local_offset = LoadLittleEndian(h + 42, 4);
    if (pos + kCentralHeaderBytes + name_length + extra_length + comment_length >
        directory.size()) {
      return Corrupt(path, absl::StrCat("central directory entry ", n, " overruns the directory"));
    }
    entry.name.assign(reinterpret_cast<const char*>(h + kCentralHeaderBytes), name_length);
    // ZIP64 extended information: the 64-bit values of the fields saturated at 0xffffffff.
    const unsigned char* extra = h + kCentralHeaderBytes + name_length;
    for (size_t e = 0; e + 4 <= extra_length;) {
      const uint64_t id = LoadLittleEndian(extra + e, 2);
      const size_t length = LoadLittleEndian(extra + e + 2, 2);
      if (e + 4 + length > extra_length) break;
      if (id == 0x0001) {
        const unsigned char* field = extra + e + 4;
        size_t used = 0;
        auto next = [&](uint64_t* value) {
          if (*value != 0xffffffffu) return true;
          if (used + 8 > length) return false;
          *value = LoadLittleEndian(field + used, 8);
          used += 8;
          return true;
        };
        if (!next(&entry.size) || !next(&entry.compressed_size) || !next(&local_offset)) {
          return Corrupt(path, "entry '" + entry.name + "' has a short ZIP64 extra field");
        }
      }
      e += 4 + length;
    }
    pos += kCentralHeaderBytes + name_length + extra_length + comment_length;

    unsigned char local[kLocalHeaderBytes];
    if (local_offset + kLocalHeaderBytes > directory_offset ||
        !ReadAt(f.get(), local_offset, local, kLocalHeaderBytes) ||
        LoadLittleEndian(local, 4) != kLocalHeaderSignature) {
      return Corrupt(path, "entry '" + entry.name + "' has no valid local header");
    }
    entry.data_offset = local_offset + kLocalHeaderBytes + LoadLittleEndian(local + 26, 2) +
                        LoadLittleEndian(local + 28, 2);
    if (entry.data_offset > directory_offset ||
        entry.compressed_size > directory_offset - entry.data_offset) {
      return Corrupt(path,
                     absl::StrCat("entry '", entry.name, "' (", entry.compressed_size, " bytes at ",
                                  entry.data_offset, ") extends past the data: truncated?"));
    }
    archive.entries_.push_back(std::move(entry));
  }
  return archive;
}

const ZipEntry* ZipArchive::Find(const std::string& name) const {
  for (const ZipEntry& entry : entries_) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

absl::Status ZipArchive::CheckStored(const ZipEntry& entry) const {
  if (entry.flags & 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(path_, ": entry '", entry.name, "' is encrypted; cannot read it"));
  }
  if (entry.method != 0 || entry.size != entry.compressed_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        path_, ": entry '", entry.name, "' is compressed (ZIP method ", entry.method,
        "); torch.save writes uncompressed archives, so this file was re-packed by another "
        "tool. Re-save it with torch.save, or unzip and re-zip it with `zip -0`"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ZipArchive::ReadEntry(const ZipEntry& entry) const {
  if (absl::Status s = CheckStored(entry); !s.ok()) return s;
  if (entry.size > kMaxEntryReadBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(path_, ": entry '", entry.name, "' is too large (", entry.size, " bytes)"));
  }
  File f(std::fopen(path_.c_str(), "rb"));
  if (!f) {
    return absl::NotFoundError(
        absl::StrCat(path_, ": cannot open: ", std::generic_category().message(errno)));
  }
  std::string data(entry.size, '\0');
  if (!ReadAt(f.get(), entry.data_offset, data.data(), data.size())) {
    return Corrupt(path_, "cannot read entry '" + entry.name + "'");
  }
  if (Crc32(data.data(), data.size()) != entry.crc32) {
    return Corrupt(path_, "entry '" + entry.name + "' fails its CRC-32 check: the file is damaged");
  }
  return data;
}

}  // namespace nn::io
