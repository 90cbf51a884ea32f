// BLEU as nltk.translate.bleu_score computes it in NLTK 3.8. The comments
// name the NLTK function each step mirrors; precisions are kept as raw counts
// (NLTK's Fraction(..., _normalize=False)) until smoothing turns them into
// plain numbers.

#include "core/metrics/bleu.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>

#include <fmt/format.h>

#include "core/common/errors.h"

namespace gpupoor {
namespace {

constexpr int kMaxOrder = 4;
constexpr double kOrderWeight = 1.0 / kMaxOrder;

// Unsmoothed modified precision: clipped matches over hypothesis n-grams.
struct Precision {
  std::int64_t numerator = 0;
  std::int64_t denominator = 1;
};

using NgramCounts = std::map<std::vector<std::string>, std::int64_t>;

NgramCounts countNgrams(const BleuTokens& tokens, int order) {
  NgramCounts counts;
  const auto n = static_cast<std::size_t>(order);
  if (tokens.size() < n) return counts;
  for (std::size_t start = 0; start + n <= tokens.size(); ++start) {
    std::vector<std::string> ngram(tokens.begin() + static_cast<std::ptrdiff_t>(start),
                                   tokens.begin() + static_cast<std::ptrdiff_t>(start + n));
    ++counts[std::move(ngram)];
  }
  return counts;
}

// modified_precision(): each hypothesis n-gram counts at most as often as in
// the reference that contains it most often. The denominator is at least 1.
Precision modifiedPrecision(const std::vector<BleuTokens>& references, const BleuTokens& hypothesis,
                            int order) {
  const NgramCounts hypothesisCounts = countNgrams(hypothesis, order);
  std::map<std::vector<std::string>, std::int64_t> maxReferenceCounts;
  for (const BleuTokens& reference : references) {
    const NgramCounts referenceCounts = countNgrams(reference, order);
    for (const auto& [ngram, count] : hypothesisCounts) {
      const auto found = referenceCounts.find(ngram);
      const std::int64_t referenceCount = found == referenceCounts.end() ? 0 : found->second;
      auto& best = maxReferenceCounts[ngram];
      best = std::max(best, referenceCount);
    }
  }

  Precision precision;
  std::int64_t total = 0;
  for (const auto& [ngram, count] : hypothesisCounts) {
    precision.numerator += std::min(count, maxReferenceCounts[ngram]);
    total += count;
  }
  precision.denominator = std::max<std::int64_t>(1, total);
  return precision;
}

// closest_ref_length(): the reference length nearest the hypothesis length,
// the shorter one on a tie.
std::int64_t closestReferenceLength(const std::vector<BleuTokens>& references,
                                    std::int64_t hypothesisLength) {
  std::int64_t best = -1;
  for (const BleuTokens& reference : references) {
    const auto length = static_cast<std::int64_t>(reference.size());
    if (best < 0) {
      best = length;
      continue;
    }
    const std::int64_t distance = std::llabs(length - hypothesisLength);
    const std::int64_t bestDistance = std::llabs(best - hypothesisLength);
    if (distance < bestDistance || (distance == bestDistance && length < best)) best = length;
  }
  return best;
}

// brevity_penalty()
double brevityPenalty(std::int64_t referenceLength, std::int64_t hypothesisLength) {
  if (hypothesisLength > referenceLength) return 1.0;
  if (hypothesisLength == 0) return 0.0;
  return std::exp(1.0 - static_cast<double>(referenceLength) / static_cast<double>(hypothesisLength));
}

double toDouble(const Precision& precision) {
  return static_cast<double>(precision.numerator) / static_cast<double>(precision.denominator);
}

// SmoothingFunction.method4: zero counts become 1 / (2^k * K / ln(length)).
void smoothMethod4(const std::vector<Precision>& counts, std::vector<double>& values,
                   std::int64_t hypothesisLength, double k) {
  int increment = 1;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (counts[i].numerator == 0 && hypothesisLength > 1) {
      const double numerator =
          1.0 / (std::pow(2.0, increment) * k / std::log(static_cast<double>(hypothesisLength)));
      values[i] = numerator / static_cast<double>(counts[i].denominator);
      ++increment;
    }
  }
}

// SmoothingFunction.method5: each precision becomes the mean of the previous
// (smoothed) one, itself and the next unsmoothed one. The order after the last
// is the 5-gram precision of the last sentence pair.
void smoothMethod5(std::vector<double>& values, const std::vector<BleuTokens>& lastReferences,
                   const BleuTokens& lastHypothesis) {
  std::vector<double> next = values;
  next.push_back(toDouble(modifiedPrecision(lastReferences, lastHypothesis, kMaxOrder + 1)));
  double previous = values[0] + 1.0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    values[i] = (previous + values[i] + next[i + 1]) / 3.0;
    previous = values[i];
  }
}

