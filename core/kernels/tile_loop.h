#pragma once

// Code the matmul kernels of every ISA share. The w8a8 kernels write through
// the output sinks below. The register tiles run in the loop order of
// forEachTile: row chunks outside and token groups inside, so a chunk of
// weight rows stays in cache while every token passes over it.
//
// Everything here has internal linkage (unnamed namespace) on purpose: each
// ISA file compiles its own copy with its own flags, and the linker can never
// swap in a copy built for a wider ISA.

#include <cstdint>

namespace gpupoor::kernels {
namespace {

// Output of a w8a8 kernel that stores the exact int32 sum for token t and
// row r as it is (matmulW8A8) ...
struct Int32Sink {
  std::int32_t* acc;
  std::int64_t ld;
  void put(std::int64_t t, std::int64_t r, std::int32_t sum) const { acc[t * ld + r] = sum; }
};

// ... or one that stores it rescaled to float32 (matmulW8A8Scaled).
struct ScaledSink {
  float* y;
  std::int64_t ld;
  const float* xScales;
  const float* wScales;
  const float* bias;  // may be null
  void put(std::int64_t t, std::int64_t r, std::int32_t sum) const {
    y[t * ld + r] = static_cast<float>(sum) * (xScales[t] * wScales[r]) +
                    (bias != nullptr ? bias[r] : 0.0f);
  }
};

// Runs Tile<R, T>::run(r, t, args...) over rows [rowBegin, rowEnd) and tokens
// [tokenBegin, tokenEnd) with tiles of kRows rows x kTokens tokens, falling
// back to 1 row and 1 token at the edges. kChunkRows is the cache chunk (a
// multiple of kRows).
template <template <int, int> class Tile, int kRows, int kTokens, std::int64_t kChunkRows,
          typename... Args>
void forEachTile(std::int64_t tokenBegin, std::int64_t tokenEnd, std::int64_t rowBegin,
                 std::int64_t rowEnd, Args&&... args) {
  for (std::int64_t chunkBegin = rowBegin; chunkBegin < rowEnd; chunkBegin += kChunkRows) {
    const std::int64_t chunkEnd =
        chunkBegin + kChunkRows < rowEnd ? chunkBegin + kChunkRows : rowEnd;
    std::int64_t t = tokenBegin;
    for (; t + kTokens <= tokenEnd; t += kTokens) {
      std::int64_t r = chunkBegin;
      for (; r + kRows <= chunkEnd; r += kRows) Tile<kRows, kTokens>::run(r, t, args...);
      for (; r < chunkEnd; ++r) Tile<1, kTokens>::run(r, t, args...);
    }
    for (; t < tokenEnd; ++t) {
      std::int64_t r = chunkBegin;
      for (; r + kRows <= chunkEnd; r += kRows) Tile<kRows, 1>::run(r, t, args...);
      for (; r < chunkEnd; ++r) Tile<1, 1>::run(r, t, args...);
    }
  }
}

}  // namespace
}  // namespace gpupoor::kernels
