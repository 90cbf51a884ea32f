// `gpupoor generate`: continues a prompt with the model (FP32, or INT8 with
// --int8 SCHEME), printing the text as it is generated, or one JSON object
// with ids, text and timings. Ctrl-C stops after the current token, prints
// what was generated so far and exits with 130.

#include <QCommandLineParser>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <limits>
#include <optional>
#include <span>

#include "core/common/cancel.h"
#include "core/common/errors.h"
#include "core/common/threads.h"
#include "core/model/generation.h"
#include "core/tokenizer/streaming_decoder.h"
#include "core/tokenizer/tokenizer_loader.h"
#include "gui/cli/command.h"
#include "gui/cli/interrupt_guard.h"
#include "gui/cli/model_options.h"
#include "gui/cli/option_parsing.h"

namespace gpupoor::cli {
namespace {

// Default number of new tokens when --max-new-tokens is absent.
constexpr std::int64_t kDefaultMaxNewTokens = 32;

void printRaw(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

std::string decodeIds(const Gpt2Tokenizer& tokenizer, const std::vector<std::int64_t>& ids) {
  return tokenizer.decode(std::span<const TokenId>(ids.data(), ids.size()));
}

// Reads the sampling options; --greedy excludes the others.
GenerationSettings readSettings(const QCommandLineParser& parser) {
  GenerationSettings settings;
  settings.maxNewTokens =
      static_cast<int>(integerValue(parser, "max-new-tokens", kDefaultMaxNewTokens, 0, 1'000'000));
  settings.stopAtEos = !parser.isSet("no-stop-at-eos");
  settings.allowSlidingWindow = parser.isSet("sliding-window");

  const bool sampling = parser.isSet("temperature") || parser.isSet("top-k") ||
                        parser.isSet("top-p") || parser.isSet("seed");
  if (parser.isSet("greedy") && sampling) {
    throw InvalidArgument(
        "--greedy cannot be combined with --temperature, --top-k, --top-p or --seed; pick one "
        "decoding mode");
  }
  if (!sampling) return settings;

  // Sampling options without --temperature sample from the plain softmax.
  settings.temperature = numberValue(parser, "temperature", 1.0, 0.0, 1e6);
  settings.topK = static_cast<int>(integerValue(parser, "top-k", 0, 0, 1'000'000));
  settings.topP = numberValue(parser, "top-p", 1.0, 0.0, 1.0);
  if (parser.isSet("seed")) {
    settings.seed = static_cast<std::uint64_t>(
        integerValue(parser, "seed", 0, 0, std::numeric_limits<std::int64_t>::max()));
  }
  return settings;
}

nlohmann::json timingJson(const GenerationResult& result) {
  return {{"prefill_ms", result.prefillMs},
          {"decode_ms", result.decodeMs},
          {"total_ms", result.totalMs},
          {"time_to_first_token_ms", result.timeToFirstTokenMs},
          {"decode_steps", result.decodeSteps},
          {"prefill_tokens_per_second", result.prefillTokensPerSecond},
          {"decode_tokens_per_second", result.decodeTokensPerSecond},
          {"threads", computeThreads()}};
}

int runGenerate(const QStringList& args) {
  return runGuarded("generate", [&] {
    QCommandLineParser parser;
    parser.setApplicationDescription(
        "Continue a prompt with the model. Prints the text as it is generated (the new token "
        "ids when the model folder has no tokenizer files), or one JSON object with --json.");
    addModelOptions(parser);
    addInt8Option(parser);
    parser.addOption(
        {"prompt", "Prompt text; needs vocab.json and merges.txt in the model folder.", "TEXT"});
    parser.addOption({"ids", "Prompt as comma-separated token ids, e.g. 464,2068,7586.", "IDS"});
    parser.addOption(
        {"max-new-tokens",
         fmt::format("Number of tokens to generate (default {}).", kDefaultMaxNewTokens).c_str(),
         "N"});
    parser.addOption({"greedy", "Always take the most likely token (the default)."});
    parser.addOption(
        {"temperature", "Sample with this temperature (default 1 when sampling).", "T"});
    parser.addOption({"top-k", "Sample from the K most likely tokens only (0: off).", "K"});
    parser.addOption(
        {"top-p", "Sample from the smallest set with probability >= P (1: off).", "P"});
    parser.addOption({"seed", "Seed for sampling, so a run can be repeated.", "S"});
    parser.addOption({"no-stop-at-eos", "Keep generating after the end-of-text token."});
    parser.addOption({"sliding-window",
                      "Allow prompt + new tokens beyond the context length by keeping only the "
                      "last n_positions tokens."});
    parser.addOption({"json", "Print one JSON object with ids, text and timing instead of text."});
    if (!parseCommandLine(parser, args, "generate")) return kExitOk;

    if (parser.isSet("prompt") == parser.isSet("ids")) {
      throw InvalidArgument("pass exactly one of --prompt TEXT or --ids IDS");
    }
    const GenerationSettings settings = readSettings(parser);
    const QuantScheme scheme = int8SchemeOption(parser);
    applyThreadsOption(parser);
    const std::filesystem::path modelDir = modelDirOption(parser);

    // The prompt needs the tokenizer; --ids works without one.
    std::shared_ptr<const Gpt2Tokenizer> tokenizer =
        parser.isSet("prompt") ? requireTokenizer(modelDir) : tryLoadTokenizer(modelDir);
    std::vector<std::int64_t> promptIds;
    if (parser.isSet("prompt")) {
      const auto encoded = tokenizer->encode(parser.value("prompt").toStdString(), false);
      promptIds.assign(encoded.begin(), encoded.end());
    } else {
      promptIds = parseTokenIds(parser.value("ids"), "ids");
    }

    // The first Ctrl-C cancels the load between tensors or the generation
    // between tokens; a second one ends the process at once.
    CancelToken cancel;
    const InterruptGuard interruptGuard(cancel);
    const auto model = loadModelForCommand(modelDir, scheme, &cancel);
    cancel.throwIfCancelled();
    const bool json = parser.isSet("json");

    // Stream the text (or the ids) to stdout as each token arrives.
    std::optional<StreamingDecoder> decoder;
    if (tokenizer && !json) {
      decoder.emplace(tokenizer);
      printRaw(decodeIds(*tokenizer, promptIds));
    }
    const auto onToken = [&](const GeneratedToken& token) {
      if (json) return;
      if (decoder) {
        printRaw(decoder->push(token.id));
      } else {
        printRaw(fmt::format("{}{}", token.index == 0 ? "" : " ", token.id));
      }
    };
    const GenerationResult result = generate(*model, promptIds, settings, onToken, &cancel);

    if (json) {
      std::vector<std::int64_t> allIds = result.promptIds;
      allIds.insert(allIds.end(), result.newIds.begin(), result.newIds.end());
      nlohmann::json output = {{"ids", allIds},
                               {"prompt_tokens", result.promptIds.size()},
                               {"new_tokens", result.newIds.size()},
                               {"stop_reason", stopReasonName(result.stopReason)},
                               {"seed", result.seed},
                               {"scheme", model->scheme()},
                               {"timing", timingJson(result)}};
      if (tokenizer) {
        output["text"] = decodeIds(*tokenizer, allIds);
        output["new_text"] = decodeIds(*tokenizer, result.newIds);
      }
      // Token boundaries can split a UTF-8 character; replace such bytes
      // with U+FFFD instead of failing.
      printLine(output.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    } else {
      if (decoder) printRaw(decoder->flush());
      printRaw("\n");
      std::fprintf(stderr,
                   "%zu new tokens (%s) with %s; prefill %zu tokens in %.1f ms; decode %.1f "
                   "tokens/s; %d threads\n",
                   result.newIds.size(), std::string(stopReasonName(result.stopReason)).c_str(),
                   model->scheme().c_str(), result.promptIds.size(), result.prefillMs,
                   result.decodeTokensPerSecond, computeThreads());
    }
    return result.stopReason == StopReason::Cancelled ? kExitCancelled : kExitOk;
  });
}

const CommandRegistration kRegistration({"generate",
                                         "continue a prompt with a model, streaming the text",
                                         runGenerate, false});

}  // namespace
}  // namespace gpupoor::cli