// SmoothingFunction.method6: orders 3 and up are interpolated with the prior
// p[n-1]^2 / p[n-2]; the n-gram total is that of the last hypothesis.
void smoothMethod6(const std::vector<Precision>& counts, std::vector<double>& values,
                   const BleuTokens& lastHypothesis, double alpha) {
  if (counts[2].numerator == 0) {
    throw InvalidArgument(
        "BLEU smoothing method6 requires a non-zero trigram precision (NLTK raises an "
        "AssertionError here); use another smoothing method for short or unrelated texts");
  }
  for (std::size_t i = 2; i < values.size(); ++i) {
    const double prior = values[i - 2] == 0.0 ? 0.0 : values[i - 1] * values[i - 1] / values[i - 2];
    const auto matches = static_cast<double>(counts[i].numerator);
    const auto hypothesisSize = static_cast<std::int64_t>(lastHypothesis.size());
    const auto ngramTotal =
        static_cast<double>(std::max<std::int64_t>(0, hypothesisSize - static_cast<std::int64_t>(i)));
    values[i] = (matches + alpha * prior) / (ngramTotal + alpha);
  }
}

std::vector<double> smooth(const std::vector<Precision>& counts, const BleuOptions& options,
                           std::int64_t hypothesisLength,
                           const std::vector<BleuTokens>& lastReferences,
                           const BleuTokens& lastHypothesis) {
  std::vector<double> values;
  for (const Precision& precision : counts) values.push_back(toDouble(precision));

  switch (options.smoothing) {
    case 0:
      // A zero precision becomes the smallest normal double, so its order
      // pulls the score towards zero instead of making log(0) fail.
      for (std::size_t i = 0; i < counts.size(); ++i) {
        if (counts[i].numerator == 0) values[i] = DBL_MIN;
      }
      break;
    case 1:
      for (std::size_t i = 0; i < counts.size(); ++i) {
        if (counts[i].numerator == 0) {
          values[i] = options.epsilon / static_cast<double>(counts[i].denominator);
        }
      }
      break;
    case 2:
      for (std::size_t i = 1; i < counts.size(); ++i) {
        values[i] = static_cast<double>(counts[i].numerator + 1) /
                    static_cast<double>(counts[i].denominator + 1);
      }
      break;
    case 3: {
      int increment = 1;
      for (std::size_t i = 0; i < counts.size(); ++i) {
        if (counts[i].numerator == 0) {
          values[i] = 1.0 / (std::pow(2.0, increment) * static_cast<double>(counts[i].denominator));
          ++increment;
        }
      }
      break;
    }
    case 4:
      smoothMethod4(counts, values, hypothesisLength, options.k);
      break;
    case 5:
      smoothMethod5(values, lastReferences, lastHypothesis);
      break;
    case 6:
      smoothMethod6(counts, values, lastHypothesis, options.alpha);
      break;
    case 7:
      smoothMethod4(counts, values, hypothesisLength, options.k);
      smoothMethod5(values, lastReferences, lastHypothesis);
      break;
    default:
      break;
  }
  return values;
}

void checkSmoothing(const BleuOptions& options) {
  if (options.smoothing < 0 || options.smoothing > 7) {
    throw InvalidArgument(fmt::format(
        "invalid BLEU smoothing method {}: expected a method number from 0 to 7", options.smoothing));
  }
}

}  // namespace

