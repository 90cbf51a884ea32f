// Names of the settings enums as the command line, the GUI and reports use them.

#include "core/engine/settings.h"

#include <fmt/format.h>

#include "core/common/errors.h"

namespace gpupoor {

std::string speedModeName(SpeedMode mode) {
  return mode == SpeedMode::Isolated ? "isolated" : "concurrent";
}

SpeedMode parseSpeedMode(const std::string& name) {
  if (name == "isolated") return SpeedMode::Isolated;
  if (name == "concurrent") return SpeedMode::Concurrent;
  throw InvalidArgument(
      fmt::format("invalid speed mode '{}': expected 'isolated' or 'concurrent'", name));
}

std::string textReadingName(TextReading reading) {
  return reading == TextReading::Wikitext ? "wikitext" : "plain";
}

TextReading parseTextReading(const std::string& name) {
  if (name == "plain") return TextReading::Plain;
  if (name == "wikitext") return TextReading::Wikitext;
  throw InvalidArgument(
      fmt::format("invalid text reading '{}': expected 'plain' or 'wikitext'", name));
}

}  // namespace gpupoor
