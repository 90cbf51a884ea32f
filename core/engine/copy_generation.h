#pragma once

// One generation of one prompt on one model copy, with the events the
// comparison engine sends for it (tokens with their text, decode speed
// samples) and the speed figures for the report.

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/common/cancel.h"
#include "core/engine/events.h"
#include "core/model/generation.h"
#include "core/model/gpt2_model.h"
#include "core/tokenizer/gpt2_tokenizer.h"

namespace gpupoor {

struct CopyHandle {
  int modelIndex = 0;
  ModelCopy copy = ModelCopy::Fp32;
  QuantScheme scheme = QuantScheme::Fp32;
  const Gpt2Model* model = nullptr;
  std::shared_ptr<const Gpt2Tokenizer> tokenizer;
};

struct CopyGeneration {
  std::vector<std::int64_t> ids;  // generated ids, the EOS id included when it stopped there
  std::string text;               // decoded text without the EOS token, valid UTF-8
  SpeedStats speed;
  bool cancelled = false;
};

// Generates after `promptIds`. When `sink` is set, sends a TokenGeneratedEvent
// per token and a MetricSampleEvent per token after the first; `runStart`
// is the origin of the samples' elapsedMs. Returns with cancelled set when
// `cancel` fired between tokens.
CopyGeneration generateOnCopy(const CopyHandle& handle, int promptIndex,
                              std::span<const std::int64_t> promptIds,
                              const GenerationSettings& settings, const EventSink* sink,
                              std::chrono::steady_clock::time_point runStart,
                              const CancelToken* cancel);

// Per-field median of `runs` (each field on its own), with repeats set to
// the number of runs.
SpeedStats medianSpeed(const std::vector<SpeedStats>& runs);

}  // namespace gpupoor
