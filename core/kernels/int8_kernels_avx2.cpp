// AVX2+FMA INT8 kernels (built with -mavx2 -mfma -mf16c).
//
// With several tokens (prefill) both matmuls use register tiles of kTileRows
// weight rows x 1 or 2 tokens so each loaded weight vector is used for every
// token of the tile, in the loop order of tile_loop.h. With one token
// (decode) they read the rows one after another instead (see decodeW8A32).
//
// w8a8 reads the activations shifted to unsigned (xq + 64 in [1, 127], made
// by quantizeRows) for vpmaddubsw and removes the shift with the weight row
// sums afterwards. A pair sum is at most 2 * 127 * 127 = 32258, so the int16
// stage never saturates.
//
// No ATen, spdlog or std algorithm headers here (see int8_kernels_isa.h).

#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "core/kernels/avx2_reductions.h"
#include "core/kernels/int8_kernels_isa.h"
#include "core/kernels/tile_loop.h"

namespace gpupoor::kernels {
namespace {

// Weight rows and tokens per register tile.
constexpr int kTileRows = 4;
constexpr int kTileTokens = 2;
// Rows per cache chunk: small enough that kRowChunk rows of 5120 int8 values
// (80 KiB) stay in L2 while every token passes over them.
constexpr std::int64_t kRowChunk = 16;

std::int32_t horizontalSum(__m256i v) {
  const __m128i sum4 = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  const __m128i sum2 = _mm_add_epi32(sum4, _mm_unpackhi_epi64(sum4, sum4));
  const __m128i sum1 = _mm_add_epi32(sum2, _mm_shuffle_epi32(sum2, 0x55));
  return _mm_cvtsi128_si32(sum1);
}

// Eight int8 weights widened to float32.
__m256 loadWeights8(const std::int8_t* p) {
  const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
  return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(bytes));
}

// How far ahead of its reads a decode kernel prefetches weights.
constexpr std::int64_t kDecodePrefetchBytes = 1024;

// Decode reads every weight once from DRAM, so its speed is the rate at which
// one core can stream. Each thread walks its rows front to back, one row at a
// time: its share of the matrix is then a single sequential stream that the
// hardware prefetcher follows, helped by a software prefetch
// kDecodePrefetchBytes ahead (x86 prefetches past the end never fault).
// Register tiles of 4 rows read 4 short streams at once instead. In a
// micro-benchmark over the gpt2-large matrices on 2 Zen 3 cores, tiles
// streamed about 21 GB/s of int8 weights and this order about 26 GB/s.
// OpenBLAS's FP32 sgemv streams about 30 GB/s on the same machine.
void prefetchAhead(const std::int8_t* position) {
  _mm_prefetch(reinterpret_cast<const char*>(position + kDecodePrefetchBytes), _MM_HINT_T0);
}

// y[r] = scale[r] * sum_k W[r, k] * x[k] + bias[r] for one token, with eight
// independent FMA chains per row.
void decodeW8A32(const Int8MatrixView& w, const float* x, const float* bias, float* y,
                 std::int64_t rowBegin, std::int64_t rowEnd) {
  const std::int64_t cols = w.cols;
  const std::int64_t blockCols = cols - cols % 64;
  const std::int64_t vectorCols = cols - cols % 8;
  for (std::int64_t r = rowBegin; r < rowEnd; ++r) {
    const std::int8_t* row = w.values + r * cols;
    __m256 acc[8];
#pragma GCC unroll 8
    for (int u = 0; u < 8; ++u) acc[u] = _mm256_setzero_ps();
    std::int64_t k = 0;
    for (; k < blockCols; k += 64) {
      prefetchAhead(row + k);
#pragma GCC unroll 8
      for (int u = 0; u < 8; ++u) {
        const std::int64_t position = k + 8 * u;
        acc[u] = _mm256_fmadd_ps(loadWeights8(row + position), _mm256_loadu_ps(x + position),
                                 acc[u]);
      }
    }
    for (; k < vectorCols; k += 8) {
      acc[0] = _mm256_fmadd_ps(loadWeights8(row + k), _mm256_loadu_ps(x + k), acc[0]);
    }
    for (int u = 0; u < 4; ++u) acc[u] = _mm256_add_ps(acc[u], acc[u + 4]);
    float sum = horizontalSum(
        _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
    for (; k < cols; ++k) sum += static_cast<float>(row[k]) * x[k];
    y[r] = sum * w.scales[r] + (bias != nullptr ? bias[r] : 0.0f);
  }
}

// acc[r] = sum_k W[r, k] * xq[k] for one token, exact int32, with the same
// unsigned offset as tileW8A8 and four independent chains per row.
template <typename Sink>
void decodeW8A8(const Int8MatrixView& w, const QuantizedRowsView& x, const Sink& sink,
                std::int64_t rowBegin, std::int64_t rowEnd) {
  const std::int8_t* xq = x.values;
  const std::uint8_t* xo = x.offsetValues;
  const std::int64_t cols = w.cols;
  const std::int64_t blockCols = cols - cols % 128;
  const std::int64_t vectorCols = cols - cols % 32;
  const __m256i ones = _mm256_set1_epi16(1);
  const auto product = [&](const std::int8_t* weights, std::int64_t position) {
    const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xo + position));
    const __m256i wv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(weights + position));
    return _mm256_madd_epi16(_mm256_maddubs_epi16(xv, wv), ones);
  };
  for (std::int64_t r = rowBegin; r < rowEnd; ++r) {
    const std::int8_t* row = w.values + r * cols;
    __m256i acc[4];
#pragma GCC unroll 4
    for (int u = 0; u < 4; ++u) acc[u] = _mm256_setzero_si256();
    std::int64_t k = 0;
    for (; k < blockCols; k += 128) {
      prefetchAhead(row + k);
      prefetchAhead(row + k + 64);
#pragma GCC unroll 4
      for (int u = 0; u < 4; ++u) acc[u] = _mm256_add_epi32(acc[u], product(row, k + 32 * u));
    }
    for (; k < vectorCols; k += 32) acc[0] = _mm256_add_epi32(acc[0], product(row, k));
    std::int32_t tailSum = 0;
    std::int32_t tail = 0;
    for (; k < cols; ++k) {
      tailSum += row[k];
      tail += static_cast<std::int32_t>(row[k]) * static_cast<std::int32_t>(xq[k]);
    }
    // Only the vector part was offset, so only its share of the row sum is removed.
    sink.put(0, r,
             horizontalSum(_mm256_add_epi32(_mm256_add_epi32(acc[0], acc[1]),
                                            _mm256_add_epi32(acc[2], acc[3]))) -
                 kActivationOffset * (w.rowSums[r] - tailSum) + tail);
  }
}

