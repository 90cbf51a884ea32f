#pragma once

// A description of the machine and build that produced a measurement, stored
// in every report. Collected once per run; nothing here is measured.

#include <string>

namespace gpupoor {

struct MachineInfo {
  std::string cpuModel;          // /proc/cpuinfo "model name"
  bool avx2 = false;
  bool fma = false;
  bool avx512f = false;
  bool avx512Vnni = false;
  int physicalCores = 0;
  int logicalCpus = 0;
  int threadsInUse = 0;          // LibTorch intra-op threads when collected
  std::string osName;            // /etc/os-release PRETTY_NAME
  std::string kernel;            // uname: sysname release machine
  std::string torchVersion;      // TORCH_VERSION_MAJOR.MINOR.PATCH
  std::string blasLibrary;       // resolved path of the loaded libblas.so.3
  std::string appVersion;
  std::string gitCommit;
  long long totalMemoryBytes = 0;  // /proc/meminfo MemTotal
};

// Reads /proc/cpuinfo, /proc/meminfo, /proc/self/maps, /etc/os-release and
// uname. Fields that cannot be read stay empty or zero; it never throws.
MachineInfo collectMachineInfo();

}  // namespace gpupoor
