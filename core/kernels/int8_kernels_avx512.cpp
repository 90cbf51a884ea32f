// AVX-512 INT8 kernels (built with -mavx512f -mavx512bw -mavx512vl
// -mavx512dq -mavx512vnni). The w8a32 matmul and the dequantization use
// 512-bit FMA; the w8a8 matmul uses VNNI vpdpbusd when the CPU has it and the
// AVX2 kernel otherwise. Activation quantization reuses the AVX2 kernel: it
// runs once per token row and is not where the time goes.
//
// vpdpbusd multiplies unsigned by signed bytes and adds groups of four
// products to int32 lanes without an int16 stage. It takes the shifted
// activations (xq + 64, see kActivationOffset) directly, and the kernels
// subtract 64 * rowSum(W) at the end, as the AVX2 kernels do.
//
// With one token (decode) both matmuls read the rows one after another, as
// the AVX2 kernels do. With several they use register tiles.
//
// No ATen, spdlog or std algorithm headers here (see int8_kernels_isa.h).

#include <immintrin.h>

// GCC 12's avx512fintrin.h builds results from _mm512_undefined_*() values,
// which -Wuninitialized reports inside the intrinsics this file calls.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <cstdint>

#include "core/kernels/int8_kernels_isa.h"
#include "core/kernels/tile_loop.h"

namespace gpupoor::kernels {
namespace {

// w8a32 register tiles: weight rows x tokens.
constexpr int kTileRows = 4;
constexpr int kTileTokens = 2;
// w8a8 register tiles: 4 x 4 accumulators, 4 weight vectors and one
// activation vector use 21 of the 32 vector registers.
constexpr int kVnniTileRows = 4;
constexpr int kVnniTileTokens = 4;
// Rows per cache chunk (see the AVX2 file).
constexpr std::int64_t kRowChunk = 16;
// The w8a8 kernel walks the tokens in blocks of about this many bytes of
// activations, so a block can stay in L2 while the thread's rows pass over
// it. 512 tokens of gpt2-large mlp.c_proj input (5120 columns) are 2.5 MiB.
constexpr std::int64_t kTokenBlockBytes = 1 << 20;
// kActivationOffset as a shift, for removing the offset with vector shifts.
constexpr int kActivationOffsetShift = 6;
static_assert(kActivationOffset == 1 << kActivationOffsetShift);
// How far ahead of its reads a decode kernel prefetches weights, into L2.
// On a 2-core AVX-512 Xeon, a decode-like pass over all gpt2-large int8
// matrices streamed 14 (w8a32) and 16 (w8a8) GB/s with the AVX2 kernels'
// choice, 1 KiB ahead into L1. 4 KiB ahead into L2 gave 19 and 23 GB/s.
// 6 or 8 KiB, or _MM_HINT_T2, were no better.
constexpr std::int64_t kDecodePrefetchBytes = 4096;

void prefetchAhead(const std::int8_t* position) {
  _mm_prefetch(reinterpret_cast<const char*>(position + kDecodePrefetchBytes), _MM_HINT_T1);
}

// acc += vpdpbusd(u, s). Written as inline assembly because GCC 12 copies
// the accumulator to a fresh register around every _mm512_dpbusd_epi32 in the
// register tiles: two extra moves per product, which made the 4 x 4 tile
// front-end bound.
void dotAccumulate(__m512i& acc, __m512i u, __m512i s) {
  __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(u), "v"(s));
}

// Lane i of the result is the sum of the sixteen lanes of a_i.
__m128i sumEachOfFour(__m512i a0, __m512i a1, __m512i a2, __m512i a3) {
  // Within each 128-bit lane: [a0 + a0', a1 + a1', a0 + a0', a1 + a1'] ...
  const __m512i pairs01 =
      _mm512_add_epi32(_mm512_unpacklo_epi32(a0, a1), _mm512_unpackhi_epi32(a0, a1));
  const __m512i pairs23 =
      _mm512_add_epi32(_mm512_unpacklo_epi32(a2, a3), _mm512_unpackhi_epi32(a2, a3));
  // ... then [a0, a1, a2, a3] partial sums in each 128-bit lane ...
  const __m512i quads = _mm512_add_epi32(_mm512_unpacklo_epi64(pairs01, pairs23),
                                         _mm512_unpackhi_epi64(pairs01, pairs23));
  // ... and the four 128-bit lanes added together.
  const __m256i halves =
      _mm256_add_epi32(_mm512_castsi512_si256(quads), _mm512_extracti64x4_epi64(quads, 1));
  return _mm_add_epi32(_mm256_castsi256_si128(halves), _mm256_extracti128_si256(halves, 1));
}

// Sixteen int8 weights widened to float32.
__m512 loadWeights16(const std::int8_t* p) {
  const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(bytes));
}

