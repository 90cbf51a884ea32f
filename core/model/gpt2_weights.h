#pragma once

// Everything a GPT-2 forward pass reads, as layers that may be FP32 or INT8.
// LayerNorm parameters always stay FP32.

#include <ATen/core/Tensor.h>

#include <memory>
#include <string>
#include <vector>

#include "core/model/layers.h"

namespace gpupoor {

struct Gpt2BlockWeights {
  at::Tensor ln1Weight, ln1Bias;           // [C]
  std::unique_ptr<LinearLayer> attnQkv;    // c_attn: C -> 3C
  std::unique_ptr<LinearLayer> attnProj;   // attn.c_proj: C -> C
  at::Tensor ln2Weight, ln2Bias;           // [C]
  std::unique_ptr<LinearLayer> mlpFc;      // c_fc: C -> n_inner
  std::unique_ptr<LinearLayer> mlpProj;    // mlp.c_proj: n_inner -> C
};

struct Gpt2Weights {
  std::unique_ptr<EmbeddingTable> tokenEmbedding;     // wte [V, C]
  std::unique_ptr<EmbeddingTable> positionEmbedding;  // wpe [P, C]
  std::vector<Gpt2BlockWeights> blocks;
  at::Tensor lnFWeight, lnFBias;  // [C]
  // Separate output head [V, C]; null when tied to tokenEmbedding (the usual
  // case, also when the file contains an lm_head.weight equal to wte).
  std::unique_ptr<EmbeddingTable> lmHead;
};

// Builds the layers of one model copy from FP32 tensors as they are read. The
// loader calls it once per tensor and frees each FP32 tensor right after, so
// a quantizing factory never keeps the whole FP32 model in memory.
class LayerFactory {
 public:
  virtual ~LayerFactory() = default;

  // weight: float32 [out, in] (already transposed from Conv1D); bias: [out].
  // `name` is the canonical key without prefix, e.g. "h.3.mlp.c_fc".
  virtual std::unique_ptr<LinearLayer> makeLinear(const std::string& name, at::Tensor weight,
                                                  at::Tensor bias) = 0;
  // table: float32 [rows, C]; name is "wte", "wpe" or "lm_head".
  virtual std::unique_ptr<EmbeddingTable> makeEmbedding(const std::string& name,
                                                        at::Tensor table) = 0;
  // "fp32", "w8a32" or "w8a8".
  virtual std::string scheme() const = 0;
};

}  // namespace gpupoor
