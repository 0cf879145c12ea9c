// Restricted unpickler (opcodes: CPython's Lib/pickletools.py; what torch.save pickles:
// torch/serialization.py and torch/_utils.py).
#include "nn/io/pickle.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "nn/io/dtypes.h"
#include "nn/io/little_endian.h"

namespace nn::io::pickle {
namespace {

constexpr int kMaxDepth = 64;
// Reading a string or a frame larger than the input is refused before allocating it.
constexpr char kWhatToDo[] =
    "Nothing in the file was executed. This reader loads state_dicts only (dicts of "
    "tensors). If you trust the file's source, re-save just the weights in Python: "
    "torch.save(torch.load(path, map_location='cpu').state_dict(), 'weights.pt') "
    "(drop .state_dict() if the file already holds a dict of tensors)";

ValuePtr Make(Kind kind) {
  auto v = std::make_shared<Value>();
  v->kind = kind;
  return v;
}

bool IsAllowedGlobal(const std::string& name) {
  return name == "collections.OrderedDict" || name == "torch._utils._rebuild_tensor_v2" ||
         name == "torch._utils._rebuild_parameter" || FindTorchStorage(name) != nullptr;
}

class Unpickler {
 public:
  Unpickler(ByteSource& source, const std::string& what, const PersistentLoad& persistent_load)
      : source_(source), what_(what), persistent_load_(persistent_load) {}

  absl::StatusOr<ValuePtr> Run();

