// PyTorch checkpoint reader (formats: torch/serialization.py's _save and _legacy_save).
#include "nn/io/pytorch_checkpoint.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <map>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "nn/io/dtypes.h"
#include "nn/io/little_endian.h"
#include "nn/io/pickle.h"
#include "nn/io/zip_reader.h"

namespace nn::io {
namespace {

using pickle::Kind;
using pickle::Value;
using pickle::ValuePtr;

// Keys under which training scripts commonly nest the state_dict, most specific first.
const char* const kWrapperKeys[] = {"state_dict", "model_state_dict", "model",  "net",
                                    "network",    "module",           "weights"};
constexpr char kResaveHint[] =
    "re-save it with PyTorch >= 1.6: torch.save(torch.load(path, map_location='cpu'), "
    "'resaved.pt')";
constexpr int64_t kChunkElements = 1 << 20;

absl::Status Invalid(const std::string& path, const std::string& problem) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", problem));
}

// The stored types a weights file may hold (safetensors' U8 and BOOL are not weights), or
// null.
const StoredDTypeInfo* WeightDType(const std::string& dtype) {
  const StoredDTypeInfo* info = FindStoredDType(dtype);
  if (info == nullptr || info->type == StoredDType::kU8 || info->type == StoredDType::kBool) {
    return nullptr;
  }
  return info;
}

int ElementBytes(const std::string& dtype) {
  const StoredDTypeInfo* info = WeightDType(dtype);
  return info == nullptr ? 0 : info->bytes;
}

bool ReadAt(std::FILE* f, uint64_t offset, void* out, size_t bytes) {
  return bytes == 0 || (fseeko(f, static_cast<off_t>(offset), SEEK_SET) == 0 &&
                        std::fread(out, 1, bytes, f) == bytes);
}

// Row-major strides (unsigned arithmetic: an empty tensor's may wrap, and are never used).
std::vector<int64_t> ContiguousStrides(const std::vector<int64_t>& shape) {
  std::vector<int64_t> strides(shape.size());
  uint64_t s = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = static_cast<int64_t>(s);
    s *= static_cast<uint64_t>(shape[i]);
  }
  return strides;
}

bool IsContiguous(const StoredTensor& t) {
  const std::vector<int64_t> expected = ContiguousStrides(t.shape);
  for (size_t i = 0; i < t.shape.size(); ++i) {
    if (t.shape[i] != 1 && t.strides[i] != expected[i]) return false;
  }
  return true;
}

// Storage keys -> where their elements lie, filled in by the format-specific parser.
struct StorageTable {
  std::map<std::string, pickle::StorageRef> refs;  // from the persistent ids
  std::map<std::string, uint64_t> data_offsets;
};

// The persistent id ("storage", type, key, location, numel[, view]) of both formats.
pickle::PersistentLoad StorageLoader(const std::string& what, StorageTable* table) {
  return [what, table](const Value& id) -> absl::StatusOr<ValuePtr> {
    const auto& a = id.items;
    if (id.kind != Kind::kTuple || (a.size() != 5 && a.size() != 6) ||
        a[0]->kind != Kind::kString || a[0]->text != "storage" || a[1]->kind != Kind::kGlobal ||
        a[2]->kind != Kind::kString || a[3]->kind != Kind::kString || a[4]->kind != Kind::kInt ||
        a[4]->integer < 0) {
      return Invalid(what, "a persistent id that is not a tensor storage: refused");
    }
    if (a.size() == 6 && a[5]->kind != Kind::kNone) {
      return Invalid(
          what, absl::StrCat("storage views (a pre-1.6 feature) are not supported; ", kResaveHint));
    }
    pickle::StorageRef ref;
    const std::string& type = a[1]->text;
    const StoredDTypeInfo* dtype = FindTorchStorage(type);
    if (dtype == nullptr) return Invalid(what, "storage type " + type + " is not a storage");
    ref.dtype = dtype->name;
    ref.key = a[2]->text;
    ref.location = a[3]->text;
    ref.numel = a[4]->integer;
    auto [it, inserted] = table->refs.emplace(ref.key, ref);
    if (!inserted && (it->second.dtype != ref.dtype || it->second.numel != ref.numel)) {
      return Invalid(what, "storage '" + ref.key + "' is declared twice, differently");
    }
    ValuePtr storage = std::make_shared<Value>();
    storage->kind = Kind::kStorage;
    storage->storage = ref;
    return storage;
  };
}

