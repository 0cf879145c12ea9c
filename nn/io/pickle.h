// A restricted unpickler for PyTorch state_dicts: a stack machine over the pickle opcodes
// that torch.save writes for dicts of tensors (protocols 2-5), which builds a plain value
// tree and never executes anything. It resolves only these globals:
//   collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter
//   and the storage types torch.{Float,Half,BFloat16,Double,Long}Storage;
// any other global (os.system, a model class, ...) and any opcode outside the set is
// refused with a message that says why and what to do. Storages are persistent ids handed
// to a callback, which returns a Storage value (nn/io/pytorch_checkpoint.h).
#ifndef NN_IO_PICKLE_H_
#define NN_IO_PICKLE_H_

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace nn::io::pickle {

struct Value;
using ValuePtr = std::shared_ptr<Value>;

enum class Kind {
  kNone,
  kBool,
  kInt,
  kBigInt,  // an integer wider than 64 bits: `text` holds its little-endian bytes
  kFloat,
  kString,  // str or bytes
  kTuple,
  kList,
  kDict,    // dict or OrderedDict, insertion order kept
  kGlobal,  // an allowlisted global: `text` = "module.name"
  kStorage,
  kTensor,
};

// A tensor storage named by a persistent id ("storage", type, key, location, numel).
struct StorageRef {
  std::string dtype;  // safetensors spelling: "F32", "F16", "BF16", "F64", "I64"
  std::string key;    // archive entry data/<key>, or the legacy format's storage key
  std::string location;
  int64_t numel = 0;
};

// torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...).
struct TensorRef {
  ValuePtr storage;            // kStorage
  int64_t storage_offset = 0;  // elements
  std::vector<int64_t> shape, strides;
};

struct Value {
  Kind kind = Kind::kNone;
  bool boolean = false;
  int64_t integer = 0;
  double real = 0;
  std::string text;
  std::vector<ValuePtr> items;                          // tuple, list
  std::vector<std::pair<ValuePtr, ValuePtr>> entries;   // dict
  std::unordered_map<std::string, size_t> string_keys;  // dict: str key -> index in entries
  StorageRef storage;
  TensorRef tensor;
  int depth = 0;        // nesting below this value
  bool frozen = false;  // already inside a container: may not change (no cycles)
};

// "int", "OrderedDict", "tensor", ... for messages.
std::string KindName(const Value& value);

// Where the pickle bytes come from: memory (an archive's data.pkl) or a file region (the
// legacy format, whose storages follow its pickles).
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual bool Read(void* out, size_t bytes) = 0;
  virtual uint64_t Position() const = 0;
  virtual uint64_t Remaining() const = 0;
};

class StringSource : public ByteSource {
 public:
  explicit StringSource(const std::string& data) : data_(data) {}
  bool Read(void* out, size_t bytes) override;
  uint64_t Position() const override { return pos_; }
  uint64_t Remaining() const override { return data_.size() - pos_; }

 private:
  const std::string& data_;
  size_t pos_ = 0;
};

// Reads `f` from `start` up to `end` (file offsets), through its own buffer.
class FileSource : public ByteSource {
 public:
  FileSource(std::FILE* f, uint64_t start, uint64_t end) : f_(f), pos_(start), end_(end) {}
  bool Read(void* out, size_t bytes) override;
  uint64_t Position() const override { return pos_; }
  uint64_t Remaining() const override { return end_ - pos_; }

 private:
  static constexpr size_t kBufferBytes = 64 << 10;
  std::FILE* f_;
  uint64_t pos_, end_;
  uint64_t buffer_start_ = 0;
  std::vector<char> buffer_;  // file bytes [buffer_start_, buffer_start_ + size)
};

// Returns a kStorage value for a persistent id (a tuple), or an error.
using PersistentLoad = std::function<absl::StatusOr<ValuePtr>(const Value& persistent_id)>;

// Reads one pickle (up to its STOP opcode) from `source`. `what` names the input in
// messages ("model.pt (archive/data.pkl)"). `persistent_load` may be empty: then a
// persistent id is an error.
absl::StatusOr<ValuePtr> Unpickle(ByteSource& source, const std::string& what,
                                  const PersistentLoad& persistent_load);

}  // namespace nn::io::pickle

#endif  // NN_IO_PICKLE_H_
