#pragma once

// A weight matrix quantized symmetrically per output row (per channel):
// scale[r] = max_k |W[r, k]| / 127, values[r, k] = round(W[r, k] / scale[r])
// in [-127, 127]. An all-zero row gets scale 1 and zero values.
//
// Shapes: values int8 [rows, cols], scales float32 [rows], rowSums int32
// [rows], all contiguous. rowSums (the sum of each row's values) is derived
// from the values, never stored in a file; the AVX2 w8a8 kernel needs it.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

#include "core/kernels/int8_kernels.h"

namespace gpupoor {

struct QuantizedMatrix {
  at::Tensor values;   // int8 [rows, cols]
  at::Tensor scales;   // float32 [rows]
  at::Tensor rowSums;  // int32 [rows]

  std::int64_t rows() const { return values.size(0); }
  std::int64_t cols() const { return values.size(1); }
  std::int64_t valueBytes() const { return values.numel(); }
  // Bytes of the per-row metadata: scales and row sums.
  std::int64_t scaleBytes() const { return scales.numel() * 4 + rowSums.numel() * 4; }
  kernels::Int8MatrixView view() const;
};

// Quantizes a float32 [rows, cols] tensor row by row, without making any
// full-size temporary. `name` is the tensor name for messages. Throws
// InvalidArgument for a wrong dtype or rank and InvalidCheckpoint for a NaN
// or infinite value (naming the row).
QuantizedMatrix quantizePerRow(const at::Tensor& weight, const std::string& name);

// Wraps stored values and scales (e.g. read back from a file) after checking
// dtypes, ranks, matching row counts, finite positive scales and values in
// [-127, 127]. Throws InvalidCheckpoint naming `name` otherwise.
QuantizedMatrix quantizedMatrixFromTensors(at::Tensor values, at::Tensor scales,
                                           const std::string& name);

// Returns the float32 [rows, cols] matrix values * scales (for tests and
// error measurements; the layers never build it).
at::Tensor dequantize(const QuantizedMatrix& matrix);

}  // namespace gpupoor
