// vocab.json and merges.txt readers. Every check names the file and the
// line or token, because a hand-edited or mismatched tokenizer is the usual
// cause of wrong ids and the user has to find the bad entry.

#include "core/tokenizer/bpe_files.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <unordered_map>

#include "core/common/errors.h"
#include "core/tokenizer/utf8.h"

namespace gpupoor {

namespace {

// Highest code point that gpt2ByteToCodePoint() produces (0x100 + 67).
constexpr char32_t kMaxMappedCodePoint = 0x143;

using ByteForCodePoint = std::array<std::int16_t, kMaxMappedCodePoint + 1>;

ByteForCodePoint makeByteForCodePoint() {
  ByteForCodePoint table;
  table.fill(-1);
  const auto codePoints = gpt2ByteToCodePoint();
  for (int byte = 0; byte < 256; ++byte) {
    table[codePoints[byte]] = static_cast<std::int16_t>(byte);
  }
  return table;
}

// Decodes the character at `offset` for an error message, or returns its
// first byte when it is not valid UTF-8.
char32_t codePointForMessage(std::string_view text, std::size_t offset) {
  const auto lead = static_cast<std::uint8_t>(text[offset]);
  const utf8::Sequence sequence = utf8::scanSequence(text, offset);
  if (sequence.status != utf8::SequenceStatus::Complete) return lead;
  const std::size_t length = sequence.lengthBytes;
  char32_t codePoint = length == 1 ? lead : lead & (0x7F >> length);
  for (std::size_t k = 1; k < length; ++k) {
    codePoint = codePoint << 6 | (static_cast<std::uint8_t>(text[offset + k]) & 0x3F);
  }
  return codePoint;
}

// Turns a token as the files spell it back into raw bytes. Returns nullopt
// with `badCodePoint` set when a character is outside the byte-to-unicode
// table (every table entry is a one- or two-byte UTF-8 character).
std::optional<std::string> tokenStringToBytes(std::string_view token,
                                              const ByteForCodePoint& byteFor,
                                              char32_t& badCodePoint) {
  std::string bytes;
  bytes.reserve(token.size());
  std::size_t i = 0;
  while (i < token.size()) {
    const auto lead = static_cast<std::uint8_t>(token[i]);
    char32_t codePoint = 0;
    if (lead < 0x80) {
      codePoint = lead;
      i += 1;
    } else if ((lead & 0xE0) == 0xC0 && i + 1 < token.size() &&
               (static_cast<std::uint8_t>(token[i + 1]) & 0xC0) == 0x80) {
      codePoint = (char32_t{lead} & 0x1F) << 6 | (static_cast<std::uint8_t>(token[i + 1]) & 0x3F);
      i += 2;
    } else {
      // Three- and four-byte characters are all above kMaxMappedCodePoint.
      badCodePoint = codePointForMessage(token, i);
      return std::nullopt;
    }
    if (codePoint > kMaxMappedCodePoint || byteFor[codePoint] < 0) {
      badCodePoint = codePoint;
      return std::nullopt;
    }
    bytes.push_back(static_cast<char>(byteFor[codePoint]));
  }
  return bytes;
}

std::string readWholeFile(const std::filesystem::path& path, std::string_view role) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    throw InvalidArgument(
        fmt::format("tokenizer file {} not found at {}; expected the {} of a GPT-2 tokenizer", role,
                    path.string(), role == "vocab.json" ? "token-to-id map" : "BPE merge list"));
  }
  std::ifstream stream(path, std::ios::binary);
  if (!stream) {
    throw InvalidArgument(
        fmt::format("cannot open tokenizer file {}; check its permissions", path.string()));
  }
  std::ostringstream content;
  content << stream.rdbuf();
  return std::move(content).str();
}

// Line number (from 1) of a byte offset, for JSON parse errors.
std::size_t lineOfOffset(std::string_view text, std::size_t offset) {
  std::size_t line = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') ++line;
  }
  return line;
}

