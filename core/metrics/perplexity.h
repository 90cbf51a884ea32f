#pragma once

// Perplexity of a token sequence by the sliding-window method of the Hugging
// Face "perplexity of fixed-length models" recipe. Windows of maxLength tokens
// move by stride. Each window scores only the tokens that no earlier window
// scored, and the tokens before them are its context. The first token of the
// text has no context and is never scored. Also the readers that turn an
// evaluation file into one string.
//
// Shapes: B windows in a batch, T tokens per window, V vocabulary.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "core/common/cancel.h"
#include "core/engine/settings.h"
#include "core/metrics/metric_results.h"

namespace gpupoor {

struct PerplexityOptions {
  int maxLength = 1024;        // window length in tokens
  int stride = 512;            // step between window starts, 1..maxLength
  std::int64_t maxTokens = 0;  // use only the first maxTokens tokens; 0 = all
  int batchWindows = 4;        // windows of equal length per forward pass
};

// One window: tokens [begin, end) go through the model and the tokens
// [targetBegin, end) are scored, each from the logits one position earlier.
struct TokenWindow {
  std::int64_t begin = 0;
  std::int64_t end = 0;
  std::int64_t targetBegin = 0;
};

// Plans the windows over `tokenCount` tokens. With stride == maxLength the
// first token of every window has no context and is not scored, as in the
// Hugging Face recipe. Throws InvalidArgument for maxLength < 2 or a stride
// outside 1..maxLength. Returns no windows for fewer than two tokens.
std::vector<TokenWindow> planWindows(std::int64_t tokenCount, int maxLength, int stride);

// Applies the maxTokens cut. Throws InvalidArgument when fewer than two tokens
// remain, because the first token is never scored.
std::span<const std::int64_t> limitTokens(std::span<const std::int64_t> ids, std::int64_t maxTokens);

// A run of consecutive windows [first, last) of the same length, which one
// forward pass scores together, and their input ids int64 [B, T].
struct WindowBatch {
  std::size_t first = 0;
  std::size_t last = 0;
  at::Tensor ids;
};

// Groups `windows` into batches of at most `batchWindows` windows of equal
// length, so only the last, shorter window runs alone.
std::vector<WindowBatch> groupWindows(std::span<const std::int64_t> ids,
                                      const std::vector<TokenWindow>& windows, int batchWindows);

// ids int64 [B, T] -> logits float32 [B, T, V].
using LogitsFunction = std::function<at::Tensor(const at::Tensor& ids)>;
// Windows finished so far and in total; called after every batch.
using WindowProgress = std::function<void(std::int64_t windowsDone, std::int64_t windowsTotal)>;

// Scores `ids` with `model`. Throws InvalidArgument when fewer than two tokens
// remain after the maxTokens cut, and Cancelled between batches when `cancel`
// is set.
PerplexityResult computePerplexity(const LogitsFunction& model, std::span<const std::int64_t> ids,
                                   const PerplexityOptions& options,
                                   const WindowProgress& progress = {},
                                   const CancelToken* cancel = nullptr);

// Per-token negative log-likelihoods of the targets of `window`, given the
// model's logits for that window: logits float32 [T, V] with T = end - begin.
std::vector<double> windowNll(const at::Tensor& windowLogits, std::span<const std::int64_t> ids,
                              const TokenWindow& window);

// The logits rows that predict the targets of `window`: [end - targetBegin, V].
at::Tensor targetRows(const at::Tensor& windowLogits, const TokenWindow& window);

// Negative log-likelihoods of the targets of `window` from log-probabilities
// of its target rows (see targetRows).
std::vector<double> targetNll(const at::Tensor& targetLogProbabilities, std::span<const std::int64_t> ids,
                              const TokenWindow& window);

// Builds a PerplexityResult from per-token NLLs.
PerplexityResult summarizeNll(std::span<const double> tokenNll, std::int64_t windows);

// Reads an evaluation text. Plain: the file's bytes as they are. Wikitext:
// as the Hugging Face wikitext dataset builds its rows from wiki.test.raw
// (each line a row, a whitespace-only line an empty row, any other line its
// text plus "\n"), rows joined with "\n\n". Throws InvalidArgument naming the
// file when it cannot be read.
std::string readEvaluationText(const std::filesystem::path& file, TextReading reading);

}  // namespace gpupoor
