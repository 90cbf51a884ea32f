// Gpt2Tokenizer: special-token splitting, the per-word cache and decoding
// around the pre-tokenizer and the BPE merger.

#include "core/tokenizer/gpt2_tokenizer.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "core/common/errors.h"
#include "core/tokenizer/bpe_files.h"
#include "core/tokenizer/bpe_merger.h"
#include "core/tokenizer/pre_tokenizer.h"
#include "core/tokenizer/utf8.h"

namespace gpupoor {

namespace {

// The word cache is cleared when it reaches this many entries, which bounds
// its memory to a few MiB. WikiText-2's test split (1.3 MB) has 247 231
// pieces but only 20 997 distinct ones, so a document of that kind never
// reaches the limit.
constexpr std::size_t kMaxCachedWords = 1 << 17;
// Longer pieces are not cached: they rarely repeat and would dominate the
// cache's memory.
constexpr std::size_t kMaxCachedPieceBytes = 64;

struct StringViewHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const {
    return std::hash<std::string_view>{}(text);
  }
};

std::string describeByte(std::string_view text, std::size_t offset) {
  return fmt::format("0x{:02X}", static_cast<std::uint8_t>(text[offset]));
}

// Throws InvalidArgument naming the first invalid byte of `text`.
void requireValidUtf8(std::string_view text) {
  const auto invalidOffset = utf8::findInvalidByte(text);
  if (!invalidOffset) return;
  throw InvalidArgument(
      fmt::format("text is not valid UTF-8: byte {} at byte offset {} does not start or complete a "
                  "character; convert the text to UTF-8 before tokenizing it",
                  describeByte(text, *invalidOffset), *invalidOffset));
}

}  // namespace

struct Gpt2Tokenizer::State {
  State(BpeTables tables, TokenId endOfTextId)
      : tokenBytes(std::move(tables.tokenBytes)),
        merger(tables.merges, tables.byteTokenIds),
        eotId(endOfTextId) {}

  std::vector<std::string> tokenBytes;
  BpeMerger merger;
  TokenId eotId;
  PreTokenizer preTokenizer;

  // Piece -> tokens. BPE is deterministic, so the cache never changes a result.
  mutable std::shared_mutex cacheMutex;
  mutable std::unordered_map<std::string, std::vector<TokenId>, StringViewHash, std::equal_to<>>
      wordCache;

  void appendWordTokens(std::string_view piece, std::vector<TokenId>& out) const;
  void encodeOrdinary(std::string_view text, std::vector<TokenId>& out) const;
  void requireValidId(TokenId id) const;
};

void Gpt2Tokenizer::State::appendWordTokens(std::string_view piece,
                                            std::vector<TokenId>& out) const {
  if (piece.size() == 1 || piece.size() > kMaxCachedPieceBytes) {
    merger.encodeWord(piece, out);
    return;
  }
  {
    std::shared_lock lock(cacheMutex);
    const auto found = wordCache.find(piece);
    if (found != wordCache.end()) {
      out.insert(out.end(), found->second.begin(), found->second.end());
      return;
    }
  }

  // BPE runs outside the lock. Two threads may compute the same piece, and
  // the second insert is a no-op.
  std::vector<TokenId> tokens;
  merger.encodeWord(piece, tokens);
  out.insert(out.end(), tokens.begin(), tokens.end());

  std::unique_lock lock(cacheMutex);
  if (wordCache.size() >= kMaxCachedWords) wordCache.clear();
  wordCache.try_emplace(std::string(piece), std::move(tokens));
}

void Gpt2Tokenizer::State::encodeOrdinary(std::string_view text, std::vector<TokenId>& out) const {
  preTokenizer.split(text, [&](std::string_view piece) { appendWordTokens(piece, out); });
}

void Gpt2Tokenizer::State::requireValidId(TokenId id) const {
  if (id >= 0 && static_cast<std::size_t>(id) < tokenBytes.size()) return;
  throw InvalidArgument(
      fmt::format("token id {} is out of range: the vocabulary has {} tokens (ids 0..{})", id,
                  tokenBytes.size(), tokenBytes.size() - 1));
}

