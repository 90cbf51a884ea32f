#include "core/model/causal_attention.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/kernels/int8_kernels.h"

namespace gpupoor {

namespace {

// attendCausalScalar for heads [headBegin, headEnd), writing their columns of
// the full-width output.
void attendHeadsScalar(const AttentionRows& queries, const AttentionRows& keys,
                       const AttentionRows& values, const CausalAttentionShape& shape, float scale,
                       std::int64_t headBegin, std::int64_t headEnd, float* out) {
  const std::int64_t d = shape.headDim;
  const std::int64_t width = shape.heads * d;
  std::vector<float> scores(static_cast<std::size_t>(shape.past + shape.tokens));
  for (std::int64_t h = headBegin; h < headEnd; ++h) {
    for (std::int64_t t = 0; t < shape.tokens; ++t) {
      const float* q = queries.data + h * queries.headStride + t * queries.rowStride;
      const std::int64_t length = shape.past + t + 1;
      float maxScore = -INFINITY;
      for (std::int64_t j = 0; j < length; ++j) {
        const float* k = keys.data + h * keys.headStride + j * keys.rowStride;
        float dot = 0.0f;
        for (std::int64_t i = 0; i < d; ++i) dot += q[i] * k[i];
        scores[static_cast<std::size_t>(j)] = dot * scale;
        maxScore = std::max(maxScore, dot * scale);
      }
      float total = 0.0f;
      for (std::int64_t j = 0; j < length; ++j) {
        float& score = scores[static_cast<std::size_t>(j)];
        score = std::exp(score - maxScore);
        total += score;
      }
      float* o = out + t * width + h * d;
      std::fill(o, o + d, 0.0f);
      for (std::int64_t j = 0; j < length; ++j) {
        const float* v = values.data + h * values.headStride + j * values.rowStride;
        const float weight = scores[static_cast<std::size_t>(j)] / total;
        for (std::int64_t i = 0; i < d; ++i) o[i] += weight * v[i];
      }
    }
  }
}

}  // namespace

void attendCausalScalar(const AttentionRows& queries, const AttentionRows& keys,
                        const AttentionRows& values, const CausalAttentionShape& shape,
                        float scale, float* out) {
  attendHeadsScalar(queries, keys, values, shape, scale, 0, shape.heads, out);
}

void attendCausal(const AttentionRows& queries, const AttentionRows& keys,
                  const AttentionRows& values, const CausalAttentionShape& shape, float scale,
                  float* out) {
  static const bool avx2 = kernels::activeIsa() != kernels::KernelIsa::Scalar;
  const bool useAvx2 = avx2 && shape.headDim % 8 == 0;
  at::parallel_for(0, shape.heads, 1, [&](std::int64_t begin, std::int64_t end) {
    if (useAvx2) {
      std::vector<float> scratch(static_cast<std::size_t>(causalAttentionScratchFloats(shape)));
      attendCausalAvx2(queries, keys, values, shape, scale, begin, end, scratch.data(), out);
      return;
    }
    attendHeadsScalar(queries, keys, values, shape, scale, begin, end, out);
  });
}

}  // namespace gpupoor
