#pragma once

// Autoregressive generation for one sequence: prefill the prompt into a KV
// cache, then one forward step per new token, with timing for reports.
// Tokenization is not done here: prompts and results are token ids.

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/common/cancel.h"
#include "core/model/gpt2_model.h"
#include "core/model/sampling.h"

namespace gpupoor {

struct GenerationSettings {
  int maxNewTokens = 32;
  double temperature = 0.0;  // 0: greedy
  int topK = 0;              // 0: off
  double topP = 1.0;         // 1: off
  // Seed of the sampler's own generator; unset picks a fresh one, reported
  // in GenerationResult::seed.
  std::optional<std::uint64_t> seed;
  bool stopAtEos = true;
  std::optional<std::int64_t> eosId;  // unset: the config's eos_token_id
  // When prompt + maxNewTokens exceeds n_positions: reject the request
  // (false) or keep going on the last n_positions tokens (true).
  bool allowSlidingWindow = false;

  SamplingSettings sampling() const { return {temperature, topK, topP}; }
};

enum class StopReason { MaxTokens, Eos, Cancelled };

// "max_tokens", "eos", "cancelled".
std::string_view stopReasonName(StopReason reason);

struct GeneratedToken {
  std::int64_t id = 0;
  int index = 0;              // 0 for the first new token
  double msSinceStart = 0.0;  // from the start of generate() until this token was chosen
  double msForToken = 0.0;    // forward pass and sampling of this token
};

struct GenerationResult {
  std::vector<std::int64_t> promptIds;
  std::vector<std::int64_t> newIds;  // includes the EOS token when it stopped there
  StopReason stopReason = StopReason::MaxTokens;
  std::uint64_t seed = 0;  // the seed the sampler used
  double timeToFirstTokenMs = 0.0;
  double prefillMs = 0.0;               // prompt forward pass plus sampling the first token
  double decodeMs = 0.0;                // forward passes and sampling of all later tokens
  double totalMs = 0.0;                 // wall time of generate(), including the onToken callbacks
  int decodeSteps = 0;                  // forward passes after the prefill
  double prefillTokensPerSecond = 0.0;  // prompt tokens / prefill time
  double decodeTokensPerSecond = 0.0;   // decode steps / decode time; 0 without steps
};

// Generates up to settings.maxNewTokens ids after `promptIds`, calling
// `onToken` (may be empty) as each one is chosen. Checks `cancel` before each
// decode step and then returns what it has with StopReason::Cancelled.
// Throws InvalidArgument before any work for an empty prompt, an id outside
// the vocabulary, bad sampling settings, or prompt + maxNewTokens beyond
// n_positions without allowSlidingWindow.
GenerationResult generate(const Gpt2Model& model, std::span<const std::int64_t> promptIds,
                          const GenerationSettings& settings,
                          const std::function<void(const GeneratedToken&)>& onToken = {},
                          const CancelToken* cancel = nullptr);

}  // namespace gpupoor
