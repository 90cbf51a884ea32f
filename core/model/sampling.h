#pragma once

// Choosing the next token from one row of logits: greedy (argmax) or sampling
// with temperature, top-k and top-p (nucleus). The random generator is always
// the caller's, never a global one, so a seed makes a run repeatable.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace gpupoor {

struct SamplingSettings {
  double temperature = 0.0;  // 0: greedy; otherwise logits are divided by it
  int topK = 0;              // keep the k most likely tokens; 0: off
  double topP = 1.0;         // keep the smallest set whose probability sums to >= p; 1: off

  bool isGreedy() const { return temperature == 0.0; }
};

// Throws InvalidArgument for a negative or non-finite temperature, a negative
// top-k, or a top-p outside (0, 1].
void validateSamplingSettings(const SamplingSettings& settings);

// Returns the id of the largest logit; ties go to the lowest id. Throws Error
// when the logits are empty or contain NaN.
std::int64_t greedyToken(std::span<const float> logits);

// Returns the probabilities after temperature, top-k and then top-p, one per
// id (zero for ids that were filtered out), summing to 1. Ties at the top-k
// or top-p boundary keep the lower ids. Greedy settings give a one-hot vector.
std::vector<double> samplingDistribution(std::span<const float> logits,
                                         const SamplingSettings& settings);

// Picks one id: greedy when settings.isGreedy(), otherwise a draw from
// samplingDistribution() using `rng`.
std::int64_t sampleToken(std::span<const float> logits, const SamplingSettings& settings,
                         std::mt19937_64& rng);

// Tensor form: `logits` is float32 [V] or [1, V] on the CPU.
std::int64_t sampleToken(const at::Tensor& logits, const SamplingSettings& settings,
                         std::mt19937_64& rng);

}  // namespace gpupoor
