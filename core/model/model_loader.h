#pragma once

// Builds a Gpt2Model from a Hugging Face GPT-2 checkpoint, one tensor at a
// time through a LayerFactory, so a quantizing factory never keeps the whole
// FP32 model in memory. Finding a model folder by name is core/io's job, not this one.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/common/cancel.h"
#include "core/io/tensor_source.h"
#include "core/model/config.h"
#include "core/model/gpt2_model.h"
#include "core/model/gpt2_weights.h"

namespace gpupoor {

// One loaded layer or LayerNorm, reported after the factory built it.
struct LoadProgress {
  int index = 0;  // 1-based
  int total = 0;
  std::string name;                 // canonical name without prefix, e.g. "h.3.mlp.c_fc"
  std::vector<std::int64_t> shape;  // weight shape as stored in the file
  std::string storedDtype;          // "F32", "F16" or "BF16"
  std::int64_t bytesBefore = 0;     // float32 bytes handed to the factory (weight + bias)
  std::int64_t bytesAfter = 0;      // resident bytes of the built layer
};

struct LoadOptions {
  LayerFactory* factory = nullptr;  // null: FP32 layers
  std::function<void(const LoadProgress&)> onProgress;
  const CancelToken* cancel = nullptr;  // checked between tensors
};

// Reads `modelDir`/config.json and the weights in `modelDir` (see
// openCheckpoint). Throws InvalidCheckpoint for a missing, malformed or
// mismatching file or tensor, and Cancelled when `options.cancel` fires.
std::unique_ptr<Gpt2Model> loadGpt2Model(const std::filesystem::path& modelDir,
                                         const LoadOptions& options = {});

// Same, from a config and tensors the caller already has (for example
// in-memory sources built by a benchmark).
std::unique_ptr<Gpt2Model> loadGpt2Model(const Gpt2Config& config, const TensorSource& source,
                                         const LoadOptions& options = {});

}  // namespace gpupoor
