#pragma once

// TensorSource over one memory-mapped model.safetensors file.

#include <filesystem>

#include "core/io/safetensors_reader.h"
#include "core/io/tensor_source.h"

namespace gpupoor {

class SafetensorsSource final : public TensorSource {
 public:
  // Maps and validates `file`. Throws InvalidCheckpoint.
  explicit SafetensorsSource(const std::filesystem::path& file);

  const std::vector<TensorInfo>& tensors() const override { return m_reader.tensors(); }
  at::Tensor loadFloat32(std::string_view name) const override;
  at::Tensor load(std::string_view name) const override;
  // Drops the mapped pages of `name` (madvise); a later load reads the file again.
  void release(std::string_view name) const override { m_reader.release(name); }
  std::map<std::string, std::string> metadata() const override { return m_reader.metadata(); }
  std::string description() const override { return m_reader.path().string(); }

  const SafetensorsReader& reader() const { return m_reader; }

 private:
  SafetensorsReader m_reader;
};

}  // namespace gpupoor
