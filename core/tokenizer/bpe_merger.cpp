// Two implementations of the same BPE merge order: a quadratic scan for short
// pieces and a heap for long ones.

#include "core/tokenizer/bpe_merger.h"

#include <algorithm>
#include <functional>
#include <queue>

namespace gpupoor {

namespace {

// Pieces up to this many bytes take the quadratic path. Almost every word of
// natural text is shorter, and the heap's allocations only pay off for runs
// of hundreds of bytes (long numbers, base64, repeated characters).
constexpr std::size_t kMaxQuadraticPieceBytes = 256;

std::uint64_t pairKey(TokenId left, TokenId right) {
  return static_cast<std::uint64_t>(static_cast<std::uint32_t>(left)) << 32 |
         static_cast<std::uint32_t>(right);
}

}  // namespace

BpeMerger::BpeMerger(const std::vector<BpeMerge>& merges,
                     const std::array<TokenId, 256>& byteTokenIds)
    : m_byteTokenIds(byteTokenIds) {
  m_rules.reserve(merges.size());
  for (std::size_t rank = 0; rank < merges.size(); ++rank) {
    const BpeMerge& merge = merges[rank];
    // A repeated rule keeps its first (lowest) rank.
    m_rules.try_emplace(pairKey(merge.left, merge.right),
                        MergeRule{static_cast<std::int32_t>(rank), merge.merged});
  }
}

BpeMerger::MergeRule BpeMerger::ruleFor(TokenId left, TokenId right) const {
  const auto found = m_rules.find(pairKey(left, right));
  return found == m_rules.end() ? MergeRule{kNoMerge, 0} : found->second;
}

void BpeMerger::encodeWord(std::string_view piece, std::vector<TokenId>& out) const {
  if (piece.size() == 1) {
    out.push_back(m_byteTokenIds[static_cast<std::uint8_t>(piece[0])]);
    return;
  }
  const std::vector<TokenId> tokens =
      piece.size() <= kMaxQuadraticPieceBytes ? encodeWordQuadratic(piece) : encodeWordHeap(piece);
  out.insert(out.end(), tokens.begin(), tokens.end());
}

std::vector<TokenId> BpeMerger::encodeWordQuadratic(std::string_view piece) const {
  std::vector<TokenId> parts;
  parts.reserve(piece.size());
  for (const char byte : piece) parts.push_back(m_byteTokenIds[static_cast<std::uint8_t>(byte)]);
  if (parts.size() < 2) return parts;

  // pairRules[i] is the rule for parts[i], parts[i + 1].
  std::vector<MergeRule> pairRules(parts.size() - 1);
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) pairRules[i] = ruleFor(parts[i], parts[i + 1]);

  while (!pairRules.empty()) {
    // Find the lowest rank. min_element keeps the leftmost pair on ties.
    const auto best =
        std::min_element(pairRules.begin(), pairRules.end(),
                         [](const MergeRule& a, const MergeRule& b) { return a.rank < b.rank; });
    if (best->rank == kNoMerge) break;
    const auto i = static_cast<std::size_t>(best - pairRules.begin());

    parts[i] = best->merged;
    parts.erase(parts.begin() + static_cast<std::ptrdiff_t>(i) + 1);
    pairRules.erase(best);
    if (i > 0) pairRules[i - 1] = ruleFor(parts[i - 1], parts[i]);
    if (i < pairRules.size()) pairRules[i] = ruleFor(parts[i], parts[i + 1]);
  }
  return parts;
}

std::vector<TokenId> BpeMerger::encodeWordHeap(std::string_view piece) const {
  const std::size_t count = piece.size();
  std::vector<TokenId> tokens(count);
  for (std::size_t i = 0; i < count; ++i) {
    tokens[i] = m_byteTokenIds[static_cast<std::uint8_t>(piece[i])];
  }
  if (count < 2) return tokens;

  // Doubly linked list over byte positions. A merge keeps the left node and
  // unlinks the right one, and kEnd marks both ends.
  constexpr std::size_t kEnd = SIZE_MAX;
  std::vector<std::size_t> next(count);
  std::vector<std::size_t> previous(count);
  std::vector<bool> alive(count, true);
  for (std::size_t i = 0; i < count; ++i) {
    next[i] = i + 1 < count ? i + 1 : kEnd;
    previous[i] = i > 0 ? i - 1 : kEnd;
  }

  // A candidate remembers the tokens it was made for, so an entry made stale
  // by a later merge of either node is recognized and skipped.
  struct Candidate {
    std::int32_t rank;
    std::size_t left;
    std::size_t right;
    TokenId leftToken;
    TokenId rightToken;
    TokenId merged;
    // Lower rank first, then the leftmost position, like the quadratic scan.
    bool operator>(const Candidate& other) const {
      return rank != other.rank ? rank > other.rank : left > other.left;
    }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> heap;
  auto pushPair = [&](std::size_t left, std::size_t right) {
    if (left == kEnd || right == kEnd) return;
    const MergeRule rule = ruleFor(tokens[left], tokens[right]);
    if (rule.rank != kNoMerge) {
      heap.push({rule.rank, left, right, tokens[left], tokens[right], rule.merged});
    }
  };
  for (std::size_t i = 0; i + 1 < count; ++i) pushPair(i, i + 1);

  while (!heap.empty()) {
    const Candidate candidate = heap.top();
    heap.pop();
    const bool current = alive[candidate.left] && alive[candidate.right] &&
                         next[candidate.left] == candidate.right &&
                         tokens[candidate.left] == candidate.leftToken &&
                         tokens[candidate.right] == candidate.rightToken;
    if (!current) continue;

    // Merge right into left, then offer the two new neighbouring pairs.
    tokens[candidate.left] = candidate.merged;
    alive[candidate.right] = false;
    next[candidate.left] = next[candidate.right];
    if (next[candidate.right] != kEnd) previous[next[candidate.right]] = candidate.left;
    pushPair(previous[candidate.left], candidate.left);
    pushPair(candidate.left, next[candidate.left]);
  }

  std::vector<TokenId> result;
  for (std::size_t i = 0; i != kEnd; i = next[i]) result.push_back(tokens[i]);
  return result;
}

}  // namespace gpupoor
