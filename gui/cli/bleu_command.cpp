// `gpupoor bleu`: sentence BLEU-4 of one hypothesis against one reference, as
// NLTK 3.8 computes it, on whitespace-split tokens.

#include <QCommandLineParser>

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "core/metrics/bleu.h"
#include "gui/cli/command.h"
#include "gui/cli/option_parsing.h"

namespace gpupoor::cli {
namespace {

int runBleu(const QStringList& args) {
  return runGuarded("bleu", [&] {
    QCommandLineParser parser;
    parser.setApplicationDescription(
        "Sentence BLEU-4 (uniform weights) of a hypothesis against a reference, as NLTK 3.8 "
        "computes it. Tokens are the whitespace-separated words.");
    parser.addOption({"reference", "Reference text.", "text"});
    parser.addOption({"hypothesis", "Hypothesis text.", "text"});
    parser.addOption({"smoothing", "NLTK smoothing method0..method7 (default method1).", "method", "method1"});
    parser.addOption({"epsilon", "Count added to zero n-gram matches by method1 (default 0.1).", "value"});
    parser.addOption({"json", "Print the result as one JSON object."});
    if (!parseCommandLine(parser, args, "bleu")) return kExitOk;

    BleuOptions options;
    options.smoothing = parseSmoothingMethod(parser.value("smoothing"));
    options.epsilon = numberValue(parser, "epsilon", options.epsilon, 0.0, 1e9);
    const BleuTokens reference = splitWhitespace(requiredValue(parser, "reference").toStdString());
    const BleuTokens hypothesis = splitWhitespace(requiredValue(parser, "hypothesis").toStdString());
    const double bleu = sentenceBleu({reference}, hypothesis, options);

    if (parser.isSet("json")) {
      const nlohmann::json result = {
          {"bleu", bleu},
          {"smoothing", fmt::format("method{}", options.smoothing)},
          {"reference_tokens", reference.size()},
          {"hypothesis_tokens", hypothesis.size()},
      };
      printLine(result.dump());
    } else {
      printLine(fmt::format("{:.6f}", bleu));
    }
    return kExitOk;
  });
}

const CommandRegistration kRegistration(
    {"bleu", "sentence BLEU-4 of a hypothesis against a reference (NLTK 3.8)", runBleu, false});

}  // namespace
}  // namespace gpupoor::cli