BleuTokens splitWhitespace(std::string_view text) {
  // Python's str.split() also splits on the ASCII separators 0x1c..0x1f and
  // on Unicode spaces, so those are matched in their UTF-8 form.
  auto whitespaceLength = [&](std::size_t at) -> std::size_t {
    const auto byte = static_cast<unsigned char>(text[at]);
    if (byte == ' ' || (byte >= 0x09 && byte <= 0x0d) || (byte >= 0x1c && byte <= 0x1f)) return 1;
    const std::string_view rest = text.substr(at);
    if (rest.starts_with("\xc2\x85") || rest.starts_with("\xc2\xa0")) return 2;
    if (rest.size() >= 3) {
      const auto b0 = static_cast<unsigned char>(rest[0]);
      const auto b1 = static_cast<unsigned char>(rest[1]);
      const auto b2 = static_cast<unsigned char>(rest[2]);
      if (b0 == 0xe1 && b1 == 0x9a && b2 == 0x80) return 3;                 // U+1680
      if (b0 == 0xe2 && b1 == 0x80 && (b2 <= 0x8a || b2 == 0xa8 || b2 == 0xa9 || b2 == 0xaf))
        return 3;                                                            // U+2000..200A, 2028, 2029, 202F
      if (b0 == 0xe2 && b1 == 0x81 && b2 == 0x9f) return 3;                 // U+205F
      if (b0 == 0xe3 && b1 == 0x80 && b2 == 0x80) return 3;                 // U+3000
    }
    return 0;
  };

  BleuTokens tokens;
  std::size_t at = 0;
  std::size_t tokenStart = std::string_view::npos;
  while (at < text.size()) {
    const std::size_t skip = whitespaceLength(at);
    if (skip > 0) {
      if (tokenStart != std::string_view::npos) {
        tokens.emplace_back(text.substr(tokenStart, at - tokenStart));
        tokenStart = std::string_view::npos;
      }
      at += skip;
      continue;
    }
    if (tokenStart == std::string_view::npos) tokenStart = at;
    ++at;
  }
  if (tokenStart != std::string_view::npos) tokens.emplace_back(text.substr(tokenStart));
  return tokens;
}

double sentenceBleu(const std::vector<BleuTokens>& references, const BleuTokens& hypothesis,
                    const BleuOptions& options) {
  return corpusBleu({references}, {hypothesis}, options);
}

double corpusBleu(const std::vector<std::vector<BleuTokens>>& references,
                  const std::vector<BleuTokens>& hypotheses, const BleuOptions& options) {
  checkSmoothing(options);
  if (references.size() != hypotheses.size()) {
    throw InvalidArgument(fmt::format(
        "corpus BLEU needs one reference list per hypothesis, got {} reference lists for {} "
        "hypotheses",
        references.size(), hypotheses.size()));
  }

  // corpus_bleu(): sum matches, totals and lengths over all pairs.
  std::vector<Precision> counts(kMaxOrder, Precision{0, 0});
  std::int64_t hypothesisLength = 0;
  std::int64_t referenceLength = 0;
  for (std::size_t pair = 0; pair < hypotheses.size(); ++pair) {
    if (references[pair].empty()) {
      throw InvalidArgument(
          fmt::format("BLEU hypothesis {} has no reference; give at least one", pair));
    }
    for (int order = 1; order <= kMaxOrder; ++order) {
      const Precision precision = modifiedPrecision(references[pair], hypotheses[pair], order);
      counts[static_cast<std::size_t>(order - 1)].numerator += precision.numerator;
      counts[static_cast<std::size_t>(order - 1)].denominator += precision.denominator;
    }
    const auto length = static_cast<std::int64_t>(hypotheses[pair].size());
    hypothesisLength += length;
    referenceLength += closestReferenceLength(references[pair], length);
  }

  // No unigram match means no match of any order: NLTK returns 0 before
  // smoothing, also for an empty corpus.
  if (counts[0].numerator == 0) return 0.0;

  const double penalty = brevityPenalty(referenceLength, hypothesisLength);
  const std::vector<double> smoothed =
      smooth(counts, options, hypothesisLength, references.back(), hypotheses.back());

  // Orders whose precision is still zero are left out of the geometric mean,
  // as NLTK 3.8 does. A long double sum replaces math.fsum over four terms.
  long double logSum = 0.0L;
  for (double value : smoothed) {
    if (value > 0.0) logSum += static_cast<long double>(kOrderWeight * std::log(value));
  }
  return penalty * std::exp(static_cast<double>(logSum));
}

}  // namespace gpupoor