// y[r] = scale[r] * sum_k W[r, k] * x[k] + bias[r] for one token, one row
// after another with a software prefetch (see decodeW8A32 in the AVX2 file).
void decodeW8A32(const Int8MatrixView& w, const float* x, const float* bias, float* y,
                 std::int64_t rowBegin, std::int64_t rowEnd) {
  const std::int64_t cols = w.cols;
  const std::int64_t blockCols = cols - cols % 64;
  const std::int64_t vectorCols = cols - cols % 16;
  for (std::int64_t r = rowBegin; r < rowEnd; ++r) {
    const std::int8_t* row = w.values + r * cols;
    __m512 acc[4];
#pragma GCC unroll 4
    for (int u = 0; u < 4; ++u) acc[u] = _mm512_setzero_ps();
    std::int64_t k = 0;
    for (; k < blockCols; k += 64) {
      prefetchAhead(row + k);
#pragma GCC unroll 4
      for (int u = 0; u < 4; ++u) {
        const std::int64_t position = k + 16 * u;
        acc[u] = _mm512_fmadd_ps(loadWeights16(row + position), _mm512_loadu_ps(x + position),
                                 acc[u]);
      }
    }
    for (; k < vectorCols; k += 16) {
      acc[0] = _mm512_fmadd_ps(loadWeights16(row + k), _mm512_loadu_ps(x + k), acc[0]);
    }
    float sum = _mm512_reduce_add_ps(
        _mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3])));
    for (; k < cols; ++k) sum += static_cast<float>(row[k]) * x[k];
    y[r] = sum * w.scales[r] + (bias != nullptr ? bias[r] : 0.0f);
  }
}

// acc[r] = sum_k W[r, k] * xq[k] for one token, exact int32, four vpdpbusd
// chains per row.
template <typename Sink>
void decodeW8A8Vnni(const Int8MatrixView& w, const QuantizedRowsView& x, const Sink& sink,
                    std::int64_t rowBegin, std::int64_t rowEnd) {
  const std::int64_t cols = w.cols;
  const std::int64_t blockCols = cols - cols % 256;
  const std::int64_t vectorCols = cols - cols % 64;
  for (std::int64_t r = rowBegin; r < rowEnd; ++r) {
    const std::int8_t* row = w.values + r * cols;
    __m512i acc[4];
#pragma GCC unroll 4
    for (int u = 0; u < 4; ++u) acc[u] = _mm512_setzero_si512();
    std::int64_t k = 0;
    for (; k < blockCols; k += 256) {
#pragma GCC unroll 4
      for (int u = 0; u < 4; ++u) {
        const std::int64_t position = k + 64 * u;
        prefetchAhead(row + position);
        acc[u] = _mm512_dpbusd_epi32(acc[u], _mm512_loadu_si512(x.offsetValues + position),
                                     _mm512_loadu_si512(row + position));
      }
    }
    for (; k < vectorCols; k += 64) {
      acc[0] = _mm512_dpbusd_epi32(acc[0], _mm512_loadu_si512(x.offsetValues + k),
                                   _mm512_loadu_si512(row + k));
    }
    std::int32_t tailSum = 0;
    std::int32_t tail = 0;
    for (; k < cols; ++k) {
      tailSum += row[k];
      tail += static_cast<std::int32_t>(row[k]) * static_cast<std::int32_t>(x.values[k]);
    }
    // Only the vector part was offset, so only its share of the row sum is removed.
    sink.put(0, r,
             _mm512_reduce_add_epi32(_mm512_add_epi32(_mm512_add_epi32(acc[0], acc[1]),
                                                      _mm512_add_epi32(acc[2], acc[3]))) -
                 kActivationOffset * (w.rowSums[r] - tailSum) + tail);
  }
}

