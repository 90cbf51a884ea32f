// AVX2+FMA decode attention (built with -mavx2 -mfma -mf16c).
//
// No C++ standard library templates here: an inline function instantiated in
// this file is built with AVX2, and the linker may keep that copy for callers
// on CPUs without it. math.h's expf is an ordinary library call.

#include <immintrin.h>
#include <math.h>

#include "core/kernels/avx2_reductions.h"
#include "core/model/decode_attention.h"

namespace gpupoor {

using kernels::horizontalSum;

void attendOneTokenAvx2(const float* query, const float* keys, const float* values,
                        const DecodeAttentionShape& shape, float scale, float* scores,
                        float* out) {
  const std::int64_t d = shape.headDim;
  const std::int64_t vectorDim = d - d % 8;
  for (std::int64_t h = 0; h < shape.heads; ++h) {
    const float* q = query + h * d;
    const float* k = keys + h * shape.capacity * d;
    const float* v = values + h * shape.capacity * d;
    float* o = out + h * d;

    // Step 1: scaled dot products with every cached key, and their maximum.
    float maxScore = -INFINITY;
    for (std::int64_t j = 0; j < shape.length; ++j) {
      const float* key = k + j * d;
      __m256 acc = _mm256_setzero_ps();
      std::int64_t i = 0;
      for (; i < vectorDim; i += 8) {
        acc = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(key + i), acc);
      }
      float dot = horizontalSum(acc);
      for (; i < d; ++i) dot += q[i] * key[i];
      scores[j] = dot * scale;
      if (scores[j] > maxScore) maxScore = scores[j];
    }

    // Step 2: softmax weights.
    float total = 0.0f;
    for (std::int64_t j = 0; j < shape.length; ++j) {
      scores[j] = expf(scores[j] - maxScore);
      total += scores[j];
    }
    const float inverseTotal = 1.0f / total;

    // Step 3: the weighted sum of the cached values.
    for (std::int64_t i = 0; i < d; ++i) o[i] = 0.0f;
    for (std::int64_t j = 0; j < shape.length; ++j) {
      const float* value = v + j * d;
      const float weight = scores[j] * inverseTotal;
      const __m256 weights = _mm256_set1_ps(weight);
      std::int64_t i = 0;
      for (; i < vectorDim; i += 8) {
        _mm256_storeu_ps(o + i,
                         _mm256_fmadd_ps(weights, _mm256_loadu_ps(value + i), _mm256_loadu_ps(o + i)));
      }
      for (; i < d; ++i) o[i] += weight * value[i];
    }
  }
}

}  // namespace gpupoor
