// Streaming multipart uploads to disk, content sniffing and file name sanitising.
#include "serve/web/upload.h"

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "serve/web/http_util.h"

namespace serve::web {
namespace {

namespace fs = std::filesystem;

// What is drained after an error so the client can read the answer (then: dropped).
constexpr int64_t kMaxDrainBytes = int64_t{16} << 20;
constexpr int64_t kMaxOtherFieldBytes = int64_t{64} << 10;

bool At(std::string_view head, size_t offset, std::string_view bytes) {
  return head.size() >= offset + bytes.size() && head.substr(offset, bytes.size()) == bytes;
}

// The length of the valid UTF-8 sequence at s[i], or 0.
size_t Utf8Length(std::string_view s, size_t i) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return 0;
  }
  return n;
}

}  // namespace

std::string SniffVideoType(std::string_view head) {
  // ISO base media (MP4, MOV, 3GP): a box header "size type" with type ftyp, or a file
  // starting with another top-level box QuickTime writes first.
  if (At(head, 4, "ftyp")) {
    if (At(head, 8, "qt  ")) return "video/quicktime";
    if (At(head, 8, "3gp") || At(head, 8, "3g2")) return "video/3gpp";
    return "video/mp4";
  }
  for (std::string_view box : {"moov", "mdat", "wide", "free", "skip"}) {
    if (At(head, 4, box) && head[0] == 0) return "video/quicktime";
  }
  if (At(head, 0, "\x1a\x45\xdf\xa3")) {  // EBML
    return head.substr(0, 64).find("webm") != std::string_view::npos ? "video/webm"
                                                                     : "video/x-matroska";
  }
  if (At(head, 0, "RIFF") && At(head, 8, "AVI ")) return "video/x-msvideo";
  if (At(head, 0, "FLV\x01")) return "video/x-flv";
  if (At(head, 0, std::string_view("\x00\x00\x01\xba", 4))) return "video/mpeg";
  if (At(head, 0, std::string_view("\x30\x26\xb2\x75\x8e\x66\xcf\x11", 8))) return "video/x-ms-asf";
  if (At(head, 0, "OggS")) return "video/ogg";
  if (head.size() >= 377 && head[0] == 0x47 && head[188] == 0x47 && head[376] == 0x47) {
    return "video/mp2t";
  }
  return "";
}

std::vector<std::string> AcceptedVideoTypes() {
  return {"video/mp4",        "video/quicktime", "video/3gpp",  "video/webm",
          "video/x-matroska", "video/x-msvideo", "video/x-flv", "video/mpeg",
          "video/x-ms-asf",   "video/ogg",       "video/mp2t"};
}

std::string UploadFileName(const std::string& content_type) {
  static const std::pair<const char*, const char*> kExtensions[] = {
      {"video/mp4", ".mp4"},   {"video/quicktime", ".mov"},  {"video/3gpp", ".3gp"},
      {"video/webm", ".webm"}, {"video/x-matroska", ".mkv"}, {"video/x-msvideo", ".avi"},
      {"video/x-flv", ".flv"}, {"video/mpeg", ".mpg"},       {"video/x-ms-asf", ".wmv"},
      {"video/ogg", ".ogv"},   {"video/mp2t", ".ts"}};
  for (const auto& [type, extension] : kExtensions) {
    if (content_type == type) return absl::StrCat("upload", extension);
  }
  return "upload.bin";
}

std::string SanitizeFileName(std::string_view name) {
  const size_t slash = name.find_last_of("/\\");
  if (slash != std::string_view::npos) name = name.substr(slash + 1);
  std::string out;
  for (size_t i = 0; i < name.size();) {
    const size_t n = Utf8Length(name, i);
    if (n == 0) {  // not UTF-8
      out += '_';
      ++i;
      continue;
    }
    const char c = name[i];
    if (n == 1 && (static_cast<unsigned char>(c) < 0x20 || c == 0x7f ||
                   std::strchr("<>\"'&`:*?|", c) != nullptr)) {
      out += '_';
    } else {
      out.append(name.substr(i, n));
    }
    i += n;
  }
  size_t start = out.find_first_not_of(". ");
  out = start == std::string::npos ? "" : out.substr(start);
  while (!out.empty() && (out.back() == ' ' || out.back() == '.')) out.pop_back();
  if (out.size() > 200) {
    size_t cut = 200;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) >> 6) == 0x2) --cut;
    out.resize(cut);
  }
  return out.empty() ? "upload" : out;
}

UploadReceiver::UploadReceiver(std::string data_dir, int64_t max_bytes, int max_files)
    : data_dir_(std::move(data_dir)), max_bytes_(max_bytes), max_files_(max_files) {}

UploadReceiver::~UploadReceiver() {
  if (out_ != nullptr) std::fclose(out_);
  if (!released_) RemoveAll();
}

std::vector<ReceivedFile> UploadReceiver::Release() {
  released_ = true;
  return files_;
}

