#include "core/quant/quantized_matrix.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>

#include "core/common/errors.h"

namespace gpupoor {
namespace {

// Rows per parallel task when quantizing.
constexpr std::int64_t kQuantizeGrainRows = 16;

std::string shapeText(const at::Tensor& tensor) {
  return fmt::format("[{}]", fmt::join(tensor.sizes(), ", "));
}

// Quantizes one row; returns false when it holds a NaN or infinity.
bool quantizeRow(const float* row, std::int64_t cols, std::int8_t* values, float* scale) {
  float maxAbs = 0.0f;
  for (std::int64_t k = 0; k < cols; ++k) {
    if (!std::isfinite(row[k])) return false;
    maxAbs = std::max(maxAbs, std::fabs(row[k]));
  }
  if (maxAbs == 0.0f) {
    *scale = 1.0f;
    std::fill(values, values + cols, std::int8_t{0});
    return true;
  }
  // A subnormal maximum can make maxAbs / 127 round to zero; the smallest
  // positive float keeps the scale nonzero and the values within range.
  const float rowScale = std::max(maxAbs / 127.0f, std::numeric_limits<float>::denorm_min());
  *scale = rowScale;
  for (std::int64_t k = 0; k < cols; ++k) {
    const float q = std::nearbyint(row[k] / rowScale);
    values[k] = static_cast<std::int8_t>(std::clamp(q, -127.0f, 127.0f));
  }
  return true;
}

at::Tensor sumRows(const at::Tensor& values) { return values.sum(1, /*keepdim=*/false, at::kInt); }

}  // namespace

kernels::Int8MatrixView QuantizedMatrix::view() const {
  return kernels::Int8MatrixView{values.data_ptr<std::int8_t>(), scales.data_ptr<float>(),
                                 rowSums.data_ptr<std::int32_t>(), rows(), cols()};
}

QuantizedMatrix quantizePerRow(const at::Tensor& weight, const std::string& name) {
  if (weight.scalar_type() != at::kFloat || weight.dim() != 2) {
    throw InvalidArgument(
        fmt::format("cannot quantize tensor '{}': expected a float32 matrix, got {} of shape {}",
                    name, c10::toString(weight.scalar_type()), shapeText(weight)));
  }
  const at::Tensor source = weight.contiguous();
  const std::int64_t rows = source.size(0);
  const std::int64_t cols = source.size(1);

  QuantizedMatrix result{at::empty({rows, cols}, at::kChar), at::empty({rows}, at::kFloat), {}};
  const float* in = source.data_ptr<float>();
  std::int8_t* values = result.values.data_ptr<std::int8_t>();
  float* scales = result.scales.data_ptr<float>();

  std::atomic<std::int64_t> firstBadRow{rows};
  at::parallel_for(0, rows, kQuantizeGrainRows, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t r = begin; r < end; ++r) {
      if (!quantizeRow(in + r * cols, cols, values + r * cols, scales + r)) {
        std::int64_t expected = firstBadRow.load();
        while (r < expected && !firstBadRow.compare_exchange_weak(expected, r)) {
        }
        return;
      }
    }
  });
  if (firstBadRow.load() < rows) {
    throw InvalidCheckpoint(fmt::format(
        "tensor '{}' {} has a NaN or infinite value in row {}; the checkpoint is damaged, "
        "re-download or re-export it",
        name, shapeText(source), firstBadRow.load()));
  }
  result.rowSums = sumRows(result.values);
  return result;
}

QuantizedMatrix quantizedMatrixFromTensors(at::Tensor values, at::Tensor scales,
                                           const std::string& name) {
  if (values.scalar_type() != at::kChar || values.dim() != 2) {
    throw InvalidCheckpoint(fmt::format("quantized tensor '{}': expected an int8 matrix, got {} {}",
                                        name, c10::toString(values.scalar_type()),
                                        shapeText(values)));
  }
  if (scales.scalar_type() != at::kFloat || scales.dim() != 1 || scales.size(0) != values.size(0)) {
    throw InvalidCheckpoint(
        fmt::format("scales of '{}': expected float32 [{}] (one per row), got {} {}", name,
                    values.size(0), c10::toString(scales.scalar_type()), shapeText(scales)));
  }
  values = values.contiguous();
  scales = scales.contiguous();
  if (values.numel() > 0 && values.min().item<std::int8_t>() < -127) {
    throw InvalidCheckpoint(fmt::format(
        "quantized tensor '{}' holds -128; this format stores values in [-127, 127]", name));
  }
  const float* scaleData = scales.data_ptr<float>();
  for (std::int64_t r = 0; r < scales.size(0); ++r) {
    if (!std::isfinite(scaleData[r]) || scaleData[r] <= 0.0f) {
      throw InvalidCheckpoint(
          fmt::format("scales of '{}': row {} has scale {}, expected a finite positive number",
                      name, r, scaleData[r]));
    }
  }
  at::Tensor rowSums = sumRows(values);
  return QuantizedMatrix{std::move(values), std::move(scales), std::move(rowSums)};
}

at::Tensor dequantize(const QuantizedMatrix& matrix) {
  at::Tensor out = at::empty({matrix.rows(), matrix.cols()}, at::kFloat);
  kernels::activeKernels().dequantizeRows(matrix.view(), 0, matrix.rows(), out.data_ptr<float>(),
                                          matrix.cols());
  return out;
}

}  // namespace gpupoor
