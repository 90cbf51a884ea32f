// `gpupoor tokenize`: prints the GPT-2 token ids of a text, from the
// vocab.json and merges.txt of a model folder or hub id. Encoding only, with
// no decode mode.

#include <QCommandLineParser>
#include <QFile>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <string>

#include "core/common/errors.h"
#include "core/io/model_locator.h"
#include "core/tokenizer/tokenizer_loader.h"
#include "gui/cli/command.h"
#include "gui/cli/option_parsing.h"

namespace gpupoor::cli {

namespace {

std::string readInputFile(const QString& path) {
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly)) {
    throw InvalidArgument(fmt::format("cannot read --file {}: {}", path.toStdString(),
                                      file.errorString().toStdString()));
  }
  return file.readAll().toStdString();
}

std::string formatIds(const std::vector<TokenId>& ids, bool asJson) {
  if (asJson) {
    const nlohmann::json document = {{"ids", ids}, {"count", ids.size()}};
    return document.dump();
  }
  return fmt::format("{}", fmt::join(ids, ","));
}

int runTokenize(const QStringList& args) {
  QCommandLineParser parser;
  parser.setApplicationDescription(
      "Print the GPT-2 token ids of a text, using vocab.json and merges.txt of a model folder.");
  const QCommandLineOption modelOption(
      "model",
      "Model folder, \"gpt2-demo\" or a hub id in the Hugging Face cache; it needs vocab.json "
      "and merges.txt.",
      "DIR");
  const QCommandLineOption textOption("text", "Text to encode (UTF-8).", "S");
  const QCommandLineOption fileOption("file", "File whose bytes (UTF-8) are encoded.", "F");
  const QCommandLineOption allowSpecialOption(
      "allow-special", "Encode each <|endoftext|> as the special token 50256 instead of text.");
  const QCommandLineOption jsonOption("json",
                                      "Print {\"ids\":[...],\"count\":N} instead of "
                                      "comma-separated ids.");
  parser.addOptions(
      {modelOption, textOption, fileOption, allowSpecialOption, jsonOption});

  return runGuarded("tokenize", [&] {
    if (!parseCommandLine(parser, args, "tokenize", "quote the text and pass it with --text")) {
      return kExitOk;
    }
    if (!parser.isSet(modelOption)) {
      throw InvalidArgument(
          "--model DIR is required: pass a model folder or hub id that has "
          "vocab.json and merges.txt");
    }
    if (parser.isSet(textOption) == parser.isSet(fileOption)) {
      throw InvalidArgument("pass exactly one of --text S or --file F");
    }

    const std::filesystem::path modelDir = resolveModelDir(parser.value(modelOption).toStdString());
    const auto tokenizer = requireTokenizer(modelDir);
    const std::string text = parser.isSet(textOption) ? parser.value(textOption).toStdString()
                                                      : readInputFile(parser.value(fileOption));

    const auto startTime = std::chrono::steady_clock::now();
    const auto ids = tokenizer->encode(text, parser.isSet(allowSpecialOption));
    const double elapsedMs =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - startTime)
            .count();
    spdlog::info("encoded {} bytes into {} tokens in {:.1f} ms (1 thread)", text.size(), ids.size(),
                 elapsedMs);

    printLine(formatIds(ids, parser.isSet(jsonOption)));
    return kExitOk;
  });
}

const CommandRegistration kRegistration({
    .name = "tokenize",
    .summary = "print the GPT-2 token ids of a text",
    .run = runTokenize,
    .needsWidgets = false,
});

}  // namespace

}  // namespace gpupoor::cli
