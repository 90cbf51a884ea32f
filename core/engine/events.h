#pragma once

// Events the comparison engine sends while it runs. The engine calls the sink
// from its worker threads, possibly from several threads at once, so a sink
// must be thread-safe. The GUI forwards each event to its own thread through a
// queued signal.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "core/common/scheme.h"
#include "core/engine/report.h"

namespace gpupoor {

// Sent once per tensor while a copy loads.
struct LoadProgressEvent {
  int modelIndex = 0;
  ModelCopy copy = ModelCopy::Fp32;
  QuantScheme scheme = QuantScheme::Fp32;
  int tensorIndex = 0;  // 1-based
  int tensorCount = 0;
  std::string tensorName;
};

struct ModelLoadedEvent {
  int modelIndex = 0;
  std::string name;
  long long parameters = 0;
  CopyInfo copy;  // copy, scheme, memory by component, RSS after load
};

struct TokenGeneratedEvent {
  int modelIndex = 0;
  ModelCopy copy = ModelCopy::Fp32;
  QuantScheme scheme = QuantScheme::Fp32;
  int promptIndex = 0;
  std::int64_t tokenId = 0;
  std::string textPiece;  // decoded text this token adds
  double tokenMs = 0.0;   // time spent on this token (prefill for the first)
};

// Decode throughput of one copy, sampled while it generates.
struct MetricSampleEvent {
  int modelIndex = 0;
  ModelCopy copy = ModelCopy::Fp32;
  QuantScheme scheme = QuantScheme::Fp32;
  double elapsedMs = 0.0;  // since the run started
  double decodeTokensPerSecond = 0.0;
  std::int64_t rssBytes = 0;
};

struct PromptFinishedEvent {
  PromptResult result;
};

struct PerplexityProgressEvent {
  int modelIndex = 0;
  QuantScheme scheme = QuantScheme::W8A32;
  std::int64_t windowsDone = 0;
  std::int64_t windowsTotal = 0;
};

struct PerplexityFinishedEvent {
  PerplexityComparison result;
};

struct RunFinishedEvent {
  RunStatus status = RunStatus::Completed;
  std::shared_ptr<const Report> report;
};

// A failure the run could not recover from; RunFinishedEvent with status
// Failed follows it.
struct EngineErrorEvent {
  std::string stage;  // "load", "generate", "perplexity", "report"
  std::string message;
};

using EngineEvent =
    std::variant<LoadProgressEvent, ModelLoadedEvent, TokenGeneratedEvent, MetricSampleEvent,
                 PromptFinishedEvent, PerplexityProgressEvent, PerplexityFinishedEvent,
                 RunFinishedEvent, EngineErrorEvent>;

using EventSink = std::function<void(const EngineEvent&)>;

}  // namespace gpupoor
