#pragma once

// Writes small GPT-2 checkpoints in the Hugging Face layout (config.json plus
// model.safetensors) so that loader tests can build good and broken files.

#include <ATen/core/Tensor.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "core/model/config.h"

namespace gpupoor::test {

// Random float32 tensors under the unprefixed Hugging Face names, with
// Conv1D weights stored [in, out] as GPT-2 checkpoints store them. No
// lm_head.weight, so the head is tied.
std::map<std::string, at::Tensor> randomCheckpointTensors(const Gpt2Config& config,
                                                          std::uint64_t seed);

// The config.json fields of `config`, as Hugging Face writes them.
nlohmann::json configJson(const Gpt2Config& config);

// Writes `dir`/config.json and `dir`/model.safetensors, creating `dir`.
void writeCheckpoint(const std::filesystem::path& dir, const nlohmann::json& config,
                     const std::map<std::string, at::Tensor>& tensors);

}  // namespace gpupoor::test
