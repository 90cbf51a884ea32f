#include "core/engine/comparison_engine.h"

#include <atomic>
#include <thread>

#include <fmt/format.h>

#include "core/common/errors.h"
#include "core/engine/comparison_run.h"

namespace gpupoor {
namespace {

void validateSettings(const ComparisonSettings& settings) {
  if (settings.models.empty()) {
    throw InvalidArgument("no model to compare: give at least one model folder or id");
  }
  if (settings.prompts.empty() && !settings.perplexity) {
    throw InvalidArgument("nothing to run: give at least one prompt or a perplexity text");
  }
  if (settings.schemes.empty()) {
    throw InvalidArgument("no INT8 scheme given: choose w8a32 or w8a8");
  }
  for (QuantScheme scheme : settings.schemes) {
    if (scheme == QuantScheme::Fp32) {
      throw InvalidArgument("fp32 is the baseline, not an INT8 scheme: choose w8a32 or w8a8");
    }
  }
  if (settings.maxNewTokens < 1) {
    throw InvalidArgument(fmt::format("invalid max new tokens {}: expected at least 1", settings.maxNewTokens));
  }
  if (settings.speedRepeats < 1) {
    throw InvalidArgument(fmt::format("invalid speed repeats {}: expected at least 1", settings.speedRepeats));
  }
  if (settings.threads < 0) {
    throw InvalidArgument(fmt::format("invalid thread count {}: expected 0 (all cores) or more", settings.threads));
  }
  if (settings.bleu.smoothing < 0 || settings.bleu.smoothing > 7) {
    throw InvalidArgument(
        fmt::format("invalid BLEU smoothing method {}: expected 0 to 7", settings.bleu.smoothing));
  }
  if (settings.perplexity) {
    const PerplexitySettings& perplexity = *settings.perplexity;
    if (perplexity.maxLength < 0 || perplexity.stride < 0 || perplexity.maxTokens < 0 ||
        perplexity.batchWindows < 1) {
      throw InvalidArgument(fmt::format(
          "invalid perplexity settings: max length {}, stride {}, max tokens {} must not be negative "
          "and batch windows {} must be at least 1",
          perplexity.maxLength, perplexity.stride, perplexity.maxTokens, perplexity.batchWindows));
    }
    if (perplexity.maxLength > 0 && perplexity.stride > perplexity.maxLength) {
      throw InvalidArgument(fmt::format("invalid perplexity stride {}: expected at most the max length {}",
                                        perplexity.stride, perplexity.maxLength));
    }
  }
}

}  // namespace

struct ComparisonEngine::State {
  ReportStore store;
  std::thread thread;
  std::atomic<bool> running{false};
  std::unique_ptr<CancelToken> cancel;
};

ComparisonEngine::ComparisonEngine() : m_state(std::make_unique<State>()) {}

ComparisonEngine::~ComparisonEngine() {
  cancel();
  wait();
}

void ComparisonEngine::start(ComparisonSettings settings, EventSink sink) {
  if (m_state->running.load()) {
    throw InvalidArgument("a comparison is already running; cancel it or wait for it to finish");
  }
  validateSettings(settings);
  if (m_state->thread.joinable()) m_state->thread.join();

  m_state->cancel = std::make_unique<CancelToken>();
  m_state->store.update([](Report& report) { report = Report{}; });
  m_state->running.store(true);
  m_state->thread = std::thread([state = m_state.get(), settings = std::move(settings),
                                 sink = std::move(sink)]() mutable {
    ComparisonRun run(std::move(settings), std::move(sink), *state->cancel, state->store,
                      [state] { state->running.store(false); });
    run.execute();
  });
}

void ComparisonEngine::cancel() {
  if (m_state->cancel) m_state->cancel->cancel();
}

void ComparisonEngine::wait() {
  if (m_state->thread.joinable()) m_state->thread.join();
}

bool ComparisonEngine::running() const { return m_state->running.load(); }

Report ComparisonEngine::report() const { return m_state->store.snapshot(); }

}  // namespace gpupoor
