#include "gui/cli/model_options.h"

#include <fmt/format.h>

#include <limits>

#include "core/common/errors.h"
#include "core/common/threads.h"
#include "core/io/model_locator.h"
#include "core/model/model_loader.h"
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

}  // namespace gpupoor::cli
