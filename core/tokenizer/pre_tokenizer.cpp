// PCRE2 matching loop of the GPT-2 pre-tokenizer.

#include "core/tokenizer/pre_tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <fmt/format.h>
#include <pcre2.h>
#include <spdlog/spdlog.h>

#include <string>

#include "core/common/errors.h"

namespace gpupoor {

namespace {

// GPT-2's pattern, as in OpenAI's encoder.py and Hugging Face's GPT2Tokenizer:
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// with \s spelled as \p{White_Space}. PCRE2 10.42's \s also matches U+180E
// (MONGOLIAN VOWEL SEPARATOR), which the White_Space property and Python's
// `regex` module (used by encoder.py, checked with regex 2026.5.9) leave out.
// Over all of Unicode, U+180E is the only code point where PCRE2's \s and
// \p{White_Space} differ.
// NOTE: \p{L} and \p{N} follow the Unicode version of the installed PCRE2
// (14.0 in Debian 12's 10.42), so letters added later count as symbols here.
constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+)"
    R"(|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+)";

std::string pcre2ErrorText(int errorCode) {
  PCRE2_UCHAR buffer[256];
  pcre2_get_error_message(errorCode, buffer, sizeof(buffer));
  return reinterpret_cast<const char*>(buffer);
}

struct MatchDataDeleter {
  void operator()(pcre2_match_data* data) const { pcre2_match_data_free(data); }
};

}  // namespace

struct PreTokenizer::Pcre2Code {
  pcre2_code* code = nullptr;
  bool jit = false;
  ~Pcre2Code() { pcre2_code_free(code); }
};

PreTokenizer::PreTokenizer() : m_code(std::make_unique<Pcre2Code>()) {
  int errorCode = 0;
  PCRE2_SIZE errorOffset = 0;
  m_code->code =
      pcre2_compile(reinterpret_cast<PCRE2_SPTR>(kGpt2Pattern.data()), kGpt2Pattern.size(),
                    PCRE2_UTF | PCRE2_UCP, &errorCode, &errorOffset, nullptr);
  if (m_code->code == nullptr) {
    throw Error(fmt::format(
        "PCRE2 rejected the GPT-2 pre-tokenizer pattern at offset {}: {}; gpupoor needs "
        "libpcre2-8 10.40 or newer built with Unicode support",
        errorOffset, pcre2ErrorText(errorCode)));
  }

  const int jitResult = pcre2_jit_compile(m_code->code, PCRE2_JIT_COMPLETE);
  m_code->jit = jitResult == 0;
  if (!m_code->jit) {
    spdlog::debug("PCRE2 JIT unavailable ({}); the pre-tokenizer uses the interpreter",
                  pcre2ErrorText(jitResult));
  }
}

PreTokenizer::~PreTokenizer() = default;

bool PreTokenizer::usesJit() const { return m_code->jit; }

void PreTokenizer::split(std::string_view text,
                         const std::function<void(std::string_view)>& onPiece) const {
  // Match data is per call, so concurrent calls share only the read-only code.
  std::unique_ptr<pcre2_match_data, MatchDataDeleter> matchData(
      pcre2_match_data_create_from_pattern(m_code->code, nullptr));
  if (!matchData) throw OutOfMemory("cannot allocate PCRE2 match data for the pre-tokenizer");

  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  std::size_t offset = 0;
  while (offset < text.size()) {
    const int result = pcre2_match(m_code->code, subject, text.size(), offset, PCRE2_NO_UTF_CHECK,
                                   matchData.get(), nullptr);
    if (result == PCRE2_ERROR_NOMATCH) break;
    if (result < 0) {
      throw Error(fmt::format("PCRE2 failed to pre-tokenize text at byte offset {}: {}", offset,
                              pcre2ErrorText(result)));
    }
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(matchData.get());
    const std::size_t start = ovector[0];
    const std::size_t end = ovector[1];
    // The alternatives cover every code point (letters, numbers, white space
    // and everything else) and none matches the empty string, so a match
    // starts at `offset` and advances. This guards against an endless loop.
    if (start != offset || end <= start) {
      throw Error(fmt::format(
          "GPT-2 pre-tokenizer matched bytes {}..{} at offset {}; expected a non-empty match at "
          "the offset",
          start, end, offset));
    }
    onPiece(text.substr(start, end - start));
    offset = end;
  }
  if (offset < text.size()) {
    throw Error(fmt::format("GPT-2 pre-tokenizer found no piece at byte offset {} of {}", offset,
                            text.size()));
  }
}

}  // namespace gpupoor
