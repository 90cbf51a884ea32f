#pragma once

// GPT-2's pre-tokenizer: splits text into the pieces that BPE then encodes
// one at a time (words with their leading space, digit runs, punctuation
// runs, whitespace runs, English contractions). Runs on PCRE2 in UTF + UCP
// mode, JIT-compiled when the library supports it. No special-token handling;
// Gpt2Tokenizer splits those off first.

#include <functional>
#include <memory>
#include <string_view>

namespace gpupoor {

class PreTokenizer {
 public:
  // Compiles the pattern. Throws Error when PCRE2 rejects it (a PCRE2 built
  // without Unicode support).
  PreTokenizer();
  ~PreTokenizer();
  PreTokenizer(const PreTokenizer&) = delete;
  PreTokenizer& operator=(const PreTokenizer&) = delete;

  // Calls `onPiece` for each piece of `text`, in order, and the pieces cover
  // the whole text. `text` must be valid UTF-8, which Gpt2Tokenizer checks
  // first. PCRE2's own check is off because it would rescan the rest of the
  // text at every piece. Safe to call from several threads.
  void split(std::string_view text, const std::function<void(std::string_view)>& onPiece) const;

  // True when the pattern runs JIT-compiled machine code.
  bool usesJit() const;

 private:
  struct Pcre2Code;
  std::unique_ptr<Pcre2Code> m_code;
};

}  // namespace gpupoor
