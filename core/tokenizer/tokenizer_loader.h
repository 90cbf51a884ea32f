#pragma once

// Finds and loads the GPT-2 tokenizer of a model folder in the Hugging Face
// layout (vocab.json + merges.txt beside config.json). A folder without
// them still runs on token ids, because only text input and output need the
// tokenizer. Callers load it with tryLoadTokenizer() and call
// requireTokenizer() at the first text operation for its error message.

#include <filesystem>
#include <memory>
#include <string_view>

#include "core/tokenizer/gpt2_tokenizer.h"

namespace gpupoor {

inline constexpr std::string_view kVocabFileName = "vocab.json";
inline constexpr std::string_view kMergesFileName = "merges.txt";

// Loads the tokenizer of `modelDir`, or returns nullptr when vocab.json or
// merges.txt is absent. Throws InvalidArgument when `modelDir` is not a
// folder and InvalidCheckpoint when the files are present but malformed.
std::shared_ptr<const Gpt2Tokenizer> tryLoadTokenizer(const std::filesystem::path& modelDir);

// Like tryLoadTokenizer(), but throws InvalidArgument naming the missing
// file(s) and the folder when the tokenizer files are absent.
std::shared_ptr<const Gpt2Tokenizer> requireTokenizer(const std::filesystem::path& modelDir);

}  // namespace gpupoor
