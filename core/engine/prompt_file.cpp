#include "core/engine/prompt_file.h"

#include <nlohmann/json.hpp>

#include <fstream>

#include <fmt/format.h>

#include "core/common/errors.h"

namespace gpupoor {
namespace {

bool isBlank(const std::string& line) { return line.find_first_not_of(" \t\r\n") == std::string::npos; }

}  // namespace

std::vector<std::string> readPromptFile(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw InvalidArgument(
        fmt::format("cannot read prompt file {}: file not found or not readable", file.string()));
  }
  const bool jsonLines = file.extension() == ".jsonl";

  std::vector<std::string> prompts;
  std::string line;
  int lineNumber = 0;
  while (std::getline(in, line)) {
    ++lineNumber;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (isBlank(line)) continue;
    if (!jsonLines) {
      prompts.push_back(line);
      continue;
    }

    nlohmann::json entry;
    try {
      entry = nlohmann::json::parse(line);
    } catch (const nlohmann::json::parse_error& error) {
      throw InvalidArgument(fmt::format("invalid JSON in prompt file {} line {}: {}", file.string(),
                                        lineNumber, error.what()));
    }
    if (!entry.is_object() || !entry.contains("prompt") || !entry.at("prompt").is_string()) {
      throw InvalidArgument(fmt::format(
          "prompt file {} line {}: expected an object with a string field \"prompt\"", file.string(),
          lineNumber));
    }
    prompts.push_back(entry.at("prompt").get<std::string>());
  }

  if (prompts.empty()) {
    throw InvalidArgument(fmt::format("prompt file {} contains no prompts", file.string()));
  }
  return prompts;
}

}  // namespace gpupoor
