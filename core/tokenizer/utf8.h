#pragma once

// UTF-8 validation as the Unicode standard defines it (Table 3-7: no overlong
// forms, no surrogates, nothing above U+10FFFF). The tokenizer uses it to
// reject invalid input and the streaming decoder to hold back bytes of a
// character that is not complete yet. No transcoding to other encodings.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace gpupoor::utf8 {

// The replacement character U+FFFD, encoded.
inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

enum class SequenceStatus {
  Complete,   // a whole valid character
  Truncated,  // a valid start of a character that the text ends before finishing
  Invalid,    // bytes that can never start or continue a valid character here
};

struct Sequence {
  SequenceStatus status = SequenceStatus::Complete;
  // Bytes the sequence covers. For Invalid it is the maximal subpart (at
  // least 1), so each invalid run becomes one U+FFFD as in Unicode's
  // "substitution of maximal subparts" practice.
  std::size_t lengthBytes = 0;
};

// Classifies the character that starts at `offset` (< text.size()).
Sequence scanSequence(std::string_view text, std::size_t offset);

// Returns the byte offset of the first byte that is not part of a complete,
// valid character, or nullopt when all of `text` is valid UTF-8.
std::optional<std::size_t> findInvalidByte(std::string_view text);

// Returns `text` with each invalid maximal subpart (including a truncated
// character at the end) replaced by U+FFFD.
std::string replaceInvalid(std::string_view text);

}  // namespace gpupoor::utf8
