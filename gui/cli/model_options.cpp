#include "gui/cli/model_options.h"

#include <fmt/format.h>

#include <spdlog/spdlog.h>

#include <limits>

#include "core/common/errors.h"
#include "core/common/threads.h"
#include "core/io/model_locator.h"
#include "core/model/model_loader.h"
#include "core/quant/layer_factory.h"
#include "core/quant/quantized_checkpoint.h"
#include "gui/cli/option_parsing.h"

namespace gpupoor::cli {

void addModelOptions(QCommandLineParser& parser) {
  parser.addOption({"model",
                    "Model folder with config.json and the weights, \"gpt2-demo\" for the bundled "
                    "model, or a Hugging Face hub id found in the local cache.",
                    "DIR"});
  parser.addOption({"threads", "Intra-op threads for LibTorch (default: physical cores).", "N"});
}

std::filesystem::path modelDirOption(const QCommandLineParser& parser) {
  return resolveModelDir(requiredValue(parser, "model").toStdString());
}

void addInt8Option(QCommandLineParser& parser) {
  parser.addOption({"int8",
                    "Run an INT8 copy of the model, quantized per output channel while loading: "
                    "w8a32 (INT8 weights, FP32 activations) or w8a8 (INT8 weights and "
                    "activations). Default: FP32.",
                    "SCHEME"});
}

QuantScheme int8SchemeOption(const QCommandLineParser& parser) {
  if (!parser.isSet("int8")) return QuantScheme::Fp32;
  const std::string value = parser.value("int8").toStdString();
  if (value == schemeName(QuantScheme::W8A32)) return QuantScheme::W8A32;
  if (value == schemeName(QuantScheme::W8A8)) return QuantScheme::W8A8;
  throw InvalidArgument(fmt::format(
      "invalid --int8 '{}': expected w8a32 or w8a8; leave out --int8 to run in FP32", value));
}

void applyThreadsOption(const QCommandLineParser& parser) {
  setComputeThreads(static_cast<int>(integerValue(parser, "threads", 0, 1, 1024)));
}

std::vector<std::int64_t> parseTokenIds(const QString& text, const std::string& optionName) {
  std::vector<std::int64_t> ids;
  for (const QString& item : text.split(',', Qt::KeepEmptyParts)) {
    bool ok = false;
    const qlonglong id = item.trimmed().toLongLong(&ok);
    if (!ok || id < 0 || id > std::numeric_limits<std::int32_t>::max()) {
      throw InvalidArgument(
          fmt::format("invalid --{} item '{}': expected comma-separated non-negative token ids "
                      "such as 464,2068",
                      optionName, item.toStdString()));
    }
    ids.push_back(id);
  }
  return ids;
}

std::unique_ptr<Gpt2Model> loadModelForCommand(const std::filesystem::path& modelDir,
                                               LayerFactory* factory) {
  LoadOptions options;
  options.factory = factory;
  return loadGpt2Model(modelDir, options);
}

std::unique_ptr<Gpt2Model> loadModelForCommand(const std::filesystem::path& modelDir,
                                               QuantScheme scheme, const CancelToken* cancel) {
  if (isQuantizedCheckpoint(modelDir)) {
    throwIfCancelled(cancel);
    if (scheme == QuantScheme::Fp32) {
      spdlog::info("{} is a quantized checkpoint; running it with its stored scheme",
                   modelDir.string());
      return loadQuantizedModel(modelDir);
    }
    return loadQuantizedModel(modelDir, scheme);
  }

  std::unique_ptr<LayerFactory> factory;
  if (scheme != QuantScheme::Fp32) factory = makeLayerFactory(scheme);
  LoadOptions options;
  options.factory = factory.get();
  options.cancel = cancel;
  return loadGpt2Model(modelDir, options);
}

}  // namespace gpupoor::cli
