#pragma once

// Options shared by the subcommands that run a model (logits, generate):
// the model folder, the thread count and token id lists.

#include <QCommandLineParser>
#include <QString>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/model/gpt2_model.h"
#include "core/model/gpt2_weights.h"

namespace gpupoor::cli {

// Adds --model DIR and --threads N.
void addModelOptions(QCommandLineParser& parser);

// Resolves --model (a folder, "gpt2-demo" or a hub id in the local cache)
// to a model folder. Throws InvalidArgument when it is missing or not found.
std::filesystem::path modelDirOption(const QCommandLineParser& parser);

// Sets LibTorch's intra-op threads from --threads (default: physical cores).
void applyThreadsOption(const QCommandLineParser& parser);

// Parses a comma-separated id list such as "464,2068,7586". Throws
// InvalidArgument naming `optionName` and the bad item.
std::vector<std::int64_t> parseTokenIds(const QString& text, const std::string& optionName);

// Loads the model in `modelDir` through `factory` (null: FP32 layers).
std::unique_ptr<Gpt2Model> loadModelForCommand(const std::filesystem::path& modelDir,
                                               LayerFactory* factory);

}  // namespace gpupoor::cli