 private:
  absl::Status Error(const std::string& problem) const {
    return absl::InvalidArgumentError(
        absl::StrCat(what_, ": pickle byte ", opcode_position_, ": ", problem));
  }
  absl::Status Truncated() const {
    return absl::DataLossError(
        absl::StrCat(what_, ": the pickle ends in the middle of an opcode: truncated file"));
  }
  template <typename T>
  absl::Status ReadLittleEndian(T* out, int bytes) {
    unsigned char buffer[8];
    if (!source_.Read(buffer, bytes)) return Truncated();
    *out = static_cast<T>(LoadLittleEndian(buffer, bytes));
    return absl::OkStatus();
  }
  absl::Status ReadString(uint64_t length, std::string* out) {
    if (length > source_.Remaining()) return Truncated();
    out->assign(length, '\0');
    if (length > 0 && !source_.Read(out->data(), length)) return Truncated();
    return absl::OkStatus();
  }
  absl::StatusOr<ValuePtr> Pop() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) {
      return Error("stack underflow: malformed pickle");
    }
    ValuePtr v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  absl::StatusOr<std::vector<ValuePtr>> PopToMark() {
    if (marks_.empty()) return Error("no MARK on the stack: malformed pickle");
    const size_t mark = marks_.back();
    marks_.pop_back();
    std::vector<ValuePtr> items(std::make_move_iterator(stack_.begin() + mark),
                                std::make_move_iterator(stack_.end()));
    stack_.resize(mark);
    return items;
  }
  // Records that `child` now lives inside `parent` (which must still be mutable).
  absl::Status Adopt(Value& parent, Value& child) {
    if (&parent == &child) return Error("a container that contains itself is not a state_dict");
    child.frozen = true;
    parent.depth = std::max(parent.depth, child.depth + 1);
    if (parent.depth > kMaxDepth) {
      return Error(absl::StrCat("nesting deeper than ", kMaxDepth, " levels"));
    }
    return absl::OkStatus();
  }
  absl::Status CheckMutable(const Value& container, Kind kind, const char* opcode) {
    if (container.kind != kind) {
      return Error(absl::StrCat(opcode, " on a ", KindName(container), ": malformed pickle"));
    }
    if (container.frozen) {
      return Error(absl::StrCat(opcode, " changes a ", KindName(container),
                                " after it was placed in another object (a recursive "
                                "structure): not a state_dict"));
    }
    return absl::OkStatus();
  }
  absl::Status SetItems(Value& dict, std::vector<ValuePtr>& items, const char* opcode) {
    if (absl::Status s = CheckMutable(dict, Kind::kDict, opcode); !s.ok()) return s;
    if (items.size() % 2 != 0) return Error(absl::StrCat(opcode, " with an odd item count"));
    for (size_t i = 0; i < items.size(); i += 2) {
      if (absl::Status s = Adopt(dict, *items[i]); !s.ok()) return s;
      if (absl::Status s = Adopt(dict, *items[i + 1]); !s.ok()) return s;
      if (items[i]->kind == Kind::kString) {
        auto [it, inserted] = dict.string_keys.emplace(items[i]->text, dict.entries.size());
        if (!inserted) {  // d[k] = v again: the later value wins, as in Python
          dict.entries[it->second].second = items[i + 1];
          continue;
        }
      }
      dict.entries.emplace_back(items[i], items[i + 1]);
    }
    return absl::OkStatus();
  }
  absl::Status Append(Value& list, std::vector<ValuePtr>& items, const char* opcode) {
    if (absl::Status s = CheckMutable(list, Kind::kList, opcode); !s.ok()) return s;
    for (ValuePtr& item : items) {
      if (absl::Status s = Adopt(list, *item); !s.ok()) return s;
      list.items.push_back(std::move(item));
    }
    return absl::OkStatus();
  }
  absl::StatusOr<ValuePtr> MakeTuple(std::vector<ValuePtr> items) {
    ValuePtr tuple = Make(Kind::kTuple);
    for (ValuePtr& item : items) {
      if (absl::Status s = Adopt(*tuple, *item); !s.ok()) return s;
    }
    tuple->items = std::move(items);
    return tuple;
  }
  absl::StatusOr<ValuePtr> Global(const std::string& module, const std::string& name) {
    const std::string full = absl::StrCat(module, ".", name);
    if (!IsAllowedGlobal(full)) {
      if (module == "torch" && absl::EndsWith(name, "Storage")) {
        return Error(absl::StrCat("tensor storage type ", full,
                                  " is not supported (float32, float16, bfloat16, float64 and "
                                  "int64 tensors are)"));
      }
      return Error(absl::StrCat("refusing to load the global '", full,
                                "': the file holds code or objects other than a state_dict, "
                                "which torch.load would run. ",
                                kWhatToDo));
    }
    ValuePtr g = Make(Kind::kGlobal);
    g->text = full;
    return g;
  }
  absl::StatusOr<ValuePtr> Reduce(const Value& callable, const Value& args);
  absl::StatusOr<std::vector<int64_t>> IntTuple(const Value& v, const char* what) {
    if (v.kind != Kind::kTuple) return Error(absl::StrCat("tensor ", what, " is not a tuple"));
    std::vector<int64_t> out;
    for (const ValuePtr& item : v.items) {
      if (item->kind != Kind::kInt || item->integer < 0) {
        return Error(absl::StrCat("tensor ", what, " holds a ", KindName(*item),
                                  " instead of a non-negative int"));
      }
      out.push_back(item->integer);
    }
    return out;
  }

