#include "core/common/threads.h"

#include <ATen/Parallel.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <mutex>
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

int parallelForThreads() {
  std::mutex mutex;
  std::set<std::thread::id> seen;
  // One item per thread. The sleep keeps a fast thread from also taking
  // another thread's item if ATen ever schedules the range dynamically.
  const int threads = at::get_num_threads();
  at::parallel_for(0, threads, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end; ++i) {
      {
        const std::lock_guard<std::mutex> lock(mutex);
        seen.insert(std::this_thread::get_id());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  return static_cast<int>(seen.size());
}

}  // namespace gpupoor