template <int R, int T>
void tileW8A32(const Int8MatrixView& w, const float* x, std::int64_t r0, std::int64_t t0,
               const float* bias, float* y, std::int64_t ldy) {
  constexpr int U = T == 1 ? 2 : 1;
  constexpr std::int64_t kStep = 16 * U;
  const std::int64_t cols = w.cols;
  const std::int64_t vectorCols = cols - cols % kStep;

  __m512 acc[R][T][U];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 16
    for (int t = 0; t < T; ++t)
#pragma GCC unroll 16
      for (int u = 0; u < U; ++u) acc[r][t][u] = _mm512_setzero_ps();

  for (std::int64_t k = 0; k < vectorCols; k += kStep) {
    __m512 xv[T][U];
#pragma GCC unroll 16
    for (int t = 0; t < T; ++t)
#pragma GCC unroll 16
      for (int u = 0; u < U; ++u) xv[t][u] = _mm512_loadu_ps(x + (t0 + t) * cols + k + 16 * u);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const std::int8_t* wRow = w.values + (r0 + r) * cols + k;
#pragma GCC unroll 16
      for (int u = 0; u < U; ++u) {
        const __m512 wv = loadWeights16(wRow + 16 * u);
#pragma GCC unroll 16
        for (int t = 0; t < T; ++t) acc[r][t][u] = _mm512_fmadd_ps(wv, xv[t][u], acc[r][t][u]);
      }
    }
  }

  for (int r = 0; r < R; ++r) {
    const std::int64_t row = r0 + r;
    const std::int8_t* wRow = w.values + row * cols;
    for (int t = 0; t < T; ++t) {
      __m512 total = acc[r][t][0];
      for (int u = 1; u < U; ++u) total = _mm512_add_ps(total, acc[r][t][u]);
      float sum = _mm512_reduce_add_ps(total);
      const float* xRow = x + (t0 + t) * cols;
      for (std::int64_t k = vectorCols; k < cols; ++k) sum += static_cast<float>(wRow[k]) * xRow[k];
      y[(t0 + t) * ldy + row] = sum * w.scales[row] + (bias != nullptr ? bias[row] : 0.0f);
    }
  }
}

// Writes out[t, r] for a w8a8 tile from the vector sums of W * (xq + 64)
// over [0, vectorCols): removes the offset's share and adds the columns past
// the last full vector.
template <int R, int T, typename Sink>
void finishTile(const Int8MatrixView& w, const QuantizedRowsView& x, std::int64_t r0,
                std::int64_t t0, std::int64_t vectorCols, const std::int32_t (&sums)[T][R],
                const Sink& sink) {
  const std::int64_t cols = w.cols;
  std::int32_t corrections[R];
  for (int r = 0; r < R; ++r) {
    const std::int8_t* wRow = w.values + (r0 + r) * cols;
    std::int32_t tailSum = 0;
    for (std::int64_t k = vectorCols; k < cols; ++k) tailSum += wRow[k];
    // Only the vector part was offset, so only its share of the row sum is removed.
    corrections[r] = kActivationOffset * (w.rowSums[r0 + r] - tailSum);
  }
  for (int t = 0; t < T; ++t) {
    const std::int8_t* xRow = x.values + (t0 + t) * cols;
    for (int r = 0; r < R; ++r) {
      const std::int8_t* wRow = w.values + (r0 + r) * cols;
      std::int32_t sum = sums[t][r] - corrections[r];
      for (std::int64_t k = vectorCols; k < cols; ++k) {
        sum += static_cast<std::int32_t>(wRow[k]) * static_cast<std::int32_t>(xRow[k]);
      }
      sink.put(t0 + t, r0 + r, sum);
    }
  }
}

// Four sums of one token (rows r0 to r0 + 3) into a sink: as int32 ...
void putFour(const Int32Sink& sink, std::int64_t t, std::int64_t r0, __m128i sums) {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(sink.acc + t * sink.ld + r0), sums);
}

// ... or rescaled, with the operations of ScaledSink::put in the same order.
void putFour(const ScaledSink& sink, std::int64_t t, std::int64_t r0, __m128i sums) {
  const __m128 scales =
      _mm_mul_ps(_mm_set1_ps(sink.xScales[t]), _mm_loadu_ps(sink.wScales + r0));
  const __m128 bias = sink.bias != nullptr ? _mm_loadu_ps(sink.bias + r0) : _mm_setzero_ps();
  _mm_storeu_ps(sink.y + t * sink.ld + r0,
                _mm_add_ps(_mm_mul_ps(_mm_cvtepi32_ps(sums), scales), bias));
}

