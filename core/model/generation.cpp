#include "core/model/generation.h"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "core/common/errors.h"

namespace gpupoor {

namespace {

using Clock = std::chrono::steady_clock;

double msBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

double perSecond(double count, double ms) { return ms > 0.0 ? count * 1000.0 / ms : 0.0; }

void validateRequest(const Gpt2Model& model, std::span<const std::int64_t> promptIds,
                     const GenerationSettings& settings) {
  const Gpt2Config& config = model.config();
  if (promptIds.empty()) {
    throw InvalidArgument("the prompt is empty; generation needs at least one token");
  }
  for (std::size_t i = 0; i < promptIds.size(); ++i) {
    if (promptIds[i] < 0 || promptIds[i] >= config.vocabSize) {
      throw InvalidArgument(
          fmt::format("prompt token id {} at position {} is outside the vocabulary of {} tokens",
                      promptIds[i], i, config.vocabSize));
    }
  }
  if (settings.maxNewTokens < 0) {
    throw InvalidArgument(
        fmt::format("max new tokens must be 0 or more, found {}", settings.maxNewTokens));
  }
  validateSamplingSettings(settings.sampling());

  const auto needed = static_cast<std::int64_t>(promptIds.size()) + settings.maxNewTokens;
  if (needed > config.nPositions && !settings.allowSlidingWindow) {
    throw InvalidArgument(fmt::format(
        "prompt of {} tokens + {} new tokens = {} exceeds the model's context of {} positions; "
        "shorten the prompt, lower the new-token count or allow a sliding window",
        promptIds.size(), settings.maxNewTokens, needed, config.nPositions));
  }
}

// Copies the last `count` ids of `ids` into a new int64 tensor [count].
at::Tensor tailTensor(const std::vector<std::int64_t>& ids, std::size_t count) {
  at::Tensor tensor = at::empty({static_cast<std::int64_t>(count)}, at::kLong);
  std::copy(ids.end() - static_cast<std::ptrdiff_t>(count), ids.end(),
            tensor.data_ptr<std::int64_t>());
  return tensor;
}

}  // namespace

std::string_view stopReasonName(StopReason reason) {
  switch (reason) {
    case StopReason::MaxTokens:
      return "max_tokens";
    case StopReason::Eos:
      return "eos";
    case StopReason::Cancelled:
      return "cancelled";
  }
  return "unknown";
}

GenerationResult generate(const Gpt2Model& model, std::span<const std::int64_t> promptIds,
                          const GenerationSettings& settings,
                          const std::function<void(const GeneratedToken&)>& onToken,
                          const CancelToken* cancel) {
  validateRequest(model, promptIds, settings);

  const auto positions = static_cast<std::size_t>(model.config().nPositions);
  const std::int64_t eosId = settings.eosId.value_or(model.config().eosTokenId);
  const SamplingSettings sampling = settings.sampling();

  GenerationResult result;
  result.promptIds.assign(promptIds.begin(), promptIds.end());
  result.seed = settings.seed.value_or(std::random_device{}());
  std::mt19937_64 rng(result.seed);
  if (settings.maxNewTokens == 0) return result;

  // Every id so far (prompt + generated), for the sliding window.
  std::vector<std::int64_t> context(promptIds.begin(), promptIds.end());
  KvCache cache = model.newCache();
  at::Tensor stepIds = at::empty({1}, at::kLong);  // reused by every decode step

  const Clock::time_point start = Clock::now();
  // Records a chosen id and reports it; stepMs covers the forward pass and
  // sampling only, so time spent in `onToken` (printing, say) is not counted.
  const auto emit = [&](std::int64_t id, Clock::time_point stepStart, Clock::time_point stepEnd) {
    result.newIds.push_back(id);
    context.push_back(id);
    if (!onToken) return;
    GeneratedToken token;
    token.id = id;
    token.index = static_cast<int>(result.newIds.size()) - 1;
    token.msSinceStart = msBetween(start, stepEnd);
    token.msForToken = msBetween(stepStart, stepEnd);
    onToken(token);
  };

  // Prefill: the whole prompt (or its last n_positions tokens) in one pass.
  const std::size_t prefillTokens = std::min(context.size(), positions);
  at::Tensor logits = model.forwardIncremental(tailTensor(context, prefillTokens), cache, true);
  std::int64_t next = sampleToken(logits, sampling, rng);
  const Clock::time_point prefillEnd = Clock::now();
  result.prefillMs = msBetween(start, prefillEnd);
  result.timeToFirstTokenMs = result.prefillMs;
  result.prefillTokensPerSecond = perSecond(static_cast<double>(prefillTokens), result.prefillMs);
  emit(next, start, prefillEnd);

  while (true) {
    if (settings.stopAtEos && next == eosId) {
      result.stopReason = StopReason::Eos;
      break;
    }
    if (static_cast<int>(result.newIds.size()) >= settings.maxNewTokens) {
      result.stopReason = StopReason::MaxTokens;
      break;
    }
    if (cancel != nullptr && cancel->isCancelled()) {
      result.stopReason = StopReason::Cancelled;
      break;
    }

    const Clock::time_point stepStart = Clock::now();
    if (cache.length < static_cast<std::int64_t>(positions)) {
      stepIds.data_ptr<std::int64_t>()[0] = next;
      logits = model.forwardIncremental(stepIds, cache, true);
    } else {
      // NOTE: once the context is full, every step recomputes the last
      // n_positions tokens from scratch, so each token costs a full prefill.
      cache.clear();
      logits = model.forwardIncremental(tailTensor(context, positions), cache, true);
    }
    next = sampleToken(logits, sampling, rng);
    const Clock::time_point stepEnd = Clock::now();
    result.decodeMs += msBetween(stepStart, stepEnd);
    ++result.decodeSteps;
    emit(next, stepStart, stepEnd);
  }

  result.totalMs = msBetween(start, Clock::now());
  result.decodeTokensPerSecond = perSecond(result.decodeSteps, result.decodeMs);
  spdlog::debug("generated {} tokens ({}): prefill {:.1f} ms for {} tokens, decode {:.1f} tokens/s",
                result.newIds.size(), stopReasonName(result.stopReason), result.prefillMs,
                prefillTokens, result.decodeTokensPerSecond);
  return result;
}

}  // namespace gpupoor
