#pragma once

// An embedding table stored as INT8 rows with one FP32 scale per row. Lookups
// dequantize only the requested rows; projectLogits (the tied LM head)
// multiplies with the INT8 table directly. No FP32 copy of the table exists.

#include <ATen/core/Tensor.h>

#include <string>

#include "core/common/scheme.h"
#include "core/model/layers.h"
#include "core/quant/quantized_matrix.h"

namespace gpupoor {

class Int8Embedding : public EmbeddingTable {
 public:
  // table: quantized [rows, C]; scheme (W8A32 or W8A8) is the one
  // projectLogits uses. Throws InvalidArgument for Fp32.
  Int8Embedding(std::string name, QuantizedMatrix table, QuantScheme scheme);

  // Throws InvalidArgument for non-int64 ids or an id outside [0, rows).
  at::Tensor lookup(const at::Tensor& ids) const override;
  at::Tensor projectLogits(const at::Tensor& hidden) const override;
  std::int64_t rows() const override { return m_table.rows(); }
  std::int64_t cols() const override { return m_table.cols(); }
  MemoryFootprint footprint() const override;
  std::string scheme() const override { return schemeName(m_scheme); }

  const std::string& name() const { return m_name; }
  const QuantizedMatrix& table() const { return m_table; }
  QuantScheme quantScheme() const { return m_scheme; }

 private:
  std::string m_name;
  QuantizedMatrix m_table;
  QuantScheme m_scheme;
};

}  // namespace gpupoor
