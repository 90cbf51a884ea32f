// AVX-512 INT8 kernels (built with -mavx512f -mavx512bw -mavx512vl
// -mavx512dq -mavx512vnni). The w8a32 matmul and the dequantization use
// 512-bit FMA; the w8a8 matmul uses VNNI vpdpbusd when the CPU has it and the
// AVX2 kernel otherwise. Activation quantization reuses the AVX2 kernel: it
// runs once per token row and is not where the time goes.
//
// Sign trick with VNNI: vpdpbusd multiplies unsigned |x| by signed w * sgn(x).
// AVX-512BW has no vpsignb, so w is negated under the mask of negative x.
//
// NOTE: these kernels have been compiled but not run on an AVX-512 CPU.
// tst_int8_kernels checks them against the scalar reference on CPUs that
// support them.
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

constexpr int kTileRows = 4;
constexpr std::int64_t kRowChunk = 16;

// Sixteen int8 weights widened to float32.
__m512 loadWeights16(const std::int8_t* p) {
  const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(bytes));
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

template <int R, int T>
void tileW8A8Vnni(const Int8MatrixView& w, const QuantizedRowsView& x, std::int64_t r0,
                  std::int64_t t0, std::int32_t* out, std::int64_t ldOut) {
  const std::int64_t cols = w.cols;
  const std::int64_t vectorCols = cols - cols % 64;
  const __m512i zero = _mm512_setzero_si512();

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
      const std::int64_t offset = (t0 + t) * cols + k;
      const __mmask64 negative = _mm512_movepi8_mask(_mm512_loadu_si512(x.values + offset));
      const __m512i xa = _mm512_loadu_si512(x.absValues + offset);
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) {
        const __m512i signedWeights = _mm512_mask_sub_epi8(wv[r], negative, zero, wv[r]);
        acc[r][t] = _mm512_dpbusd_epi32(acc[r][t], xa, signedWeights);
      }
    }
  }

  for (int r = 0; r < R; ++r) {
    const std::int8_t* wRow = w.values + (r0 + r) * cols;
    for (int t = 0; t < T; ++t) {
      std::int32_t sum = _mm512_reduce_add_epi32(acc[r][t]);
      const std::int8_t* xRow = x.values + (t0 + t) * cols;
      for (std::int64_t k = vectorCols; k < cols; ++k) {
        sum += static_cast<std::int32_t>(wRow[k]) * static_cast<std::int32_t>(xRow[k]);
      }
      out[(t0 + t) * ldOut + r0 + r] = sum;
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
struct W8A8VnniTile {
  static void run(std::int64_t r, std::int64_t t, const Int8MatrixView& w,
                  const QuantizedRowsView& x, std::int32_t* acc, std::int64_t ldAcc) {
    tileW8A8Vnni<R, T>(w, x, r, t, acc, ldAcc);
  }
};

// NOTE: decode (n = 1) still goes through the register tiles here. The AVX2
// file reads rows one after another for decode, which streamed faster on Zen 3.
// No AVX-512 machine was available to measure whether the same holds here.
void matmulW8A32Avx512(const Int8MatrixView& w, const float* x, std::int64_t n, const float* bias,
                       float* y, std::int64_t ldy, std::int64_t rowBegin, std::int64_t rowEnd) {
  forEachTile<W8A32Tile, kTileRows, kRowChunk>(n, rowBegin, rowEnd, w, x, bias, y, ldy);
}

void matmulW8A8Vnni(const Int8MatrixView& w, const QuantizedRowsView& x, std::int32_t* acc,
                    std::int64_t ldAcc, std::int64_t rowBegin, std::int64_t rowEnd) {
  forEachTile<W8A8VnniTile, kTileRows, kRowChunk>(x.n, rowBegin, rowEnd, w, x, acc, ldAcc);
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
  static const KernelTable withVnni{KernelIsa::Avx512, matmulW8A32Avx512, matmulW8A8Vnni,
                                    avx2.quantizeRows, dequantizeRowsAvx512};
  static const KernelTable withoutVnni{KernelIsa::Avx512, matmulW8A32Avx512, avx2.matmulW8A8,
                                       avx2.quantizeRows, dequantizeRowsAvx512};
  return hasVnni ? withVnni : withoutVnni;
}

}  // namespace gpupoor::kernels
