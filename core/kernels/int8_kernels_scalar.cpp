// Scalar INT8 kernels: the reference every SIMD path is tested against, and
// the fallback on CPUs without AVX2. Plain loops, no blocking, no intrinsics.

#include <cmath>
#include <cstdint>

#include "core/kernels/int8_kernels_isa.h"
#include "core/kernels/tile_loop.h"

namespace gpupoor::kernels {
namespace {

void matmulW8A32Scalar(const Int8MatrixView& w, const float* x, std::int64_t n, const float* bias,
                       float* y, std::int64_t ldy, std::int64_t rowBegin, std::int64_t rowEnd) {
  for (std::int64_t t = 0; t < n; ++t) {
    const float* xRow = x + t * w.cols;
    for (std::int64_t r = rowBegin; r < rowEnd; ++r) {
      const std::int8_t* wRow = w.values + r * w.cols;
      float sum = 0.0f;
      for (std::int64_t k = 0; k < w.cols; ++k) sum += static_cast<float>(wRow[k]) * xRow[k];
      y[t * ldy + r] = sum * w.scales[r] + (bias != nullptr ? bias[r] : 0.0f);
    }
  }
}

template <typename Sink>
void w8a8Scalar(const Int8MatrixView& w, const QuantizedRowsView& x, const Sink& sink,
                std::int64_t rowBegin, std::int64_t rowEnd) {
  for (std::int64_t t = 0; t < x.n; ++t) {
    const std::int8_t* xRow = x.values + t * w.cols;
    for (std::int64_t r = rowBegin; r < rowEnd; ++r) {
      const std::int8_t* wRow = w.values + r * w.cols;
      std::int32_t sum = 0;
      for (std::int64_t k = 0; k < w.cols; ++k) {
        sum += static_cast<std::int32_t>(wRow[k]) * static_cast<std::int32_t>(xRow[k]);
      }
      sink.put(t, r, sum);
    }
  }
}

void matmulW8A8Scalar(const Int8MatrixView& w, const QuantizedRowsView& x, std::int32_t* acc,
                      std::int64_t ldAcc, std::int64_t rowBegin, std::int64_t rowEnd) {
  w8a8Scalar(w, x, Int32Sink{acc, ldAcc}, rowBegin, rowEnd);
}

void matmulW8A8ScaledScalar(const Int8MatrixView& w, const QuantizedRowsView& x, const float* bias,
                            float* y, std::int64_t ldy, std::int64_t rowBegin,
                            std::int64_t rowEnd) {
  w8a8Scalar(w, x, ScaledSink{y, ldy, x.scales, w.scales, bias}, rowBegin, rowEnd);
}

void quantizeRowsScalar(const float* x, std::int64_t cols, std::int64_t rowBegin,
                        std::int64_t rowEnd, std::int8_t* values, std::uint8_t* offsetValues,
                        float* scales) {
  for (std::int64_t t = rowBegin; t < rowEnd; ++t) {
    const float* xRow = x + t * cols;
    float maxAbs = 0.0f;
    for (std::int64_t k = 0; k < cols; ++k) maxAbs = std::fmax(maxAbs, std::fabs(xRow[k]));
    const auto limit = static_cast<float>(kActivationMax);
    const float scale = maxAbs > 0.0f ? maxAbs / limit : 1.0f;
    // Multiplying by the inverse (not dividing) is what the SIMD paths do, so
    // every path rounds the same float to the same integer.
    const float inverseScale = 1.0f / scale;
    scales[t] = scale;
    for (std::int64_t k = 0; k < cols; ++k) {
      float q = std::nearbyint(xRow[k] * inverseScale);
      q = std::fmin(limit, std::fmax(-limit, q));
      const auto value = static_cast<std::int8_t>(q);
      values[t * cols + k] = value;
      offsetValues[t * cols + k] = static_cast<std::uint8_t>(value + kActivationOffset);
    }
  }
}

void dequantizeRowsScalar(const Int8MatrixView& w, std::int64_t rowBegin, std::int64_t rowEnd,
                          float* out, std::int64_t ldOut) {
  for (std::int64_t r = rowBegin; r < rowEnd; ++r) {
    const std::int8_t* wRow = w.values + r * w.cols;
    float* outRow = out + (r - rowBegin) * ldOut;
    for (std::int64_t k = 0; k < w.cols; ++k) outRow[k] = static_cast<float>(wRow[k]) * w.scales[r];
  }
}

}  // namespace

const KernelTable& scalarKernelTable() {
  static const KernelTable table{KernelIsa::Scalar,     matmulW8A32Scalar,  matmulW8A8Scalar,
                                 matmulW8A8ScaledScalar, quantizeRowsScalar, dequantizeRowsScalar};
  return table;
}

}  // namespace gpupoor::kernels
