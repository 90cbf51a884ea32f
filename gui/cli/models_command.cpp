// `gpupoor models`: lists the GPT-2 models found in the bundled resources,
// the Hugging Face hub cache and the folders given with --folder.
#include <QCommandLineParser>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/io/model_locator.h"
#include "gui/cli/command.h"
#include "gui/cli/option_parsing.h"

namespace gpupoor::cli {

namespace {

std::string formatMebibytes(std::uint64_t bytes) {
  return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
}

std::string formatParameters(long long parameters) {
  return fmt::format("{:.1f}M", static_cast<double>(parameters) / 1e6);
}

nlohmann::json toJson(const ModelEntry& model) {
  return {{"name", model.name},
          {"source", modelSourceName(model.source)},
          {"path", model.dir.string()},
          {"n_layer", model.config.nLayer},
          {"n_embd", model.config.nEmbd},
          {"n_head", model.config.nHead},
          {"vocab_size", model.config.vocabSize},
          {"parameters", model.config.parameters},
          {"has_tokenizer", model.hasTokenizer},
          {"weights_file", model.weightsFile.string()},
          {"weights_bytes", model.weightsBytes}};
}

void printTable(const std::vector<ModelEntry>& models) {
  if (models.empty()) {
    printLine("no GPT-2 models found; pass a folder with --folder DIR");
    return;
  }
  printLine(fmt::format("{:<32} {:<9} {:>8} {:>11} {:<9} {}", "NAME", "SOURCE", "PARAMS", "WEIGHTS",
                        "TOKENIZER", "PATH"));
  for (const auto& model : models) {
    const std::string weights =
        model.weightsFile.empty() ? std::string("none") : formatMebibytes(model.weightsBytes);
    printLine(fmt::format("{:<32} {:<9} {:>8} {:>11} {:<9} {}", model.name,
                          modelSourceName(model.source), formatParameters(model.config.parameters),
                          weights, model.hasTokenizer ? "yes" : "no", model.dir.string()));
  }
}

int runModels(const QStringList& args) {
  QCommandLineParser parser;
  parser.setApplicationDescription(
      "List the GPT-2 models found: the bundled demo model, the Hugging Face hub cache "
      "($HF_HUB_CACHE, $HF_HOME/hub or ~/.cache/huggingface/hub) and the given folders.");
  parser.addOption({"folder",
                    "Also list DIR: a model folder, or a folder whose subfolders are model "
                    "folders. Repeatable.",
                    "DIR"});
  parser.addOption({"json", "Print a JSON array instead of a table."});
  if (!parseCommandLine(parser, args, "models", "pass folders with --folder DIR")) return kExitOk;

  std::vector<std::filesystem::path> folders;
  for (const auto& folder : parser.values("folder")) folders.emplace_back(folder.toStdString());
  const auto models = listModels(folders);
  spdlog::debug("found {} models", models.size());

  if (parser.isSet("json")) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& model : models) list.push_back(toJson(model));
    printLine(list.dump(2));
  } else {
    printTable(models);
  }
  return kExitOk;
}

const CommandRegistration kRegistration{Command{
    "models", "list the GPT-2 models found on this machine",
    [](const QStringList& args) { return runGuarded("models", [&] { return runModels(args); }); }}};

}  // namespace

}  // namespace gpupoor::cli