// Whether `dict` holds a tensor within 4 levels of nesting. The pickle memo lets one dict
// appear under many keys at many levels, so answers are cached per (dict, depth): without
// the cache a few kilobytes of pickle take exponential time.
using TensorSearchCache = std::map<std::pair<const Value*, int>, bool>;
bool HasTensors(const Value& dict, int depth, TensorSearchCache* cache) {
  if (dict.kind != Kind::kDict || depth > 4) return false;
  auto [cached, inserted] = cache->emplace(std::make_pair(&dict, depth), false);
  if (!inserted) return cached->second;
  bool found = false;
  for (const auto& [key, value] : dict.entries) {
    if (value->kind == Kind::kTensor ||
        (value->kind == Kind::kDict && HasTensors(*value, depth + 1, cache))) {
      found = true;
      break;
    }
  }
  cached->second = found;
  return found;
}

bool HasDirectTensors(const Value& dict) {
  for (const auto& [key, value] : dict.entries) {
    if (value->kind == Kind::kTensor) return true;
  }
  return false;
}

std::string KeyList(const Value& dict) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : dict.entries) {
    if (keys.size() == 20) {
      keys.push_back(absl::StrCat("... ", dict.entries.size() - 20, " more"));
      break;
    }
    keys.push_back(key->kind == Kind::kString
                       ? absl::StrCat("'", key->text, "' (", pickle::KindName(*value), ")")
                       : pickle::KindName(*key));
  }
  return absl::StrJoin(keys, ", ");
}

// Finds the dict of tensors inside `top` (a state_dict, or a wrapper around one).
absl::StatusOr<const Value*> FindStateDict(const std::string& path, const Value& top,
                                           std::vector<std::string>* notes) {
  if (top.kind != Kind::kDict) {
    return Invalid(path, absl::StrCat("holds a ", pickle::KindName(top),
                                      ", not a state_dict (a dict of tensors)"));
  }
  const Value* current = &top;
  std::string where;
  TensorSearchCache cache;
  for (int level = 0; level < 4 && !HasDirectTensors(*current); ++level) {
    const Value* next = nullptr;
    std::string next_key;
    for (const char* key : kWrapperKeys) {
      for (const auto& [k, v] : current->entries) {
        if (k->kind == Kind::kString && k->text == key && HasTensors(*v, 0, &cache)) {
          next = v.get();
          next_key = key;
          break;
        }
      }
      if (next != nullptr) break;
    }
    if (next == nullptr) {  // a single dict holding tensors, whatever its key
      int candidates = 0;
      for (const auto& [k, v] : current->entries) {
        if (k->kind == Kind::kString && HasTensors(*v, 0, &cache)) {
          ++candidates;
          next = v.get();
          next_key = k->text;
        }
      }
      if (candidates != 1) next = nullptr;
    }
    if (next == nullptr) {
      return Invalid(
          path,
          absl::StrCat("no state_dict found", where.empty() ? "" : " in " + where, ": it holds ",
                       current->entries.empty() ? "an empty dict" : KeyList(*current),
                       "; expected a dict of tensors, or one under a key such "
                       "as 'state_dict' or 'model'"));
    }
    std::vector<std::string> others;
    for (const auto& [k, v] : current->entries) {
      if (v.get() != next && k->kind == Kind::kString) others.push_back(k->text);
    }
    notes->push_back(absl::StrCat(
        "using the '", next_key, "' entry",
        others.empty() ? "" : absl::StrCat(" (ignoring ", absl::StrJoin(others, ", "), ")")));
    where = absl::StrCat(where, "['", next_key, "']");
    current = next;
  }
  if (!HasDirectTensors(*current)) return Invalid(path, "no tensors found (nesting too deep)");
  return current;
}

