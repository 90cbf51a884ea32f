#pragma once

// Causal self-attention of a block of new tokens (a prefill, or a whole
// sequence without a cache), every head in one call. Token t of the block
// sits at position past + t and attends to positions 0 .. past + t.
//
// at::matmul + masked_fill + softmax + at::matmul made four passes over a
// [H, T, L] score tensor (20 MiB for 512 tokens on gpt2-large). They also
// computed the masked half of the products, and the BLAS packing dominated
// the [T, 64] x [64, L] products. That took 21 ms per gpt2-large layer for
// 512 tokens on 2 cores. The AVX2 version here keeps the scores of four
// queries at a time in a small buffer and skips the masked keys.

#include <cstdint>

namespace gpupoor {

// Layout of one operand: the row of head h at position j starts at
// data + h * headStride + j * rowStride (strides in floats).
struct AttentionRows {
  const float* data = nullptr;
  std::int64_t headStride = 0;
  std::int64_t rowStride = 0;
};

struct CausalAttentionShape {
  std::int64_t heads = 0;
  std::int64_t headDim = 0;
  std::int64_t past = 0;    // positions before the first query
  std::int64_t tokens = 0;  // queries; keys and values hold past + tokens positions
};

// out[t, h * D .. h * D + D) = sum_j softmax_j(scale * q[h, t] . k[h, j]) * v[h, j]
// over j in [0, past + t]. queries index t (not past + t). out is [tokens,
// heads * headDim], contiguous. The heads are split across the compute
// threads. Uses the AVX2 code when the active INT8 kernels are not scalar
// (see activeKernels) and headDim is a multiple of 8, otherwise portable code.
void attendCausal(const AttentionRows& queries, const AttentionRows& keys,
                  const AttentionRows& values, const CausalAttentionShape& shape, float scale,
                  float* out);

// The portable version, which tests hold the AVX2 one to.
void attendCausalScalar(const AttentionRows& queries, const AttentionRows& keys,
                        const AttentionRows& values, const CausalAttentionShape& shape,
                        float scale, float* out);

// Scratch floats attendCausalAvx2 needs for one head.
std::int64_t causalAttentionScratchFloats(const CausalAttentionShape& shape);

// The AVX2+FMA version (causal_attention_avx2.cpp) for heads [headBegin,
// headEnd). Needs a CPU with AVX2, headDim % 8 == 0 and a scratch buffer of
// causalAttentionScratchFloats(shape) floats.
void attendCausalAvx2(const AttentionRows& queries, const AttentionRows& keys,
                      const AttentionRows& values, const CausalAttentionShape& shape, float scale,
                      std::int64_t headBegin, std::int64_t headEnd, float* scratch, float* out);

}  // namespace gpupoor
