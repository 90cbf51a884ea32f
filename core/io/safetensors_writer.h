#pragma once

// Writes named tensors and string metadata as one safetensors file.

#include <ATen/core/Tensor.h>

#include <filesystem>
#include <map>
#include <string>

namespace gpupoor {

// Writes `tensors` (CPU; dtypes F32, F16, BF16, F64, I8, U8, I16, I32, I64,
// BOOL; any strides) and `metadata` to `path`, replacing it atomically.
// Tensors are stored in name order and the header is padded with spaces to
// a multiple of 8 bytes, so every tensor starts 8-byte aligned. Throws
// InvalidArgument naming the tensor for an unsupported dtype or device, and
// gpupoor::Error when the disk write fails (the old file then stays as it was).
void writeSafetensors(const std::filesystem::path& path,
                      const std::map<std::string, at::Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

}  // namespace gpupoor
