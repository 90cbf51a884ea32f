// Loads tensors out of a SafetensorsReader's mapping into LibTorch tensors.
#include "core/io/safetensors_source.h"

#include <ATen/ATen.h>
#include <spdlog/spdlog.h>

#include "core/io/tensor_convert.h"

namespace gpupoor {

SafetensorsSource::SafetensorsSource(const std::filesystem::path& file) : m_reader(file) {
  spdlog::debug("opened {}: {} tensors, {} metadata entries", file.string(),
                m_reader.tensors().size(), m_reader.metadata().size());
}

at::Tensor SafetensorsSource::load(std::string_view name) const {
  const TensorInfo& tensorInfo = info(name);
  return tensorFromBytes(tensorInfo, m_reader.tensorBytes(name));
}

at::Tensor SafetensorsSource::loadFloat32(std::string_view name) const {
  const TensorInfo& tensorInfo = info(name);
  return toFloat32(load(name), tensorInfo, description());
}

}  // namespace gpupoor