std::vector<std::string> readVocab(const std::filesystem::path& path,
                                   const ByteForCodePoint& byteFor) {
  const std::string text = readWholeFile(path, "vocab.json");
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& error) {
    throw InvalidCheckpoint(fmt::format(
        "{} line {}: invalid JSON ({}); expected GPT-2's vocab.json, an object of token -> id",
        path.string(), lineOfOffset(text, error.byte), error.what()));
  }
  if (!document.is_object() || document.empty()) {
    throw InvalidCheckpoint(
        fmt::format("{}: expected a non-empty JSON object of token -> id, found a JSON {}",
                    path.string(), document.type_name()));
  }

  const std::size_t tokenCount = document.size();
  // BpeMerger packs two ids into one 64-bit key, so ids must fit in 32 bits.
  if (tokenCount > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
    throw InvalidCheckpoint(fmt::format("{}: {} tokens exceed the supported maximum of {}",
                                        path.string(), tokenCount,
                                        std::numeric_limits<std::int32_t>::max()));
  }
  std::vector<std::string> tokenBytes(tokenCount);
  std::vector<bool> assigned(tokenCount, false);
  for (const auto& [token, value] : document.items()) {
    if (!value.is_number_unsigned()) {
      throw InvalidCheckpoint(
          fmt::format("{}: token \"{}\" has the id {}; expected a non-negative integer",
                      path.string(), token, value.dump()));
    }
    const auto id = value.get<std::uint64_t>();
    if (id >= tokenCount) {
      throw InvalidCheckpoint(fmt::format(
          "{}: token \"{}\" has the id {}, but the file has {} tokens; ids must be 0..{} "
          "without gaps",
          path.string(), token, id, tokenCount, tokenCount - 1));
    }
    if (assigned[id]) {
      throw InvalidCheckpoint(fmt::format(
          "{}: id {} is given to more than one token (one is \"{}\")", path.string(), id, token));
    }
    char32_t badCodePoint = 0;
    auto bytes = tokenStringToBytes(token, byteFor, badCodePoint);
    if (!bytes || bytes->empty()) {
      throw InvalidCheckpoint(fmt::format(
          "{}: token \"{}\" (id {}) {}; this is not a GPT-2 byte-level BPE vocabulary",
          path.string(), token, id,
          bytes ? "is empty"
                : fmt::format("contains U+{:04X}, which is not in GPT-2's byte-to-unicode table",
                              static_cast<std::uint32_t>(badCodePoint))));
    }
    tokenBytes[id] = std::move(*bytes);
    assigned[id] = true;
  }
  return tokenBytes;
}

struct MergeLine {
  std::string_view left;
  std::string_view right;
};

// Splits one merges.txt line into its two tokens or throws naming the line.
MergeLine splitMergeLine(std::string_view line, const std::filesystem::path& path,
                         std::size_t lineNumber) {
  const auto space = line.find(' ');
  const bool wellFormed = space != std::string_view::npos && space > 0 && space + 1 < line.size() &&
                          line.find(' ', space + 1) == std::string_view::npos;
  if (!wellFormed) {
    throw InvalidCheckpoint(fmt::format(
        "{} line {}: \"{}\" is not a merge rule; expected two tokens separated by one space",
        path.string(), lineNumber, line));
  }
  return {line.substr(0, space), line.substr(space + 1)};
}

