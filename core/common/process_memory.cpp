#include "core/common/process_memory.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "core/common/errors.h"

namespace gpupoor {
namespace {

constexpr const char* kStatusPath = "/proc/self/status";
constexpr const char* kClearRefsPath = "/proc/self/clear_refs";

// Parses "VmRSS:	  123456 kB" into bytes.
std::int64_t parseKibibytesLine(const std::string& line, std::size_t prefixLength) {
  std::istringstream stream(line.substr(prefixLength));
  std::int64_t kibibytes = -1;
  std::string unit;
  stream >> kibibytes >> unit;
  if (kibibytes < 0 || unit != "kB") {
    throw Error(
        fmt::format("failed to parse '{}' in {}: expected '<number> kB'", line, kStatusPath));
  }
  return kibibytes * 1024;
}

}  // namespace

ProcessMemory readProcessMemory() {
  std::ifstream status(kStatusPath);
  if (!status) {
    throw Error(fmt::format("failed to open {}: {}. Memory figures need Linux procfs", kStatusPath,
                            std::strerror(errno)));
  }
  ProcessMemory memory;
  bool haveRss = false;
  bool havePeak = false;
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      memory.rssBytes = parseKibibytesLine(line, 6);
      haveRss = true;
    } else if (line.rfind("VmHWM:", 0) == 0) {
      memory.peakRssBytes = parseKibibytesLine(line, 6);
      havePeak = true;
    }
  }
  if (!haveRss || !havePeak) {
    throw Error(fmt::format("VmRSS or VmHWM is missing in {}, so memory figures are unavailable",
                            kStatusPath));
  }
  return memory;
}

bool resetPeakRss() {
  std::ofstream clearRefs(kClearRefsPath);
  if (clearRefs) clearRefs << "5";
  if (!clearRefs) {
    spdlog::warn(
        "failed to reset the peak RSS through {} ({}), so peak figures count from "
        "process start",
        kClearRefsPath, std::strerror(errno));
    return false;
  }
  clearRefs.close();
  if (!clearRefs) {
    spdlog::warn("writing to {} failed ({}), so peak figures count from process start",
                 kClearRefsPath, std::strerror(errno));
    return false;
  }
  return true;
}

}  // namespace gpupoor
