#pragma once

// Readers for the two files of a GPT-2 byte-level BPE tokenizer in the
// Hugging Face layout: vocab.json (token string -> id) and merges.txt (one
// merge rule a line, in rank order). Both spell bytes with GPT-2's
// byte-to-unicode table. The readers turn every token back into raw bytes,
// so the tokenizer works on bytes only. tokenizer.json is not read.

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/tokenizer/token_id.h"

namespace gpupoor {

// GPT-2's reversible map from each byte value to a printable code point:
// printable Latin-1 bytes map to themselves, the other 68 bytes to
// U+0100..U+0143 in byte order (bytes_to_unicode() in OpenAI's encoder.py).
std::array<char32_t, 256> gpt2ByteToCodePoint();

// One merge rule: the adjacent tokens `left` and `right` become `merged`.
// A rule's rank is its index in BpeTables::merges, and a lower rank merges first.
struct BpeMerge {
  TokenId left = 0;
  TokenId right = 0;
  TokenId merged = 0;
};

struct BpeTables {
  std::vector<std::string> tokenBytes;      // raw bytes of each token, indexed by id
  std::vector<BpeMerge> merges;             // in rank order
  std::array<TokenId, 256> byteTokenIds{};  // the single-byte token of each byte value
};

// Reads and checks both files. Throws InvalidArgument when a file cannot be
// opened, and InvalidCheckpoint naming the file and the line (or the token)
// when the content is malformed or the files do not belong together.
BpeTables readBpeFiles(const std::filesystem::path& vocabJson,
                       const std::filesystem::path& mergesTxt);

}  // namespace gpupoor
