// pytorch_model.bin reading: LibTorch's PyTorchStreamReader opens the zip
// archive, and the restricted unpickler in state_dict_unpickler rebuilds the
// state dict from data.pkl and the data/<key> storage records.
#include "core/io/pytorch_bin_source.h"

#include <caffe2/serialize/inline_container.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <fstream>

#include "core/common/errors.h"
#include "core/io/state_dict_unpickler.h"
#include "core/io/tensor_convert.h"

namespace gpupoor {

namespace {

// Every zip file, and so every torch.save archive, starts with a local file
// header signature "PK\3\4". Legacy torch.save output starts with a pickle
// protocol opcode (0x80) instead.
constexpr std::string_view kZipSignature{"PK\x03\x04", 4};

// The first bytes of `file`, fewer when the file is shorter.
std::string readPrefix(const std::filesystem::path& file, std::size_t count) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw InvalidCheckpoint(
        fmt::format("cannot open '{}'. Check the path and permissions.", file.string()));
  }
  std::string prefix(count, '\0');
  in.read(prefix.data(), static_cast<std::streamsize>(count));
  prefix.resize(static_cast<std::size_t>(in.gcount()));
  return prefix;
}

std::vector<std::byte> readRecord(caffe2::serialize::PyTorchStreamReader& archive,
                                  const std::string& name) {
  auto [data, sizeBytes] = archive.getRecord(name);
  std::vector<std::byte> bytes(sizeBytes);
  if (sizeBytes > 0) std::memcpy(bytes.data(), data.get(), sizeBytes);
  return bytes;
}

[[noreturn]] void failBin(const std::filesystem::path& file, const std::string& detail) {
  throw InvalidCheckpoint(fmt::format("cannot read '{}': {}", file.string(), detail));
}

}  // namespace

PytorchBinSource::PytorchBinSource(const std::filesystem::path& file) : m_file(file) {
  const std::string prefix = readPrefix(file, kZipSignature.size());
  if (prefix.empty()) {
    failBin(file,
            "the file is empty (0 bytes). The download or save was interrupted; "
            "re-download the checkpoint.");
  }
  if (prefix != kZipSignature) {
    failBin(file,
            "it is not a zip archive, so it is either damaged or in the legacy format of "
            "torch.save before PyTorch 1.6, which is not supported. Re-save it with a "
            "current PyTorch (torch.save(torch.load(f), f)) or convert it to safetensors.");
  }

  std::vector<std::pair<std::string, at::Tensor>> stateDict;
  try {
    caffe2::serialize::PyTorchStreamReader archive(file.string());
    if (!archive.hasRecord("data.pkl")) {
      failBin(file,
              "the zip archive has no data.pkl record, so torch.save did not write it. "
              "Convert the checkpoint to safetensors.");
    }
    const std::vector<std::byte> pickle = readRecord(archive, "data.pkl");
    const StorageRecordReader readStorage = [&archive, &file](const std::string& key) {
      const std::string record = "data/" + key;
      if (!archive.hasRecord(record)) {
        failBin(file, fmt::format("the zip archive has no storage record '{}'", record));
      }
      return readRecord(archive, record);
    };
    stateDict = unpickleStateDict(pickle, readStorage, file.string());
  } catch (const c10::Error& error) {
    failBin(file, fmt::format("the zip archive is damaged: {}. Re-download the checkpoint.",
                              error.what_without_backtrace()));
  }

  for (auto& [name, tensor] : stateDict) {
    const auto dtype = dtypeOf(tensor.scalar_type());
    if (!dtype) {
      failBin(file, fmt::format("tensor '{}' has unsupported dtype {}; convert the checkpoint "
                                "to float32, float16 or bfloat16",
                                name, c10::toString(tensor.scalar_type())));
    }
    if (m_tensors.count(name) != 0) {
      failBin(file, fmt::format("tensor '{}' appears twice in the state dict", name));
    }
    TensorInfo info;
    info.name = name;
    info.dtype = *dtype;
    info.shape = tensor.sizes().vec();
    info.file = file;
    m_infos.push_back(std::move(info));
    // Tied weights share one storage in the file and stay shared here;
    // load() copies before anything is handed out.
    m_tensors.emplace(name, std::move(tensor));
  }
  spdlog::debug("read {}: {} tensors", file.string(), m_infos.size());
}

at::Tensor PytorchBinSource::load(std::string_view name) const {
  info(name);  // throws InvalidCheckpoint naming the tensor when absent
  return m_tensors.find(name)->second.clone(at::MemoryFormat::Contiguous);
}

at::Tensor PytorchBinSource::loadFloat32(std::string_view name) const {
  const TensorInfo& tensorInfo = info(name);
  return toFloat32(load(name), tensorInfo, description());
}

}  // namespace gpupoor
