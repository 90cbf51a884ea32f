#pragma once

// The two kinds of weight-bearing layers in GPT-2, as interfaces. A model copy
// is FP32 or INT8 through the implementations it holds, not through a second
// model class: Fp32Linear / Fp32Embedding live in core/model, the INT8 ones in
// core/quant.
//
// Shapes: N rows (tokens), C embedding width, V vocabulary, P positions.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

namespace gpupoor {

// Resident bytes of one layer's parameters, split the way reports show them.
struct MemoryFootprint {
  std::int64_t weightBytes = 0;   // the matrix itself (FP32 or INT8 values)
  std::int64_t scaleBytes = 0;    // quantization scales and other metadata
  std::int64_t float32Bytes = 0;  // FP32 tensors that stay FP32 (biases)

  std::int64_t total() const { return weightBytes + scaleBytes + float32Bytes; }
  MemoryFootprint& operator+=(const MemoryFootprint& other) {
    weightBytes += other.weightBytes;
    scaleBytes += other.scaleBytes;
    float32Bytes += other.float32Bytes;
    return *this;
  }
};

// y = x W^T + b, with W of shape [out, in]. (GPT-2's Conv1D stores [in, out];
// the loader transposes before building the layer.)
class LinearLayer {
 public:
  virtual ~LinearLayer() = default;

  // x: float32 [N, in], contiguous. Returns float32 [N, out].
  virtual at::Tensor forward(const at::Tensor& x) const = 0;

  virtual std::int64_t inFeatures() const = 0;
  virtual std::int64_t outFeatures() const = 0;
  virtual MemoryFootprint footprint() const = 0;
  // "fp32", "w8a32" or "w8a8".
  virtual std::string scheme() const = 0;
};

// A [rows, C] table: token embedding (rows = V) or position embedding (rows = P).
class EmbeddingTable {
 public:
  virtual ~EmbeddingTable() = default;

  // ids: int64 of any shape. Returns float32 of shape ids.shape + [C].
  virtual at::Tensor lookup(const at::Tensor& ids) const = 0;

  // Tied LM head: hidden float32 [N, C] -> logits float32 [N, rows], i.e.
  // hidden * table^T, computed from the stored (possibly INT8) table.
  virtual at::Tensor projectLogits(const at::Tensor& hidden) const = 0;

  virtual std::int64_t rows() const = 0;
  virtual std::int64_t cols() const = 0;
  virtual MemoryFootprint footprint() const = 0;
  virtual std::string scheme() const = 0;
};

}  // namespace gpupoor
