#pragma once

// Reading prompt files: plain text with one prompt per line, or JSON Lines
// with a "prompt" string field per object (chosen by the ".jsonl" extension).

#include <filesystem>
#include <string>
#include <vector>

namespace gpupoor {

// Returns the prompts in file order. Blank lines are skipped, and a trailing
// "\r" is removed from text lines. Throws InvalidArgument naming the file
// (and the line for JSON Lines) when the file cannot be read, a line is not
// a JSON object with a string "prompt", or no prompt is found.
std::vector<std::string> readPromptFile(const std::filesystem::path& file);

}  // namespace gpupoor
