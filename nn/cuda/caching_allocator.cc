// The caching allocator's policy (see the header).
#include "nn/cuda/caching_allocator.h"

#include <algorithm>
#include <cstdio>

#include "nn/check.h"

namespace nn::cuda {
namespace {

constexpr size_t kSmallQuantum = 512;
constexpr size_t kLargeQuantum = size_t{1} << 20;

std::string MiB(size_t bytes) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  return text;
}

}  // namespace

std::string AllocatorStats::ToString() const {
  char text[64];
  std::snprintf(text, sizeof(text), "%.1f%%", 100.0 * fragmentation());
  return "peak " + MiB(peak_in_use) + " in use, peak " + MiB(peak_reserved) + " reserved; now " +
         MiB(in_use) + " in use of " + MiB(reserved) + " reserved (" + text + " not in use); " +
         std::to_string(raw_allocations) + " raw allocations, " + std::to_string(cache_hits) +
         " served from the cache";
}

CachingAllocator::CachingAllocator(RawAllocate allocate, RawFree free)
    : raw_allocate_(std::move(allocate)), raw_free_(std::move(free)) {}

CachingAllocator::~CachingAllocator() {
  std::lock_guard<std::mutex> lock(mutex_);
  ReleaseCacheLocked();
}

size_t CachingAllocator::RoundUp(size_t bytes) {
  const size_t quantum = bytes < kLargeQuantum ? kSmallQuantum : kLargeQuantum;
  return (bytes + quantum - 1) / quantum * quantum;
}

void* CachingAllocator::Allocate(size_t bytes) {
  if (bytes == 0) return nullptr;
  const size_t size = RoundUp(bytes);
  std::lock_guard<std::mutex> lock(mutex_);
  void* ptr = nullptr;
  size_t block = size;
  auto it = cache_.lower_bound(size);
  if (it != cache_.end() && it->first <= size + size / 8) {
    ptr = it->second;
    block = it->first;
    cache_.erase(it);
    ++stats_.cache_hits;
  } else {
    ptr = raw_allocate_(size);
    if (ptr == nullptr && !cache_.empty()) {
      ReleaseCacheLocked();  // out of memory: give the cache back and try once more
      ptr = raw_allocate_(size);
    }
    if (ptr == nullptr) return nullptr;
    ++stats_.raw_allocations;
    stats_.reserved += size;
    stats_.peak_reserved = std::max(stats_.peak_reserved, stats_.reserved);
  }
  live_.emplace(ptr, block);
  stats_.in_use += block;
  stats_.peak_in_use = std::max(stats_.peak_in_use, stats_.in_use);
  return ptr;
}

void CachingAllocator::Free(void* ptr) {
  if (ptr == nullptr) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = live_.find(ptr);
  NN_CHECK(it != live_.end()) << "CachingAllocator::Free: " << ptr
                              << " was not allocated here (or was freed twice)";
  stats_.in_use -= it->second;
  cache_.emplace(it->second, ptr);
  live_.erase(it);
}

void CachingAllocator::ReleaseCache() {
  std::lock_guard<std::mutex> lock(mutex_);
  ReleaseCacheLocked();
}

void CachingAllocator::ReleaseCacheLocked() {
  for (const auto& [size, ptr] : cache_) {
    raw_free_(ptr);
    stats_.reserved -= size;
    ++stats_.raw_frees;
  }
  cache_.clear();
}

AllocatorStats CachingAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

}  // namespace nn::cuda
