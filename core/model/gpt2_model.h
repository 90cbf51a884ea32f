#pragma once

// The GPT-2 forward pass over one set of weights (FP32 or INT8 layers), with a
// batched entry point for scoring and an incremental one with a key/value
// cache for generation. Tokenization and sampling live elsewhere.
//
// Shapes: B batch, T tokens in this call, L tokens cached, C = n_embd,
// H = n_head, D = C / H, V = vocabulary, P = n_positions.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/model/config.h"
#include "core/model/gpt2_weights.h"

namespace gpupoor {

// Resident bytes of one model copy, split the way reports show them.
struct ModelMemory {
  std::int64_t transformerWeights = 0;  // the four linears of every block (weights only)
  std::int64_t embeddings = 0;          // wte + wpe tables
  std::int64_t lmHead = 0;              // separate output head; 0 when tied to wte
  std::int64_t scales = 0;              // quantization scales and other metadata
  std::int64_t float32 = 0;             // LayerNorm parameters and biases

  std::int64_t total() const { return transformerWeights + embeddings + lmHead + scales + float32; }
};

// Keys and values of the positions seen so far for one sequence, allocated for
// all P positions up front so decoding never reallocates.
struct KvCache {
  std::vector<at::Tensor> keys;    // per layer: float32 [H, P, D]
  std::vector<at::Tensor> values;  // per layer: float32 [H, P, D]
  std::int64_t length = 0;         // positions filled so far

  std::int64_t capacity() const { return keys.empty() ? 0 : keys.front().size(1); }
  // Forgets the cached positions; the buffers are kept for reuse.
  void clear() { length = 0; }
  std::int64_t bytes() const;
};

class Gpt2Model {
 public:
  // Throws InvalidArgument when a layer is missing or its shape disagrees
  // with `config`.
  Gpt2Model(Gpt2Config config, Gpt2Weights weights);

  Gpt2Model(const Gpt2Model&) = delete;
  Gpt2Model& operator=(const Gpt2Model&) = delete;

  // Scores whole sequences without a cache. ids: int64 [B, T] with T <= P.
  // Returns float32 logits [B, T, V]. Throws InvalidArgument for bad ids.
  at::Tensor forward(const at::Tensor& ids) const;

  // Returns an empty cache sized for P positions.
  KvCache newCache() const;

  // Appends ids (int64 [T], one sequence) after the cached positions and
  // returns float32 logits [T, V], or [1, V] for the last position only when
  // `lastOnly` is set. Throws InvalidArgument when the cache would exceed P
  // positions or an id is out of range; the cache is unchanged then.
  at::Tensor forwardIncremental(const at::Tensor& ids, KvCache& cache, bool lastOnly = false) const;

  const Gpt2Config& config() const { return m_config; }
  const Gpt2Weights& weights() const { return m_weights; }
  // The scheme of the linear layers ("fp32", "w8a32", "w8a8"), or "mixed"
  // when they differ.
  std::string scheme() const;
  ModelMemory memory() const;

 private:
  // hidden: float32 [N, C] rows of `batch` sequences of `tokens` each (N =
  // batch * tokens); updated in place through block `layer`.
  void runBlock(int layer, at::Tensor& hidden, std::int64_t batch, std::int64_t tokens,
                KvCache* cache) const;
  at::Tensor attention(int layer, const at::Tensor& qkv, std::int64_t batch, std::int64_t tokens,
                       KvCache* cache) const;
  at::Tensor mlp(const Gpt2BlockWeights& block, const at::Tensor& x) const;
  // hidden: float32 [N, C] after the last block; returns logits [N, V].
  at::Tensor projectLogits(const at::Tensor& hidden) const;
  void checkIds(const at::Tensor& ids, std::int64_t expectedDims) const;
  double attentionScale(int layer) const;

  Gpt2Config m_config;
  Gpt2Weights m_weights;
};

}  // namespace gpupoor