// Turns the state_dict's tensor values into StoredTensors, checking each against its storage.
absl::StatusOr<std::vector<StoredTensor>> CollectTensors(const std::string& path,
                                                         const Value& state_dict,
                                                         const StorageTable& storages,
                                                         std::vector<std::string>* notes) {
  std::vector<StoredTensor> out;
  for (const auto& [key, value] : state_dict.entries) {
    if (key->kind != Kind::kString) {
      return Invalid(
          path, absl::StrCat("state_dict key is a ", pickle::KindName(*key), ", not a string"));
    }
    if (value->kind != Kind::kTensor) {
      notes->push_back(
          absl::StrCat("skipped '", key->text, "' (", pickle::KindName(*value), ", not a tensor)"));
      continue;
    }
    const pickle::TensorRef& ref = value->tensor;
    const pickle::StorageRef& storage = ref.storage->storage;
    StoredTensor t;
    t.name = key->text;
    t.dtype = storage.dtype;
    t.shape = ref.shape;
    t.strides = ref.strides;
    t.storage_offset = ref.storage_offset;
    t.storage_numel = storage.numel;
    auto offset = storages.data_offsets.find(storage.key);
    if (offset == storages.data_offsets.end()) {
      return Invalid(path, absl::StrCat("tensor '", t.name, "': storage '", storage.key,
                                        "' has no data in the file"));
    }
    t.data_offset = offset->second;
    if (t.shape.size() > static_cast<size_t>(Shape::kMaxRank)) {
      return Invalid(path, absl::StrCat("tensor '", t.name, "' has ", t.shape.size(),
                                        " dimensions (at most 8 are supported)"));
    }
    // Highest element index the view touches (128-bit: no overflow for any int64 input).
    bool empty = false;
    unsigned __int128 last = static_cast<uint64_t>(t.storage_offset), numel = 1;
    for (size_t i = 0; i < t.shape.size(); ++i) {
      if (t.shape[i] == 0) empty = true;
      numel *= static_cast<uint64_t>(t.shape[i]);
      if (numel > (unsigned __int128)1 << 62) numel = (unsigned __int128)1 << 62;
      if (t.shape[i] > 0) {
        last +=
            static_cast<unsigned __int128>(t.shape[i] - 1) * static_cast<uint64_t>(t.strides[i]);
      }
    }
    if (!empty && last >= static_cast<uint64_t>(t.storage_numel)) {
      return absl::DataLossError(absl::StrCat(
          path, ": tensor '", t.name, "' ", t.ShapeString(), " (storage offset ", t.storage_offset,
          ", strides [", absl::StrJoin(t.strides, ", "), "]) reaches element ",
          last > (unsigned __int128)1 << 63 ? std::string("beyond 2^63")
                                            : absl::StrCat(static_cast<uint64_t>(last)),
          " but its storage '", storage.key, "' holds only ", t.storage_numel,
          " elements: the file is damaged or was altered"));
    }
    // More elements than the storage holds: a broadcast (stride 0) or overlapping view.
    if (!empty && numel > static_cast<uint64_t>(t.storage_numel)) {
      return Invalid(path,
                     absl::StrCat("tensor '", t.name, "' ", t.ShapeString(),
                                  " is a broadcast or overlapping view of a ", t.storage_numel,
                                  "-element storage; save it with .contiguous()"));
    }
    out.push_back(std::move(t));
  }
  if (out.empty()) return Invalid(path, "the state_dict holds no tensors");
  return out;
}

// What a format's parser found: the state_dict's tensors, in the file's order, and notes on
// how they were found.
struct Contents {
  std::vector<StoredTensor> tensors;
  std::vector<std::string> notes;
};

// The state_dict inside an unpickled checkpoint, its tensors checked against `storages`.
absl::StatusOr<Contents> TensorsFromPickle(const std::string& path, const Value& top,
                                           const StorageTable& storages) {
  Contents contents;
  ASSIGN_OR_RETURN(const Value* state_dict, FindStateDict(path, top, &contents.notes));
  ASSIGN_OR_RETURN(std::vector<StoredTensor> tensors,
                   CollectTensors(path, *state_dict, storages, &contents.notes));
  contents.tensors = std::move(tensors);
  return contents;
}

