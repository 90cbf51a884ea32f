#include "core/common/threads.h"

#include <ATen/Parallel.h>

#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <utility>

namespace gpupoor {

int physicalCoreCount() {
  // Count distinct (physical id, core id) pairs in /proc/cpuinfo.
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::set<std::pair<std::string, std::string>> cores;
  std::string line;
  std::string physicalId = "0";
  while (std::getline(cpuinfo, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = line.substr(0, line.find_last_not_of(" \t", colon - 1) + 1);
    const std::string value = colon + 2 <= line.size() ? line.substr(colon + 2) : "";
    if (key == "physical id") physicalId = value;
    if (key == "core id") cores.emplace(physicalId, value);
  }
  if (!cores.empty()) return static_cast<int>(cores.size());
  const unsigned logical = std::thread::hardware_concurrency();
  return logical > 0 ? static_cast<int>(logical) : 1;
}

void setComputeThreads(int threads) {
  at::set_num_threads(threads > 0 ? threads : physicalCoreCount());
}

int computeThreads() { return at::get_num_threads(); }

}  // namespace gpupoor
