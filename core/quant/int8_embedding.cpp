#include "core/quant/int8_embedding.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <vector>

#include "core/common/errors.h"
#include "core/quant/int8_matmul.h"

namespace gpupoor {

Int8Embedding::Int8Embedding(std::string name, QuantizedMatrix table, QuantScheme scheme)
    : m_name(std::move(name)), m_table(std::move(table)), m_scheme(scheme) {
  if (scheme == QuantScheme::Fp32) {
    throw InvalidArgument(
        fmt::format("table '{}': Int8Embedding needs scheme w8a32 or w8a8, got fp32", m_name));
  }
}

at::Tensor Int8Embedding::lookup(const at::Tensor& ids) const {
  if (ids.scalar_type() != at::kLong) {
    throw InvalidArgument(fmt::format("table '{}': expected int64 ids, got {}", m_name,
                                      c10::toString(ids.scalar_type())));
  }
  const at::Tensor flatIds = ids.contiguous().reshape({-1});
  const std::int64_t count = flatIds.numel();
  const std::int64_t width = m_table.cols();
  std::vector<std::int64_t> outShape(ids.sizes().begin(), ids.sizes().end());
  outShape.push_back(width);
  at::Tensor out = at::empty(outShape, at::kFloat);

  const std::int64_t* idData = flatIds.data_ptr<std::int64_t>();
  float* outData = out.data_ptr<float>();
  const kernels::KernelTable& kernels = kernels::activeKernels();
  const kernels::Int8MatrixView view = m_table.view();
  for (std::int64_t i = 0; i < count; ++i) {
    const std::int64_t id = idData[i];
    if (id < 0 || id >= m_table.rows()) {
      throw InvalidArgument(fmt::format(
          "table '{}': id {} at position {} is outside [0, {}); check the tokenizer and the "
          "model's vocabulary or context size",
          m_name, id, i, m_table.rows()));
    }
    kernels.dequantizeRows(view, id, id + 1, outData + i * width, width);
  }
  return out;
}

at::Tensor Int8Embedding::projectLogits(const at::Tensor& hidden) const {
  return int8Matmul(hidden, m_table, at::Tensor(), m_scheme, m_name.c_str());
}

MemoryFootprint Int8Embedding::footprint() const {
  MemoryFootprint result;
  result.weightBytes = m_table.valueBytes();
  result.scaleBytes = m_table.scaleBytes();
  return result;
}

}  // namespace gpupoor
