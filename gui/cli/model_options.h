#pragma once

// Options shared by the subcommands that run a model (logits, generate,
// perplexity): the model folder, the INT8 scheme, the thread count and token
// id lists.

#include <QCommandLineParser>
#include <QString>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/common/cancel.h"
#include "core/common/scheme.h"
#include "core/model/gpt2_model.h"
#include "core/model/gpt2_weights.h"

namespace gpupoor::cli {

// Adds --model DIR and --threads N.
void addModelOptions(QCommandLineParser& parser);

// Resolves --model (a folder, "gpt2-demo" or a hub id in the local cache)
// to a model folder. Throws InvalidArgument when it is missing or not found.
std::filesystem::path modelDirOption(const QCommandLineParser& parser);

// Adds --int8 SCHEME.
void addInt8Option(QCommandLineParser& parser);

// Returns the scheme of --int8 (W8A32 or W8A8), or Fp32 when the option is
// absent. Throws InvalidArgument naming the value and the accepted schemes.
QuantScheme int8SchemeOption(const QCommandLineParser& parser);

// Sets LibTorch's intra-op threads from --threads (default: physical cores).
void applyThreadsOption(const QCommandLineParser& parser);

// Parses a comma-separated id list such as "464,2068,7586". Throws
// InvalidArgument naming `optionName` and the bad item.
std::vector<std::int64_t> parseTokenIds(const QString& text, const std::string& optionName);

// Loads the model in `modelDir` through `factory` (null: FP32 layers).
std::unique_ptr<Gpt2Model> loadModelForCommand(const std::filesystem::path& modelDir,
                                               LayerFactory* factory);

// Loads the model in `modelDir` as `scheme`. A folder written by
// `gpupoor quantize` is reloaded without requantizing: as its stored scheme
// when `scheme` is Fp32 (no --int8), else as `scheme`. `cancel` (may be null)
// is checked between tensors of an FP32 checkpoint; a quantized folder loads
// in one piece.
std::unique_ptr<Gpt2Model> loadModelForCommand(const std::filesystem::path& modelDir,
                                               QuantScheme scheme,
                                               const CancelToken* cancel = nullptr);

}  // namespace gpupoor::cli