// torch.save since PyTorch 1.6: a ZIP archive of <name>/data.pkl, <name>/byteorder and
// one stored entry <name>/data/<key> per storage.
absl::StatusOr<Contents> OpenPyTorchZip(const std::string& path) {
  ASSIGN_OR_RETURN(ZipArchive zip, ZipArchive::Open(path));
  const ZipEntry* pickle_entry = nullptr;
  for (const ZipEntry& entry : zip.entries()) {
    const size_t slash = entry.name.find('/');
    if (slash != std::string::npos && entry.name.substr(slash) == "/data.pkl") {
      pickle_entry = &entry;
      break;
    }
  }
  if (pickle_entry == nullptr) {
    return Invalid(path, "a ZIP archive without <name>/data.pkl: not a torch.save checkpoint");
  }
  const std::string root = pickle_entry->name.substr(0, pickle_entry->name.size() - 8);
  if (const ZipEntry* order = zip.Find(root + "byteorder"); order != nullptr) {
    ASSIGN_OR_RETURN(std::string value, zip.ReadEntry(*order));
    if (value != "little") {
      return Invalid(path, "saved on a big-endian machine; only little-endian files are read");
    }
  }
  ASSIGN_OR_RETURN(std::string data, zip.ReadEntry(*pickle_entry));
  const std::string what = absl::StrCat(path, " (", pickle_entry->name, ")");
  StorageTable storages;
  pickle::StringSource source(data);
  ASSIGN_OR_RETURN(ValuePtr top, pickle::Unpickle(source, what, StorageLoader(what, &storages)));
  for (const auto& [key, ref] : storages.refs) {
    const ZipEntry* entry = zip.Find(root + "data/" + key);
    if (entry == nullptr) {
      return absl::DataLossError(absl::StrCat(
          path, ": storage '", key, "' is missing from the archive (no ", root, "data/", key, ")"));
    }
    if (absl::Status s = zip.CheckStored(*entry); !s.ok()) return s;
    const uint64_t needed = static_cast<uint64_t>(ref.numel) * ElementBytes(ref.dtype);
    if (static_cast<uint64_t>(ref.numel) > entry->size / ElementBytes(ref.dtype)) {
      return absl::DataLossError(absl::StrCat(path, ": storage '", key, "' holds ", entry->size,
                                              " bytes but is declared as ", ref.numel, " ",
                                              ref.dtype, " elements (", needed,
                                              " bytes): the file is damaged or was altered"));
    }
    storages.data_offsets[key] = entry->data_offset;
  }
  return TensorsFromPickle(path, *top, storages);
}

// torch.save before PyTorch 1.6: pickles of the magic number, the protocol version and
// sys_info, then the object, then the list of storage keys, then each storage as int64
// numel + raw bytes.
absl::StatusOr<Contents> OpenPyTorchLegacy(const std::string& path, std::FILE* f,
                                           uint64_t file_size) {
  pickle::FileSource source(f, 0, file_size);
  absl::StatusOr<ValuePtr> magic = pickle::Unpickle(source, path, nullptr);
  static const char kMagic[] = "\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19";  // 0x1950a86a...
  if (!magic.ok() || (*magic)->kind != Kind::kBigInt || (*magic)->text != std::string(kMagic, 10)) {
    return Invalid(path,
                   absl::StrCat("a pickle but not a PyTorch checkpoint (no torch.save "
                                "magic number)",
                                magic.ok() ? "" : ": " + std::string(magic.status().message())));
  }
  ASSIGN_OR_RETURN(ValuePtr protocol, pickle::Unpickle(source, path, nullptr));
  if (protocol->kind != Kind::kInt || protocol->integer != 1001) {
    return Invalid(path, absl::StrCat("unknown legacy protocol version; ", kResaveHint));
  }
  ASSIGN_OR_RETURN(ValuePtr sys_info, pickle::Unpickle(source, path, nullptr));
  for (const auto& [k, v] : sys_info->entries) {
    if (k->kind == Kind::kString && k->text == "little_endian" &&
        !(v->kind == Kind::kBool && v->boolean)) {
      return Invalid(path, "saved on a big-endian machine; only little-endian files are read");
    }
  }
  StorageTable storages;
  ASSIGN_OR_RETURN(ValuePtr top, pickle::Unpickle(source, path, StorageLoader(path, &storages)));
  ASSIGN_OR_RETURN(ValuePtr keys, pickle::Unpickle(source, path, nullptr));
  if (keys->kind != Kind::kList) return Invalid(path, "legacy storage key list is missing");
  uint64_t pos = source.Position();
  for (const ValuePtr& key : keys->items) {
    if (key->kind != Kind::kString) return Invalid(path, "legacy storage key is not a string");
    auto ref = storages.refs.find(key->text);
    if (ref == storages.refs.end()) {
      return Invalid(path, "legacy storage '" + key->text + "' is not used by any tensor");
    }
    unsigned char numel_bytes[8];
    if (pos + 8 > file_size || !ReadAt(f, pos, numel_bytes, 8)) {
      return absl::DataLossError(
          absl::StrCat(path, ": file ends before storage '", key->text, "': truncated"));
    }
    const int64_t numel = static_cast<int64_t>(LoadLittleEndian(numel_bytes, 8));
    const int element = ElementBytes(ref->second.dtype);
    // Compared by division: numel x element bytes may not fit in 64 bits.
    if (numel != ref->second.numel ||
        static_cast<uint64_t>(numel) > (file_size - pos - 8) / element) {
      return absl::DataLossError(absl::StrCat(path, ": storage '", key->text, "' should hold ",
                                              ref->second.numel, " elements but the file has ",
                                              numel < 0 ? 0 : numel,
                                              " (or ends early): truncated or damaged"));
    }
    storages.data_offsets[key->text] = pos + 8;
    pos += 8 + static_cast<uint64_t>(numel) * element;
  }
  return TensorsFromPickle(path, *top, storages);
}

