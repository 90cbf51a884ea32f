// `gpupoor compare`: the headless comparison run. Loads each model in FP32
// and INT8, generates the prompts through both copies, optionally scores
// perplexity and KL divergence, writes the JSON report and, when the build
// has the chart exporter, the charts. Ctrl-C cancels the run and still
// writes the partial report.

#include <QCommandLineParser>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <mutex>
#include <string>

#include <fmt/format.h>

#include "core/common/errors.h"
#include "core/engine/comparison_engine.h"
#include "core/engine/prompt_file.h"
#include "core/io/model_locator.h"
#include "core/quant/quantized_checkpoint.h"
#include "core/tokenizer/tokenizer_loader.h"
#include "gui/cli/command.h"
#include "gui/cli/interrupt_guard.h"
#include "gui/cli/option_parsing.h"

#if __has_include("gui/charts/chart_export.h")
#include "gui/charts/chart_export.h"
#define GPUPOOR_HAS_CHART_EXPORT 1
#else
#define GPUPOOR_HAS_CHART_EXPORT 0
#endif

namespace gpupoor::cli {
namespace {

// Prints one progress line per notable event to stderr.
class ProgressPrinter {
 public:
  void operator()(const EngineEvent& event) {
    std::lock_guard lock(m_mutex);
    std::visit([this](const auto& typed) { print(typed); }, event);
  }

  // The message of a failed report write, empty when it succeeded.
  std::string reportError() {
    std::lock_guard lock(m_mutex);
    return m_reportError;
  }

 private:
  void print(const ModelLoadedEvent& event) {
    std::fprintf(stderr, "loaded %s %s (%s): %.1f MiB of parameters in %.0f ms\n", event.name.c_str(),
                 modelCopyName(event.copy.copy).c_str(), schemeName(event.copy.scheme).c_str(),
                 static_cast<double>(event.copy.weightBytesTotal) / (1024.0 * 1024.0), event.copy.loadMs);
  }
  void print(const PromptFinishedEvent& event) {
    const PromptResult& result = event.result;
    std::fprintf(stderr, "prompt %d (%s): BLEU %.3f, decode %.1f / %.1f tokens/s (fp32 / int8)\n",
                 result.promptIndex + 1, schemeName(result.scheme).c_str(), result.bleu,
                 result.fp32Speed.decodeTokensPerSecond, result.int8Speed.decodeTokensPerSecond);
  }
  void print(const PerplexityProgressEvent& event) {
    const int percent = static_cast<int>(100 * event.windowsDone / std::max<std::int64_t>(1, event.windowsTotal));
    if (percent / 10 == m_lastPercent / 10 && event.windowsDone != event.windowsTotal) return;
    m_lastPercent = percent;
    std::fprintf(stderr, "perplexity (%s): %lld/%lld windows (%d%%)\n", schemeName(event.scheme).c_str(),
                 static_cast<long long>(event.windowsDone), static_cast<long long>(event.windowsTotal), percent);
  }
  void print(const PerplexityFinishedEvent& event) {
    const PerplexityComparison& result = event.result;
    m_lastPercent = -1;
    std::fprintf(stderr, "perplexity fp32 %.3f, %s %.3f (%+.3f%%), mean KLD %.6f, top-1 agreement %.2f%%\n",
                 result.fp32.perplexity, schemeName(result.scheme).c_str(), result.int8.perplexity,
                 result.deltaPercent, result.kld.meanKld, 100.0 * result.kld.top1Agreement);
  }
  void print(const EngineErrorEvent& event) {
    if (event.stage == "report") m_reportError = event.message;
    std::fprintf(stderr, "error during %s: %s\n", event.stage.c_str(), event.message.c_str());
  }
  template <typename Other>
  void print(const Other&) {}

