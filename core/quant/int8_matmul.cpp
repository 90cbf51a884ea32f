#include "core/quant/int8_matmul.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "core/common/errors.h"

namespace gpupoor {
namespace {

// Rows per parallel task; a multiple of the kernels' 4-row register tile.
constexpr std::int64_t kRowsPerTask = 16;
// Maximum size of the FP32 tile that the w8a32 prefill path dequantizes
// before each sgemm (see tileScratch for its lifetime). With 512 tokens
// on 2 Zen 3 cores, 4 MiB tiles ran at about 0.5x the speed of one sgemm over
// the whole matrix, and 64 MiB tiles at about 1x. At 32 MiB every GPT-2-large
// matrix except the tied embedding is one tile.
constexpr std::int64_t kDequantTileBytes = 32 << 20;

// Multiply-adds (rows x cols x tokens) from which a product runs on all
// intra-op threads. The bundled demo model's products are about 50000
// multiply-adds per decode step, a few microseconds on one thread. On a
// 2-core machine busy with other work, splitting them across threads made
// its w8a8 decode 2 to 4 times slower (470 to 860 tokens/s against about
// 1700 on one thread), because every product waited for a descheduled one.
constexpr std::int64_t kParallelMultiplyAdds = std::int64_t{1} << 18;

// Runs body(rowBegin, rowEnd) over [0, rows) on the intra-op threads, or on
// the calling thread when `multiplyAdds` is below kParallelMultiplyAdds.
template <typename Body>
void parallelRows(std::int64_t rows, std::int64_t multiplyAdds, const Body& body) {
  if (multiplyAdds < kParallelMultiplyAdds) {
    body(0, rows);
    return;
  }
  const std::int64_t tasks = (rows + kRowsPerTask - 1) / kRowsPerTask;
  at::parallel_for(0, tasks, 1, [&](std::int64_t taskBegin, std::int64_t taskEnd) {
    body(taskBegin * kRowsPerTask, std::min(rows, taskEnd * kRowsPerTask));
  });
}

// Returns the calling thread's FP32 tile buffer, kept between calls and grown
// to at most kDequantTileBytes. Allocating the tile per call made every
// product of a prefill page-fault up to 32 MiB in again, and perf showed the
// faults and the kernel clearing pages next to sgemm. The cost is one tile per
// thread that ran a w8a32 prefill, released when the thread ends.
float* tileScratch(std::int64_t floats) {
  thread_local std::vector<float> scratch;
  if (static_cast<std::int64_t>(scratch.size()) < floats) {
    // Free the old buffer first, so growing never holds two or copies one.
    scratch = std::vector<float>();
    scratch.resize(static_cast<std::size_t>(floats));
  }
  return scratch.data();
}

at::Tensor matmulW8A32Kernels(const at::Tensor& x, const QuantizedMatrix& weight,
                              const float* bias) {
  const kernels::KernelTable& kernels = kernels::activeKernels();
  const std::int64_t n = x.size(0);
  const std::int64_t rows = weight.rows();
  at::Tensor y = at::empty({n, rows}, at::kFloat);
  const kernels::Int8MatrixView view = weight.view();
  const float* xData = x.data_ptr<float>();
  float* yData = y.data_ptr<float>();
  parallelRows(rows, rows * weight.cols() * n, [&](std::int64_t begin, std::int64_t end) {
    kernels.matmulW8A32(view, xData, n, bias, yData, rows, begin, end);
  });
  return y;
}

at::Tensor matmulW8A32Tiles(const at::Tensor& x, const QuantizedMatrix& weight,
                            const at::Tensor& bias) {
  const kernels::KernelTable& kernels = kernels::activeKernels();
  const std::int64_t n = x.size(0);
  const std::int64_t rows = weight.rows();
  const std::int64_t cols = weight.cols();
  const std::int64_t tileRows = std::clamp<std::int64_t>(
      kDequantTileBytes / (cols * 4) / kRowsPerTask * kRowsPerTask, kRowsPerTask, rows);
  at::Tensor y = at::empty({n, rows}, at::kFloat);
  float* tileData = tileScratch(tileRows * cols);
  const at::Tensor tile = at::from_blob(tileData, {tileRows, cols}, at::kFloat);
  const kernels::Int8MatrixView view = weight.view();

  for (std::int64_t tileBegin = 0; tileBegin < rows; tileBegin += tileRows) {
    const std::int64_t count = std::min(tileRows, rows - tileBegin);
    parallelRows(count, count * cols, [&](std::int64_t begin, std::int64_t end) {
      kernels.dequantizeRows(view, tileBegin + begin, tileBegin + end, tileData + begin * cols,
                             cols);
    });
    // y[:, tile] is a strided view with unit column stride, which the BLAS
    // writes in place (ldc = rows).
    at::Tensor ySlice = y.narrow(1, tileBegin, count);
    const at::Tensor tileWeights = tile.narrow(0, 0, count);
    if (bias.defined()) {
      at::addmm_out(ySlice, bias.narrow(0, tileBegin, count), x, tileWeights.t());
    } else {
      at::mm_out(ySlice, x, tileWeights.t());
    }
  }
  return y;
}

at::Tensor matmulW8A8(const at::Tensor& x, const QuantizedMatrix& weight, const float* bias) {
  const kernels::KernelTable& kernels = kernels::activeKernels();
  const std::int64_t n = x.size(0);
  const std::int64_t rows = weight.rows();
  const std::int64_t cols = weight.cols();

  // Step 1: quantize the activations per token row.
  at::Tensor xValues = at::empty({n, cols}, at::kChar);
  at::Tensor xOffsetValues = at::empty({n, cols}, at::kByte);
  at::Tensor xScales = at::empty({n}, at::kFloat);
  const float* xData = x.data_ptr<float>();
  std::int8_t* values = xValues.data_ptr<std::int8_t>();
  std::uint8_t* offsetValues = xOffsetValues.data_ptr<std::uint8_t>();
  float* scales = xScales.data_ptr<float>();
  at::parallel_for(0, n, 16, [&](std::int64_t begin, std::int64_t end) {
    kernels.quantizeRows(xData, cols, begin, end, values, offsetValues, scales);
  });
  const kernels::QuantizedRowsView xView{values, offsetValues, scales, n};

  // Step 2: exact int32 products, rescaled by the kernel as each register
  // tile finishes. A separate pass over the int32 sums afterwards took about
  // 15% of the w8a8 time in a micro-benchmark of the four gpt2-large
  // matrices with 512 tokens (perf, 2 threads).
  at::Tensor y = at::empty({n, rows}, at::kFloat);
  float* yData = y.data_ptr<float>();
  const kernels::Int8MatrixView view = weight.view();
  parallelRows(rows, rows * cols * n, [&](std::int64_t begin, std::int64_t end) {
    kernels.matmulW8A8Scaled(view, xView, bias, yData, rows, begin, end);
  });
  return y;
}

}  // namespace

at::Tensor int8Matmul(const at::Tensor& x, const QuantizedMatrix& weight, const at::Tensor& bias,
                      QuantScheme scheme, const char* name) {
  if (x.scalar_type() != at::kFloat || x.dim() != 2 || x.size(1) != weight.cols()) {
    throw InvalidArgument(fmt::format("{}: expected float32 input [N, {}], got {} [{}]", name,
                                      weight.cols(), c10::toString(x.scalar_type()),
                                      fmt::join(x.sizes(), ", ")));
  }
  if (bias.defined() &&
      (bias.scalar_type() != at::kFloat || bias.dim() != 1 || bias.size(0) != weight.rows())) {
    throw InvalidArgument(fmt::format("{}: expected float32 bias [{}], got {} [{}]", name,
                                      weight.rows(), c10::toString(bias.scalar_type()),
                                      fmt::join(bias.sizes(), ", ")));
  }
  const at::Tensor input = x.contiguous();
  const at::Tensor biasContiguous = bias.defined() ? bias.contiguous() : bias;
  const float* biasData = bias.defined() ? biasContiguous.data_ptr<float>() : nullptr;

  switch (scheme) {
    case QuantScheme::W8A32:
      if (input.size(0) >= kW8A32TileGemmMinTokens) {
        return matmulW8A32Tiles(input, weight, biasContiguous);
      }
      return matmulW8A32Kernels(input, weight, biasData);
    case QuantScheme::W8A8:
      return matmulW8A8(input, weight, biasData);
    case QuantScheme::Fp32:
      break;
  }
  throw InvalidArgument(
      fmt::format("{}: int8 matmul needs scheme w8a32 or w8a8, got {}", name, schemeName(scheme)));
}

}  // namespace gpupoor
