// KL divergence and top-1 agreement between two models over perplexity
// windows.

#include "core/metrics/kld.h"

#include <ATen/ATen.h>

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/common/errors.h"
#include "core/metrics/stats.h"

namespace gpupoor {
namespace {

std::string shapeText(const at::Tensor& tensor) {
  return fmt::format("[{}]", fmt::join(tensor.sizes(), ", "));
}

}  // namespace

PositionDivergence compareLogits(const at::Tensor& referenceLogits, const at::Tensor& candidateLogits) {
  if (referenceLogits.sizes() != candidateLogits.sizes() || referenceLogits.dim() != 2) {
    throw InvalidArgument(fmt::format(
        "cannot compare logits of shapes {} and {}: expected the same [positions, vocabulary] shape",
        shapeText(referenceLogits), shapeText(candidateLogits)));
  }
  return compareLogProbabilities(at::log_softmax(referenceLogits.to(at::kFloat), /*dim=*/-1),
                                 at::log_softmax(candidateLogits.to(at::kFloat), /*dim=*/-1));
}

PositionDivergence compareLogProbabilities(const at::Tensor& referenceLog, const at::Tensor& candidateLog) {
  if (referenceLog.sizes() != candidateLog.sizes() || referenceLog.dim() != 2) {
    throw InvalidArgument(fmt::format(
        "cannot compare log-probabilities of shapes {} and {}: expected the same [positions, vocabulary] shape",
        shapeText(referenceLog), shapeText(candidateLog)));
  }
  // KL(P || Q) = sum_v P(v) (log P(v) - log Q(v)), from log-softmax so that
  // large logits do not overflow. The argmax of log-softmax is that of the logits.
  const at::Tensor perPosition =
      (referenceLog.exp() * (referenceLog - candidateLog)).sum(/*dim=*/-1).to(at::kDouble).contiguous();
  const at::Tensor same = referenceLog.argmax(/*dim=*/-1).eq(candidateLog.argmax(/*dim=*/-1));

  PositionDivergence divergence;
  const double* values = perPosition.data_ptr<double>();
  divergence.kld.assign(values, values + perPosition.numel());
  divergence.sameTop1 = same.sum().item<std::int64_t>();
  return divergence;
}

PairedPerplexity comparePerplexity(const LogitsFunction& reference, const LogitsFunction& candidate,
                                   std::span<const std::int64_t> ids,
                                   const PerplexityOptions& options, const WindowProgress& progress,
                                   const CancelToken* cancel) {
  ids = limitTokens(ids, options.maxTokens);
  const std::vector<TokenWindow> windows =
      planWindows(static_cast<std::int64_t>(ids.size()), options.maxLength, options.stride);
  const auto windowCount = static_cast<std::int64_t>(windows.size());

  std::vector<double> referenceNll;
  std::vector<double> candidateNll;
  std::vector<double> kld;
  std::int64_t sameTop1 = 0;
  for (const WindowBatch& batch : groupWindows(ids, windows, options.batchWindows)) {
    throwIfCancelled(cancel);
    const at::Tensor referenceLogits = reference(batch.ids);  // [B, T, V]
    const at::Tensor candidateLogits = candidate(batch.ids);
    if (referenceLogits.sizes() != candidateLogits.sizes()) {
      throw InvalidArgument(fmt::format("the models return logits of shapes {} and {} for the same input",
                                        shapeText(referenceLogits), shapeText(candidateLogits)));
    }

    for (std::size_t w = batch.first; w < batch.last; ++w) {
      const auto row = static_cast<std::int64_t>(w - batch.first);
      const TokenWindow& window = windows[w];
      // One log-softmax per copy serves both the NLL and the divergence, at
      // exactly the positions that perplexity scores.
      const at::Tensor referenceLog = at::log_softmax(targetRows(referenceLogits[row], window), /*dim=*/-1);
      const at::Tensor candidateLog = at::log_softmax(targetRows(candidateLogits[row], window), /*dim=*/-1);
      const std::vector<double> referenceWindow = targetNll(referenceLog, ids, window);
      const std::vector<double> candidateWindow = targetNll(candidateLog, ids, window);
      referenceNll.insert(referenceNll.end(), referenceWindow.begin(), referenceWindow.end());
      candidateNll.insert(candidateNll.end(), candidateWindow.begin(), candidateWindow.end());

      const PositionDivergence divergence = compareLogProbabilities(referenceLog, candidateLog);
      kld.insert(kld.end(), divergence.kld.begin(), divergence.kld.end());
      sameTop1 += divergence.sameTop1;
    }

    spdlog::debug("perplexity and KLD: {}/{} windows", batch.last, windowCount);
    if (progress) progress(static_cast<std::int64_t>(batch.last), windowCount);
  }

  PairedPerplexity result;
  result.reference = summarizeNll(referenceNll, windowCount);
  result.candidate = summarizeNll(candidateNll, windowCount);
  result.kld.positions = static_cast<std::int64_t>(kld.size());
  result.kld.meanKld = mean(kld);
  result.kld.p99Kld = percentile(kld, 99.0);
  result.kld.top1Agreement =
      kld.empty() ? 0.0 : static_cast<double>(sameTop1) / static_cast<double>(kld.size());
  return result;
}

}  // namespace gpupoor
