// GPT-2 forward pass: learned positions, pre-LayerNorm blocks, causal
// multi-head attention, MLP, final LayerNorm and the (usually tied) LM head.
// Dropout is omitted because this is inference only.

#include "core/model/gpt2_model.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

#include "core/common/errors.h"
#include "core/kernels/int8_kernels.h"
#include "core/model/causal_attention.h"
#include "core/model/decode_attention.h"

namespace gpupoor {

namespace {

std::int64_t float32Bytes(const at::Tensor& tensor) {
  return tensor.defined() ? tensor.numel() * static_cast<std::int64_t>(sizeof(float)) : 0;
}

void requireVector(const at::Tensor& tensor, std::int64_t size, const std::string& name) {
  if (!tensor.defined() || tensor.scalar_type() != at::kFloat || tensor.dim() != 1 ||
      tensor.size(0) != size) {
    throw InvalidArgument(fmt::format(
        "Gpt2Model: {} must be a float32 vector of {} values, found {}", name, size,
        tensor.defined() ? fmt::format("{} with shape {}", c10::toString(tensor.scalar_type()),
                                       tensor.sizes().vec())
                         : std::string("an undefined tensor")));
  }
}

void requireLinear(const std::unique_ptr<LinearLayer>& layer, std::int64_t in, std::int64_t out,
                   const std::string& name) {
  if (!layer) throw InvalidArgument(fmt::format("Gpt2Model: layer {} is missing", name));
  if (layer->inFeatures() != in || layer->outFeatures() != out) {
    throw InvalidArgument(
        fmt::format("Gpt2Model: layer {} maps {} -> {} features, expected {} -> {}", name,
                    layer->inFeatures(), layer->outFeatures(), in, out));
  }
}

void requireTable(const std::unique_ptr<EmbeddingTable>& table, std::int64_t rows,
                  std::int64_t cols, const std::string& name) {
  if (!table) throw InvalidArgument(fmt::format("Gpt2Model: table {} is missing", name));
  if (table->rows() != rows || table->cols() != cols) {
    throw InvalidArgument(fmt::format("Gpt2Model: table {} has shape [{}, {}], expected [{}, {}]",
                                      name, table->rows(), table->cols(), rows, cols));
  }
}

void addFootprint(ModelMemory& memory, const MemoryFootprint& footprint,
                  std::int64_t ModelMemory::*weightField) {
  memory.*weightField += footprint.weightBytes;
  memory.scales += footprint.scaleBytes;
  memory.float32 += footprint.float32Bytes;
}

}  // namespace

std::int64_t KvCache::bytes() const {
  std::int64_t total = 0;
  for (const auto& tensor : keys) total += static_cast<std::int64_t>(tensor.nbytes());
  for (const auto& tensor : values) total += static_cast<std::int64_t>(tensor.nbytes());
  return total;
}

Gpt2Model::Gpt2Model(Gpt2Config config, Gpt2Weights weights)
    : m_config(std::move(config)), m_weights(std::move(weights)) {
  // The one-token attention uses the process's kernel ISA. Choosing it here
  // logs the choice (and reports a bad GPUPOOR_KERNELS) while the model
  // loads, not in the middle of the first generated text.
  static_cast<void>(kernels::activeIsa());
  const std::int64_t c = m_config.nEmbd;
  requireTable(m_weights.tokenEmbedding, m_config.vocabSize, c, "wte");
  requireTable(m_weights.positionEmbedding, m_config.nPositions, c, "wpe");
  if (m_weights.lmHead) requireTable(m_weights.lmHead, m_config.vocabSize, c, "lm_head");
  if (static_cast<int>(m_weights.blocks.size()) != m_config.nLayer) {
    throw InvalidArgument(fmt::format("Gpt2Model: {} blocks given, config has n_layer {}",
                                      m_weights.blocks.size(), m_config.nLayer));
  }
  for (int i = 0; i < m_config.nLayer; ++i) {
    auto& block = m_weights.blocks[static_cast<std::size_t>(i)];
    const std::string prefix = fmt::format("h.{}.", i);
    requireVector(block.ln1Weight, c, prefix + "ln_1.weight");
    requireVector(block.ln1Bias, c, prefix + "ln_1.bias");
    requireVector(block.ln2Weight, c, prefix + "ln_2.weight");
    requireVector(block.ln2Bias, c, prefix + "ln_2.bias");
    requireLinear(block.attnQkv, c, 3 * c, prefix + "attn.c_attn");
    requireLinear(block.attnProj, c, c, prefix + "attn.c_proj");
    requireLinear(block.mlpFc, c, m_config.nInner, prefix + "mlp.c_fc");
    requireLinear(block.mlpProj, m_config.nInner, c, prefix + "mlp.c_proj");
    for (at::Tensor* tensor :
         {&block.ln1Weight, &block.ln1Bias, &block.ln2Weight, &block.ln2Bias}) {
      *tensor = tensor->contiguous();
    }
  }
  requireVector(m_weights.lnFWeight, c, "ln_f.weight");
  requireVector(m_weights.lnFBias, c, "ln_f.bias");
  m_weights.lnFWeight = m_weights.lnFWeight.contiguous();
  m_weights.lnFBias = m_weights.lnFBias.contiguous();
}

at::Tensor Gpt2Model::forward(const at::Tensor& ids) const {
  c10::InferenceMode inferenceGuard;
  checkIds(ids, 2);
  const std::int64_t batch = ids.size(0);
  const std::int64_t tokens = ids.size(1);
  if (tokens > m_config.nPositions) {
    throw InvalidArgument(fmt::format(
        "sequence of {} tokens is longer than the model's context of {} positions; split it into "
        "windows of at most {} tokens",
        tokens, m_config.nPositions, m_config.nPositions));
  }

  // Embeddings: token rows plus learned position rows, [B, T, C] -> [B*T, C].
  const at::Tensor positions = at::arange(tokens, ids.options());
  at::Tensor hidden =
      m_weights.tokenEmbedding->lookup(ids) + m_weights.positionEmbedding->lookup(positions);
  hidden = hidden.reshape({batch * tokens, m_config.nEmbd}).contiguous();

  for (int layer = 0; layer < m_config.nLayer; ++layer) {
    runBlock(layer, hidden, batch, tokens, nullptr);
  }
  return projectLogits(hidden).view({batch, tokens, m_config.vocabSize});
}

KvCache Gpt2Model::newCache() const {
  c10::InferenceMode inferenceGuard;
  KvCache cache;
  const auto options = at::TensorOptions().dtype(at::kFloat);
  for (int layer = 0; layer < m_config.nLayer; ++layer) {
    cache.keys.push_back(
        at::empty({m_config.nHead, m_config.nPositions, m_config.headDim()}, options));
    cache.values.push_back(
        at::empty({m_config.nHead, m_config.nPositions, m_config.headDim()}, options));
  }
  return cache;
}

at::Tensor Gpt2Model::forwardIncremental(const at::Tensor& ids, KvCache& cache,
                                         bool lastOnly) const {
  c10::InferenceMode inferenceGuard;
  checkIds(ids, 1);
  const std::int64_t tokens = ids.size(0);
  const std::int64_t past = cache.length;
  if (static_cast<int>(cache.keys.size()) != m_config.nLayer ||
      cache.capacity() != m_config.nPositions) {
    throw InvalidArgument(fmt::format(
        "KV cache has {} layers and {} positions, but the model needs {} and {}; create it with "
        "Gpt2Model::newCache()",
        cache.keys.size(), cache.capacity(), m_config.nLayer, m_config.nPositions));
  }
  if (past + tokens > m_config.nPositions) {
    throw InvalidArgument(fmt::format(
        "{} cached + {} new tokens exceed the model's context of {} positions; clear the cache or "
        "use a sliding window",
        past, tokens, m_config.nPositions));
  }

  // Embeddings of the new tokens at positions past .. past+T-1: [T, C].
  const at::Tensor positions = at::arange(past, past + tokens, ids.options());
  at::Tensor hidden =
      m_weights.tokenEmbedding->lookup(ids) + m_weights.positionEmbedding->lookup(positions);
  hidden = hidden.contiguous();

  for (int layer = 0; layer < m_config.nLayer; ++layer) {
    runBlock(layer, hidden, 1, tokens, &cache);
  }
  cache.length = past + tokens;

  if (lastOnly) hidden = hidden.narrow(0, tokens - 1, 1);
  return projectLogits(hidden);
}

void Gpt2Model::runBlock(int layer, at::Tensor& hidden, std::int64_t batch, std::int64_t tokens,
                         KvCache* cache) const {
  const auto& block = m_weights.blocks[static_cast<std::size_t>(layer)];
  const std::int64_t c = m_config.nEmbd;

  // Attention sub-layer: x += proj(attention(ln_1(x))).
  const at::Tensor normed1 =
      at::layer_norm(hidden, {c}, block.ln1Weight, block.ln1Bias, m_config.layerNormEpsilon);
  const at::Tensor qkv = block.attnQkv->forward(normed1);
  const at::Tensor attended = attention(layer, qkv, batch, tokens, cache);
  hidden.add_(block.attnProj->forward(attended));

  // MLP sub-layer: x += mlp(ln_2(x)).
  const at::Tensor normed2 =
      at::layer_norm(hidden, {c}, block.ln2Weight, block.ln2Bias, m_config.layerNormEpsilon);
  hidden.add_(mlp(block, normed2));
}

at::Tensor Gpt2Model::attention(int layer, const at::Tensor& qkv, std::int64_t batch,
                                std::int64_t tokens, KvCache* cache) const {
  const std::int64_t heads = m_config.nHead;
  const std::int64_t headDim = m_config.headDim();

  const at::Tensor packed = qkv.contiguous();
  const float* qkvData = packed.data_ptr<float>();

  // With a cache (B = 1), append the new keys and values and attend over all
  // L = past + T positions.
  std::int64_t past = 0;
  if (cache != nullptr) {
    // qkv [T, 3C] -> k, v [H, T, D] (views, no copy).
    const at::Tensor split = qkv.view({tokens, 3, heads, headDim});
    const at::Tensor keys = split.select(1, 1).permute({1, 0, 2});
    const at::Tensor values = split.select(1, 2).permute({1, 0, 2});
    past = cache->length;
    const auto index = static_cast<std::size_t>(layer);
    cache->keys[index].narrow(1, past, tokens).copy_(keys);
    cache->values[index].narrow(1, past, tokens).copy_(values);
    // One new token (a decode step): a direct pass over the cache, because
    // at::matmul would make two small BLAS calls per head here.
    if (tokens == 1) {
      at::Tensor out = at::empty({1, m_config.nEmbd}, qkv.options());
      const DecodeAttentionShape shape{heads, headDim, cache->capacity(), past + 1};
      attendOneToken(qkvData, cache->keys[index].data_ptr<float>(),
                     cache->values[index].data_ptr<float>(), shape,
                     static_cast<float>(attentionScale(layer)), out.data_ptr<float>());
      return out;
    }
  }

  // Several tokens: causal attention over the cache, or over the block's own
  // keys and values (columns C and 2C of each qkv row) without one.
  const std::int64_t rowStride = 3 * m_config.nEmbd;
  at::Tensor out = at::empty({batch * tokens, m_config.nEmbd}, qkv.options());
  const CausalAttentionShape shape{heads, headDim, past, tokens};
  for (std::int64_t b = 0; b < batch; ++b) {
    const float* rows = qkvData + b * tokens * rowStride;
    const AttentionRows queryRows{rows, headDim, rowStride};
    AttentionRows keyRows{rows + m_config.nEmbd, headDim, rowStride};
    AttentionRows valueRows{rows + 2 * m_config.nEmbd, headDim, rowStride};
    if (cache != nullptr) {
      const auto index = static_cast<std::size_t>(layer);
      const std::int64_t headStride = cache->capacity() * headDim;
      keyRows = AttentionRows{cache->keys[index].data_ptr<float>(), headStride, headDim};
      valueRows = AttentionRows{cache->values[index].data_ptr<float>(), headStride, headDim};
    }
    attendCausal(queryRows, keyRows, valueRows, shape, static_cast<float>(attentionScale(layer)),
                 out.data_ptr<float>() + b * tokens * m_config.nEmbd);
  }
  return out;
}

at::Tensor Gpt2Model::mlp(const Gpt2BlockWeights& block, const at::Tensor& x) const {
  at::Tensor inner = block.mlpFc->forward(x);
  switch (m_config.activation) {
    case Activation::GeluNew:
      // gelu_new: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
      at::gelu_(inner, "tanh");
      break;
    case Activation::GeluExact:
      at::gelu_(inner);
      break;
    case Activation::Relu:
      at::relu_(inner);
      break;
  }
  return block.mlpProj->forward(inner);
}

at::Tensor Gpt2Model::projectLogits(const at::Tensor& hidden) const {
  const at::Tensor normed = at::layer_norm(hidden, {m_config.nEmbd}, m_weights.lnFWeight,
                                           m_weights.lnFBias, m_config.layerNormEpsilon);
  const auto& head = m_weights.lmHead ? m_weights.lmHead : m_weights.tokenEmbedding;
  return head->projectLogits(normed.contiguous());
}

double Gpt2Model::attentionScale(int layer) const {
  double scale = 1.0;
  if (m_config.scaleAttnWeights) scale /= std::sqrt(static_cast<double>(m_config.headDim()));
  // Hugging Face's scale_attn_by_inverse_layer_idx divides by the 1-based layer number.
  if (m_config.scaleAttnByInverseLayerIdx) scale /= static_cast<double>(layer + 1);
  return scale;
}

void Gpt2Model::checkIds(const at::Tensor& ids, std::int64_t expectedDims) const {
  if (!ids.defined() || ids.scalar_type() != at::kLong || ids.dim() != expectedDims ||
      !ids.device().is_cpu()) {
    throw InvalidArgument(fmt::format(
        "token ids must be an int64 CPU tensor with {} dimensions, found {}", expectedDims,
        ids.defined()
            ? fmt::format("{} with shape {}", c10::toString(ids.scalar_type()), ids.sizes().vec())
            : std::string("an undefined tensor")));
  }
  if (ids.numel() == 0) throw InvalidArgument("token ids are empty; pass at least one token");

  // A plain loop over the ids: cheaper than reductions for the one-token
  // decode step, and it names the first bad position.
  const at::Tensor flat = ids.contiguous();
  const std::int64_t* data = flat.data_ptr<std::int64_t>();
  for (std::int64_t i = 0; i < flat.numel(); ++i) {
    if (data[i] < 0 || data[i] >= m_config.vocabSize) {
      throw InvalidArgument(fmt::format(
          "token id {} at position {} is outside the vocabulary of {} tokens (valid: 0 to {})",
          data[i], i, m_config.vocabSize, m_config.vocabSize - 1));
    }
  }
}

std::string Gpt2Model::scheme() const {
  std::string result;
  for (const auto& block : m_weights.blocks) {
    for (const LinearLayer* layer :
         {block.attnQkv.get(), block.attnProj.get(), block.mlpFc.get(), block.mlpProj.get()}) {
      const std::string layerScheme = layer->scheme();
      if (result.empty()) {
        result = layerScheme;
      } else if (result != layerScheme) {
        return "mixed";
      }
    }
  }
  return result.empty() ? m_weights.tokenEmbedding->scheme() : result;
}

ModelMemory Gpt2Model::memory() const {
  ModelMemory memory;
  for (const auto& block : m_weights.blocks) {
    for (const LinearLayer* layer :
         {block.attnQkv.get(), block.attnProj.get(), block.mlpFc.get(), block.mlpProj.get()}) {
      addFootprint(memory, layer->footprint(), &ModelMemory::transformerWeights);
    }
    memory.float32 += float32Bytes(block.ln1Weight) + float32Bytes(block.ln1Bias) +
                      float32Bytes(block.ln2Weight) + float32Bytes(block.ln2Bias);
  }
  addFootprint(memory, m_weights.tokenEmbedding->footprint(), &ModelMemory::embeddings);
  addFootprint(memory, m_weights.positionEmbedding->footprint(), &ModelMemory::embeddings);
  if (m_weights.lmHead) addFootprint(memory, m_weights.lmHead->footprint(), &ModelMemory::lmHead);
  memory.float32 += float32Bytes(m_weights.lnFWeight) + float32Bytes(m_weights.lnFBias);
  return memory;
}

}  // namespace gpupoor
