#pragma once

// Plain result types of the perplexity and KL-divergence metrics, kept free
// of LibTorch headers so that reports and the GUI can use them.

#include <cstdint>

namespace gpupoor {

struct PerplexityResult {
  double perplexity = 0.0;        // exp(meanNll)
  double meanNll = 0.0;           // nats per scored token
  double nllStandardError = 0.0;  // standard error of meanNll over tokens
  std::int64_t tokensScored = 0;
  std::int64_t windows = 0;
};

// KL(reference || candidate) of next-token distributions over the positions
// that perplexity scores.
struct KldResult {
  double meanKld = 0.0;        // nats, mean over positions
  double p99Kld = 0.0;         // 99th percentile over positions
  double top1Agreement = 0.0;  // fraction in [0, 1] of positions with the same argmax
  std::int64_t positions = 0;
};

}  // namespace gpupoor
