#pragma once

// GPT-2's byte-level BPE tokenizer: the algorithm of OpenAI's encoder.py,
// which tiktoken calls r50k_base. tst_tokenizer checks it against r50k_base
// ids from js-tiktoken. The only special token is <|endoftext|>. Input text
// must be valid UTF-8: encode() throws InvalidArgument naming the byte offset
// of the first invalid byte instead of replacing it. Not here:
// tokenizer.json, added tokens other than <|endoftext|>, and other subword
// schemes (SentencePiece, WordPiece).

#include <cstddef>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/tokenizer/token_id.h"

namespace gpupoor {

class Gpt2Tokenizer {
 public:
  static constexpr std::string_view kEndOfText = "<|endoftext|>";

  // Reads both files. Throws InvalidArgument when a file is missing and
  // InvalidCheckpoint naming the file and line (or token) when it is
  // malformed, when the files do not match each other, or when vocab.json has
  // no <|endoftext|> token.
  Gpt2Tokenizer(const std::filesystem::path& vocabJson, const std::filesystem::path& mergesTxt);
  ~Gpt2Tokenizer();
  Gpt2Tokenizer(Gpt2Tokenizer&&) noexcept;
  Gpt2Tokenizer& operator=(Gpt2Tokenizer&&) noexcept;

  // Encodes UTF-8 text. With `allowSpecial`, each "<|endoftext|>" in the text
  // becomes eotId(). Without it, the string is ordinary text (7 tokens).
  // Throws InvalidArgument naming the byte offset when `text` is not valid
  // UTF-8. Thread-safe: concurrent calls share one word cache under a lock.
  std::vector<TokenId> encode(std::string_view text, bool allowSpecial) const;

  // Concatenates the bytes of `ids`, so decode(encode(text, ...)) == text. The
  // result is not valid UTF-8 when the ids split a character (use
  // StreamingDecoder or utf8::replaceInvalid() for display). Throws
  // InvalidArgument naming the first id outside 0..vocabSize()-1.
  std::string decode(std::span<const TokenId> ids) const;

  // Returns the raw bytes of one token. The view lives as long as the tokenizer.
  // Throws InvalidArgument for an id outside 0..vocabSize()-1.
  std::string_view tokenBytes(TokenId id) const;

  // Splits valid UTF-8 text into GPT-2's pre-tokenizer pieces (the units BPE
  // encodes independently), without special-token handling. Throws like
  // encode() on invalid UTF-8. For inspection and tests.
  std::vector<std::string> preTokenize(std::string_view text) const;

  int vocabSize() const;
  std::size_t mergeCount() const;
  // Id of <|endoftext|> (50256 for GPT-2).
  TokenId eotId() const;
  // True when the pre-tokenizer runs on PCRE2's JIT.
  bool usesJit() const;

 private:
  struct State;
  std::unique_ptr<State> m_state;
};

}  // namespace gpupoor