// acc[t, r] for R rows from r0 and T tokens from t0 (w8a8), exact int32:
// vpdpbusd of the shifted activations, then the shift removed per row.
template <int R, int T, typename Sink>
void tileW8A8Vnni(const Int8MatrixView& w, const QuantizedRowsView& x, std::int64_t r0,
                  std::int64_t t0, const Sink& sink) {
  const std::int64_t cols = w.cols;
  const std::int64_t vectorCols = cols - cols % 64;

  __m512i acc[R][T];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 16
    for (int t = 0; t < T; ++t) acc[r][t] = _mm512_setzero_si512();

  for (std::int64_t k = 0; k < vectorCols; k += 64) {
    __m512i wv[R];
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) wv[r] = _mm512_loadu_si512(w.values + (r0 + r) * cols + k);
#pragma GCC unroll 16
    for (int t = 0; t < T; ++t) {
      const __m512i xv = _mm512_loadu_si512(x.offsetValues + (t0 + t) * cols + k);
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) acc[r][t] = _mm512_dpbusd_epi32(acc[r][t], xv, wv[r]);
    }
  }

  std::int32_t sums[T][R];
  for (int t = 0; t < T; ++t) {
    for (int r = 0; r < R; ++r) sums[t][r] = _mm512_reduce_add_epi32(acc[r][t]);
  }
  finishTile<R, T>(w, x, r0, t0, vectorCols, sums, sink);
}

// The 4 x 4 tile, which does nearly all of the work of a prefill, with its
// sixteen accumulators as named variables. Held in an array, GCC 12 copied
// each accumulator into a fresh register around every vpdpbusd (two moves per
// product). With inline assembly on array elements it kept them on the stack.
// Same sums as tileW8A8Vnni<4, 4>.
template <typename Sink>
void tileW8A8Vnni4x4(const Int8MatrixView& w, const QuantizedRowsView& x, std::int64_t r0,
                     std::int64_t t0, const Sink& sink) {
  const std::int64_t cols = w.cols;
  const std::int64_t vectorCols = cols - cols % 64;
  const std::int8_t* w0 = w.values + r0 * cols;
  const std::int8_t* w1 = w0 + cols;
  const std::int8_t* w2 = w1 + cols;
  const std::int8_t* w3 = w2 + cols;
  const std::uint8_t* x0 = x.offsetValues + t0 * cols;
  const std::uint8_t* x1 = x0 + cols;
  const std::uint8_t* x2 = x1 + cols;
  const std::uint8_t* x3 = x2 + cols;
  __m512i a00 = _mm512_setzero_si512(), a01 = a00, a02 = a00, a03 = a00;
  __m512i a10 = a00, a11 = a00, a12 = a00, a13 = a00;
  __m512i a20 = a00, a21 = a00, a22 = a00, a23 = a00;
  __m512i a30 = a00, a31 = a00, a32 = a00, a33 = a00;
  for (std::int64_t k = 0; k < vectorCols; k += 64) {
    const __m512i v0 = _mm512_loadu_si512(w0 + k);
    const __m512i v1 = _mm512_loadu_si512(w1 + k);
    const __m512i v2 = _mm512_loadu_si512(w2 + k);
    const __m512i v3 = _mm512_loadu_si512(w3 + k);
    __m512i xv = _mm512_loadu_si512(x0 + k);
    dotAccumulate(a00, xv, v0);
    dotAccumulate(a10, xv, v1);
    dotAccumulate(a20, xv, v2);
    dotAccumulate(a30, xv, v3);
    xv = _mm512_loadu_si512(x1 + k);
    dotAccumulate(a01, xv, v0);
    dotAccumulate(a11, xv, v1);
    dotAccumulate(a21, xv, v2);
    dotAccumulate(a31, xv, v3);
    xv = _mm512_loadu_si512(x2 + k);
    dotAccumulate(a02, xv, v0);
    dotAccumulate(a12, xv, v1);
    dotAccumulate(a22, xv, v2);
    dotAccumulate(a32, xv, v3);
    xv = _mm512_loadu_si512(x3 + k);
    dotAccumulate(a03, xv, v0);
    dotAccumulate(a13, xv, v1);
    dotAccumulate(a23, xv, v2);
    dotAccumulate(a33, xv, v3);
  }
  const __m128i tokenSums[4] = {
      sumEachOfFour(a00, a10, a20, a30), sumEachOfFour(a01, a11, a21, a31),
      sumEachOfFour(a02, a12, a22, a32), sumEachOfFour(a03, a13, a23, a33)};
  if (vectorCols == cols) {
    // The common case (GPT-2 widths are multiples of 64): remove the offset
    // from four rows at once.
    const __m128i correction = _mm_slli_epi32(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(w.rowSums + r0)), kActivationOffsetShift);
    for (int t = 0; t < 4; ++t) putFour(sink, t0 + t, r0, _mm_sub_epi32(tokenSums[t], correction));
    return;
  }
  std::int32_t sums[4][4];  // [token][row]
  for (int t = 0; t < 4; ++t) _mm_storeu_si128(reinterpret_cast<__m128i*>(sums[t]), tokenSums[t]);
  finishTile<4, 4>(w, x, r0, t0, vectorCols, sums, sink);
}

