#pragma once

// The loop order shared by the SIMD matmul kernels: row chunks outside,
// token pairs inside, so a chunk of weight rows stays in cache while every
// token passes over it.
//
// Everything here has internal linkage (unnamed namespace) on purpose: each
// ISA file compiles its own copy with its own flags, and the linker can never
// swap in a copy built for a wider ISA.

#include <cstdint>

namespace gpupoor::kernels {
namespace {

// Runs Tile<R, T>::run(r, t, args...) over rows [rowBegin, rowEnd) and tokens
// [0, n) with tiles of kRows rows x 2 tokens, falling back to 1 row and 1
// token at the edges. kChunkRows is the cache chunk (a multiple of kRows).
template <template <int, int> class Tile, int kRows, std::int64_t kChunkRows, typename... Args>
void forEachTile(std::int64_t n, std::int64_t rowBegin, std::int64_t rowEnd, Args&&... args) {
  for (std::int64_t chunkBegin = rowBegin; chunkBegin < rowEnd; chunkBegin += kChunkRows) {
    const std::int64_t chunkEnd =
        chunkBegin + kChunkRows < rowEnd ? chunkBegin + kChunkRows : rowEnd;
    std::int64_t t = 0;
    for (; t + 2 <= n; t += 2) {
      std::int64_t r = chunkBegin;
      for (; r + kRows <= chunkEnd; r += kRows) Tile<kRows, 2>::run(r, t, args...);
      for (; r < chunkEnd; ++r) Tile<1, 2>::run(r, t, args...);
    }
    for (; t < n; ++t) {
      std::int64_t r = chunkBegin;
      for (; r + kRows <= chunkEnd; r += kRows) Tile<kRows, 1>::run(r, t, args...);
      for (; r < chunkEnd; ++r) Tile<1, 1>::run(r, t, args...);
    }
  }
}

}  // namespace
}  // namespace gpupoor::kernels
