#include "core/model/decode_attention.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/kernels/int8_kernels.h"

namespace gpupoor {

void attendOneTokenScalar(const float* query, const float* keys, const float* values,
                          const DecodeAttentionShape& shape, float scale, float* out) {
  const std::int64_t d = shape.headDim;
  std::vector<float> scores(static_cast<std::size_t>(shape.length));
  for (std::int64_t h = 0; h < shape.heads; ++h) {
    const float* q = query + h * d;
    const float* k = keys + h * shape.capacity * d;
    const float* v = values + h * shape.capacity * d;
    float* o = out + h * d;

    float maxScore = -INFINITY;
    for (std::int64_t j = 0; j < shape.length; ++j) {
      float dot = 0.0f;
      for (std::int64_t i = 0; i < d; ++i) dot += q[i] * k[j * d + i];
      scores[static_cast<std::size_t>(j)] = dot * scale;
      maxScore = std::max(maxScore, dot * scale);
    }
    float total = 0.0f;
    for (float& score : scores) {
      score = std::exp(score - maxScore);
      total += score;
    }
    std::fill(o, o + d, 0.0f);
    for (std::int64_t j = 0; j < shape.length; ++j) {
      const float weight = scores[static_cast<std::size_t>(j)] / total;
      for (std::int64_t i = 0; i < d; ++i) o[i] += weight * v[j * d + i];
    }
  }
}

void attendOneToken(const float* query, const float* keys, const float* values,
                    const DecodeAttentionShape& shape, float scale, float* out) {
  static const bool useAvx2 = kernels::activeIsa() != kernels::KernelIsa::Scalar;
  if (useAvx2) {
    std::vector<float> scores(static_cast<std::size_t>(shape.length));
    attendOneTokenAvx2(query, keys, values, shape, scale, scores.data(), out);
  } else {
    attendOneTokenScalar(query, keys, values, shape, scale, out);
  }
}

}  // namespace gpupoor