template <int R, int T>
struct W8A32Tile {
  static void run(std::int64_t r, std::int64_t t, const Int8MatrixView& w, const float* x,
                  const float* bias, float* y, std::int64_t ldy) {
    tileW8A32<R, T>(w, x, r, t, bias, y, ldy);
  }
};

template <int R, int T>
struct W8A8VnniTile {
  template <typename Sink>
  static void run(std::int64_t r, std::int64_t t, const Int8MatrixView& w,
                  const QuantizedRowsView& x, const Sink& sink) {
    if constexpr (R == 4 && T == 4) {
      tileW8A8Vnni4x4(w, x, r, t, sink);
    } else {
      tileW8A8Vnni<R, T>(w, x, r, t, sink);
    }
  }
};

void matmulW8A32Avx512(const Int8MatrixView& w, const float* x, std::int64_t n, const float* bias,
                       float* y, std::int64_t ldy, std::int64_t rowBegin, std::int64_t rowEnd) {
  if (n == 1) return decodeW8A32(w, x, bias, y, rowBegin, rowEnd);
  forEachTile<W8A32Tile, kTileRows, kTileTokens, kRowChunk>(0, n, rowBegin, rowEnd, w, x, bias, y,
                                                            ldy);
}

template <typename Sink>
void w8a8Vnni(const Int8MatrixView& w, const QuantizedRowsView& x, const Sink& sink,
              std::int64_t rowBegin, std::int64_t rowEnd) {
  if (x.n == 1) return decodeW8A8Vnni(w, x, sink, rowBegin, rowEnd);
  const std::int64_t fitting = kTokenBlockBytes / (w.cols > 0 ? w.cols : 1);
  const std::int64_t tokenBlock =
      fitting > kVnniTileTokens ? fitting - fitting % kVnniTileTokens : kVnniTileTokens;
  for (std::int64_t t = 0; t < x.n; t += tokenBlock) {
    forEachTile<W8A8VnniTile, kVnniTileRows, kVnniTileTokens, kRowChunk>(
        t, t + tokenBlock < x.n ? t + tokenBlock : x.n, rowBegin, rowEnd, w, x, sink);
  }
}

void matmulW8A8Vnni(const Int8MatrixView& w, const QuantizedRowsView& x, std::int32_t* acc,
                    std::int64_t ldAcc, std::int64_t rowBegin, std::int64_t rowEnd) {
  w8a8Vnni(w, x, Int32Sink{acc, ldAcc}, rowBegin, rowEnd);
}

void matmulW8A8ScaledVnni(const Int8MatrixView& w, const QuantizedRowsView& x, const float* bias,
                          float* y, std::int64_t ldy, std::int64_t rowBegin, std::int64_t rowEnd) {
  w8a8Vnni(w, x, ScaledSink{y, ldy, x.scales, w.scales, bias}, rowBegin, rowEnd);
}

void dequantizeRowsAvx512(const Int8MatrixView& w, std::int64_t rowBegin, std::int64_t rowEnd,
                          float* out, std::int64_t ldOut) {
  const std::int64_t vectorCols = w.cols - w.cols % 16;
  for (std::int64_t r = rowBegin; r < rowEnd; ++r) {
    const std::int8_t* wRow = w.values + r * w.cols;
    float* outRow = out + (r - rowBegin) * ldOut;
    const __m512 scale = _mm512_set1_ps(w.scales[r]);
    std::int64_t k = 0;
    for (; k < vectorCols; k += 16) {
      _mm512_storeu_ps(outRow + k, _mm512_mul_ps(loadWeights16(wRow + k), scale));
    }
    for (; k < w.cols; ++k) outRow[k] = static_cast<float>(wRow[k]) * w.scales[r];
  }
}

}  // namespace

const KernelTable& avx512KernelTable(bool hasVnni) {
  const KernelTable& avx2 = avx2KernelTable();
  static const KernelTable withVnni{KernelIsa::Avx512,   matmulW8A32Avx512,
                                    matmulW8A8Vnni,      matmulW8A8ScaledVnni,
                                    avx2.quantizeRows,   dequantizeRowsAvx512};
  static const KernelTable withoutVnni{KernelIsa::Avx512,   matmulW8A32Avx512,
                                       avx2.matmulW8A8,     avx2.matmulW8A8Scaled,
                                       avx2.quantizeRows,   dequantizeRowsAvx512};
  return hasVnni ? withVnni : withoutVnni;
}

}  // namespace gpupoor::kernels
