// Names of the preprocessing enums and their parsers.
#include "nn/models/preprocessing.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace nn {
namespace {

// One name table per enum: `Enum` values with their names, in declaration order.
template <typename Enum>
using NameTable = std::vector<std::pair<Enum, const char*>>;

const NameTable<ChannelOrder>& ChannelOrders() {
  static const auto* table =
      new NameTable<ChannelOrder>{{ChannelOrder::kRgb, "RGB"}, {ChannelOrder::kBgr, "BGR"}};
  return *table;
}

const NameTable<CropMode>& CropModes() {
  static const auto* table =
      new NameTable<CropMode>{{CropMode::kAligned, "aligned"}, {CropMode::kExactBox, "exact_box"}};
  return *table;
}

const NameTable<FrameSampling>& FrameSamplings() {
  static const auto* table =
      new NameTable<FrameSampling>{{FrameSampling::kEvenlySpaced, "evenly"},
                                   {FrameSampling::kFirstConsecutive, "first"},
                                   {FrameSampling::kEveryKth, "every"}};
  return *table;
}

template <typename Enum>
const char* NameOf(const NameTable<Enum>& table, Enum value) {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  return "?";
}

template <typename Enum>
absl::StatusOr<Enum> Parse(const NameTable<Enum>& table, absl::string_view what,
                           absl::string_view name) {
  std::vector<std::string> allowed;
  for (const auto& [value, n] : table) {
    if (name == n) return value;
    allowed.push_back(n);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown ", what, " '", name, "' (allowed: ", absl::StrJoin(allowed, ", "), ")"));
}

}  // namespace

const char* ChannelOrderName(ChannelOrder order) { return NameOf(ChannelOrders(), order); }
absl::StatusOr<ChannelOrder> ParseChannelOrder(absl::string_view name) {
  return Parse(ChannelOrders(), "channel order", name);
}

const char* CropModeName(CropMode mode) { return NameOf(CropModes(), mode); }
absl::StatusOr<CropMode> ParseCropMode(absl::string_view name) {
  return Parse(CropModes(), "crop mode", name);
}

const char* FrameSamplingName(FrameSampling sampling) { return NameOf(FrameSamplings(), sampling); }
absl::StatusOr<FrameSampling> ParseFrameSampling(absl::string_view name) {
  return Parse(FrameSamplings(), "frame sampling", name);
}

}  // namespace nn
