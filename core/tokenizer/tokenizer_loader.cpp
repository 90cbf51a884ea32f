#include "core/tokenizer/tokenizer_loader.h"

#include <fmt/format.h>

#include <string>
#include <vector>

#include "core/common/errors.h"

namespace gpupoor {

namespace {

void requireFolder(const std::filesystem::path& modelDir) {
  std::error_code error;
  if (!std::filesystem::is_directory(modelDir, error)) {
    throw InvalidArgument(fmt::format(
        "model folder {} not found or not a folder; expected a Hugging Face GPT-2 model folder",
        modelDir.string()));
  }
}

std::vector<std::string_view> missingTokenizerFiles(const std::filesystem::path& modelDir) {
  std::vector<std::string_view> missing;
  for (const std::string_view name : {kVocabFileName, kMergesFileName}) {
    std::error_code error;
    if (!std::filesystem::is_regular_file(modelDir / name, error)) missing.push_back(name);
  }
  return missing;
}

}  // namespace

std::shared_ptr<const Gpt2Tokenizer> tryLoadTokenizer(const std::filesystem::path& modelDir) {
  requireFolder(modelDir);
  if (!missingTokenizerFiles(modelDir).empty()) return nullptr;
  return std::make_shared<const Gpt2Tokenizer>(modelDir / kVocabFileName,
                                               modelDir / kMergesFileName);
}

std::shared_ptr<const Gpt2Tokenizer> requireTokenizer(const std::filesystem::path& modelDir) {
  requireFolder(modelDir);
  const auto missing = missingTokenizerFiles(modelDir);
  if (!missing.empty()) {
    throw InvalidArgument(fmt::format(
        "model folder {} has no {}; text input and output need the GPT-2 tokenizer files "
        "vocab.json and merges.txt, so copy them from the model's Hugging Face repository or "
        "pass token ids instead of text",
        modelDir.string(), fmt::join(missing, " and no ")));
  }
  return std::make_shared<const Gpt2Tokenizer>(modelDir / kVocabFileName,
                                               modelDir / kMergesFileName);
}

}  // namespace gpupoor
