// UTF-8 scanning by the byte ranges of Unicode Table 3-7 ("Well-Formed UTF-8
// Byte Sequences").

#include "core/tokenizer/utf8.h"

#include <cstdint>

namespace gpupoor::utf8 {

namespace {

struct LeadByteRule {
  std::size_t continuationBytes = 0;
  // Allowed range of the first continuation byte; the later ones are always
  // 0x80..0xBF. The narrower ranges exclude overlong forms, surrogates and
  // code points above U+10FFFF.
  std::uint8_t secondMin = 0x80;
  std::uint8_t secondMax = 0xBF;
};

// Returns nullopt for bytes that cannot start a character (0x80..0xC1, 0xF5..0xFF).
std::optional<LeadByteRule> ruleForLeadByte(std::uint8_t lead) {
  if (lead <= 0x7F) return LeadByteRule{0, 0, 0};
  if (lead >= 0xC2 && lead <= 0xDF) return LeadByteRule{1, 0x80, 0xBF};
  if (lead == 0xE0) return LeadByteRule{2, 0xA0, 0xBF};
  if (lead >= 0xE1 && lead <= 0xEC) return LeadByteRule{2, 0x80, 0xBF};
  if (lead == 0xED) return LeadByteRule{2, 0x80, 0x9F};
  if (lead >= 0xEE && lead <= 0xEF) return LeadByteRule{2, 0x80, 0xBF};
  if (lead == 0xF0) return LeadByteRule{3, 0x90, 0xBF};
  if (lead >= 0xF1 && lead <= 0xF3) return LeadByteRule{3, 0x80, 0xBF};
  if (lead == 0xF4) return LeadByteRule{3, 0x80, 0x8F};
  return std::nullopt;
}

}  // namespace

Sequence scanSequence(std::string_view text, std::size_t offset) {
  const auto lead = static_cast<std::uint8_t>(text[offset]);
  const auto rule = ruleForLeadByte(lead);
  if (!rule) return {SequenceStatus::Invalid, 1};

  for (std::size_t k = 1; k <= rule->continuationBytes; ++k) {
    if (offset + k >= text.size()) return {SequenceStatus::Truncated, k};
    const auto byte = static_cast<std::uint8_t>(text[offset + k]);
    const std::uint8_t minByte = k == 1 ? rule->secondMin : 0x80;
    const std::uint8_t maxByte = k == 1 ? rule->secondMax : 0xBF;
    if (byte < minByte || byte > maxByte) return {SequenceStatus::Invalid, k};
  }
  return {SequenceStatus::Complete, rule->continuationBytes + 1};
}

std::optional<std::size_t> findInvalidByte(std::string_view text) {
  std::size_t offset = 0;
  while (offset < text.size()) {
    // ASCII needs no table lookup, and most text is ASCII.
    if (static_cast<std::uint8_t>(text[offset]) < 0x80) {
      ++offset;
      continue;
    }
    const Sequence sequence = scanSequence(text, offset);
    if (sequence.status != SequenceStatus::Complete) return offset;
    offset += sequence.lengthBytes;
  }
  return std::nullopt;
}

std::string replaceInvalid(std::string_view text) {
  std::string result;
  result.reserve(text.size());
  std::size_t offset = 0;
  while (offset < text.size()) {
    const Sequence sequence = scanSequence(text, offset);
    if (sequence.status == SequenceStatus::Complete) {
      result.append(text.substr(offset, sequence.lengthBytes));
    } else {
      result.append(kReplacementCharacter);
    }
    offset += sequence.lengthBytes;
  }
  return result;
}

}  // namespace gpupoor::utf8