// A safetensors file: its header, read by nn/io/safetensors.h.
absl::StatusOr<Contents> OpenSafetensors(const std::string& path) {
  ASSIGN_OR_RETURN(SafetensorsHeader header, ReadSafetensorsHeader(path));
  Contents contents;
  for (const auto& [name, entry] : header.entries) {
    if (WeightDType(entry.dtype) == nullptr) {
      return Invalid(path, absl::StrCat("tensor '", name, "' has dtype ", entry.dtype,
                                        " (supported: F32, F16, BF16, F64, I64, I32)"));
    }
    StoredTensor t;
    t.name = name;
    t.dtype = entry.dtype;
    t.shape = entry.shape;
    t.strides = ContiguousStrides(t.shape);
    t.data_offset = header.data_offset + entry.begin;
    t.storage_numel = t.numel();
    contents.tensors.push_back(std::move(t));
  }
  if (contents.tensors.empty()) return Invalid(path, "the safetensors file holds no tensors");
  return contents;
}

// The format of a file that starts with `head` (its first 512 bytes), or an error that
// says what the file is instead.
absl::StatusOr<WeightsFileFormat> DetectFormat(const std::string& path, const std::string& head,
                                               uint64_t file_size) {
  if (LooksLikeZip(head)) return WeightsFileFormat::kPyTorchZip;
  if (!head.empty() && static_cast<unsigned char>(head[0]) == 0x80) {  // pickle PROTO
    return WeightsFileFormat::kPyTorchLegacy;
  }
  if (head.size() >= 9 && LoadLittleEndian(head.data(), 8) <= file_size - 8 && head[8] == '{') {
    return WeightsFileFormat::kSafetensors;
  }
  if (head.size() >= 262 && head.compare(257, 5, "ustar") == 0) {
    return Invalid(path, absl::StrCat("a tar archive: the checkpoint format of PyTorch < 0.4, "
                                      "which is not supported; ",
                                      kResaveHint));
  }
  return Invalid(path,
                 "not a weights file: neither a PyTorch checkpoint (.pt/.pth written by "
                 "torch.save: a ZIP archive, or a pickle stream before PyTorch 1.6) nor a "
                 "safetensors file");
}

}  // namespace

const char* WeightsFileFormatName(WeightsFileFormat format) {
  switch (format) {
    case WeightsFileFormat::kPyTorchZip:
      return "PyTorch zip (torch.save, PyTorch >= 1.6)";
    case WeightsFileFormat::kPyTorchLegacy:
      return "PyTorch legacy (torch.save, PyTorch < 1.6)";
    case WeightsFileFormat::kSafetensors:
      return "safetensors";
  }
  return "?";
}

int64_t StoredTensor::numel() const {
  // Unsigned: the product of an empty tensor's other dimensions may exceed int64.
  uint64_t n = 1;
  for (int64_t d : shape) {
    if (d == 0) return 0;
    n *= static_cast<uint64_t>(d);
  }
  return static_cast<int64_t>(n);
}

