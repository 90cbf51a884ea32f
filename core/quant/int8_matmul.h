#pragma once

// y = x W^T (+ bias) with W quantized per row: the one routine behind
// Int8Linear::forward and Int8Embedding::projectLogits.
//
// w8a32: FP32 activations. Few tokens (decode) go through the int8 matrix
// kernels, which read each int8 weight once. Many tokens (prefill) dequantize
// one tile of rows at a time into an FP32 buffer and multiply it with the
// BLAS sgemm, so the FP32 copy never exceeds one tile. Each calling thread
// keeps its tile buffer (at most 32 MiB) for later calls.
// w8a8: activations quantized per token row, exact int32 products, then
// y[t, r] = acc[t, r] * xScale[t] * wScale[r] + bias[r].

#include <ATen/core/Tensor.h>

#include <cstdint>

#include "core/common/scheme.h"
#include "core/quant/quantized_matrix.h"

namespace gpupoor {

// Token counts from which the w8a32 path switches from the int8 kernels to
// dequantized tiles + sgemm. Dequantizing costs a pass over the whole matrix
// in FP32, which pays off only for long inputs. On six gpt2-large layers
// (2 Zen 3 cores) the kernels took 36 ms for 16 tokens where the tiles took
// 97 ms, and the two were about even at 128 tokens.
inline constexpr std::int64_t kW8A32TileGemmMinTokens = 128;

// x: float32 [N, cols]; bias: float32 [rows] or undefined. Returns float32
// [N, rows]. scheme is W8A32 or W8A8. Throws InvalidArgument for wrong
// shapes or dtypes, naming `name`.
at::Tensor int8Matmul(const at::Tensor& x, const QuantizedMatrix& weight, const at::Tensor& bias,
                      QuantScheme scheme, const char* name);

}  // namespace gpupoor