void UploadReceiver::RemoveAll() {
  if (out_ != nullptr) {
    std::fclose(out_);
    out_ = nullptr;
  }
  for (const ReceivedFile& file : files_) {
    std::error_code error;
    fs::remove_all(fs::path(data_dir_) / file.dir, error);
  }
  files_.clear();
  in_file_ = false;
}

bool UploadReceiver::Fail(int code, const std::string& reason, const std::string& message) {
  if (error_code_ == 0) {
    error_code_ = code;
    error_reason_ = reason;
    error_message_ = message;
  }
  RemoveAll();
  return true;  // go on draining
}

bool UploadReceiver::Drain(size_t size) {
  drained_ += static_cast<int64_t>(size);
  return drained_ <= kMaxDrainBytes;
}

bool UploadReceiver::OnPart(const httplib::MultipartFormData& part) {
  if (error_code_ != 0) return Drain(0);
  if (in_file_ && !ClosePart()) return true;
  if (part.name != "file") return true;  // another form field: ignored
  if (static_cast<int>(files_.size()) >= max_files_) {
    return Fail(400, "too_many_files",
                absl::StrCat("at most ", max_files_, " files per upload request"));
  }
  ReceivedFile file;
  file.id = NewAnalysisId();
  file.dir = absl::StrCat("analyses/", file.id);
  file.file_name = SanitizeFileName(part.filename);
  std::error_code error;
  const fs::path dir = fs::path(data_dir_) / file.dir;
  fs::create_directories(dir, error);
  temp_path_ = (dir / "upload.part").string();
  files_.push_back(std::move(file));
  out_ = error ? nullptr : std::fopen(temp_path_.c_str(), "wb");
  if (out_ == nullptr) {
    return Fail(500, "storage",
                absl::StrCat(temp_path_, ": cannot create the upload file: ",
                             error ? error.message() : std::strerror(errno)));
  }
  in_file_ = true;
  head_.clear();
  sniffed_ = false;
  return true;
}

bool UploadReceiver::OnData(const char* data, size_t size) {
  if (error_code_ != 0) return Drain(size);
  if (!in_file_) {
    other_bytes_ += static_cast<int64_t>(size);
    if (other_bytes_ > kMaxOtherFieldBytes) {
      return Fail(413, "too_large", "the form fields besides the files are over 64 kB");
    }
    return true;
  }
  ReceivedFile& file = files_.back();
  file.size_bytes += static_cast<int64_t>(size);
  total_bytes_ += static_cast<int64_t>(size);
  if (total_bytes_ > max_bytes_) {
    return Fail(413, "too_large",
                absl::StrCat("upload '", file.file_name, "' is over ", HumanBytes(max_bytes_),
                             ", the limit per upload request (--max_upload_mb)"));
  }
  if (!sniffed_) {
    head_.append(data, std::min(size, kSniffBytes - head_.size()));
    if (head_.size() >= kSniffBytes) {
      sniffed_ = true;
      file.content_type = SniffVideoType(head_);
      if (file.content_type.empty()) {
        return Fail(415, "not_video",
                    absl::StrCat("'", file.file_name,
                                 "' is not a video: its content is none of MP4/MOV, WebM/MKV, "
                                 "AVI, MPEG-TS, FLV, MPEG-PS, ASF, Ogg"));
      }
    }
  }
  if (std::fwrite(data, 1, size, out_) != size) {
    return Fail(500, "storage",
                absl::StrCat(temp_path_, ": cannot write the upload: ", std::strerror(errno)));
  }
  return true;
}

bool UploadReceiver::ClosePart() {
  in_file_ = false;
  ReceivedFile& file = files_.back();
  if (!sniffed_) {
    sniffed_ = true;
    file.content_type = SniffVideoType(head_);
    if (file.content_type.empty()) {
      Fail(415, "not_video",
           absl::StrCat("'", file.file_name, "' is not a video: ",
                        file.size_bytes == 0 ? "it is empty"
                                             : "its content is none of MP4/MOV, WebM/MKV, AVI, "
                                               "MPEG-TS, FLV, MPEG-PS, ASF, Ogg"));
      return false;
    }
  }
  const bool flushed = std::fflush(out_) == 0 && ::fsync(fileno(out_)) == 0;
  std::fclose(out_);
  out_ = nullptr;
  if (!flushed) {
    Fail(500, "storage",
         absl::StrCat(temp_path_, ": cannot write the upload: ", std::strerror(errno)));
    return false;
  }
  const fs::path final_path =
      fs::path(temp_path_).parent_path() / UploadFileName(file.content_type);
  std::error_code error;
  fs::rename(temp_path_, final_path, error);
  if (error) {
    Fail(500, "storage", absl::StrCat(temp_path_, ": cannot rename the upload: ", error.message()));
    return false;
  }
  file.path = final_path.string();
  return true;
}

int UploadReceiver::Finish() {
  if (error_code_ == 0 && in_file_) ClosePart();
  if (error_code_ == 0 && files_.empty()) {
    Fail(400, "no_file", "no 'file' part in the multipart form (field name: file)");
  }
  return error_code_;
}

}  // namespace serve::web
