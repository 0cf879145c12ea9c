// Fuzz target for the restricted unpickler (nn/io/pickle.h): up to 8 pickles are read one
// after another from the bytes (as the legacy torch.save format stores them), with a
// persistent-id callback that turns any tuple into a storage so that tensor rebuilding is
// reached, and every value of each result is visited once. Driven by libFuzzer and by the
// corpus replay test; how to run it: nn/io/fuzz/README.md.
#include <cstdlib>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "nn/io/fuzz/fuzz_target.h"
#include "nn/io/pickle.h"

namespace nn::io::fuzz {
namespace {

using pickle::Kind;
using pickle::Value;
using pickle::ValuePtr;

// Visits every value reachable from `root` once (values may be shared through the memo).
void VisitAll(const ValuePtr& root) {
  std::unordered_set<const Value*> seen;
  std::vector<const Value*> pending = {root.get()};
  while (!pending.empty()) {
    const Value* v = pending.back();
    pending.pop_back();
    if (v == nullptr) std::abort();
    if (!seen.insert(v).second) continue;
    (void)pickle::KindName(*v);
    for (const ValuePtr& item : v->items) pending.push_back(item.get());
    for (const auto& [key, value] : v->entries) {
      pending.push_back(key.get());
      pending.push_back(value.get());
    }
    if (v->kind == Kind::kTensor) {
      if (v->tensor.storage == nullptr || v->tensor.storage->kind != Kind::kStorage) std::abort();
      if (v->tensor.shape.size() != v->tensor.strides.size()) std::abort();
    }
  }
}

}  // namespace

absl::Status FuzzOneInput(std::string_view bytes) {
  const std::string data(bytes);
  pickle::StringSource source(data);
  const pickle::PersistentLoad storage = [](const Value& id) -> absl::StatusOr<ValuePtr> {
    if (id.kind != Kind::kTuple) return absl::InvalidArgumentError("not a tuple");
    auto v = std::make_shared<Value>();
    v->kind = Kind::kStorage;
    v->storage.dtype = "F32";
    v->storage.numel = static_cast<int64_t>(id.items.size());
    return v;
  };
  for (int i = 0; i < 8 && source.Remaining() > 0; ++i) {
    absl::StatusOr<ValuePtr> value = pickle::Unpickle(source, "fuzz input", storage);
    if (!value.ok()) return value.status();
    VisitAll(*value);
  }
  return absl::OkStatus();
}

}  // namespace nn::io::fuzz