// y[t, r] for R rows from r0 and T tokens from t0 (w8a32). Each row has
// 2 / T k-streams (U) so a tile keeps 8 independent FMA chains.
template <int R, int T>
void tileW8A32(const Int8MatrixView& w, const float* x, std::int64_t r0, std::int64_t t0,
               const float* bias, float* y, std::int64_t ldy) {
  constexpr int U = T == 1 ? 2 : 1;
  constexpr std::int64_t kStep = 8 * U;
  const std::int64_t cols = w.cols;
  const std::int64_t vectorCols = cols - cols % kStep;

  __m256 acc[R][T][U];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 16
    for (int t = 0; t < T; ++t)
#pragma GCC unroll 16
      for (int u = 0; u < U; ++u) acc[r][t][u] = _mm256_setzero_ps();

  for (std::int64_t k = 0; k < vectorCols; k += kStep) {
    __m256 xv[T][U];
#pragma GCC unroll 16
    for (int t = 0; t < T; ++t)
#pragma GCC unroll 16
      for (int u = 0; u < U; ++u) xv[t][u] = _mm256_loadu_ps(x + (t0 + t) * cols + k + 8 * u);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const std::int8_t* wRow = w.values + (r0 + r) * cols + k;
#pragma GCC unroll 16
      for (int u = 0; u < U; ++u) {
        const __m256 wv = loadWeights8(wRow + 8 * u);
#pragma GCC unroll 16
        for (int t = 0; t < T; ++t) acc[r][t][u] = _mm256_fmadd_ps(wv, xv[t][u], acc[r][t][u]);
      }
    }
  }

  for (int r = 0; r < R; ++r) {
    const std::int64_t row = r0 + r;
    const std::int8_t* wRow = w.values + row * cols;
    for (int t = 0; t < T; ++t) {
      __m256 total = acc[r][t][0];
      for (int u = 1; u < U; ++u) total = _mm256_add_ps(total, acc[r][t][u]);
      float sum = horizontalSum(total);
      const float* xRow = x + (t0 + t) * cols;
      for (std::int64_t k = vectorCols; k < cols; ++k) sum += static_cast<float>(wRow[k]) * xRow[k];
      y[(t0 + t) * ldy + row] = sum * w.scales[row] + (bias != nullptr ? bias[row] : 0.0f);
    }
  }
}

