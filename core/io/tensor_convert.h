#pragma once

// Conversions between checkpoint bytes and at::Tensor shared by the
// TensorSource implementations.

#include <ATen/core/Tensor.h>

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

#include "core/io/tensor_info.h"

namespace gpupoor {

at::ScalarType scalarTypeOf(DType dtype);
// Returns nullopt for LibTorch types no checkpoint reader supports
// (complex, quantized, ...).
std::optional<DType> dtypeOf(at::ScalarType type);

// Copies `bytes` (exactly info.byteLength() bytes, any alignment) into a new
// contiguous CPU tensor of info.dtype and info.shape.
at::Tensor tensorFromBytes(const TensorInfo& info, std::span<const std::byte> bytes);

// Returns `tensor` as a contiguous float32 tensor: F32 comes back as is (no
// copy when already contiguous) and F16 and BF16 are widened, which is exact. Other dtypes throw
// InvalidCheckpoint naming `origin` and the tensor, because narrowing or reinterpreting them would
// silently change the weights.
at::Tensor toFloat32(const at::Tensor& tensor, const TensorInfo& info, std::string_view origin);

}  // namespace gpupoor
