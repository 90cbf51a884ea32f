#pragma once

// What a comparison run does: which models, schemes, prompts, sampling,
// threads, speed mode, perplexity text and BLEU options.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/common/scheme.h"

namespace gpupoor {

// Speed measurement mode. Isolated: one copy at a time, after a warm-up, the
// median of `speedRepeats` generations. Concurrent: both copies at once on
// split threads, as the live A/B view shows them.
enum class SpeedMode { Isolated, Concurrent };
std::string speedModeName(SpeedMode mode);
// Throws InvalidArgument for names other than "isolated" and "concurrent".
SpeedMode parseSpeedMode(const std::string& name);

// Conversion of a perplexity text file into one string. Plain: the whole file.
// Wikitext: the Hugging Face datasets recipe for wiki.test.raw (one row per
// line, rows joined with "\n\n").
enum class TextReading { Plain, Wikitext };
std::string textReadingName(TextReading reading);
// Throws InvalidArgument for names other than "plain" and "wikitext".
TextReading parseTextReading(const std::string& name);

struct PerplexitySettings {
  std::filesystem::path file;
  TextReading reading = TextReading::Plain;
  int maxLength = 0;         // window length in tokens; 0 = the model's n_positions
  int stride = 0;            // 0 = maxLength / 2
  std::int64_t maxTokens = 0;  // score at most this many tokens of the text; 0 = all
  int batchWindows = 4;      // windows per forward pass
};

enum class BleuTokenization { Whitespace };

struct BleuSettings {
  int smoothing = 1;         // NLTK SmoothingFunction method0..method7
  double epsilon = 0.1;      // method1's epsilon
  BleuTokenization tokenization = BleuTokenization::Whitespace;
};

struct ComparisonSettings {
  std::vector<std::string> models;               // model folders or ids
  std::vector<QuantScheme> schemes{QuantScheme::W8A32};  // INT8 copies to compare with FP32
  std::vector<std::string> prompts;

  // Sampling; temperature 0 means greedy.
  int maxNewTokens = 64;
  double temperature = 0.0;
  int topK = 0;              // 0 = no top-k cut
  double topP = 1.0;
  std::uint64_t seed = 42;
  bool stopAtEos = true;

  int threads = 0;           // total intra-op budget; 0 = physical cores
  SpeedMode speedMode = SpeedMode::Concurrent;
  int speedRepeats = 3;      // isolated mode only

  std::optional<PerplexitySettings> perplexity;
  BleuSettings bleu;

  // When set, the engine writes the report here when the run ends (also when
  // cancelled or failed).
  std::optional<std::filesystem::path> reportPath;
};

}  // namespace gpupoor
