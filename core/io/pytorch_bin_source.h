#pragma once

// TensorSource over a pytorch_model.bin in the zip format that torch.save
// has written since PyTorch 1.6. The pickled state dict is read by a
// restricted unpickler (state_dict_unpickler.h) that rebuilds tensors, dicts
// and OrderedDicts and rejects any other Python global, so no pickled code
// runs.
//
// NOTE: the whole state dict stays in memory once read, unlike the
// memory-mapped safetensors sources, so a .bin needs about its file size in
// RAM on top of the model being built.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/io/tensor_source.h"

namespace gpupoor {

class PytorchBinSource final : public TensorSource {
 public:
  // Reads and unpickles `file`. Throws InvalidCheckpoint naming the file for
  // legacy (pre-zip) files, damaged archives, anything but a flat
  // name -> tensor dict, and disallowed pickle content.
  explicit PytorchBinSource(const std::filesystem::path& file);

  // Tensors in the order of the pickled dict.
  const std::vector<TensorInfo>& tensors() const override { return m_infos; }
  at::Tensor loadFloat32(std::string_view name) const override;
  // Returns a copy, so callers may modify it.
  at::Tensor load(std::string_view name) const override;
  std::string description() const override { return m_file.string(); }

 private:
  std::filesystem::path m_file;
  std::vector<TensorInfo> m_infos;
  std::map<std::string, at::Tensor, std::less<>> m_tensors;
};

}  // namespace gpupoor
