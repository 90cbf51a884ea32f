#include "core/model/fp32_layers.h"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/common/errors.h"

namespace gpupoor {

namespace {

std::int64_t float32Bytes(const at::Tensor& tensor) {
  return tensor.numel() * static_cast<std::int64_t>(sizeof(float));
}

void requireFloat32(const at::Tensor& tensor, std::int64_t dims, const char* what) {
  if (!tensor.defined() || tensor.scalar_type() != at::kFloat || tensor.dim() != dims) {
    throw InvalidArgument(fmt::format(
        "{} must be a float32 tensor with {} dimensions, found {}", what, dims,
        tensor.defined() ? fmt::format("{} with shape {}", c10::toString(tensor.scalar_type()),
                                       tensor.sizes().vec())
                         : std::string("an undefined tensor")));
  }
}

class Fp32LayerFactory final : public LayerFactory {
 public:
  std::unique_ptr<LinearLayer> makeLinear(const std::string& /*name*/, at::Tensor weight,
                                          at::Tensor bias) override {
    return std::make_unique<Fp32Linear>(std::move(weight), std::move(bias));
  }

  std::unique_ptr<EmbeddingTable> makeEmbedding(const std::string& /*name*/,
                                                at::Tensor table) override {
    return std::make_unique<Fp32Embedding>(std::move(table));
  }

  std::string scheme() const override { return "fp32"; }
};

}  // namespace

Fp32Linear::Fp32Linear(at::Tensor weight, at::Tensor bias)
    : m_weight(std::move(weight)), m_bias(std::move(bias)) {
  requireFloat32(m_weight, 2, "Fp32Linear weight");
  requireFloat32(m_bias, 1, "Fp32Linear bias");
  if (m_bias.size(0) != m_weight.size(0)) {
    throw InvalidArgument(fmt::format("Fp32Linear bias has {} values, expected {} (weight rows)",
                                      m_bias.size(0), m_weight.size(0)));
  }
  // A contiguous [out, in] weight lets BLAS read W^T as a transposed view
  // without copying.
  m_weight = m_weight.contiguous();
  m_bias = m_bias.contiguous();
}

at::Tensor Fp32Linear::forward(const at::Tensor& x) const {
  // One row (a decode step): OpenBLAS sgemm would repack the whole weight on
  // every call, so use sgemv, which reads it in place.
  if (x.size(0) == 1) return at::addmv(m_bias, m_weight, x[0]).unsqueeze(0);
  return at::addmm(m_bias, x, m_weight.t());
}

MemoryFootprint Fp32Linear::footprint() const {
  MemoryFootprint result;
  result.weightBytes = float32Bytes(m_weight);
  result.float32Bytes = float32Bytes(m_bias);
  return result;
}

Fp32Embedding::Fp32Embedding(at::Tensor table) : m_table(std::move(table)) {
  requireFloat32(m_table, 2, "Fp32Embedding table");
  m_table = m_table.contiguous();
}

at::Tensor Fp32Embedding::lookup(const at::Tensor& ids) const {
  std::vector<std::int64_t> shape = ids.sizes().vec();
  shape.push_back(m_table.size(1));
  return at::index_select(m_table, 0, ids.reshape({-1})).view(shape);
}

at::Tensor Fp32Embedding::projectLogits(const at::Tensor& hidden) const {
  // One row: sgemv instead of an sgemm that repacks the [V, C] table per call.
  if (hidden.size(0) == 1) return at::mv(m_table, hidden[0]).unsqueeze(0);
  return at::mm(hidden, m_table.t());
}

MemoryFootprint Fp32Embedding::footprint() const {
  MemoryFootprint result;
  result.weightBytes = float32Bytes(m_table);
  return result;
}

std::unique_ptr<LayerFactory> makeFp32LayerFactory() {
  return std::make_unique<Fp32LayerFactory>();
}

}  // namespace gpupoor
