#include "core/engine/copy_generation.h"

#include <spdlog/spdlog.h>

#include "core/common/process_memory.h"
#include "core/metrics/stats.h"
#include "core/tokenizer/streaming_decoder.h"

namespace gpupoor {
namespace {

std::int64_t currentRssBytes() {
  try {
    return readProcessMemory().rssBytes;
  } catch (const Error& error) {
    spdlog::debug("cannot read the resident set size: {}", error.what());
    return 0;
  }
}

}  // namespace

CopyGeneration generateOnCopy(const CopyHandle& handle, int promptIndex,
                              std::span<const std::int64_t> promptIds,
                              const GenerationSettings& settings, const EventSink* sink,
                              std::chrono::steady_clock::time_point runStart,
                              const CancelToken* cancel) {
  StreamingDecoder decoder(handle.tokenizer);
  const std::int64_t eosId = handle.model->config().eosTokenId;
  std::string text;
  double firstTokenMs = 0.0;

  auto onToken = [&](const GeneratedToken& token) {
    const bool isEos = settings.stopAtEos && token.id == eosId;
    const std::string piece = isEos ? std::string() : decoder.push(static_cast<TokenId>(token.id));
    text += piece;
    if (token.index == 0) firstTokenMs = token.msSinceStart;
    if (sink == nullptr || !*sink) return;

    TokenGeneratedEvent event;
    event.modelIndex = handle.modelIndex;
    event.copy = handle.copy;
    event.scheme = handle.scheme;
    event.promptIndex = promptIndex;
    event.tokenId = token.id;
    event.textPiece = piece;
    event.tokenMs = token.msForToken;
    (*sink)(event);

    if (token.index > 0 && token.msSinceStart > firstTokenMs) {
      MetricSampleEvent sample;
      sample.modelIndex = handle.modelIndex;
      sample.copy = handle.copy;
      sample.scheme = handle.scheme;
      sample.elapsedMs =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - runStart).count();
      sample.decodeTokensPerSecond = token.index * 1000.0 / (token.msSinceStart - firstTokenMs);
      sample.rssBytes = currentRssBytes();
      (*sink)(sample);
    }
  };

  const GenerationResult result = generate(*handle.model, promptIds, settings, onToken, cancel);
  text += decoder.flush();

  CopyGeneration output;
  output.ids = result.newIds;
  output.text = std::move(text);
  output.cancelled = result.stopReason == StopReason::Cancelled;
  output.speed.promptTokens = static_cast<int>(result.promptIds.size());
  output.speed.generatedTokens = static_cast<int>(result.newIds.size());
  output.speed.timeToFirstTokenMs = result.timeToFirstTokenMs;
  output.speed.prefillTokensPerSecond = result.prefillTokensPerSecond;
  output.speed.decodeTokensPerSecond = result.decodeTokensPerSecond;
  output.speed.totalMs = result.totalMs;
  output.speed.repeats = 1;
  return output;
}

SpeedStats medianSpeed(const std::vector<SpeedStats>& runs) {
  if (runs.empty()) return {};
  auto medianOf = [&](auto field) {
    std::vector<double> values;
    for (const SpeedStats& run : runs) values.push_back(static_cast<double>(run.*field));
    return median(values);
  };
  SpeedStats speed = runs.front();
  speed.timeToFirstTokenMs = medianOf(&SpeedStats::timeToFirstTokenMs);
  speed.prefillTokensPerSecond = medianOf(&SpeedStats::prefillTokensPerSecond);
  speed.decodeTokensPerSecond = medianOf(&SpeedStats::decodeTokensPerSecond);
  speed.totalMs = medianOf(&SpeedStats::totalMs);
  speed.repeats = static_cast<int>(runs.size());
  return speed;
}

}  // namespace gpupoor