std::vector<BpeMerge> readMerges(const std::filesystem::path& path, const ByteForCodePoint& byteFor,
                                 const std::unordered_map<std::string, TokenId>& idsByBytes) {
  const std::string text = readWholeFile(path, "merges.txt");
  std::vector<BpeMerge> merges;

  // Returns the id of a token as spelled in merges.txt, or throws naming the line.
  auto lookUp = [&](std::string_view token, std::string_view bytes, std::size_t lineNumber,
                    std::string_view what) {
    const auto found = idsByBytes.find(std::string(bytes));
    if (found == idsByBytes.end()) {
      throw InvalidCheckpoint(fmt::format(
          "{} line {}: the {} \"{}\" is not in vocab.json; vocab.json and merges.txt must come "
          "from the same tokenizer",
          path.string(), lineNumber, what, token));
    }
    return found->second;
  };
  auto toBytes = [&](std::string_view token, std::size_t lineNumber) {
    char32_t badCodePoint = 0;
    auto bytes = tokenStringToBytes(token, byteFor, badCodePoint);
    if (!bytes) {
      throw InvalidCheckpoint(fmt::format(
          "{} line {}: token \"{}\" contains U+{:04X}, which is not in GPT-2's byte-to-unicode "
          "table",
          path.string(), lineNumber, token, static_cast<std::uint32_t>(badCodePoint)));
    }
    return std::move(*bytes);
  };

  std::size_t lineStart = 0;
  std::size_t lineNumber = 0;
  while (lineStart < text.size()) {
    const std::size_t lineEnd = std::min(text.find('\n', lineStart), text.size());
    std::string_view line(text.data() + lineStart, lineEnd - lineStart);
    lineStart = lineEnd + 1;
    ++lineNumber;

    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (lineNumber == 1 && line.starts_with("#version")) continue;
    if (line.empty()) {
      // Blank lines are tolerated only at the end of the file.
      if (text.find_first_not_of("\r\n", lineStart) == std::string::npos) break;
      throw InvalidCheckpoint(
          fmt::format("{} line {}: empty line; expected two tokens separated by one space",
                      path.string(), lineNumber));
    }

    const MergeLine parts = splitMergeLine(line, path, lineNumber);
    const std::string leftBytes = toBytes(parts.left, lineNumber);
    const std::string rightBytes = toBytes(parts.right, lineNumber);
    BpeMerge merge;
    merge.left = lookUp(parts.left, leftBytes, lineNumber, "left token");
    merge.right = lookUp(parts.right, rightBytes, lineNumber, "right token");
    merge.merged = lookUp(std::string(parts.left) + std::string(parts.right),
                          leftBytes + rightBytes, lineNumber, "merged token");
    merges.push_back(merge);
  }
  return merges;
}

}  // namespace

std::array<char32_t, 256> gpt2ByteToCodePoint() {
  std::array<char32_t, 256> codePoints{};
  char32_t nextUnprintable = 0x100;
  for (int byte = 0; byte < 256; ++byte) {
    const bool printable =
        (byte >= '!' && byte <= '~') || (byte >= 0xA1 && byte <= 0xAC) || (byte >= 0xAE);
    codePoints[byte] = printable ? static_cast<char32_t>(byte) : nextUnprintable++;
  }
  return codePoints;
}

BpeTables readBpeFiles(const std::filesystem::path& vocabJson,
                       const std::filesystem::path& mergesTxt) {
  static const ByteForCodePoint byteFor = makeByteForCodePoint();

  BpeTables tables;
  tables.tokenBytes = readVocab(vocabJson, byteFor);

  std::unordered_map<std::string, TokenId> idsByBytes;
  idsByBytes.reserve(tables.tokenBytes.size());
  for (std::size_t id = 0; id < tables.tokenBytes.size(); ++id) {
    idsByBytes.emplace(tables.tokenBytes[id], static_cast<TokenId>(id));
  }

  for (int byte = 0; byte < 256; ++byte) {
    const auto found = idsByBytes.find(std::string(1, static_cast<char>(byte)));
    if (found == idsByBytes.end()) {
      throw InvalidCheckpoint(fmt::format(
          "{}: no token for the byte 0x{:02X}; a byte-level BPE vocabulary needs one token for "
          "each of the 256 byte values",
          vocabJson.string(), byte));
    }
    tables.byteTokenIds[byte] = found->second;
  }

  tables.merges = readMerges(mergesTxt, byteFor, idsByBytes);
  return tables;
}

}  // namespace gpupoor
