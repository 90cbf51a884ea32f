// DType names and sizes as the safetensors format defines them.
#include "core/io/tensor_info.h"

#include <array>
#include <utility>

namespace gpupoor {

namespace {

struct DTypeSpec {
  DType dtype;
  std::string_view name;
  std::size_t sizeBytes;
};

constexpr std::array<DTypeSpec, 10> kDTypeSpecs{{
    {DType::F32, "F32", 4},
    {DType::F16, "F16", 2},
    {DType::BF16, "BF16", 2},
    {DType::I8, "I8", 1},
    {DType::U8, "U8", 1},
    {DType::I32, "I32", 4},
    {DType::I64, "I64", 8},
    {DType::F64, "F64", 8},
    {DType::Bool, "BOOL", 1},
    {DType::I16, "I16", 2},
}};

const DTypeSpec& specOf(DType dtype) {
  for (const auto& spec : kDTypeSpecs) {
    if (spec.dtype == dtype) return spec;
  }
  return kDTypeSpecs.front();
}

}  // namespace

std::string_view dtypeName(DType dtype) { return specOf(dtype).name; }

std::size_t dtypeSize(DType dtype) { return specOf(dtype).sizeBytes; }

bool dtypeFromName(std::string_view name, DType& dtype) {
  for (const auto& spec : kDTypeSpecs) {
    if (spec.name == name) {
      dtype = spec.dtype;
      return true;
    }
  }
  return false;
}

std::int64_t TensorInfo::numel() const {
  std::int64_t count = 1;
  for (const std::int64_t dim : shape) count *= dim;
  return count;
}

std::string formatShape(const std::vector<std::int64_t>& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

}  // namespace gpupoor
