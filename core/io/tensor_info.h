#pragma once

// Element types and per-tensor descriptions shared by every checkpoint
// reader. Free of LibTorch, so the safetensors parser can be built alone
// with sanitizers.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace gpupoor {

// I16 was appended after the first release of this enum; keep new values at
// the end so that stored numbers stay stable.
enum class DType { F32, F16, BF16, I8, U8, I32, I64, F64, Bool, I16 };

// Name as safetensors spells it ("F32", "BF16", ...).
std::string_view dtypeName(DType dtype);
std::size_t dtypeSize(DType dtype);
// Parses a safetensors dtype name; returns false for names it does not know.
bool dtypeFromName(std::string_view name, DType& dtype);

struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
  std::filesystem::path file;  // the file that holds the data

  std::int64_t numel() const;
  std::size_t byteLength() const { return static_cast<std::size_t>(numel()) * dtypeSize(dtype); }
};

// "[768, 2304]": a shape as messages print it.
std::string formatShape(const std::vector<std::int64_t>& shape);

}  // namespace gpupoor