Gpt2Tokenizer::Gpt2Tokenizer(const std::filesystem::path& vocabJson,
                             const std::filesystem::path& mergesTxt) {
  const auto startTime = std::chrono::steady_clock::now();
  BpeTables tables = readBpeFiles(vocabJson, mergesTxt);

  TokenId endOfTextId = -1;
  for (std::size_t id = 0; id < tables.tokenBytes.size(); ++id) {
    if (tables.tokenBytes[id] == kEndOfText) endOfTextId = static_cast<TokenId>(id);
  }
  if (endOfTextId < 0) {
    throw InvalidCheckpoint(fmt::format(
        "{}: no token \"{}\"; expected GPT-2's vocab.json, whose last id is <|endoftext|>",
        vocabJson.string(), kEndOfText));
  }

  const std::size_t tokenCount = tables.tokenBytes.size();
  const std::size_t mergeCount = tables.merges.size();
  m_state = std::make_unique<State>(std::move(tables), endOfTextId);

  const auto elapsedMs =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - startTime)
          .count();
  spdlog::info(
      "loaded GPT-2 tokenizer from {} and {}: {} tokens, {} merges, <|endoftext|> = {}, "
      "PCRE2 JIT {}, {:.0f} ms",
      vocabJson.string(), mergesTxt.filename().string(), tokenCount, mergeCount, endOfTextId,
      m_state->preTokenizer.usesJit() ? "on" : "off", elapsedMs);
}

Gpt2Tokenizer::~Gpt2Tokenizer() = default;
Gpt2Tokenizer::Gpt2Tokenizer(Gpt2Tokenizer&&) noexcept = default;
Gpt2Tokenizer& Gpt2Tokenizer::operator=(Gpt2Tokenizer&&) noexcept = default;

std::vector<TokenId> Gpt2Tokenizer::encode(std::string_view text, bool allowSpecial) const {
  requireValidUtf8(text);

  std::vector<TokenId> ids;
  // An estimate of 4 bytes a token (English text) that saves most regrowth.
  ids.reserve(text.size() / 4 + 1);
  if (!allowSpecial) {
    m_state->encodeOrdinary(text, ids);
    return ids;
  }

  // Text between special tokens is encoded on its own, so no piece spans one.
  std::size_t chunkStart = 0;
  while (chunkStart <= text.size()) {
    const std::size_t special = text.find(kEndOfText, chunkStart);
    const std::size_t chunkEnd = special == std::string_view::npos ? text.size() : special;
    m_state->encodeOrdinary(text.substr(chunkStart, chunkEnd - chunkStart), ids);
    if (special == std::string_view::npos) break;
    ids.push_back(m_state->eotId);
    chunkStart = special + kEndOfText.size();
  }
  return ids;
}

std::string Gpt2Tokenizer::decode(std::span<const TokenId> ids) const {
  std::size_t totalBytes = 0;
  for (const TokenId id : ids) {
    m_state->requireValidId(id);
    totalBytes += m_state->tokenBytes[static_cast<std::size_t>(id)].size();
  }
  std::string text;
  text.reserve(totalBytes);
  for (const TokenId id : ids) text += m_state->tokenBytes[static_cast<std::size_t>(id)];
  return text;
}

std::string_view Gpt2Tokenizer::tokenBytes(TokenId id) const {
  m_state->requireValidId(id);
  return m_state->tokenBytes[static_cast<std::size_t>(id)];
}

std::vector<std::string> Gpt2Tokenizer::preTokenize(std::string_view text) const {
  requireValidUtf8(text);
  std::vector<std::string> pieces;
  m_state->preTokenizer.split(text, [&](std::string_view piece) { pieces.emplace_back(piece); });
  return pieces;
}

int Gpt2Tokenizer::vocabSize() const { return static_cast<int>(m_state->tokenBytes.size()); }

std::size_t Gpt2Tokenizer::mergeCount() const { return m_state->merger.mergeCount(); }

TokenId Gpt2Tokenizer::eotId() const { return m_state->eotId; }

bool Gpt2Tokenizer::usesJit() const { return m_state->preTokenizer.usesJit(); }

}  // namespace gpupoor
