#pragma once

// Byte-pair encoding of one pre-tokenizer piece: start from one token per
// byte and repeatedly apply the lowest-ranked merge rule that matches two
// adjacent tokens, the leftmost pair first on equal rank. OpenAI's
// encoder.py applies all occurrences of the best pair at once instead, which
// gives the same tokens for merge lists learned in rank order. No caching
// here, because Gpt2Tokenizer keeps the word cache.

#include <array>
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/tokenizer/bpe_files.h"
#include "core/tokenizer/token_id.h"

namespace gpupoor {

class BpeMerger {
 public:
  BpeMerger(const std::vector<BpeMerge>& merges, const std::array<TokenId, 256>& byteTokenIds);

  // Appends the tokens of `piece` (any bytes) to `out`. Picks the quadratic
  // scan for short pieces and the heap for long ones. Both give the same ids.
  void encodeWord(std::string_view piece, std::vector<TokenId>& out) const;

  // Rescans all adjacent pairs after each merge: O(n^2) but fastest for the
  // short pieces of ordinary text. The reference that the heap path is
  // tested against.
  std::vector<TokenId> encodeWordQuadratic(std::string_view piece) const;

  // Linked list of tokens plus a min-heap of candidate pairs: O(n log n), so
  // a megabyte without spaces or punctuation still encodes in well under a second.
  std::vector<TokenId> encodeWordHeap(std::string_view piece) const;

  std::size_t mergeCount() const { return m_rules.size(); }

 private:
  struct MergeRule {
    std::int32_t rank = 0;
    TokenId merged = 0;
  };
  static constexpr std::int32_t kNoMerge = INT32_MAX;

  MergeRule ruleFor(TokenId left, TokenId right) const;

  std::unordered_map<std::uint64_t, MergeRule> m_rules;  // key: left << 32 | right
  std::array<TokenId, 256> m_byteTokenIds;
};

}  // namespace gpupoor
