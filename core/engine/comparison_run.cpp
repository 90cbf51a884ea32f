#include "core/engine/comparison_run.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <cmath>
#include <ctime>
#include <malloc.h>
#include <exception>
#include <filesystem>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/common/errors.h"
#include "core/common/process_memory.h"
#include "core/common/threads.h"
#include "core/engine/copy_generation.h"
#include "core/engine/memory_components.h"
#include "core/engine/thread_budget.h"
#include "core/env/machine_info.h"
#include "core/io/model_locator.h"
#include "core/io/tensor_source.h"
#include "core/metrics/bleu.h"
#include "core/metrics/kld.h"
#include "core/metrics/perplexity.h"
#include "core/model/model_loader.h"
#include "core/quant/layer_factory.h"
#include "core/tokenizer/tokenizer_loader.h"

namespace gpupoor {
namespace {

std::string utcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm parts{};
  gmtime_r(&now, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

double msSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

std::int64_t rssBytesOrZero() {
  try {
    return readProcessMemory().rssBytes;
  } catch (const Error& error) {
    spdlog::warn("cannot read the resident set size: {}", error.what());
    return 0;
  }
}

std::vector<std::int64_t> encodeIds(const Gpt2Tokenizer& tokenizer, const std::string& text) {
  const std::vector<TokenId> ids = tokenizer.encode(text, /*allowSpecial=*/false);
  return {ids.begin(), ids.end()};
}

// The dtype of the checkpoint's largest tensor, which is the weights' dtype
// even when small tensors are stored differently.
std::string dtypeOnDisk(const std::filesystem::path& modelDir) {
  const std::unique_ptr<TensorSource> source = openCheckpoint(modelDir);
  const TensorInfo* largest = nullptr;
  for (const TensorInfo& info : source->tensors()) {
    if (largest == nullptr || info.numel() > largest->numel()) largest = &info;
  }
  return largest == nullptr ? std::string() : std::string(dtypeName(largest->dtype));
}

GenerationSettings generationSettings(const ComparisonSettings& settings) {
  GenerationSettings generation;
  generation.maxNewTokens = settings.maxNewTokens;
  generation.temperature = settings.temperature;
  generation.topK = settings.topK;
  generation.topP = settings.topP;
  generation.seed = settings.seed;  // the same seed for both copies keeps sampling comparable
  generation.stopAtEos = settings.stopAtEos;
  generation.allowSlidingWindow = true;
  return generation;
}

// Runs `body` on a new thread that uses `threads` intra-op threads in
// inference mode. join() returns the exception `body` threw, if any.
class CopyWorker {
 public:
  template <typename Body>
  CopyWorker(int threads, Body body)
      : m_thread([this, threads, body = std::move(body)]() mutable {
          try {
            // The first ATen call of a thread resets its count to the
            // process-wide default, so it comes before the per-thread count.
            at::get_num_threads();
            at::set_num_threads(threads);
            c10::InferenceMode inferenceMode;
            body();
          } catch (...) {
            m_error = std::current_exception();
          }
        }) {}

  std::exception_ptr join() {
    m_thread.join();
    return m_error;
  }

 private:
  std::exception_ptr m_error;
  std::thread m_thread;
};

}  // namespace

ComparisonRun::ComparisonRun(ComparisonSettings settings, EventSink sink, const CancelToken& cancel,
                             ReportStore& store, std::function<void()> beforeFinished)
    : m_settings(std::move(settings)),
      m_sink(std::move(sink)),
      m_beforeFinished(std::move(beforeFinished)),
      m_cancel(cancel),
      m_store(store) {}

void ComparisonRun::emit(const EngineEvent& event) const {
  if (!m_sink) return;
  try {
    m_sink(event);
  } catch (const std::exception& error) {
    spdlog::error("comparison engine: the event sink threw: {}", error.what());
  }
}

void ComparisonRun::execute() {
  m_start = std::chrono::steady_clock::now();
  m_threadBudget = m_settings.threads > 0 ? m_settings.threads : physicalCoreCount();
  try {
    at::get_num_threads();
    at::set_num_threads(m_threadBudget);
    c10::InferenceMode inferenceMode;
    MachineInfo machine = collectMachineInfo();
    machine.threadsInUse = m_threadBudget;
    m_store.update([&](Report& report) {
      report.status = RunStatus::Running;
      report.startedAtUtc = utcNow();
      report.environment = machine;
      report.settings = m_settings;
      report.settings.threads = m_threadBudget;
    });
    spdlog::info("comparison: {} model(s), {} scheme(s), {} prompt(s), {} threads, {} speed mode",
                 m_settings.models.size(), m_settings.schemes.size(), m_settings.prompts.size(),
                 m_threadBudget, speedModeName(m_settings.speedMode));

    if (m_settings.perplexity) {
      m_stage = "perplexity";
      m_evaluationText = readEvaluationText(m_settings.perplexity->file, m_settings.perplexity->reading);
    }
    for (int model = 0; model < static_cast<int>(m_settings.models.size()); ++model) runModel(model);
    finish(RunStatus::Completed, {}, {});
  } catch (const Cancelled&) {
    spdlog::info("comparison cancelled during {}", m_stage);
    finish(RunStatus::Cancelled, {}, {});
  } catch (const std::exception& error) {
    spdlog::error("comparison failed during {}: {}", m_stage, error.what());
    emit(EngineErrorEvent{m_stage, error.what()});
    finish(RunStatus::Failed, m_stage, error.what());
  }
}

void ComparisonRun::finish(RunStatus status, const std::string& stage, const std::string& message) {
  m_store.update([&](Report& report) {
    report.status = status;
    report.errorStage = stage;
    report.error = message;
    report.finishedAtUtc = utcNow();
  });

  if (m_settings.reportPath) {
    try {
      writeReport(m_store.snapshot(), *m_settings.reportPath);
      spdlog::info("report written to {}", m_settings.reportPath->string());
    } catch (const std::exception& error) {
      spdlog::error("writing the report failed: {}", error.what());
      emit(EngineErrorEvent{"report", error.what()});
    }
  }

  RunFinishedEvent finished;
  finished.status = status;
  finished.report = std::make_shared<const Report>(m_store.snapshot());
  if (m_beforeFinished) m_beforeFinished();
  emit(finished);
}

void ComparisonRun::runModel(int modelIndex) {
  m_stage = "load";
  const std::string& modelArgument = m_settings.models[static_cast<std::size_t>(modelIndex)];
  const std::filesystem::path modelDir = resolveModelDir(modelArgument);
  const std::shared_ptr<const Gpt2Tokenizer> tokenizer = requireTokenizer(modelDir);
  const Gpt2Config config = Gpt2Config::fromFile(modelDir / "config.json");

  ModelInfo info;
  info.name = std::filesystem::exists(modelArgument) ? modelDir.filename().string() : modelArgument;
  if (info.name.empty()) info.name = modelDir.parent_path().filename().string();
  info.sourceDir = modelDir.string();
  info.parameters = config.parameterCount();
  info.dtypeOnDisk = dtypeOnDisk(modelDir);
  info.vocabSize = config.vocabSize;
  info.contextLength = config.nPositions;
  m_store.update([&](Report& report) { report.models.push_back(info); });

  const std::unique_ptr<Gpt2Model> fp32 = loadCopy(modelIndex, modelDir.string(), QuantScheme::Fp32);

  std::vector<std::int64_t> textIds;
  if (m_settings.perplexity) {
    m_stage = "perplexity";
    textIds = encodeIds(*tokenizer, m_evaluationText);
    spdlog::info("perplexity text: {} tokens", textIds.size());
  }

  for (QuantScheme scheme : m_settings.schemes) {
    m_stage = "load";
    const std::unique_ptr<Gpt2Model> int8 = loadCopy(modelIndex, modelDir.string(), scheme);
    if (!m_settings.prompts.empty()) {
      m_stage = "generate";
      runPrompts(modelIndex, scheme, *fp32, *int8, tokenizer);
    }
    if (m_settings.perplexity) {
      m_stage = "perplexity";
      runPerplexity(modelIndex, scheme, *fp32, *int8, textIds);
    }
  }
}

std::unique_ptr<Gpt2Model> ComparisonRun::loadCopy(int modelIndex, const std::string& modelDir,
                                                   QuantScheme scheme) {
  const ModelCopy copy = scheme == QuantScheme::Fp32 ? ModelCopy::Fp32 : ModelCopy::Int8;
  std::unique_ptr<LayerFactory> factory;
  if (copy == ModelCopy::Int8) factory = makeLayerFactory(scheme);

  LoadOptions options;
  options.factory = factory.get();
  options.cancel = &m_cancel;
  options.onProgress = [&](const LoadProgress& progress) {
    LoadProgressEvent event;
    event.modelIndex = modelIndex;
    event.copy = copy;
    event.scheme = scheme;
    event.tensorIndex = progress.index;
    event.tensorCount = progress.total;
    event.tensorName = progress.name;
    emit(event);
  };

  // Hand freed heap pages of an earlier copy back to the kernel first, so
  // the RSS delta of this load is not hidden by pages glibc kept.
  malloc_trim(0);
  const std::int64_t rssBefore = rssBytesOrZero();
  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<Gpt2Model> model = loadGpt2Model(modelDir, options);

  CopyInfo info;
  info.copy = copy;
  info.scheme = scheme;
  info.components = componentMemory(model->weights());
  for (const ComponentMemory& component : info.components) info.weightBytesTotal += component.footprint.total();
  info.rssBeforeLoadBytes = rssBefore;
  info.rssAfterLoadBytes = rssBytesOrZero();
  info.loadMs = msSince(start);
  spdlog::info("loaded {} copy ({}) of {} in {:.0f} ms: {:.1f} MiB of parameters", modelCopyName(copy),
               schemeName(scheme), modelDir, info.loadMs,
               static_cast<double>(info.weightBytesTotal) / (1024.0 * 1024.0));

  ModelLoadedEvent event;
  m_store.update([&](Report& report) {
    ModelInfo& entry = report.models[static_cast<std::size_t>(modelIndex)];
    entry.copies.push_back(info);
    event.name = entry.name;
    event.parameters = entry.parameters;
  });
  event.modelIndex = modelIndex;
  event.copy = info;
  emit(event);
  return model;
}

void ComparisonRun::runPrompts(int modelIndex, QuantScheme scheme, const Gpt2Model& fp32,
                               const Gpt2Model& int8, const std::shared_ptr<const Gpt2Tokenizer>& tokenizer) {
  const GenerationSettings generation = generationSettings(m_settings);
  const CopyHandle fp32Handle{modelIndex, ModelCopy::Fp32, QuantScheme::Fp32, &fp32, tokenizer};
  const CopyHandle int8Handle{modelIndex, ModelCopy::Int8, scheme, &int8, tokenizer};
  const bool concurrent = m_settings.speedMode == SpeedMode::Concurrent;
  const int workerThreads = concurrent ? threadsPerWorker(m_threadBudget, 2) : m_threadBudget;
  // OpenBLAS has one process-wide pool, so it gets the per-worker share too.
  const ScopedBlasThreads blasThreads(workerThreads);
  const EventSink* sink = &m_sink;

  if (!concurrent) {
    // One warm-up generation per copy, not timed, so the first prompt does
    // not pay for first-touch page faults and kernel selection.
    const std::vector<std::int64_t> warmUpIds = encodeIds(*tokenizer, m_settings.prompts.front());
    if (!warmUpIds.empty()) {
      generateOnCopy(fp32Handle, 0, warmUpIds, generation, nullptr, m_start, &m_cancel);
      generateOnCopy(int8Handle, 0, warmUpIds, generation, nullptr, m_start, &m_cancel);
    }
  }

  for (int promptIndex = 0; promptIndex < static_cast<int>(m_settings.prompts.size()); ++promptIndex) {
    m_cancel.throwIfCancelled();
    const std::string& prompt = m_settings.prompts[static_cast<std::size_t>(promptIndex)];
    const std::vector<std::int64_t> promptIds = encodeIds(*tokenizer, prompt);
    if (promptIds.empty()) {
      throw InvalidArgument(fmt::format("prompt {} is empty after tokenization; remove it", promptIndex + 1));
    }

    CopyGeneration fp32Output;
    CopyGeneration int8Output;
    if (concurrent) {
      CopyWorker fp32Worker(workerThreads, [&] {
        fp32Output = generateOnCopy(fp32Handle, promptIndex, promptIds, generation, sink, m_start, &m_cancel);
      });
      CopyWorker int8Worker(workerThreads, [&] {
        int8Output = generateOnCopy(int8Handle, promptIndex, promptIds, generation, sink, m_start, &m_cancel);
      });
      // Both threads are joined before either error is rethrown.
      const std::exception_ptr fp32Error = fp32Worker.join();
      const std::exception_ptr int8Error = int8Worker.join();
      if (fp32Error) std::rethrow_exception(fp32Error);
      if (int8Error) std::rethrow_exception(int8Error);
      fp32Output.speed.mode = SpeedMode::Concurrent;
      int8Output.speed.mode = SpeedMode::Concurrent;
    } else {
      auto isolated = [&](const CopyHandle& handle) {
        std::vector<SpeedStats> runs;
        CopyGeneration first;
        for (int repeat = 0; repeat < std::max(1, m_settings.speedRepeats); ++repeat) {
          CopyGeneration output = generateOnCopy(handle, promptIndex, promptIds, generation,
                                                 repeat == 0 ? sink : nullptr, m_start, &m_cancel);
          if (output.cancelled) return output;
          runs.push_back(output.speed);
          if (repeat == 0) first = std::move(output);
        }
        first.speed = medianSpeed(runs);
        first.speed.mode = SpeedMode::Isolated;
        return first;
      };
      fp32Output = isolated(fp32Handle);
      if (!fp32Output.cancelled) int8Output = isolated(int8Handle);
    }
    // A prompt cut short by a cancel is left out, so the report contains whole prompts only.
    if (fp32Output.cancelled || int8Output.cancelled) throw Cancelled();

    PromptResult result;
    result.modelIndex = modelIndex;
    result.scheme = scheme;
    result.promptIndex = promptIndex;
    result.prompt = prompt;
    result.promptIds = promptIds;
    result.fp32Text = fp32Output.text;
    result.fp32Ids = fp32Output.ids;
    result.fp32Speed = fp32Output.speed;
    result.int8Text = int8Output.text;
    result.int8Ids = int8Output.ids;
    result.int8Speed = int8Output.speed;
    BleuOptions bleuOptions;
    bleuOptions.smoothing = m_settings.bleu.smoothing;
    bleuOptions.epsilon = m_settings.bleu.epsilon;
    try {
      result.bleu = sentenceBleu({splitWhitespace(result.fp32Text)}, splitWhitespace(result.int8Text), bleuOptions);
    } catch (const InvalidArgument& error) {
      // NLTK's method6 rejects texts without trigram matches; the score is then unknown.
      spdlog::warn("BLEU of prompt {} not computed: {}", promptIndex + 1, error.what());
      result.bleu = std::nan("");
    }
    spdlog::debug("prompt {}/{}: BLEU {:.3f}, decode {:.1f} / {:.1f} tokens/s (fp32 / {})", promptIndex + 1,
                 m_settings.prompts.size(), result.bleu, result.fp32Speed.decodeTokensPerSecond,
                 result.int8Speed.decodeTokensPerSecond, schemeName(scheme));

    m_store.update([&](Report& report) { report.prompts.push_back(result); });
    updateCorpusBleu(modelIndex, scheme);
    emit(PromptFinishedEvent{result});
  }
}

void ComparisonRun::updateCorpusBleu(int modelIndex, QuantScheme scheme) {
  BleuOptions options;
  options.smoothing = m_settings.bleu.smoothing;
  options.epsilon = m_settings.bleu.epsilon;
  m_store.update([&](Report& report) {
    std::vector<std::vector<BleuTokens>> references;
    std::vector<BleuTokens> hypotheses;
    for (const PromptResult& prompt : report.prompts) {
      if (prompt.modelIndex != modelIndex || prompt.scheme != scheme) continue;
      references.push_back({splitWhitespace(prompt.fp32Text)});
      hypotheses.push_back(splitWhitespace(prompt.int8Text));
    }
    CorpusBleu entry{modelIndex, scheme, 0.0, static_cast<int>(hypotheses.size())};
    try {
      entry.bleu = corpusBleu(references, hypotheses, options);
    } catch (const InvalidArgument& error) {
      spdlog::warn("corpus BLEU not computed: {}", error.what());
      entry.bleu = std::nan("");
    }
    for (CorpusBleu& existing : report.corpusBleu) {
      if (existing.modelIndex == modelIndex && existing.scheme == scheme) {
        existing = entry;
        return;
      }
    }
    report.corpusBleu.push_back(entry);
  });
}

void ComparisonRun::runPerplexity(int modelIndex, QuantScheme scheme, const Gpt2Model& fp32,
                                  const Gpt2Model& int8, const std::vector<std::int64_t>& textIds) {
  const PerplexitySettings& settings = *m_settings.perplexity;
  const int contextLength = fp32.config().nPositions;
  PerplexityOptions options;
  options.maxLength = settings.maxLength > 0 ? settings.maxLength : contextLength;
  if (options.maxLength > contextLength) {
    throw InvalidArgument(fmt::format("perplexity max length {} exceeds the model's context of {} tokens",
                                      options.maxLength, contextLength));
  }
  options.stride = settings.stride > 0 ? settings.stride : std::max(1, options.maxLength / 2);
  options.maxTokens = settings.maxTokens;
  options.batchWindows = settings.batchWindows;
  m_store.update([&](Report& report) {
    if (report.settings.perplexity && modelIndex == 0) {
      report.settings.perplexity->maxLength = options.maxLength;
      report.settings.perplexity->stride = options.stride;
    }
  });

  const ScopedBlasThreads blasThreads(m_threadBudget);
  auto fp32Logits = [&](const at::Tensor& ids) { return fp32.forward(ids); };
  auto int8Logits = [&](const at::Tensor& ids) { return int8.forward(ids); };
  auto progress = [&](std::int64_t done, std::int64_t total) {
    emit(PerplexityProgressEvent{modelIndex, scheme, done, total});
  };
  const PairedPerplexity paired = comparePerplexity(fp32Logits, int8Logits, textIds, options, progress, &m_cancel);

  PerplexityComparison comparison;
  comparison.modelIndex = modelIndex;
  comparison.scheme = scheme;
  comparison.fp32 = paired.reference;
  comparison.int8 = paired.candidate;
  comparison.kld = paired.kld;
  comparison.deltaPercent = 100.0 * (paired.candidate.perplexity - paired.reference.perplexity) /
                            paired.reference.perplexity;
  spdlog::info("perplexity fp32 {:.2f}, {} {:.2f} ({:+.2f}%), mean KLD {:.5f}, top-1 agreement {:.2f}%",
               comparison.fp32.perplexity, schemeName(scheme), comparison.int8.perplexity,
               comparison.deltaPercent, comparison.kld.meanKld, 100.0 * comparison.kld.top1Agreement);
  m_store.update([&](Report& report) { report.perplexity.push_back(comparison); });
  emit(PerplexityFinishedEvent{comparison});
}

}  // namespace gpupoor
