#pragma once

// The tensors of one checkpoint, whatever the file format: a single or sharded
// safetensors model, or a pytorch_model.bin. Names are as stored in the file
// (with or without the "transformer." prefix); the model loader maps them.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/io/tensor_info.h"

namespace gpupoor {

class TensorSource {
 public:
  virtual ~TensorSource() = default;

  // Every tensor in the checkpoint, in file order.
  virtual const std::vector<TensorInfo>& tensors() const = 0;

  bool contains(std::string_view name) const;
  // Throws InvalidCheckpoint naming the checkpoint and the tensor when absent.
  const TensorInfo& info(std::string_view name) const;

  // Returns a new contiguous float32 CPU tensor; F16 and BF16 are widened
  // exactly. Throws InvalidCheckpoint for other dtypes.
  virtual at::Tensor loadFloat32(std::string_view name) const = 0;

  // Returns a new contiguous CPU tensor in the stored dtype.
  virtual at::Tensor load(std::string_view name) const = 0;

  // Tells the OS it may drop the file pages behind `name`; loading a large
  // model tensor by tensor keeps the resident set small this way.
  virtual void release(std::string_view /*name*/) const {}

  // String metadata (safetensors "__metadata__"); empty when the format has none.
  virtual std::map<std::string, std::string> metadata() const { return {}; }

  // What to show in messages: the file or folder the tensors come from.
  virtual std::string description() const = 0;
};

// Opens the weights in a model folder: model.safetensors,
// model.safetensors.index.json with its shards, or pytorch_model.bin, in that
// order of preference. Throws InvalidCheckpoint when none is present or the
// files are malformed.
std::unique_ptr<TensorSource> openCheckpoint(const std::filesystem::path& modelDir);

}  // namespace gpupoor