  ByteSource& source_;
  const std::string& what_;
  const PersistentLoad& persistent_load_;
  std::vector<ValuePtr> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, ValuePtr> memo_;
  uint64_t opcode_position_ = 0;
};

absl::StatusOr<ValuePtr> Unpickler::Reduce(const Value& callable, const Value& args) {
  if (callable.kind != Kind::kGlobal || args.kind != Kind::kTuple) {
    return Error(absl::StrCat("REDUCE calls a ", KindName(callable), ": refused"));
  }
  const std::string& name = callable.text;
  const std::vector<ValuePtr>& a = args.items;
  if (name == "collections.OrderedDict") {
    if (!a.empty()) return Error("OrderedDict called with arguments: refused");
    return Make(Kind::kDict);
  }
  if (name == "torch._utils._rebuild_tensor_v2") {
    // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
    if (a.size() < 6 || a.size() > 7 || a[0]->kind != Kind::kStorage || a[1]->kind != Kind::kInt ||
        a[1]->integer < 0) {
      return Error("malformed _rebuild_tensor_v2 arguments");
    }
    ValuePtr tensor = Make(Kind::kTensor);
    tensor->tensor.storage = a[0];
    tensor->tensor.storage_offset = a[1]->integer;
    ASSIGN_OR_RETURN(std::vector<int64_t> shape, IntTuple(*a[2], "size"));
    ASSIGN_OR_RETURN(std::vector<int64_t> strides, IntTuple(*a[3], "stride"));
    if (shape.size() != strides.size()) return Error("tensor size and stride ranks differ");
    tensor->tensor.shape = std::move(shape);
    tensor->tensor.strides = std::move(strides);
    return tensor;
  }
  if (name == "torch._utils._rebuild_parameter") {
    // (data, requires_grad, backward_hooks): the parameter's tensor.
    if (a.size() != 3 || a[0]->kind != Kind::kTensor) {
      return Error("malformed _rebuild_parameter arguments");
    }
    return a[0];
  }
  return Error(absl::StrCat("'", name, "' cannot be called: refused. ", kWhatToDo));
}

absl::StatusOr<ValuePtr> Unpickler::Run() {
  while (true) {
    opcode_position_ = source_.Position();
    unsigned char op = 0;
    if (!source_.Read(&op, 1)) return Truncated();
    switch (op) {
      case 0x80: {  // PROTO
        uint8_t protocol = 0;
        if (absl::Status s = ReadLittleEndian(&protocol, 1); !s.ok()) return s;
        if (protocol > 5) return Error(absl::StrCat("unknown pickle protocol ", protocol));
        break;
      }
      case 0x95: {  // FRAME: a length prefix only
        uint64_t length = 0;
        if (absl::Status s = ReadLittleEndian(&length, 8); !s.ok()) return s;
        break;
      }
      case '.': {  // STOP
        if (stack_.size() != 1 || !marks_.empty()) {
          return Error("STOP with a malformed stack: not a pickle of one object");
        }
        return stack_.back();
      }
      case '(':  // MARK
        marks_.push_back(stack_.size());
        break;
      case '}':  // EMPTY_DICT
        stack_.push_back(Make(Kind::kDict));
        break;
      case ']':  // EMPTY_LIST
        stack_.push_back(Make(Kind::kList));
        break;
      case ')':  // EMPTY_TUPLE
        stack_.push_back(Make(Kind::kTuple));
        break;
      case 'N':  // NONE
        stack_.push_back(Make(Kind::kNone));
        break;
      case 0x88:    // NEWTRUE
      case 0x89: {  // NEWFALSE
        ValuePtr v = Make(Kind::kBool);
        v->boolean = op == 0x88;
        stack_.push_back(std::move(v));
        break;
      }
      case 'J':  // BININT
      case 'K':  // BININT1
      case 'M':  // BININT2
      {
        ValuePtr v = Make(Kind::kInt);
        if (op == 'J') {
          uint32_t raw = 0;
          if (absl::Status s = ReadLittleEndian(&raw, 4); !s.ok()) return s;
          v->integer = static_cast<int32_t>(raw);
        } else {
          uint16_t raw = 0;
          if (absl::Status s = ReadLittleEndian(&raw, op == 'K' ? 1 : 2); !s.ok()) return s;
          v->integer = raw;
        }
        stack_.push_back(std::move(v));
        break;
      }
      case 0x8a: {  // LONG1: n bytes, little-endian two's complement
        uint8_t n = 0;
        if (absl::Status s = ReadLittleEndian(&n, 1); !s.ok()) return s;
        std::string bytes;
        if (absl::Status s = ReadString(n, &bytes); !s.ok()) return s;
        ValuePtr v;
        if (n <= 8) {
          v = Make(Kind::kInt);
          uint64_t raw = LoadLittleEndian(bytes.data(), n);
          if (n > 0 && n < 8 && (static_cast<unsigned char>(bytes[n - 1]) & 0x80)) {
            raw |= ~uint64_t{0} << (8 * n);  // sign-extend
          }
          v->integer = static_cast<int64_t>(raw);
        } else {
          v = Make(Kind::kBigInt);
          v->text = std::move(bytes);
        }
        stack_.push_back(std::move(v));
        break;
      }
      case 'G': {  // BINFLOAT: big-endian double
        unsigned char raw[8];
        if (!source_.Read(raw, 8)) return Truncated();
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = (bits << 8) | raw[i];
        ValuePtr v = Make(Kind::kFloat);
        std::memcpy(&v->real, &bits, 8);
        stack_.push_back(std::move(v));
        break;
      }
      case 'X':    // BINUNICODE
      case 0x8c:   // SHORT_BINUNICODE
      case 0x8d:   // BINUNICODE8
      case 'T':    // BINSTRING
      case 'U':    // SHORT_BINSTRING
      case 'B':    // BINBYTES
      case 'C': {  // SHORT_BINBYTES
        const int width = (op == 0x8c || op == 'U' || op == 'C') ? 1 : op == 0x8d ? 8 : 4;
        uint64_t length = 0;
        if (absl::Status s = ReadLittleEndian(&length, width); !s.ok()) return s;
        ValuePtr v = Make(Kind::kString);
        if (absl::Status s = ReadString(length, &v->text); !s.ok()) return s;
        stack_.push_back(std::move(v));
        break;
      }
      case 't': {  // TUPLE
        ASSIGN_OR_RETURN(std::vector<ValuePtr> items, PopToMark());
        ASSIGN_OR_RETURN(ValuePtr tuple, MakeTuple(std::move(items)));
        stack_.push_back(std::move(tuple));
        break;
      }
      case 0x85:  // TUPLE1
      case 0x86:  // TUPLE2
      case 0x87:  // TUPLE3
      {
        const size_t n = op - 0x84;
        std::vector<ValuePtr> items(n);
        for (size_t i = n; i-- > 0;) {
          ASSIGN_OR_RETURN(ValuePtr item, Pop());
          items[i] = std::move(item);
        }
        ASSIGN_OR_RETURN(ValuePtr tuple, MakeTuple(std::move(items)));
        stack_.push_back(std::move(tuple));
        break;
      }
      case 's': {  // SETITEM
        ASSIGN_OR_RETURN(ValuePtr value, Pop());
        ASSIGN_OR_RETURN(ValuePtr key, Pop());
        if (stack_.empty()) return Error("SETITEM without a dict");
        std::vector<ValuePtr> items = {key, value};
        if (absl::Status s = SetItems(*stack_.back(), items, "SETITEM"); !s.ok()) return s;
        break;
      }
      case 'u': {  // SETITEMS
        ASSIGN_OR_RETURN(std::vector<ValuePtr> items, PopToMark());
        if (stack_.empty()) return Error("SETITEMS without a dict");
        if (absl::Status s = SetItems(*stack_.back(), items, "SETITEMS"); !s.ok()) return s;
        break;
      }
      case 'a': {  // APPEND
        ASSIGN_OR_RETURN(ValuePtr value, Pop());
        if (stack_.empty()) return Error("APPEND without a list");
        std::vector<ValuePtr> items = {value};
        if (absl::Status s = Append(*stack_.back(), items, "APPEND"); !s.ok()) return s;
        break;
      }
      case 'e': {  // APPENDS
        ASSIGN_OR_RETURN(std::vector<ValuePtr> items, PopToMark());
        if (stack_.empty()) return Error("APPENDS without a list");
        if (absl::Status s = Append(*stack_.back(), items, "APPENDS"); !s.ok()) return s;
        break;
      }
      case 'q':                         // BINPUT
      case 'r':                         // LONG_BINPUT
      case 0x94: {                      // MEMOIZE
        uint64_t index = memo_.size();  // MEMOIZE: the next free slot
        if (op != 0x94) {
          if (absl::Status s = ReadLittleEndian(&index, op == 'q' ? 1 : 4); !s.ok()) return s;
        }
        if (stack_.empty()) return Error("memo store with an empty stack");
        memo_[index] = stack_.back();
        break;
      }
      case 'h':    // BINGET
      case 'j': {  // LONG_BINGET
        uint64_t index = 0;
        if (absl::Status s = ReadLittleEndian(&index, op == 'h' ? 1 : 4); !s.ok()) return s;
        auto it = memo_.find(index);
        if (it == memo_.end()) return Error(absl::StrCat("memo entry ", index, " is not set"));
        stack_.push_back(it->second);
        break;
      }
      case 'c': {  // GLOBAL "module\nname\n"
        std::string lines[2];
        for (std::string& line : lines) {
          char ch;
          while (true) {
            if (!source_.Read(&ch, 1)) return Truncated();
            if (ch == '\n') break;
            if (line.size() > 256) return Error("GLOBAL name too long");
            line.push_back(ch);
          }
        }
        ASSIGN_OR_RETURN(ValuePtr g, Global(lines[0], lines[1]));
        stack_.push_back(std::move(g));
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        ASSIGN_OR_RETURN(ValuePtr name, Pop());
        ASSIGN_OR_RETURN(ValuePtr module, Pop());
        if (name->kind != Kind::kString || module->kind != Kind::kString) {
          return Error("STACK_GLOBAL without module and name strings");
        }
        ASSIGN_OR_RETURN(ValuePtr g, Global(module->text, name->text));
        stack_.push_back(std::move(g));
        break;
      }
      case 'R': {  // REDUCE
        ASSIGN_OR_RETURN(ValuePtr args, Pop());
        ASSIGN_OR_RETURN(ValuePtr callable, Pop());
        ASSIGN_OR_RETURN(ValuePtr result, Reduce(*callable, *args));
        stack_.push_back(std::move(result));
        break;
      }
      case 'Q': {  // BINPERSID
        ASSIGN_OR_RETURN(ValuePtr id, Pop());
        if (!persistent_load_) return Error("a persistent id (tensor storage) where none belongs");
        ASSIGN_OR_RETURN(ValuePtr storage, persistent_load_(*id));
        stack_.push_back(std::move(storage));
        break;
      }
      case 'b': {  // BUILD: only an OrderedDict's attributes (state_dict's _metadata)
        ASSIGN_OR_RETURN(ValuePtr state, Pop());
        if (stack_.empty() || stack_.back()->kind != Kind::kDict ||
            (state->kind != Kind::kDict && state->kind != Kind::kNone)) {
          return Error(absl::StrCat("BUILD of a ",
                                    stack_.empty() ? "nothing" : KindName(*stack_.back()),
                                    " with a ", KindName(*state), ": refused. ", kWhatToDo));
        }
        break;  // the attributes (version numbers) are not needed
      }
      default:
        return Error(absl::StrFormat(
            "opcode 0x%02x ('%c') is outside what state_dict pickles use: refused. %s", op,
            (op >= 32 && op < 127) ? static_cast<char>(op) : '?', kWhatToDo));
    }
  }
}

}  // namespace

