#include "gui/window/memory_guard.h"

#include <QObject>

#include <fstream>
#include <sstream>

namespace gpupoor::gui {

std::optional<std::int64_t> parseMemAvailable(const std::string& meminfo) {
  std::istringstream lines(meminfo);
  std::string line;
  while (std::getline(lines, line)) {
    // Format: "MemAvailable:   12345678 kB"
    if (line.rfind("MemAvailable:", 0) != 0) continue;
    std::istringstream fields(line.substr(13));
    long long kibibytes = -1;
    std::string unit;
    fields >> kibibytes >> unit;
    if (kibibytes < 0 || unit != "kB") return std::nullopt;
    return static_cast<std::int64_t>(kibibytes) * 1024;
  }
  return std::nullopt;
}

std::optional<std::int64_t> availableMemoryBytes() {
  std::ifstream file("/proc/meminfo");
  if (!file) return std::nullopt;
  std::stringstream text;
  text << file.rdbuf();
  return parseMemAvailable(text.str());
}

std::int64_t estimateLoadBytes(long long parameters, bool withInt8Copy) {
  const double fp32Bytes = 4.0 * static_cast<double>(parameters);
  const double int8Bytes = withInt8Copy ? 1.02 * static_cast<double>(parameters) : 0.0;
  return static_cast<std::int64_t>((fp32Bytes + int8Bytes) * 1.15);
}

std::optional<QString> checkFits(const QString& modelName, std::int64_t neededBytes,
                                 std::int64_t availableBytes) {
  if (neededBytes <= availableBytes) return std::nullopt;
  return QObject::tr("%1 needs about %2 to load in FP32 and INT8, but only %3 is available "
                     "(MemAvailable in /proc/meminfo). Close other programs or unload a model, "
                     "then try again.")
      .arg(modelName, formatBytes(neededBytes), formatBytes(availableBytes));
}

QString formatBytes(std::int64_t bytes) {
  const double value = static_cast<double>(bytes);
  constexpr double kKiB = 1024.0;
  if (value >= kKiB * kKiB * kKiB) return QStringLiteral("%1 GiB").arg(value / (kKiB * kKiB * kKiB), 0, 'f', 1);
  if (value >= kKiB * kKiB) return QStringLiteral("%1 MiB").arg(value / (kKiB * kKiB), 0, 'f', 1);
  if (value >= kKiB) return QStringLiteral("%1 KiB").arg(value / kKiB, 0, 'f', 1);
  return QStringLiteral("%1 B").arg(bytes);
}

}  // namespace gpupoor::gui
