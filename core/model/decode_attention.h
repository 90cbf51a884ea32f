#pragma once

// Attention of one new token over the KV cache (a decode step), every head in
// one call. at::matmul would instead make two BLAS calls per head and layer
// for [1, D] x [D, L] products, and for such small products the BLAS packing
// and dispatch take longer than the arithmetic.
//
// Shapes: query and out are contiguous [H, D]. keys and values are the cache
// buffers [H, P, D] (row stride D, head stride P * D), and only their first
// `length` positions are read.

#include <cstdint>

namespace gpupoor {

struct DecodeAttentionShape {
  std::int64_t heads = 0;
  std::int64_t headDim = 0;
  std::int64_t capacity = 0;  // P, positions per head in the cache buffers
  std::int64_t length = 0;    // positions attended to, 1 <= length <= capacity
};

// Writes out[h] = sum_j softmax_j(scale * query[h] . keys[h, j]) * values[h, j]
// for j in [0, length), with the heads split across the compute threads.
// Uses the AVX2 code when the active INT8 kernels are not scalar (see
// activeKernels), otherwise portable code.
void attendOneToken(const float* query, const float* keys, const float* values,
                    const DecodeAttentionShape& shape, float scale, float* out);

// The portable version, which tests hold the AVX2 one to.
void attendOneTokenScalar(const float* query, const float* keys, const float* values,
                          const DecodeAttentionShape& shape, float scale, float* out);

// The AVX2+FMA version (decode_attention_avx2.cpp). Needs a CPU with AVX2
// and a scratch buffer `scores` of shape.length floats.
void attendOneTokenAvx2(const float* query, const float* keys, const float* values,
                        const DecodeAttentionShape& shape, float scale, float* scores,
                        float* out);

}  // namespace gpupoor
