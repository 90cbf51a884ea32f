// Safetensors writer. The tensor data is streamed to disk one tensor at a
// time, so writing never keeps a second copy of the whole model.
#include "core/io/safetensors_writer.h"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <bit>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string_view>

#include "core/common/atomic_file.h"
#include "core/common/errors.h"
#include "core/io/tensor_convert.h"
#include "core/io/tensor_info.h"

namespace gpupoor {

namespace {

static_assert(std::endian::native == std::endian::little,
              "safetensors stores little-endian data; big-endian hosts need byte swapping");

// Alignment of the data section, which the format allows by padding the
// JSON header with trailing spaces.
constexpr std::size_t kHeaderAlignmentBytes = 8;

}  // namespace

void writeSafetensors(const std::filesystem::path& path,
                      const std::map<std::string, at::Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  // Header: name -> dtype, shape, data_offsets, in name order.
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) {
    header["__metadata__"] = nlohmann::ordered_json::object();
    for (const auto& [key, value] : metadata) header["__metadata__"][key] = value;
  }
  std::uint64_t offsetBytes = 0;
  for (const auto& [name, tensor] : tensors) {
    if (name == "__metadata__") {
      throw InvalidArgument(
          fmt::format("cannot write '{}': \"__metadata__\" is reserved and "
                      "cannot name a tensor; rename the tensor",
                      path.string()));
    }
    if (!tensor.defined()) {
      throw InvalidArgument(
          fmt::format("cannot write '{}': tensor '{}' is undefined", path.string(), name));
    }
    const auto dtype = dtypeOf(tensor.scalar_type());
    if (!dtype) {
      throw InvalidArgument(fmt::format(
          "cannot write '{}': tensor '{}' has dtype {}, which safetensors cannot store here; "
          "convert it to float32, float16, bfloat16 or an integer type first",
          path.string(), name, c10::toString(tensor.scalar_type())));
    }
    if (tensor.layout() != at::kStrided) {
      throw InvalidArgument(
          fmt::format("cannot write '{}': tensor '{}' is sparse or otherwise "
                      "not strided; convert it with .to_dense() first",
                      path.string(), name));
    }
    if (!tensor.device().is_cpu()) {
      throw InvalidArgument(
          fmt::format("cannot write '{}': tensor '{}' is on {}, expected the "
                      "CPU; move it with .cpu() first",
                      path.string(), name, tensor.device().str()));
    }
    const auto byteLength = static_cast<std::uint64_t>(tensor.numel()) * dtypeSize(*dtype);
    header[name] = {{"dtype", dtypeName(*dtype)},
                    {"shape", tensor.sizes().vec()},
                    {"data_offsets", {offsetBytes, offsetBytes + byteLength}}};
    offsetBytes += byteLength;
  }

  std::string headerText = header.dump();
  const std::size_t paddedBytes = (headerText.size() + kHeaderAlignmentBytes - 1) /
                                  kHeaderAlignmentBytes * kHeaderAlignmentBytes;
  headerText.resize(paddedBytes, ' ');
  const std::uint64_t headerLength = headerText.size();

  // Length prefix, header, then each tensor's bytes.
  AtomicFileWriter writer(path);
  writer.write(std::as_bytes(std::span<const std::uint64_t>(&headerLength, 1)));
  writer.write(headerText);
  for (const auto& [name, tensor] : tensors) {
    const at::Tensor contiguous = tensor.contiguous();
    const auto* data = static_cast<const std::byte*>(contiguous.data_ptr());
    writer.write(std::span<const std::byte>(data, contiguous.nbytes()));
  }
  writer.commit();

  spdlog::info("wrote {} tensors ({:.1f} MiB) to {}", tensors.size(),
               static_cast<double>(writer.bytesWritten()) / (1024.0 * 1024.0), path.string());
}

}  // namespace gpupoor
