// `gpupoor perplexity`: sliding-window perplexity of one model copy (FP32, or
// INT8 with --int8 SCHEME) on a text file. Progress goes to stderr, the
// result to stdout. Ctrl-C stops between batches of windows and exits 130
// without a result.

#include <QCommandLineParser>

#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/common/cancel.h"
#include "core/common/errors.h"
#include "core/common/threads.h"
#include "core/engine/thread_budget.h"
#include "core/io/model_locator.h"
#include "core/metrics/perplexity.h"
#include "core/tokenizer/tokenizer_loader.h"
#include "gui/cli/command.h"
#include "gui/cli/interrupt_guard.h"
#include "gui/cli/model_options.h"
#include "gui/cli/option_parsing.h"

namespace gpupoor::cli {
namespace {

int runPerplexity(const QStringList& args) {
  return runGuarded("perplexity", [&] {
    QCommandLineParser parser;
    parser.setApplicationDescription(
        "Perplexity of a model on a text file by the sliding-window method: windows of --max-length "
        "tokens moved by --stride, each token scored once with the tokens before it as context.");
    parser.addOption({"model", "Model folder or id (for example gpt2-demo).", "dir"});
    parser.addOption({"file", "Text file to score.", "path"});
    parser.addOption({"reading", "How to read the file: plain (whole file) or wikitext (Hugging Face "
                                 "wikitext rows joined with blank lines). Default plain.", "mode", "plain"});
    parser.addOption({"max-length", "Window length in tokens (default: the model's n_positions).", "tokens"});
    parser.addOption({"stride", "Step between windows in tokens (default: max length / 2).", "tokens"});
    parser.addOption({"max-tokens", "Score only the first N tokens of the text (default: all).", "tokens"});
    addInt8Option(parser);
    parser.addOption({"batch", "Windows per forward pass (default 4).", "windows"});
    parser.addOption({"threads", "Intra-op threads (default: one per physical core).", "count"});
    parser.addOption({"json", "Print the result as one JSON object."});
    if (!parseCommandLine(parser, args, "perplexity")) return kExitOk;

    const std::string modelArgument = requiredValue(parser, "model").toStdString();
    const std::filesystem::path textFile = requiredValue(parser, "file").toStdString();
    const TextReading reading = parseTextReading(parser.value("reading").toStdString());
    const QuantScheme scheme = int8SchemeOption(parser);
    const int threads = static_cast<int>(integerValue(parser, "threads", 0, 0, 1024));
    PerplexityOptions options;
    options.batchWindows = static_cast<int>(integerValue(parser, "batch", 4, 1, 1024));
    options.maxTokens = integerValue(parser, "max-tokens", 0, 0, std::int64_t{1} << 40);

    setComputeThreads(threads);
    const ScopedBlasThreads blasThreads(computeThreads());
    c10::InferenceMode inferenceMode;

    const std::filesystem::path modelDir = resolveModelDir(modelArgument);
    const auto tokenizer = requireTokenizer(modelDir);
    const std::string text = readEvaluationText(textFile, reading);

    CancelToken cancel;
    const InterruptGuard interruptGuard(cancel);
    const std::unique_ptr<Gpt2Model> model = loadModelForCommand(modelDir, scheme, &cancel);

    const int contextLength = model->config().nPositions;
    options.maxLength = static_cast<int>(integerValue(parser, "max-length", contextLength, 2, contextLength));
    options.stride = static_cast<int>(
        integerValue(parser, "stride", std::max(1, options.maxLength / 2), 1, options.maxLength));

    const std::vector<TokenId> encoded = tokenizer->encode(text, /*allowSpecial=*/false);
    const std::vector<std::int64_t> ids(encoded.begin(), encoded.end());
    spdlog::info("scoring {} tokens of {} with {} ({}), windows of {} tokens, stride {}", ids.size(),
                 textFile.string(), modelDir.string(), model->scheme(), options.maxLength, options.stride);

    int lastPercent = -1;
    auto progress = [&](std::int64_t done, std::int64_t total) {
      const int percent = static_cast<int>(100 * done / std::max<std::int64_t>(1, total));
      if (percent / 10 == lastPercent / 10 && done != total) return;
      lastPercent = percent;
      std::fprintf(stderr, "perplexity: %lld/%lld windows (%d%%)\n", static_cast<long long>(done),
                   static_cast<long long>(total), percent);
    };
    auto logits = [&](const at::Tensor& batch) { return model->forward(batch); };
    const PerplexityResult result = computePerplexity(logits, ids, options, progress, &cancel);

    if (parser.isSet("json")) {
      const nlohmann::json output = {
          {"perplexity", result.perplexity},
          {"nll", result.meanNll},
          {"nll_standard_error", result.nllStandardError},
          {"tokens", result.tokensScored},
          {"windows", result.windows},
          {"scheme", model->scheme()},
          {"max_length", options.maxLength},
          {"stride", options.stride},
      };
      printLine(output.dump());
    } else {
      printLine(fmt::format("perplexity {:.4f} (mean NLL {:.5f} ± {:.5f}) over {} tokens in {} windows",
                            result.perplexity, result.meanNll, result.nllStandardError, result.tokensScored,
                            result.windows));
    }
    return kExitOk;
  });
}

const CommandRegistration kRegistration(
    {"perplexity", "sliding-window perplexity of a model on a text file", runPerplexity, false});

}  // namespace
}  // namespace gpupoor::cli