std::string StoredTensor::ShapeString() const {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

const StoredTensor* WeightsFile::Find(const std::string& name) const {
  for (const StoredTensor& t : tensors_) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

absl::StatusOr<WeightsFile> WeightsFile::Open(const std::string& path) {
  WeightsFile file;
  file.path_ = path;
  file.file_.reset(std::fopen(path.c_str(), "rb"), [](std::FILE* f) {
    if (f != nullptr) std::fclose(f);
  });
  if (!file.file_) {
    return absl::NotFoundError(
        absl::StrCat(path, ": cannot open: ", std::generic_category().message(errno)));
  }
  std::FILE* f = file.file_.get();
  fseeko(f, 0, SEEK_END);
  const uint64_t file_size = static_cast<uint64_t>(ftello(f));
  std::string head(std::min<uint64_t>(file_size, 512), '\0');
  if (!ReadAt(f, 0, head.data(), head.size())) return Invalid(path, "cannot read");

  ASSIGN_OR_RETURN(WeightsFileFormat format, DetectFormat(path, head, file_size));
  file.format_ = format;
  absl::StatusOr<Contents> contents;
  switch (file.format_) {
    case WeightsFileFormat::kPyTorchZip:
      contents = OpenPyTorchZip(path);
      break;
    case WeightsFileFormat::kPyTorchLegacy:
      contents = OpenPyTorchLegacy(path, f, file_size);
      break;
    case WeightsFileFormat::kSafetensors:
      contents = OpenSafetensors(path);
      break;
  }
  if (!contents.ok()) return contents.status();
  file.tensors_ = std::move(contents->tensors);
  file.notes_ = std::move(contents->notes);

  // DataParallel / DistributedDataParallel wrap the model as `module`.
  const std::string prefix = "module.";
  if (std::all_of(file.tensors_.begin(), file.tensors_.end(),
                  [&](const StoredTensor& t) { return absl::StartsWith(t.name, prefix); })) {
    for (StoredTensor& t : file.tensors_) t.name = t.name.substr(prefix.size());
    file.notes_.push_back("removed the DataParallel prefix 'module.' from every name");
  }
  return file;
}

absl::Status WeightsFile::ReadFloat32(const StoredTensor& t, float* out) const {
  const StoredDTypeInfo* dtype = WeightDType(t.dtype);
  NN_CHECK(dtype != nullptr) << "ReadFloat32: dtype " << t.dtype;
  const int element = dtype->bytes;
  const int64_t numel = t.numel();
  if (numel == 0) return absl::OkStatus();
  std::FILE* f = file_.get();
  bool exact = true;
  auto failed = [&] {
    return absl::DataLossError(
        absl::StrCat(path_, ": cannot read tensor '", t.name, "': file truncated?"));
  };
  const uint64_t base = t.data_offset + static_cast<uint64_t>(t.storage_offset) * element;
  std::vector<char> scratch;
  if (IsContiguous(t)) {
    if (dtype->type == StoredDType::kF32) {
      if (!ReadAt(f, base, out, numel * 4)) return failed();
    } else {
      for (int64_t begin = 0; begin < numel; begin += kChunkElements) {
        const int64_t count = std::min(kChunkElements, numel - begin);
        scratch.resize(count * element);
        if (!ReadAt(f, base + begin * element, scratch.data(), scratch.size())) return failed();
        exact = ConvertToFloat32(dtype->type, scratch.data(), count, out + begin) && exact;
      }
    }
  } else {
    // A strided view: read the span it covers, gather its elements in row-major order,
    // then convert them.
    int64_t span = 1;
    for (size_t i = 0; i < t.shape.size(); ++i) span += (t.shape[i] - 1) * t.strides[i];
    scratch.resize(span * element);
    if (!ReadAt(f, base, scratch.data(), scratch.size())) return failed();
    std::vector<char> gathered(numel * element);
    std::vector<int64_t> index(t.shape.size(), 0);
    for (int64_t n = 0; n < numel; ++n) {
      int64_t offset = 0;
      for (size_t i = 0; i < t.shape.size(); ++i) offset += index[i] * t.strides[i];
      std::memcpy(&gathered[n * element], &scratch[offset * element], element);
      for (size_t i = t.shape.size(); i-- > 0;) {
        if (++index[i] < t.shape[i]) break;
        index[i] = 0;
      }
    }
    exact = ConvertToFloat32(dtype->type, gathered.data(), numel, out);
  }
  if (!exact) {
    return Invalid(path_, absl::StrCat("tensor '", t.name,
                                       "' holds integers beyond 2^24, not exact in float32"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Tensor> WeightsFile::ReadFloat32(const StoredTensor& t) const {
  Tensor out = Tensor::Empty(Shape(t.shape));
  if (absl::Status s = ReadFloat32(t, out.data<float>()); !s.ok()) return s;
  return out;
}

absl::StatusOr<TensorMap> ReadPyTorchStateDict(const std::string& path) {
  ASSIGN_OR_RETURN(WeightsFile file, WeightsFile::Open(path));
  TensorMap out;
  for (const StoredTensor& t : file.tensors()) {
    ASSIGN_OR_RETURN(Tensor tensor, file.ReadFloat32(t));
    out[t.name] = std::move(tensor);
  }
  return out;
}

}  // namespace nn::io
