#include "core/engine/memory_components.h"

#include <ATen/ATen.h>

namespace gpupoor {
namespace {

std::int64_t tensorBytes(const at::Tensor& tensor) {
  return tensor.defined() ? tensor.numel() * static_cast<std::int64_t>(tensor.element_size()) : 0;
}

void addLinear(MemoryFootprint& total, const std::unique_ptr<LinearLayer>& layer) {
  if (layer) total += layer->footprint();
}

}  // namespace

std::vector<ComponentMemory> componentMemory(const Gpt2Weights& weights) {
  MemoryFootprint embeddings;
  if (weights.tokenEmbedding) embeddings += weights.tokenEmbedding->footprint();
  if (weights.positionEmbedding) embeddings += weights.positionEmbedding->footprint();

  MemoryFootprint attention;
  MemoryFootprint mlp;
  MemoryFootprint layerNorm;
  for (const Gpt2BlockWeights& block : weights.blocks) {
    addLinear(attention, block.attnQkv);
    addLinear(attention, block.attnProj);
    addLinear(mlp, block.mlpFc);
    addLinear(mlp, block.mlpProj);
    layerNorm.float32Bytes += tensorBytes(block.ln1Weight) + tensorBytes(block.ln1Bias) +
                              tensorBytes(block.ln2Weight) + tensorBytes(block.ln2Bias);
  }
  layerNorm.float32Bytes += tensorBytes(weights.lnFWeight) + tensorBytes(weights.lnFBias);

  std::vector<ComponentMemory> components{
      {"embeddings", embeddings}, {"attention", attention}, {"mlp", mlp}, {"layer_norm", layerNorm}};
  if (weights.lmHead) components.push_back({"lm_head", weights.lmHead->footprint()});
  return components;
}

}  // namespace gpupoor
