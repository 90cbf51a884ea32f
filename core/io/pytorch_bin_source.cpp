// pytorch_model.bin reading through torch::pickle_load. Checked on LibTorch
// 1.13 (Debian 12): pickle_load opens the torch.save zip archive itself
// (data.pkl plus one record per storage), so no hand-written zip reading is
// needed.
#include "core/io/pytorch_bin_source.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <torch/serialize.h>

#include <fstream>
#include <iterator>

#include "core/common/errors.h"
#include "core/io/tensor_convert.h"

namespace gpupoor {

namespace {

// Every zip file, and so every torch.save archive, starts with a local file
// header signature "PK\3\4". Legacy torch.save output starts with a pickle
// protocol opcode (0x80) instead.
constexpr std::string_view kZipSignature{"PK\x03\x04", 4};

std::vector<char> readWholeFile(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw InvalidCheckpoint(fmt::format("cannot open '{}'. Check the path and permissions.",
                                        file.string()));
  }
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

[[noreturn]] void failBin(const std::filesystem::path& file, const std::string& detail) {
  throw InvalidCheckpoint(fmt::format("cannot read '{}': {}", file.string(), detail));
}

}  // namespace

PytorchBinSource::PytorchBinSource(const std::filesystem::path& file) : m_file(file) {
  std::vector<char> bytes = readWholeFile(file);
  if (bytes.empty()) {
    failBin(file, "the file is empty (0 bytes). The download or save was interrupted; "
                  "re-download the checkpoint.");
  }
  if (bytes.size() < kZipSignature.size() ||
      std::string_view(bytes.data(), kZipSignature.size()) != kZipSignature) {
    failBin(file, "it is not a zip archive, so it is either damaged or in the legacy format of "
                  "torch.save before PyTorch 1.6, which is not supported. Re-save it with a "
                  "current PyTorch (torch.save(torch.load(f), f)) or convert it to safetensors.");
  }

  c10::IValue value;
  try {
    value = torch::pickle_load(bytes);
  } catch (const c10::Error& error) {
    failBin(file, fmt::format("unpickling failed: {}. The file is damaged or holds Python "
                              "objects other than tensors; convert it to safetensors.",
                              error.what_without_backtrace()));
  }
  bytes = {};

  if (!value.isGenericDict()) {
    failBin(file, fmt::format("the pickled object is a {}, expected a state dict of tensors",
                              value.tagKind()));
  }
  for (const auto& item : value.toGenericDict()) {
    if (!item.key().isString()) {
      failBin(file, fmt::format("a state dict key is a {}, expected a string",
                                item.key().tagKind()));
    }
    const std::string& name = item.key().toStringRef();
    if (!item.value().isTensor()) {
      failBin(file, fmt::format("entry '{}' is a {}, expected a tensor", name,
                                item.value().tagKind()));
    }
    const at::Tensor tensor = item.value().toTensor();
    const auto dtype = dtypeOf(tensor.scalar_type());
    if (!dtype) {
      failBin(file, fmt::format("tensor '{}' has unsupported dtype {}; convert the checkpoint "
                                "to float32, float16 or bfloat16",
                                name, c10::toString(tensor.scalar_type())));
    }
    TensorInfo info;
    info.name = name;
    info.dtype = *dtype;
    info.shape = tensor.sizes().vec();
    info.file = file;
    m_infos.push_back(std::move(info));
    // Tied weights share one storage in the file; contiguous() keeps the
    // sharing, and load() copies before anything is handed out.
    m_tensors.emplace(name, tensor.contiguous());
  }
  spdlog::debug("read {}: {} tensors", file.string(), m_infos.size());
}

at::Tensor PytorchBinSource::load(std::string_view name) const {
  info(name);  // throws InvalidCheckpoint naming the tensor when absent
  return m_tensors.find(name)->second.clone();
}

at::Tensor PytorchBinSource::loadFloat32(std::string_view name) const {
  const TensorInfo& tensorInfo = info(name);
  return toFloat32(load(name), tensorInfo, description());
}

}  // namespace gpupoor
