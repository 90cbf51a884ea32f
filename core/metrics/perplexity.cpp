// Sliding-window perplexity and the evaluation-text readers.

#include "core/metrics/perplexity.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/common/errors.h"
#include "core/metrics/bleu.h"
#include "core/metrics/stats.h"

namespace gpupoor {

std::vector<TokenWindow> planWindows(std::int64_t tokenCount, int maxLength, int stride) {
  if (maxLength < 2) {
    throw InvalidArgument(
        fmt::format("invalid perplexity max length {}: a window needs at least 2 tokens", maxLength));
  }
  if (stride < 1 || stride > maxLength) {
    throw InvalidArgument(fmt::format(
        "invalid perplexity stride {}: expected 1 to the max length {}, so that no token is skipped",
        stride, maxLength));
  }

  std::vector<TokenWindow> windows;
  std::int64_t previousEnd = 0;
  for (std::int64_t begin = 0; begin < tokenCount; begin += stride) {
    TokenWindow window;
    window.begin = begin;
    window.end = std::min<std::int64_t>(begin + maxLength, tokenCount);
    // The window's first token has no context inside the window.
    window.targetBegin = std::max(previousEnd, begin + 1);
    if (window.targetBegin < window.end) windows.push_back(window);
    previousEnd = window.end;
    if (window.end == tokenCount) break;
  }
  return windows;
}

at::Tensor targetRows(const at::Tensor& windowLogits, const TokenWindow& window) {
  // Position p predicts token p + 1, so the rows start one before the first target.
  return windowLogits.narrow(0, window.targetBegin - 1 - window.begin, window.end - window.targetBegin)
      .to(at::kFloat);
}

std::vector<double> windowNll(const at::Tensor& windowLogits, std::span<const std::int64_t> ids,
                              const TokenWindow& window) {
  return targetNll(at::log_softmax(targetRows(windowLogits, window), /*dim=*/-1), ids, window);
}

std::vector<double> targetNll(const at::Tensor& logProbabilities, std::span<const std::int64_t> ids,
                              const TokenWindow& window) {
  const std::int64_t targets = window.end - window.targetBegin;
  std::vector<std::int64_t> targetIds(ids.begin() + window.targetBegin, ids.begin() + window.end);
  const at::Tensor targetTensor =
      at::from_blob(targetIds.data(), {targets, 1}, at::kLong).clone();
  const at::Tensor picked = logProbabilities.gather(1, targetTensor).squeeze(1).to(at::kDouble).contiguous();

  std::vector<double> nll(static_cast<std::size_t>(targets));
  const double* values = picked.data_ptr<double>();
  for (std::int64_t i = 0; i < targets; ++i) nll[static_cast<std::size_t>(i)] = -values[i];
  return nll;
}

PerplexityResult summarizeNll(std::span<const double> tokenNll, std::int64_t windows) {
  PerplexityResult result;
  result.tokensScored = static_cast<std::int64_t>(tokenNll.size());
  result.windows = windows;
  result.meanNll = mean(tokenNll);
  result.nllStandardError = standardErrorOfMean(tokenNll);
  result.perplexity = std::exp(result.meanNll);
  return result;
}

std::span<const std::int64_t> limitTokens(std::span<const std::int64_t> ids, std::int64_t maxTokens) {
  if (maxTokens > 0 && static_cast<std::int64_t>(ids.size()) > maxTokens) {
    ids = ids.first(static_cast<std::size_t>(maxTokens));
  }
  if (ids.size() < 2) {
    throw InvalidArgument(fmt::format(
        "perplexity needs at least 2 tokens, the text has {}; use a longer text", ids.size()));
  }
  return ids;
}

std::vector<WindowBatch> groupWindows(std::span<const std::int64_t> ids,
                                      const std::vector<TokenWindow>& windows, int batchWindows) {
  const auto batchLimit = static_cast<std::size_t>(std::max(1, batchWindows));
  std::vector<WindowBatch> batches;
  std::size_t next = 0;
  while (next < windows.size()) {
    WindowBatch batch;
    batch.first = next;
    batch.last = next + 1;
    const std::int64_t length = windows[next].end - windows[next].begin;
    while (batch.last < windows.size() && batch.last - batch.first < batchLimit &&
           windows[batch.last].end - windows[batch.last].begin == length) {
      ++batch.last;
    }

    batch.ids = at::empty({static_cast<std::int64_t>(batch.last - batch.first), length}, at::kLong);
    for (std::size_t w = batch.first; w < batch.last; ++w) {
      std::copy(ids.begin() + windows[w].begin, ids.begin() + windows[w].end,
                batch.ids[static_cast<std::int64_t>(w - batch.first)].data_ptr<std::int64_t>());
    }
    next = batch.last;
    batches.push_back(std::move(batch));
  }
  return batches;
}

PerplexityResult computePerplexity(const LogitsFunction& model, std::span<const std::int64_t> ids,
                                   const PerplexityOptions& options, const WindowProgress& progress,
                                   const CancelToken* cancel) {
  ids = limitTokens(ids, options.maxTokens);
  const std::vector<TokenWindow> windows =
      planWindows(static_cast<std::int64_t>(ids.size()), options.maxLength, options.stride);
  const auto windowCount = static_cast<std::int64_t>(windows.size());

  std::vector<double> tokenNll;
  tokenNll.reserve(ids.size());
  for (const WindowBatch& batch : groupWindows(ids, windows, options.batchWindows)) {
    throwIfCancelled(cancel);
    const at::Tensor logits = model(batch.ids);  // [B, T, V]
    for (std::size_t w = batch.first; w < batch.last; ++w) {
      const std::vector<double> nll =
          windowNll(logits[static_cast<std::int64_t>(w - batch.first)], ids, windows[w]);
      tokenNll.insert(tokenNll.end(), nll.begin(), nll.end());
    }

    spdlog::debug("perplexity: {}/{} windows", batch.last, windowCount);
    if (progress) progress(static_cast<std::int64_t>(batch.last), windowCount);
  }
  return summarizeNll(tokenNll, windowCount);
}

std::string readEvaluationText(const std::filesystem::path& file, TextReading reading) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw InvalidArgument(fmt::format("cannot read evaluation text {}: file not found or not readable",
                                      file.string()));
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  std::string content = buffer.str();
  if (reading == TextReading::Plain) return content;

  // Wikitext rows: text mode reading turns "\r\n" into "\n", and a file that
  // ends with a newline has no empty row after it.
  std::vector<std::string> rows;
  std::size_t start = 0;
  while (start < content.size()) {
    std::size_t newline = content.find('\n', start);
    const bool hasNewline = newline != std::string::npos;
    if (!hasNewline) newline = content.size();
    std::string line = content.substr(start, newline - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (splitWhitespace(line).empty()) {
      rows.emplace_back();
    } else {
      rows.push_back(hasNewline ? line + "\n" : line);
    }
    start = newline + 1;
  }

  std::string joined;
  joined.reserve(content.size() + 2 * rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (i > 0) joined += "\n\n";
    joined += rows[i];
  }
  return joined;
}

}  // namespace gpupoor
