// Machine description from /proc, /etc/os-release, uname and the LibTorch
// version macros. Linux only: on other systems most fields stay empty.

#include "core/env/machine_info.h"

#include <ATen/Parallel.h>
#include <torch/csrc/api/include/torch/version.h>
#include <sys/utsname.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "core/common/build_info.h"
#include "core/common/threads.h"

namespace gpupoor {
namespace {

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

void readCpuInfo(MachineInfo& info) {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = trim(line.substr(0, colon));
    const std::string value = trim(line.substr(colon + 1));
    if (key == "processor") ++info.logicalCpus;
    if (key == "model name" && info.cpuModel.empty()) info.cpuModel = value;
    if (key == "flags" && !info.avx2 && !info.fma && !info.avx512f) {
      std::istringstream flags(value);
      std::set<std::string> names;
      for (std::string flag; flags >> flag;) names.insert(flag);
      info.avx2 = names.contains("avx2");
      info.fma = names.contains("fma");
      info.avx512f = names.contains("avx512f");
      info.avx512Vnni = names.contains("avx512_vnni");
    }
  }
}

long long readTotalMemoryBytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  long long kibibytes = 0;
  std::string unit;
  while (meminfo >> key >> kibibytes >> unit) {
    if (key == "MemTotal:") return kibibytes * 1024;
  }
  return 0;
}

std::string readOsPrettyName() {
  std::ifstream release("/etc/os-release");
  std::string line;
  while (std::getline(release, line)) {
    if (!line.starts_with("PRETTY_NAME=")) continue;
    std::string value = line.substr(std::string("PRETTY_NAME=").size());
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return value;
  }
  return {};
}

// The file that the dynamic loader mapped for libblas.so.3 (the Debian
// alternatives link resolves to OpenBLAS, BLIS or the reference BLAS), or
// any mapped OpenBLAS/MKL library when no libblas is loaded.
std::string findLoadedBlas() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  std::string fallback;
  while (std::getline(maps, line)) {
    const auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    const std::string path = line.substr(slash);
    if (path.find("libblas") != std::string::npos) return path;
    if (fallback.empty() &&
        (path.find("libopenblas") != std::string::npos || path.find("libmkl") != std::string::npos)) {
      fallback = path;
    }
  }
  return fallback;
}

}  // namespace

MachineInfo collectMachineInfo() {
  MachineInfo info;
  readCpuInfo(info);
  if (info.logicalCpus == 0) info.logicalCpus = static_cast<int>(std::thread::hardware_concurrency());
  info.physicalCores = physicalCoreCount();
  info.threadsInUse = at::get_num_threads();
  info.osName = readOsPrettyName();

  utsname names{};
  if (uname(&names) == 0) {
    info.kernel = std::string(names.sysname) + " " + names.release + " " + names.machine;
  }

  info.torchVersion = std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) +
                      "." + std::to_string(TORCH_VERSION_PATCH);
  info.blasLibrary = findLoadedBlas();
  info.appVersion = build::kVersion;
  info.gitCommit = build::kGitCommit;
  info.totalMemoryBytes = readTotalMemoryBytes();
  return info;
}

}  // namespace gpupoor