// acc[t, r] for R rows from r0 and T tokens from t0 (w8a8), exact int32.
// vpmaddubsw takes xq + 64 (in [1, 127], see kActivationOffset) as its
// unsigned operand, so the kernel sums W * (xq + 64) and subtracts
// 64 * rowSum(W).
template <int R, int T, typename Sink>
void tileW8A8(const Int8MatrixView& w, const QuantizedRowsView& x, std::int64_t r0, std::int64_t t0,
              const Sink& sink) {
  const std::int64_t cols = w.cols;
  const std::int64_t vectorCols = cols - cols % 32;
  const __m256i ones = _mm256_set1_epi16(1);

  __m256i acc[R][T];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 16
    for (int t = 0; t < T; ++t) acc[r][t] = _mm256_setzero_si256();

  for (std::int64_t k = 0; k < vectorCols; k += 32) {
    __m256i wv[R];
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      wv[r] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w.values + (r0 + r) * cols + k));
    }
#pragma GCC unroll 16
    for (int t = 0; t < T; ++t) {
      const std::int64_t position = (t0 + t) * cols + k;
      const __m256i shifted =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.offsetValues + position));
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) {
        const __m256i pairs = _mm256_maddubs_epi16(shifted, wv[r]);
        acc[r][t] = _mm256_add_epi32(acc[r][t], _mm256_madd_epi16(pairs, ones));
      }
    }
  }

  for (int r = 0; r < R; ++r) {
    const std::int8_t* wRow = w.values + (r0 + r) * cols;
    std::int32_t tailSum = 0;
    for (std::int64_t k = vectorCols; k < cols; ++k) tailSum += wRow[k];
    // Only the vector part was offset, so only its share of the row sum is removed.
    const std::int32_t correction = kActivationOffset * (w.rowSums[r0 + r] - tailSum);
    for (int t = 0; t < T; ++t) {
      std::int32_t sum = horizontalSum(acc[r][t]) - correction;
      const std::int8_t* xRow = x.values + (t0 + t) * cols;
      for (std::int64_t k = vectorCols; k < cols; ++k) {
        sum += static_cast<std::int32_t>(wRow[k]) * static_cast<std::int32_t>(xRow[k]);
      }
      sink.put(t0 + t, r0 + r, sum);
    }
  }
}

template <int R, int T>
struct W8A32Tile {
  static void run(std::int64_t r, std::int64_t t, const Int8MatrixView& w, const float* x,
                  const float* bias, float* y, std::int64_t ldy) {
    tileW8A32<R, T>(w, x, r, t, bias, y, ldy);
  }
};

template <int R, int T>
struct W8A8Tile {
  template <typename Sink>
  static void run(std::int64_t r, std::int64_t t, const Int8MatrixView& w,
                  const QuantizedRowsView& x, const Sink& sink) {
    tileW8A8<R, T>(w, x, r, t, sink);
  }
};

void matmulW8A32Avx2(const Int8MatrixView& w, const float* x, std::int64_t n, const float* bias,
                     float* y, std::int64_t ldy, std::int64_t rowBegin, std::int64_t rowEnd) {
  if (n == 1) return decodeW8A32(w, x, bias, y, rowBegin, rowEnd);
  forEachTile<W8A32Tile, kTileRows, kTileTokens, kRowChunk>(0, n, rowBegin, rowEnd, w, x, bias, y,
                                                            ldy);
}

template <typename Sink>
void w8a8Avx2(const Int8MatrixView& w, const QuantizedRowsView& x, const Sink& sink,
              std::int64_t rowBegin, std::int64_t rowEnd) {
  if (x.n == 1) return decodeW8A8(w, x, sink, rowBegin, rowEnd);
  forEachTile<W8A8Tile, kTileRows, kTileTokens, kRowChunk>(0, x.n, rowBegin, rowEnd, w, x, sink);
}

void matmulW8A8Avx2(const Int8MatrixView& w, const QuantizedRowsView& x, std::int32_t* acc,
                    std::int64_t ldAcc, std::int64_t rowBegin, std::int64_t rowEnd) {
  w8a8Avx2(w, x, Int32Sink{acc, ldAcc}, rowBegin, rowEnd);
}

void matmulW8A8ScaledAvx2(const Int8MatrixView& w, const QuantizedRowsView& x, const float* bias,
                          float* y, std::int64_t ldy, std::int64_t rowBegin, std::int64_t rowEnd) {
  w8a8Avx2(w, x, ScaledSink{y, ldy, x.scales, w.scales, bias}, rowBegin, rowEnd);
}

