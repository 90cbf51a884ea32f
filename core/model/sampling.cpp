#include "core/model/sampling.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/common/errors.h"

namespace gpupoor {

namespace {

// A uniform double in [0, 1) from the top 53 bits, identical on every
// standard library (std::uniform_real_distribution is not).
double uniformUnit(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// Ids ordered by probability, highest first, lower id first among equals.
void sortByProbability(std::vector<std::int64_t>& ids, const std::vector<double>& probabilities,
                       std::size_t keep) {
  const auto higher = [&](std::int64_t a, std::int64_t b) {
    const auto pa = probabilities[static_cast<std::size_t>(a)];
    const auto pb = probabilities[static_cast<std::size_t>(b)];
    return pa != pb ? pa > pb : a < b;
  };
  const auto middle = ids.begin() + static_cast<std::ptrdiff_t>(keep);
  std::partial_sort(ids.begin(), middle, ids.end(), higher);
  ids.erase(middle, ids.end());
}

}  // namespace

void validateSamplingSettings(const SamplingSettings& settings) {
  if (!std::isfinite(settings.temperature) || settings.temperature < 0.0) {
    throw InvalidArgument(fmt::format(
        "temperature must be 0 (greedy) or a positive number, found {}", settings.temperature));
  }
  if (settings.topK < 0) {
    throw InvalidArgument(
        fmt::format("top-k must be 0 (off) or a positive count, found {}", settings.topK));
  }
  if (!(settings.topP > 0.0 && settings.topP <= 1.0)) {
    throw InvalidArgument(
        fmt::format("top-p must be in (0, 1], where 1 turns it off; found {}", settings.topP));
  }
}

std::int64_t greedyToken(std::span<const float> logits) {
  if (logits.empty()) throw Error("cannot pick a token from an empty row of logits");
  std::size_t best = 0;
  for (std::size_t i = 0; i < logits.size(); ++i) {
    if (std::isnan(logits[i])) {
      throw Error(
          fmt::format("logits contain NaN at token id {}; the model weights or the "
                      "forward pass produced invalid numbers",
                      i));
    }
    if (logits[i] > logits[best]) best = i;
  }
  return static_cast<std::int64_t>(best);
}

std::vector<double> samplingDistribution(std::span<const float> logits,
                                         const SamplingSettings& settings) {
  validateSamplingSettings(settings);
  const std::int64_t best = greedyToken(logits);
  std::vector<double> probabilities(logits.size(), 0.0);
  if (settings.isGreedy()) {
    probabilities[static_cast<std::size_t>(best)] = 1.0;
    return probabilities;
  }

  // Softmax of logits / temperature, shifted by the maximum so exp() cannot
  // overflow; the best id always gets exp(0) = 1 before normalizing.
  const double maxLogit = logits[static_cast<std::size_t>(best)];
  double sum = 0.0;
  for (std::size_t i = 0; i < logits.size(); ++i) {
    probabilities[i] = std::exp((static_cast<double>(logits[i]) - maxLogit) / settings.temperature);
    sum += probabilities[i];
  }
  for (double& p : probabilities) p /= sum;

  const std::size_t vocab = logits.size();
  const bool useTopK = settings.topK > 0 && static_cast<std::size_t>(settings.topK) < vocab;
  const bool useTopP = settings.topP < 1.0;
  if (!useTopK && !useTopP) return probabilities;

  // Candidates in order of probability: the top k, or every id for top-p alone.
  std::vector<std::int64_t> candidates(vocab);
  std::iota(candidates.begin(), candidates.end(), std::int64_t{0});
  sortByProbability(candidates, probabilities,
                    useTopK ? static_cast<std::size_t>(settings.topK) : vocab);

  // Top-p over what top-k left, renormalized: keep the shortest prefix whose
  // mass reaches p, and always at least the most likely token.
  if (useTopP) {
    double candidateMass = 0.0;
    for (const auto id : candidates) candidateMass += probabilities[static_cast<std::size_t>(id)];
    double cumulative = 0.0;
    std::size_t count = 0;
    while (count < candidates.size()) {
      cumulative += probabilities[static_cast<std::size_t>(candidates[count])] / candidateMass;
      ++count;
      if (cumulative >= settings.topP) break;
    }
    candidates.resize(count);
  }

  std::vector<double> filtered(vocab, 0.0);
  double keptMass = 0.0;
  for (const auto id : candidates) keptMass += probabilities[static_cast<std::size_t>(id)];
  for (const auto id : candidates) {
    filtered[static_cast<std::size_t>(id)] = probabilities[static_cast<std::size_t>(id)] / keptMass;
  }
  return filtered;
}

std::int64_t sampleToken(std::span<const float> logits, const SamplingSettings& settings,
                         std::mt19937_64& rng) {
  if (settings.isGreedy()) return greedyToken(logits);
  const std::vector<double> probabilities = samplingDistribution(logits, settings);

  // Inverse transform sampling; rounding can leave the target just above the
  // total, so the last id with probability > 0 is the fallback.
  const double target = uniformUnit(rng);
  double cumulative = 0.0;
  std::int64_t lastNonZero = 0;
  for (std::size_t i = 0; i < probabilities.size(); ++i) {
    if (probabilities[i] <= 0.0) continue;
    lastNonZero = static_cast<std::int64_t>(i);
    cumulative += probabilities[i];
    if (target < cumulative) return lastNonZero;
  }
  return lastNonZero;
}

std::int64_t sampleToken(const at::Tensor& logits, const SamplingSettings& settings,
                         std::mt19937_64& rng) {
  if (!logits.defined() || logits.scalar_type() != at::kFloat || !logits.device().is_cpu() ||
      !(logits.dim() == 1 || (logits.dim() == 2 && logits.size(0) == 1))) {
    throw InvalidArgument(fmt::format(
        "sampling expects one row of float32 CPU logits, [V] or [1, V], found {}",
        logits.defined() ? fmt::format("{} with shape {}", c10::toString(logits.scalar_type()),
                                       logits.sizes().vec())
                         : std::string("an undefined tensor")));
  }
  const at::Tensor row = logits.contiguous();
  return sampleToken(
      std::span<const float>(row.data_ptr<float>(), static_cast<std::size_t>(row.numel())),
      settings, rng);
}

}  // namespace gpupoor