  std::mutex m_mutex;
  int m_lastPercent = -1;
  std::string m_reportError;
};

int runCompare(const QStringList& args) {
  return runGuarded("compare", [&] {
    QCommandLineParser parser;
    parser.setApplicationDescription(
        "Compare GPT-2 models in FP32 and INT8: generate the prompts through both copies, measure speed, "
        "memory and BLEU, optionally perplexity and KL divergence, and write a JSON report.");
    parser.addOption({"model", "Model folder or id; repeat for several models.", "dir"});
    parser.addOption({"prompts", "Prompt file: one prompt per line (.txt) or JSON Lines with a \"prompt\" "
                                 "field (.jsonl).", "file"});
    parser.addOption({"scheme", "INT8 scheme w8a32 or w8a8; repeat or separate with commas for both "
                                "(default w8a32).", "scheme"});
    parser.addOption({"max-new-tokens", "Tokens to generate per prompt (default 64).", "tokens"});
    parser.addOption({"temperature", "Sampling temperature; 0 is greedy (default 0).", "value"});
    parser.addOption({"top-k", "Keep the k most likely tokens; 0 is off (default 0).", "k"});
    parser.addOption({"top-p", "Nucleus sampling threshold in (0, 1] (default 1).", "p"});
    parser.addOption({"seed", "Sampling seed, the same for both copies (default 42).", "seed"});
    parser.addOption({"no-stop-at-eos", "Keep generating after the end-of-text token."});
    parser.addOption({"threads", "Total intra-op threads, split between the two copies in concurrent mode "
                                 "(default: one per physical core).", "count"});
    parser.addOption({"speed-mode", "concurrent (both copies at once, default) or isolated (one at a time, "
                                    "median of --repeats).", "mode", "concurrent"});
    parser.addOption({"repeats", "Generations per prompt and copy in isolated mode (default 3).", "count"});
    parser.addOption({"perplexity", "Text file for perplexity and KL divergence.", "file"});
    parser.addOption({"reading", "How to read the perplexity file: plain or wikitext (default plain).", "mode",
                      "plain"});
    parser.addOption({"max-length", "Perplexity window in tokens (default: the model's n_positions).", "tokens"});
    parser.addOption({"stride", "Perplexity stride in tokens (default: max length / 2).", "tokens"});
    parser.addOption({"max-tokens", "Score only the first N tokens of the perplexity text.", "tokens"});
    parser.addOption({"smoothing", "BLEU smoothing method0..method7 (default method1).", "method", "method1"});
    parser.addOption({"report", "Where to write the JSON report.", "file"});
    parser.addOption({"charts", "Folder for PNG and PDF charts of the report.", "dir"});
    if (!parseCommandLine(parser, args, "compare")) return kExitOk;

    ComparisonSettings settings;
    settings.models.clear();
    for (const QString& model : parser.values("model")) settings.models.push_back(model.toStdString());
    if (settings.models.empty()) throw InvalidArgument("missing required option --model");
    const std::filesystem::path reportPath = requiredValue(parser, "report").toStdString();
    // The report is written only at the end of a long run, so a missing folder fails now.
    const std::filesystem::path reportFolder =
        reportPath.has_parent_path() ? reportPath.parent_path() : std::filesystem::path(".");
    if (!std::filesystem::is_directory(reportFolder)) {
      throw InvalidArgument(fmt::format(
          "the folder of --report '{}' does not exist; create it or choose another path",
          reportPath.string()));
    }
    if (parser.isSet("prompts")) settings.prompts = readPromptFile(parser.value("prompts").toStdString());
    if (parser.isSet("scheme")) {
      settings.schemes.clear();
      for (const QString& value : parser.values("scheme")) {
        for (const QString& name : value.split(',', Qt::SkipEmptyParts)) {
          settings.schemes.push_back(parseScheme(name.trimmed().toStdString()));
        }
      }
    }
    settings.maxNewTokens = static_cast<int>(integerValue(parser, "max-new-tokens", 64, 1, 100000));
    settings.temperature = numberValue(parser, "temperature", 0.0, 0.0, 100.0);
    settings.topK = static_cast<int>(integerValue(parser, "top-k", 0, 0, 1 << 30));
    settings.topP = numberValue(parser, "top-p", 1.0, 1e-9, 1.0);
    settings.seed = static_cast<std::uint64_t>(integerValue(parser, "seed", 42, 0, INT64_MAX));
    settings.stopAtEos = !parser.isSet("no-stop-at-eos");
    settings.threads = static_cast<int>(integerValue(parser, "threads", 0, 0, 1024));
    settings.speedMode = parseSpeedMode(parser.value("speed-mode").toStdString());
    settings.speedRepeats = static_cast<int>(integerValue(parser, "repeats", 3, 1, 1000));
    settings.bleu.smoothing = parseSmoothingMethod(parser.value("smoothing"));
    if (parser.isSet("perplexity")) {
      PerplexitySettings perplexity;
      perplexity.file = parser.value("perplexity").toStdString();
      perplexity.reading = parseTextReading(parser.value("reading").toStdString());
      perplexity.maxLength = static_cast<int>(integerValue(parser, "max-length", 0, 2, 1 << 20));
      perplexity.stride = static_cast<int>(integerValue(parser, "stride", 0, 1, 1 << 20));
      perplexity.maxTokens = integerValue(parser, "max-tokens", 0, 0, std::int64_t{1} << 40);
      if (!std::filesystem::is_regular_file(perplexity.file)) {
        throw InvalidArgument(fmt::format("perplexity file {} not found", perplexity.file.string()));
      }
      settings.perplexity = perplexity;
    }
    settings.reportPath = reportPath;
#if !GPUPOOR_HAS_CHART_EXPORT
    if (parser.isSet("charts")) {
      throw InvalidArgument("--charts is not available in this build: it has no chart exporter");
    }
#endif

    // Bad model arguments fail here with exit code 2, before any work starts.
    for (const std::string& model : settings.models) {
      const std::filesystem::path modelDir = resolveModelDir(model);
      if (isQuantizedCheckpoint(modelDir)) {
        throw InvalidArgument(fmt::format(
            "--model '{}' is a quantized checkpoint, but compare needs the FP32 checkpoint to build "
            "both copies; pass the folder it was quantized from",
            model));
      }
      requireTokenizer(modelDir);
    }

    ComparisonEngine engine;
    ProgressPrinter printer;
    engine.start(settings, [&printer](const EngineEvent& event) { printer(event); });
    {
      // ComparisonEngine::cancel() only sets an atomic flag, so the handler may call it.
      const InterruptGuard interruptGuard([&engine] { engine.cancel(); });
      engine.wait();
    }

    const Report report = engine.report();
    const std::string reportError = printer.reportError();
    if (reportError.empty()) {
      std::fprintf(stderr, "report written to %s (status %s)\n", reportPath.string().c_str(),
                   runStatusName(report.status).c_str());
    } else {
      std::fprintf(stderr, "gpupoor compare: the report was not written to %s: %s\n",
                   reportPath.string().c_str(), reportError.c_str());
    }
    for (const CorpusBleu& entry : report.corpusBleu) {
      printLine(fmt::format("{} {}: corpus BLEU {:.4f} over {} prompts",
                            report.models[static_cast<std::size_t>(entry.modelIndex)].name,
                            schemeName(entry.scheme), entry.bleu, entry.prompts));
    }
    for (const PerplexityComparison& entry : report.perplexity) {
      printLine(fmt::format("{} {}: perplexity {:.3f} -> {:.3f} ({:+.3f}%), mean KLD {:.6f}, top-1 {:.2f}%",
                            report.models[static_cast<std::size_t>(entry.modelIndex)].name,
                            schemeName(entry.scheme), entry.fp32.perplexity, entry.int8.perplexity,
                            entry.deltaPercent, entry.kld.meanKld, 100.0 * entry.kld.top1Agreement));
    }

#if GPUPOOR_HAS_CHART_EXPORT
    if (parser.isSet("charts") && report.status != RunStatus::Failed) {
      gui::renderReportCharts(reportToJson(report), parser.value("charts"));
      std::fprintf(stderr, "charts written to %s\n", parser.value("charts").toStdString().c_str());
    }
#endif

    switch (report.status) {
      case RunStatus::Completed:
        return reportError.empty() ? kExitOk : kExitInternalError;
      case RunStatus::Cancelled:
        return kExitCancelled;
      default:
        std::fprintf(stderr, "gpupoor compare: error during %s: %s\n", report.errorStage.c_str(),
                     report.error.c_str());
        return kExitInternalError;
    }
  });
}

const CommandRegistration kRegistration(
    {"compare", "compare models in FP32 and INT8 and write a JSON report", runCompare, true});

}  // namespace
}  // namespace gpupoor::cli
