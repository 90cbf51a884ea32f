#pragma once

// A linear layer whose weight stays INT8 (per output row scales) while it
// computes; see int8_matmul.h for the w8a32 and w8a8 paths.

#include <ATen/core/Tensor.h>

#include <string>

#include "core/common/scheme.h"
#include "core/model/layers.h"
#include "core/quant/quantized_matrix.h"

namespace gpupoor {

class Int8Linear : public LinearLayer {
 public:
  // weight: quantized [out, in]; bias: float32 [out] or undefined. scheme is
  // W8A32 or W8A8. Throws InvalidArgument otherwise, naming `name`.
  Int8Linear(std::string name, QuantizedMatrix weight, at::Tensor bias, QuantScheme scheme);

  at::Tensor forward(const at::Tensor& x) const override;
  std::int64_t inFeatures() const override { return m_weight.cols(); }
  std::int64_t outFeatures() const override { return m_weight.rows(); }
  MemoryFootprint footprint() const override;
  std::string scheme() const override { return schemeName(m_scheme); }

  const std::string& name() const { return m_name; }
  const QuantizedMatrix& weight() const { return m_weight; }
  const at::Tensor& bias() const { return m_bias; }
  QuantScheme quantScheme() const { return m_scheme; }

 private:
  std::string m_name;
  QuantizedMatrix m_weight;
  at::Tensor m_bias;
  QuantScheme m_scheme;
};

}  // namespace gpupoor