void quantizeRowsAvx2(const float* x, std::int64_t cols, std::int64_t rowBegin, std::int64_t rowEnd,
                      std::int8_t* values, std::uint8_t* offsetValues, float* scales) {
  const __m256 absMask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  const __m256i limit = _mm256_set1_epi32(kActivationMax);
  const __m256i negativeLimit = _mm256_set1_epi32(-kActivationMax);
  // packs_epi32 then packs_epi16 interleave the 128-bit lanes; this restores
  // the order of the 32 values.
  const __m256i unpermute = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  const __m256i offset = _mm256_set1_epi8(static_cast<char>(kActivationOffset));
  const std::int64_t vectorCols = cols - cols % 32;

  for (std::int64_t t = rowBegin; t < rowEnd; ++t) {
    const float* xRow = x + t * cols;

    // Step 1: max |x| of the row.
    __m256 maxVector = _mm256_setzero_ps();
    std::int64_t k = 0;
    for (; k + 8 <= cols; k += 8) {
      maxVector = _mm256_max_ps(maxVector, _mm256_and_ps(_mm256_loadu_ps(xRow + k), absMask));
    }
    __m128 max4 =
        _mm_max_ps(_mm256_castps256_ps128(maxVector), _mm256_extractf128_ps(maxVector, 1));
    max4 = _mm_max_ps(max4, _mm_movehl_ps(max4, max4));
    max4 = _mm_max_ss(max4, _mm_shuffle_ps(max4, max4, 0x55));
    float maxAbs = _mm_cvtss_f32(max4);
    for (; k < cols; ++k) maxAbs = std::fmax(maxAbs, std::fabs(xRow[k]));

    // Step 2: scale and its inverse, computed exactly as the scalar path does.
    const auto limitFloat = static_cast<float>(kActivationMax);
    const float scale = maxAbs > 0.0f ? maxAbs / limitFloat : 1.0f;
    const float inverseScale = 1.0f / scale;
    scales[t] = scale;
    const __m256 inverse = _mm256_set1_ps(inverseScale);

    // Step 3: round half to even (the default MXCSR mode), clamp, pack.
    std::int8_t* outRow = values + t * cols;
    std::uint8_t* offsetRow = offsetValues + t * cols;
    for (k = 0; k < vectorCols; k += 32) {
      __m256i q[4];
      for (int i = 0; i < 4; ++i) {
        const __m256i rounded =
            _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(xRow + k + 8 * i), inverse));
        q[i] = _mm256_max_epi32(negativeLimit, _mm256_min_epi32(limit, rounded));
      }
      const __m256i words01 = _mm256_packs_epi32(q[0], q[1]);
      const __m256i words23 = _mm256_packs_epi32(q[2], q[3]);
      const __m256i bytes =
          _mm256_permutevar8x32_epi32(_mm256_packs_epi16(words01, words23), unpermute);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(outRow + k), bytes);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(offsetRow + k),
                          _mm256_add_epi8(bytes, offset));
    }
    for (; k < cols; ++k) {
      float q = std::nearbyint(xRow[k] * inverseScale);
      q = std::fmin(limitFloat, std::fmax(-limitFloat, q));
      const auto value = static_cast<std::int8_t>(q);
      outRow[k] = value;
      offsetRow[k] = static_cast<std::uint8_t>(value + kActivationOffset);
    }
  }
}

void dequantizeRowsAvx2(const Int8MatrixView& w, std::int64_t rowBegin, std::int64_t rowEnd,
                        float* out, std::int64_t ldOut) {
  const std::int64_t vectorCols = w.cols - w.cols % 8;
  for (std::int64_t r = rowBegin; r < rowEnd; ++r) {
    const std::int8_t* wRow = w.values + r * w.cols;
    float* outRow = out + (r - rowBegin) * ldOut;
    const __m256 scale = _mm256_set1_ps(w.scales[r]);
    std::int64_t k = 0;
    for (; k < vectorCols; k += 8) {
      _mm256_storeu_ps(outRow + k, _mm256_mul_ps(loadWeights8(wRow + k), scale));
    }
    for (; k < w.cols; ++k) outRow[k] = static_cast<float>(wRow[k]) * w.scales[r];
  }
}

}  // namespace

const KernelTable& avx2KernelTable() {
  static const KernelTable table{KernelIsa::Avx2,     matmulW8A32Avx2,  matmulW8A8Avx2,
                                 matmulW8A8ScaledAvx2, quantizeRowsAvx2, dequantizeRowsAvx2};
  return table;
}

}  // namespace gpupoor::kernels
