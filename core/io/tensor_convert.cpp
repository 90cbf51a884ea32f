// DType <-> at::ScalarType mapping and byte-to-tensor copies.
#include "core/io/tensor_convert.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <cstring>

#include "core/common/errors.h"

namespace gpupoor {

at::ScalarType scalarTypeOf(DType dtype) {
  switch (dtype) {
    case DType::F32:
      return at::kFloat;
    case DType::F16:
      return at::kHalf;
    case DType::BF16:
      return at::kBFloat16;
    case DType::F64:
      return at::kDouble;
    case DType::I8:
      return at::kChar;
    case DType::U8:
      return at::kByte;
    case DType::I16:
      return at::kShort;
    case DType::I32:
      return at::kInt;
    case DType::I64:
      return at::kLong;
    case DType::Bool:
      return at::kBool;
  }
  return at::kFloat;
}

std::optional<DType> dtypeOf(at::ScalarType type) {
  switch (type) {
    case at::kFloat:
      return DType::F32;
    case at::kHalf:
      return DType::F16;
    case at::kBFloat16:
      return DType::BF16;
    case at::kDouble:
      return DType::F64;
    case at::kChar:
      return DType::I8;
    case at::kByte:
      return DType::U8;
    case at::kShort:
      return DType::I16;
    case at::kInt:
      return DType::I32;
    case at::kLong:
      return DType::I64;
    case at::kBool:
      return DType::Bool;
    default:
      return std::nullopt;
  }
}

at::Tensor tensorFromBytes(const TensorInfo& info, std::span<const std::byte> bytes) {
  at::Tensor tensor = at::empty(info.shape, at::TensorOptions().dtype(scalarTypeOf(info.dtype)));
  if (static_cast<std::size_t>(tensor.nbytes()) != bytes.size()) {
    throw InvalidCheckpoint(
        fmt::format("'{}': tensor '{}' has {} bytes, but shape {} of {} needs "
                    "{} bytes; re-download or re-save the checkpoint",
                    info.file.string(), info.name, bytes.size(), formatShape(info.shape),
                    dtypeName(info.dtype), tensor.nbytes()));
  }
  if (!bytes.empty()) std::memcpy(tensor.data_ptr(), bytes.data(), bytes.size());
  return tensor;
}

at::Tensor toFloat32(const at::Tensor& tensor, const TensorInfo& info, std::string_view origin) {
  switch (info.dtype) {
    case DType::F32:
      return tensor.contiguous();
    case DType::F16:
    case DType::BF16:
      return tensor.to(at::kFloat).contiguous();
    default:
      throw InvalidCheckpoint(fmt::format(
          "{}: tensor '{}' is stored as {}, but only F32, F16 and BF16 weights can be loaded as "
          "float32. Convert the checkpoint to one of these dtypes.",
          origin, info.name, dtypeName(info.dtype)));
  }
}

}  // namespace gpupoor
