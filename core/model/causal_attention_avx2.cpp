// AVX2+FMA causal attention (built with -mavx2 -mfma -mf16c).
//
// Per head: the keys are transposed once into [D, L] so that the scores of
// four queries against sixteen keys build up in eight registers, one
// broadcast query element times two key vectors at a time, with no
// horizontal sums. Softmax runs on those four score rows in place (keys past
// each query's position get weight 0), and the weighted sum of the values
// again keeps four queries x sixteen dimensions in registers.
//
// No C++ standard library templates here (see decode_attention_avx2.cpp).

#include <immintrin.h>
#include <math.h>

#include "core/kernels/avx2_reductions.h"
#include "core/model/causal_attention.h"

namespace gpupoor {
namespace {

using kernels::horizontalMax;
using kernels::horizontalSum;

// Queries per block: their score rows share every key load.
constexpr std::int64_t kQueries = 4;
// Keys per step of the score loop, and the padding of the transposed keys.
constexpr std::int64_t kKeyStep = 16;

std::int64_t roundUp(std::int64_t value, std::int64_t step) {
  return (value + step - 1) / step * step;
}

// e^x for x <= 0: x = n ln 2 + r with |r| <= ln 2 / 2, a polynomial for e^r
// (1 + r + r^2 p(r) with the Cephes-style coefficients below), and 2^n from
// the exponent bits. tst_causal_attention holds the result to std::exp.
// Below -87.3, where e^x is no longer a normal float, it returns e^-87.3. A
// softmax adds such a term to a total of at least 1, so the error is below
// 1e-37.
__m256 expNonPositive(__m256 x) {
  x = _mm256_max_ps(x, _mm256_set1_ps(-87.3f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  const __m256 y = _mm256_add_ps(_mm256_fmadd_ps(_mm256_mul_ps(p, r), r, r), _mm256_set1_ps(1.0f));
  const __m256i exponent =
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(y, _mm256_castsi256_ps(exponent));
}

// Turns scores[0, length) into e^(score - max) and clears [length, end).
// Returns the sum of the exponentials.
float exponentiateRow(float* scores, std::int64_t length, std::int64_t end) {
  const std::int64_t vectorLength = length - length % 8;
  __m256 maxVector = _mm256_set1_ps(-INFINITY);
  std::int64_t j = 0;
  for (; j < vectorLength; j += 8) maxVector = _mm256_max_ps(maxVector, _mm256_loadu_ps(scores + j));
  float maxScore = horizontalMax(maxVector);
  for (; j < length; ++j) maxScore = scores[j] > maxScore ? scores[j] : maxScore;

  const __m256 shift = _mm256_set1_ps(maxScore);
  __m256 totalVector = _mm256_setzero_ps();
  for (j = 0; j < vectorLength; j += 8) {
    const __m256 e = expNonPositive(_mm256_sub_ps(_mm256_loadu_ps(scores + j), shift));
    _mm256_storeu_ps(scores + j, e);
    totalVector = _mm256_add_ps(totalVector, e);
  }
  float total = horizontalSum(totalVector);
  if (j < length) {
    // The last partial vector: lanes from `length` on are cleared below.
    alignas(32) float tail[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (std::int64_t i = j; i < length; ++i) tail[i - j] = scores[i] - maxScore;
    alignas(32) float e[8];
    _mm256_store_ps(e, expNonPositive(_mm256_load_ps(tail)));
    for (std::int64_t i = j; i < length; ++i) {
      scores[i] = e[i - j];
      total += e[i - j];
    }
  }
  for (j = length; j < end; ++j) scores[j] = 0.0f;
  return total;
}

}  // namespace

std::int64_t causalAttentionScratchFloats(const CausalAttentionShape& shape) {
  const std::int64_t padded = roundUp(shape.past + shape.tokens, kKeyStep);
  return (shape.headDim + kQueries) * padded + kQueries * shape.headDim;
}

void attendCausalAvx2(const AttentionRows& queries, const AttentionRows& keys,
                      const AttentionRows& values, const CausalAttentionShape& shape, float scale,
                      std::int64_t headBegin, std::int64_t headEnd, float* scratch, float* out) {
  const std::int64_t d = shape.headDim;
  const std::int64_t width = shape.heads * d;
  const std::int64_t positions = shape.past + shape.tokens;
  const std::int64_t padded = roundUp(positions, kKeyStep);
  float* keysT = scratch;                    // [D, padded]
  float* scores = keysT + d * padded;        // [kQueries, padded]
  float* scaledQueries = scores + kQueries * padded;  // [kQueries, D]

  for (std::int64_t h = headBegin; h < headEnd; ++h) {
    const float* k = keys.data + h * keys.headStride;
    const float* v = values.data + h * values.headStride;
    for (std::int64_t j = 0; j < positions; ++j) {
      const float* key = k + j * keys.rowStride;
      for (std::int64_t i = 0; i < d; ++i) keysT[i * padded + j] = key[i];
    }
    for (std::int64_t i = 0; i < d; ++i) {
      for (std::int64_t j = positions; j < padded; ++j) keysT[i * padded + j] = 0.0f;
    }

    for (std::int64_t t0 = 0; t0 < shape.tokens; t0 += kQueries) {
      const std::int64_t count = shape.tokens - t0 < kQueries ? shape.tokens - t0 : kQueries;
      // Keys the last query of the block attends to, and that count rounded
      // up to whole steps.
      const std::int64_t blockKeys = shape.past + t0 + count;
      const std::int64_t blockEnd = roundUp(blockKeys, kKeyStep);
      for (std::int64_t q = 0; q < kQueries; ++q) {
        const float* query = queries.data + h * queries.headStride + (t0 + q) * queries.rowStride;
        for (std::int64_t i = 0; i < d; ++i) {
          scaledQueries[q * d + i] = q < count ? query[i] * scale : 0.0f;
        }
      }

      // Step 1: scores of the four queries against keys [0, blockEnd).
      for (std::int64_t j = 0; j < blockEnd; j += kKeyStep) {
        __m256 acc[kQueries][2];
#pragma GCC unroll 4
        for (int q = 0; q < kQueries; ++q) acc[q][0] = acc[q][1] = _mm256_setzero_ps();
        for (std::int64_t i = 0; i < d; ++i) {
          const __m256 k0 = _mm256_loadu_ps(keysT + i * padded + j);
          const __m256 k1 = _mm256_loadu_ps(keysT + i * padded + j + 8);
#pragma GCC unroll 4
          for (int q = 0; q < kQueries; ++q) {
            const __m256 element = _mm256_broadcast_ss(scaledQueries + q * d + i);
            acc[q][0] = _mm256_fmadd_ps(element, k0, acc[q][0]);
            acc[q][1] = _mm256_fmadd_ps(element, k1, acc[q][1]);
          }
        }
#pragma GCC unroll 4
        for (int q = 0; q < kQueries; ++q) {
          _mm256_storeu_ps(scores + q * padded + j, acc[q][0]);
          _mm256_storeu_ps(scores + q * padded + j + 8, acc[q][1]);
        }
      }

      // Step 2: softmax numerators. Query q attends to keys [0, past + t0 + q].
      float inverseTotals[kQueries] = {0.0f, 0.0f, 0.0f, 0.0f};
      for (std::int64_t q = 0; q < kQueries; ++q) {
        const std::int64_t length = q < count ? shape.past + t0 + q + 1 : 0;
        const float total = exponentiateRow(scores + q * padded, length, blockEnd);
        inverseTotals[q] = q < count ? 1.0f / total : 0.0f;
      }

      // Step 3: weighted sums of the values, sixteen dimensions at a time
      // (eight for a last odd group).
      for (std::int64_t i = 0; i < d; i += 16) {
        const bool pair = i + 16 <= d;
        __m256 acc[kQueries][2];
#pragma GCC unroll 4
        for (int q = 0; q < kQueries; ++q) acc[q][0] = acc[q][1] = _mm256_setzero_ps();
        for (std::int64_t j = 0; j < blockKeys; ++j) {
          const float* value = v + j * values.rowStride + i;
          const __m256 v0 = _mm256_loadu_ps(value);
          const __m256 v1 = pair ? _mm256_loadu_ps(value + 8) : _mm256_setzero_ps();
#pragma GCC unroll 4
          for (int q = 0; q < kQueries; ++q) {
            const __m256 weight = _mm256_broadcast_ss(scores + q * padded + j);
            acc[q][0] = _mm256_fmadd_ps(weight, v0, acc[q][0]);
            acc[q][1] = _mm256_fmadd_ps(weight, v1, acc[q][1]);
          }
        }
        for (std::int64_t q = 0; q < count; ++q) {
          float* o = out + (t0 + q) * width + h * d + i;
          const __m256 inverse = _mm256_set1_ps(inverseTotals[q]);
          _mm256_storeu_ps(o, _mm256_mul_ps(acc[q][0], inverse));
          if (pair) _mm256_storeu_ps(o + 8, _mm256_mul_ps(acc[q][1], inverse));
        }
      }
    }
  }
}

}  // namespace gpupoor
