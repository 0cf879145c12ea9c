// Uploads: a multipart body streamed part by part to data_dir (never held whole in
// memory), each file sniffed by content (not by name) and given a sanitised display name.
#ifndef SERVE_WEB_UPLOAD_H_
#define SERVE_WEB_UPLOAD_H_

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "httplib.h"

namespace serve::web {

// Bytes SniffVideoType needs at most (an MPEG-TS file is recognised by 3 sync bytes).
inline constexpr size_t kSniffBytes = 512;

// The video container of a file starting with `head` (its first kSniffBytes bytes, or all
// of a shorter file): "video/mp4", "video/quicktime", "video/webm", "video/x-matroska",
// "video/x-msvideo", "video/mp2t", "video/x-flv", "video/mpeg", "video/x-ms-asf",
// "video/ogg", "video/3gpp"; "" when it is none of them.
std::string SniffVideoType(std::string_view head);
// "upload.mp4" for "video/mp4", ... (the stored upload's name in its analysis folder).
std::string UploadFileName(const std::string& content_type);
// The content types SniffVideoType recognises (for /api/v1/info).
std::vector<std::string> AcceptedVideoTypes();

// A display name safe to store and show: the last path component only (no '/', '\\',
// so no traversal), no control characters, none of < > " ' & ` (no markup), no leading
// dots or spaces, valid UTF-8, at most 200 bytes; "upload" when nothing is left.
std::string SanitizeFileName(std::string_view name);

struct ReceivedFile {
  std::string id;            // NewAnalysisId()
  std::string dir;           // "analyses/ID" (data_dir-relative)
  std::string file_name;     // sanitised
  std::string content_type;  // sniffed
  std::string path;          // absolute path of the stored upload
  int64_t size_bytes = 0;
};

// Receives the parts of one multipart request (httplib's ContentReader callbacks). Parts
// named "file" are written to data_dir/analyses/ID/upload.EXT (their bytes together at
// most max_bytes); other fields are ignored (64 kB at most). The first error (413, 415, 400, 500)
// is kept, nothing more is stored after it, and the rest of the body is drained (discarded) up to
// a bound so the client can read the answer; past that bound the callbacks return false
// and the connection is dropped.
class UploadReceiver {
 public:
  UploadReceiver(std::string data_dir, int64_t max_bytes, int max_files);
  ~UploadReceiver();  // removes what Release() did not take
  UploadReceiver(const UploadReceiver&) = delete;
  UploadReceiver& operator=(const UploadReceiver&) = delete;

  bool OnPart(const httplib::MultipartFormData& part);
  bool OnData(const char* data, size_t size);
  // After the body is read: closes the last part. Returns the error code (0 = none).
  int Finish();

  int error_code() const { return error_code_; }
  const std::string& error_message() const { return error_message_; }
  const std::string& error_reason() const { return error_reason_; }  // for metrics
  const std::vector<ReceivedFile>& files() const { return files_; }
  // The files are the caller's now (the destructor leaves them on disk).
  std::vector<ReceivedFile> Release();
  // Removes every stored file and folder of this request.
  void RemoveAll();

 private:
  bool Fail(int code, const std::string& reason, const std::string& message);
  bool ClosePart();  // sniff a short file, fsync, close
  bool Drain(size_t size);

  std::string data_dir_;
  int64_t max_bytes_;
  int64_t total_bytes_ = 0;
  int max_files_;
  std::vector<ReceivedFile> files_;
  bool released_ = false;
  // The part being read.
  bool in_file_ = false;
  std::FILE* out_ = nullptr;
  std::string head_;  // its first bytes, until sniffed
  bool sniffed_ = false;
  std::string temp_path_;    // upload.part until sniffed and renamed
  int64_t other_bytes_ = 0;  // of non-file fields
  // Errors.
  int error_code_ = 0;
  std::string error_message_, error_reason_;
  int64_t drained_ = 0;
};

}  // namespace serve::web

#endif  // SERVE_WEB_UPLOAD_H_
