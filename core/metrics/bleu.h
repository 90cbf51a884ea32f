#pragma once

// BLEU as NLTK 3.8 computes it in nltk.translate.bleu_score: sentence and
// corpus BLEU-4 with uniform weights and the Chen & Cherry (2014) smoothing
// methods 0 to 7 of SmoothingFunction. NLTK's quirks are kept. Method0
// replaces a zero precision with the smallest normal double. Orders whose
// precision stays zero are left out of the geometric mean. Methods 5 and 6 of
// corpus BLEU look only at the last sentence pair. Weights other than uniform
// 4-gram and NLTK's auto_reweigh are not offered.

#include <string>
#include <string_view>
#include <vector>

namespace gpupoor {

using BleuTokens = std::vector<std::string>;

struct BleuOptions {
  int smoothing = 1;       // SmoothingFunction.methodN, N in 0..7
  double epsilon = 0.1;    // method1: count added to a zero n-gram match count
  double alpha = 5.0;      // method6: weight of the prior
  double k = 5.0;          // method4: the constant K
};

// Splits on runs of ASCII whitespace, as Python's str.split() does for ASCII.
BleuTokens splitWhitespace(std::string_view text);

// Sentence BLEU of `hypothesis` against one or more references. Throws
// InvalidArgument when smoothing is outside 0..7, when `references` is empty,
// and for method6 when the trigram precision is zero (NLTK raises an
// AssertionError there).
double sentenceBleu(const std::vector<BleuTokens>& references, const BleuTokens& hypothesis,
                    const BleuOptions& options = {});

// Corpus BLEU: n-gram matches and lengths summed over all pairs before the
// geometric mean. `references[i]` holds the references of hypotheses[i].
// Throws InvalidArgument when the two lists differ in length or are empty.
double corpusBleu(const std::vector<std::vector<BleuTokens>>& references,
                  const std::vector<BleuTokens>& hypotheses, const BleuOptions& options = {});

}  // namespace gpupoor
