// `gpupoor quantize`: loads an FP32 GPT-2 folder, quantizes it tensor by
// tensor while loading, and saves the INT8 copy with its config and
// tokenizer files (format: docs/quantized-format.md).
#include <QCommandLineParser>

#include <fmt/format.h>

#include <string>

#include "core/common/errors.h"
#include "core/io/model_locator.h"
#include "core/model/model_loader.h"
#include "core/quant/layer_factory.h"
#include "core/quant/quantized_checkpoint.h"
#include "gui/cli/command.h"
#include "gui/cli/option_parsing.h"

namespace gpupoor::cli {
namespace {

int runQuantize(const QStringList& args) {
  QCommandLineParser parser;
  parser.setApplicationDescription(
      "Quantize a GPT-2 checkpoint to INT8 (per output channel) and save it as one safetensors "
      "file with config.json and the tokenizer files.");
  parser.addOption({"model",
                    "Folder of the FP32 (or F16/BF16) GPT-2 checkpoint, \"gpt2-demo\" for the "
                    "bundled model, or a Hugging Face hub id found in the local cache.",
                    "dir"});
  parser.addOption({"out", "Folder to write the quantized model to (created if missing).", "dir"});
  parser.addOption(
      {"scheme", "w8a32 (FP32 activations) or w8a8 (INT8 activations).", "scheme", "w8a32"});
  if (!parseCommandLine(parser, args, "quantize")) return kExitOk;

  const std::filesystem::path modelDir = resolveModelDir(requiredValue(parser, "model").toStdString());
  const std::filesystem::path outDir = requiredValue(parser, "out").toStdString();
  const std::string schemeText = parser.value("scheme").toStdString();
  if (schemeText != "w8a32" && schemeText != "w8a8") {
    throw InvalidArgument(fmt::format(
        "invalid --scheme '{}': quantize writes w8a32 or w8a8 models", schemeText));
  }
  const QuantScheme scheme = parseScheme(schemeText);

  // Before any quantizing, so a bad --out fails at once and not after the work.
  prepareQuantizedOutputDir(modelDir, outDir);

  const std::unique_ptr<LayerFactory> factory = makeLayerFactory(scheme);
  LoadOptions options;
  options.factory = factory.get();
  options.onProgress = [](const LoadProgress& progress) {
    printLine(fmt::format("[{}/{}] {} [{}] {}: {:.1f} MiB -> {:.1f} MiB", progress.index,
                          progress.total, progress.name, fmt::join(progress.shape, ", "),
                          progress.storedDtype, progress.bytesBefore / 1048576.0,
                          progress.bytesAfter / 1048576.0));
  };
  const std::unique_ptr<Gpt2Model> model = loadGpt2Model(modelDir, options);
  saveQuantizedModel(*model, modelDir, outDir);
  printLine(fmt::format("wrote {} model to {}", schemeName(scheme), outDir.string()));
  return kExitOk;
}

const CommandRegistration kRegistration{Command{
    "quantize", "quantize a GPT-2 checkpoint to INT8 and save it", [](const QStringList& args) {
      return runGuarded("quantize", [&] { return runQuantize(args); });
    }}};

}  // namespace
}  // namespace gpupoor::cli
