#include "core/quant/int8_linear.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "core/common/errors.h"
#include "core/quant/int8_matmul.h"

namespace gpupoor {

Int8Linear::Int8Linear(std::string name, QuantizedMatrix weight, at::Tensor bias,
                       QuantScheme scheme)
    : m_name(std::move(name)), m_weight(std::move(weight)), m_scheme(scheme) {
  if (scheme == QuantScheme::Fp32) {
    throw InvalidArgument(
        fmt::format("layer '{}': Int8Linear needs scheme w8a32 or w8a8, got fp32", m_name));
  }
  if (bias.defined()) {
    if (bias.scalar_type() != at::kFloat || bias.dim() != 1 || bias.size(0) != m_weight.rows()) {
      throw InvalidArgument(fmt::format("layer '{}': expected float32 bias [{}], got {} [{}]",
                                        m_name, m_weight.rows(), c10::toString(bias.scalar_type()),
                                        fmt::join(bias.sizes(), ", ")));
    }
    m_bias = bias.contiguous();
  }
}

at::Tensor Int8Linear::forward(const at::Tensor& x) const {
  return int8Matmul(x, m_weight, m_bias, m_scheme, m_name.c_str());
}

MemoryFootprint Int8Linear::footprint() const {
  MemoryFootprint result;
  result.weightBytes = m_weight.valueBytes();
  result.scaleBytes = m_weight.scaleBytes();
  result.float32Bytes = m_bias.defined() ? m_bias.numel() * 4 : 0;
  return result;
}

}  // namespace gpupoor