std::string KindName(const Value& value) {
  switch (value.kind) {
    case Kind::kNone:
      return "None";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
    case Kind::kBigInt:
      return "int";
    case Kind::kFloat:
      return "float";
    case Kind::kString:
      return "str";
    case Kind::kTuple:
      return "tuple";
    case Kind::kList:
      return "list";
    case Kind::kDict:
      return "dict";
    case Kind::kGlobal:
      return value.text;
    case Kind::kStorage:
      return "storage";
    case Kind::kTensor:
      return "tensor";
  }
  return "?";
}

bool StringSource::Read(void* out, size_t bytes) {
  if (bytes > data_.size() - pos_) return false;
  std::memcpy(out, data_.data() + pos_, bytes);
  pos_ += bytes;
  return true;
}

bool FileSource::Read(void* out, size_t bytes) {
  if (bytes > end_ - pos_) return false;
  char* dst = static_cast<char*>(out);
  while (bytes > 0) {
    if (pos_ < buffer_start_ || pos_ >= buffer_start_ + buffer_.size()) {
      const size_t chunk = static_cast<size_t>(std::min<uint64_t>(kBufferBytes, end_ - pos_));
      buffer_.resize(chunk);
      if (fseeko(f_, static_cast<off_t>(pos_), SEEK_SET) != 0 ||
          std::fread(buffer_.data(), 1, chunk, f_) != chunk) {
        buffer_.clear();
        return false;
      }
      buffer_start_ = pos_;
    }
    const size_t offset = static_cast<size_t>(pos_ - buffer_start_);
    const size_t n = std::min(bytes, buffer_.size() - offset);
    std::memcpy(dst, buffer_.data() + offset, n);
    dst += n;
    pos_ += n;
    bytes -= n;
  }
  return true;
}

absl::StatusOr<ValuePtr> Unpickle(ByteSource& source, const std::string& what,
                                  const PersistentLoad& persistent_load) {
  return Unpickler(source, what, persistent_load).Run();
}

}  // namespace nn::io::pickle
