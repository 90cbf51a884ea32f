#pragma once

// Saving and reloading an INT8 model copy, so a model is quantized once.
//
// A quantized model folder contains config.json, the tokenizer files copied from
// the source folder, and one model.safetensors with:
//   <name>.weight        I8  [out, in] (linear layers, already transposed from
//                            GPT-2's Conv1D [in, out]) or [rows, C] (wte, wpe,
//                            lm_head), values in [-127, 127]
//   <name>.weight_scale  F32 [out] or [rows], weight = value * scale per row
//   <name>.bias, h.N.ln_1.weight, ...  F32, unchanged
// and __metadata__ {"gpupoor.format": "int8-per-channel",
// "gpupoor.format_version": "1", "gpupoor.scheme": "w8a32" | "w8a8",
// "gpupoor.source": <source folder>}. Names carry no "transformer." prefix.
// Loading rebuilds the INT8 layers from the stored values without
// requantizing, so logits are bit-identical to the model that was saved.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "core/common/scheme.h"
#include "core/model/gpt2_model.h"

namespace gpupoor {

inline constexpr const char* kQuantizedFormatName = "int8-per-channel";
inline constexpr const char* kQuantizedFormatVersion = "1";

// Writes `model` (all weight layers Int8Linear / Int8Embedding) to `outDir`,
// creating it, and copies config.json plus the tokenizer files found in
// `sourceDir`. Throws InvalidArgument when a layer is not INT8 or outDir is
// unusable (see prepareQuantizedOutputDir), InvalidCheckpoint when sourceDir
// has no config.json, and Error when writing fails.
void saveQuantizedModel(const Gpt2Model& model, const std::filesystem::path& sourceDir,
                        const std::filesystem::path& outDir);

// Checks, before any quantizing, that `outDir` can take a quantized copy of
// `sourceDir`: it is not the source folder, and it is a folder that exists
// or can be created (it is created). Throws InvalidArgument naming the
// folder otherwise.
void prepareQuantizedOutputDir(const std::filesystem::path& sourceDir,
                               const std::filesystem::path& outDir);

// True when `modelDir`/model.safetensors carries gpupoor.format metadata.
// Never throws: an unreadable or missing file gives false.
bool isQuantizedCheckpoint(const std::filesystem::path& modelDir);

// Loads a folder written by saveQuantizedModel. `scheme` overrides the stored
// scheme (the stored values serve both). Throws InvalidCheckpoint for a
// missing or malformed file, another format or version, or a tensor whose
// shape disagrees with config.json.
std::unique_ptr<Gpt2Model> loadQuantizedModel(const std::filesystem::path& modelDir,
                                              std::optional<QuantScheme> scheme = std::nullopt);

}  // namespace gpupoor
