#include "core/model/decode_attention.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/kernels/int8_kernels.h"

namespace gpupoor {
namespace {

// Cache floats (heads x length x head size) from which one-token attention
// runs on all compute threads. Below it one thread is quicker than waking
// the others: at 100 cached tokens gpt2-large attention is an estimated
// 20 us of work per layer. Staying on one thread also keeps FP32 decode free of
// OpenMP regions, whose spinning threads would compete with OpenBLAS's.
constexpr std::int64_t kParallelAttentionWork = std::int64_t{1} << 19;

}  // namespace

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
  // Past that size the heads are split across the compute threads, and all
  // of them read the cache: 2 * H * length * D floats per layer, about 1 MB
  // on gpt2-large after 100 tokens.
  const std::int64_t work = shape.heads * shape.length * shape.headDim;
  const std::int64_t grain = work >= kParallelAttentionWork ? 1 : shape.heads;
  at::parallel_for(0, shape.heads, grain, [&](std::int64_t begin, std::int64_t end) {
    DecodeAttentionShape part = shape;
    part.heads = end - begin;
    const std::int64_t cacheOffset = begin * shape.capacity * shape.headDim;
    const std::int64_t rowOffset = begin * shape.headDim;
    if (useAvx2) {
      std::vector<float> scores(static_cast<std::size_t>(shape.length));
      attendOneTokenAvx2(query + rowOffset, keys + cacheOffset, values + cacheOffset, part,
                         scale, scores.data(), out + rowOffset);
    } else {
      attendOneTokenScalar(query + rowOffset, keys + cacheOffset, values + cacheOffset, part,
                           scale, out + rowOffset);
    }
  });
}

}  // namespace gpupoor
