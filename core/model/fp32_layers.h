#pragma once

// The FP32 baseline layers: plain float32 weights multiplied through OpenBLAS
// (at::addmm / at::mm). INT8 layers live in core/quant and implement the same
// interfaces.

#include <ATen/core/Tensor.h>

#include <memory>
#include <string>

#include "core/model/gpt2_weights.h"
#include "core/model/layers.h"

namespace gpupoor {

// y = x W^T + b with W float32 [out, in], contiguous, and b float32 [out].
class Fp32Linear final : public LinearLayer {
 public:
  // Throws InvalidArgument when the shapes or dtypes do not fit together.
  Fp32Linear(at::Tensor weight, at::Tensor bias);

  at::Tensor forward(const at::Tensor& x) const override;

  std::int64_t inFeatures() const override { return m_weight.size(1); }
  std::int64_t outFeatures() const override { return m_weight.size(0); }
  MemoryFootprint footprint() const override;
  std::string scheme() const override { return "fp32"; }

  const at::Tensor& weight() const { return m_weight; }
  const at::Tensor& bias() const { return m_bias; }

 private:
  at::Tensor m_weight;  // [out, in]
  at::Tensor m_bias;    // [out]
};

// A float32 [rows, C] table used for lookups and, when tied, as the LM head.
class Fp32Embedding final : public EmbeddingTable {
 public:
  // Throws InvalidArgument unless `table` is float32 with two dimensions.
  explicit Fp32Embedding(at::Tensor table);

  at::Tensor lookup(const at::Tensor& ids) const override;
  at::Tensor projectLogits(const at::Tensor& hidden) const override;

  std::int64_t rows() const override { return m_table.size(0); }
  std::int64_t cols() const override { return m_table.size(1); }
  MemoryFootprint footprint() const override;
  std::string scheme() const override { return "fp32"; }

  const at::Tensor& table() const { return m_table; }

 private:
  at::Tensor m_table;  // [rows, C]
};

// Builds Fp32Linear and Fp32Embedding layers; the loader's default factory.
std::unique_ptr<LayerFactory> makeFp32LayerFactory();

}  // namespace gpupoor
