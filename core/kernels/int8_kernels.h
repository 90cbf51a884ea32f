#pragma once

// INT8 matrix kernels for per-output-channel quantized weights, with one
// implementation per instruction set (scalar reference, AVX2+FMA, AVX-512)
// behind one function table chosen once per process.
//
// Shapes: W is int8 [rows, cols] row-major with one FP32 scale per row; the
// activations X are [n, cols] (n tokens); outputs are [n, ldy] with the
// kernel writing columns [rowBegin, rowEnd). Callers split [0, rows) across
// threads; the kernels themselves are single-threaded.
//
// This header deliberately has no compile flags and no intrinsics: the ISA
// files (int8_kernels_<isa>.cpp) are the only ones built with -mavx2 etc.

#include <cstdint>
#include <string>
#include <string_view>

namespace gpupoor::kernels {

enum class KernelIsa { Scalar, Avx2, Avx512 };

// "scalar", "avx2", "avx512".
std::string_view isaName(KernelIsa isa);

// Largest magnitude of a quantized activation. Activations use 7 bits, not
// 8, so the AVX2 w8a8 kernel can feed value + 64 (in [1, 127]) as the
// unsigned operand of vpmaddubsw: a pair of products then stays within int16
// (2 * 127 * 127 = 32258), which removes the per-product sign fix-up and
// makes prefill about 1.4x faster than with 8-bit activations (2.2x instead
// of 1.6x sgemm on one Zen 3 core). PyTorch's x86 dynamic quantization
// reduces the activation range to 7 bits for the same vpmaddubsw limit
// (reduce_range). The cost is a quantization step twice as large.
inline constexpr int kActivationMax = 63;

// Added to every quantized activation to make it unsigned for vpmaddubsw and
// vpdpbusd, which multiply unsigned by signed bytes: value +
// kActivationOffset is in [1, 127]. The kernels sum W * (xq + offset) and
// subtract offset * rowSum(W).
inline constexpr int kActivationOffset = kActivationMax + 1;

// A read-only view of one quantized weight matrix.
struct Int8MatrixView {
  const std::int8_t* values = nullptr;   // [rows, cols], row-major, in [-127, 127]
  const float* scales = nullptr;         // [rows], weight = value * scale
  const std::int32_t* rowSums = nullptr; // [rows], sum of each row's values (w8a8 needs it)
  std::int64_t rows = 0;
  std::int64_t cols = 0;
};

// Activations quantized per token row for the w8a8 kernels.
struct QuantizedRowsView {
  const std::int8_t* values = nullptr;         // [n, cols], in [-kActivationMax, kActivationMax]
  const std::uint8_t* offsetValues = nullptr;  // [n, cols], values + kActivationOffset
  const float* scales = nullptr;               // [n], activation = value * scale
  std::int64_t n = 0;
};

struct KernelTable {
  KernelIsa isa = KernelIsa::Scalar;

  // w8a32: y[t, r] = scale[r] * sum_k W[r, k] * x[t, k] + bias[r] for t in
  // [0, n) and r in [rowBegin, rowEnd). x is float32 [n, cols]; bias may be
  // null. y has row stride ldy.
  void (*matmulW8A32)(const Int8MatrixView& w, const float* x, std::int64_t n, const float* bias,
                      float* y, std::int64_t ldy, std::int64_t rowBegin, std::int64_t rowEnd);

  // w8a8: acc[t, r] = sum_k W[r, k] * xq[t, k] in exact int32 for t in [0, n)
  // and r in [rowBegin, rowEnd). acc has row stride ldAcc. w.rowSums must be
  // set. No saturation is possible while |W| <= 127, |xq| <= kActivationMax
  // and cols < 2^17.
  void (*matmulW8A8)(const Int8MatrixView& w, const QuantizedRowsView& x, std::int32_t* acc,
                     std::int64_t ldAcc, std::int64_t rowBegin, std::int64_t rowEnd);

  // w8a8 with the rescale done as each tile finishes, while its sums are
  // still in registers: y[t, r] = float(acc[t, r]) * (xScale[t] * wScale[r])
  // + bias[r], rounded exactly like that (a multiply, a multiply, an add; no
  // FMA) in every ISA. bias may be null (adds 0). y has row stride ldy.
  void (*matmulW8A8Scaled)(const Int8MatrixView& w, const QuantizedRowsView& x, const float* bias,
                           float* y, std::int64_t ldy, std::int64_t rowBegin, std::int64_t rowEnd);

  // Quantizes rows [rowBegin, rowEnd) of x (float32 [n, cols]) symmetrically:
  // scale = max|x| / kActivationMax (1 for an all-zero row), value =
  // round-half-even(x / scale) in [-kActivationMax, kActivationMax],
  // offsetValue = value + kActivationOffset.
  void (*quantizeRows)(const float* x, std::int64_t cols, std::int64_t rowBegin,
                       std::int64_t rowEnd, std::int8_t* values, std::uint8_t* offsetValues,
                       float* scales);

  // Writes rows [rowBegin, rowEnd) of W as float32 (value * scale) into out,
  // which has row stride ldOut and starts at row rowBegin.
  void (*dequantizeRows)(const Int8MatrixView& w, std::int64_t rowBegin, std::int64_t rowEnd,
                         float* out, std::int64_t ldOut);
};

// True when this CPU can run the kernels of `isa`.
bool isaSupported(KernelIsa isa);

// The kernels of `isa`. Throws InvalidArgument when the CPU lacks it.
const KernelTable& kernelsFor(KernelIsa isa);

// The kernels the process uses: the best supported ISA, or the one named by
// the environment variable GPUPOOR_KERNELS (scalar, avx2, avx512). Chosen and
// logged on the first call; throws InvalidArgument when the variable names an
// unknown ISA or one the CPU lacks.
const KernelTable& activeKernels();

// The ISA of activeKernels().
KernelIsa activeIsa();

// Parses "scalar", "avx2" or "avx512"; throws InvalidArgument otherwise.
KernelIsa parseIsa(std::string_view name);

}  // namespace gpupoor::kernels
