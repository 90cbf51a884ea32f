#pragma once

// KL divergence KL(reference || candidate) between the next-token
// distributions of two copies of one model (FP32 reference, INT8 candidate),
// and how often both pick the same top token. Both copies run over the same
// perplexity windows in one pass, so the perplexities of both come out of the
// same logits.

#include <cstdint>
#include <span>
#include <vector>

#include "core/common/cancel.h"
#include "core/metrics/perplexity.h"

namespace gpupoor {

struct PairedPerplexity {
  PerplexityResult reference;
  PerplexityResult candidate;
  KldResult kld;
};

// Per-position KL(reference || candidate) and argmax agreement for logits of
// the same shape [N, V].
struct PositionDivergence {
  std::vector<double> kld;
  std::int64_t sameTop1 = 0;
};
PositionDivergence compareLogits(const at::Tensor& referenceLogits, const at::Tensor& candidateLogits);

// Same from log-probabilities (log-softmax of the logits) of shape [N, V].
PositionDivergence compareLogProbabilities(const at::Tensor& referenceLog, const at::Tensor& candidateLog);

// Runs both models over the windows of `ids` (see computePerplexity) and
// compares their distributions at every scored position. Throws as
// computePerplexity does, and InvalidArgument when the two models return
// logits of different shapes.
PairedPerplexity comparePerplexity(const LogitsFunction& reference, const LogitsFunction& candidate,
                                   std::span<const std::int64_t> ids,
                                   const PerplexityOptions& options,
                                   const WindowProgress& progress = {},
                                   const CancelToken* cancel = nullptr);

}  // namespace gpupoor
