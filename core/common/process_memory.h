#pragma once

// Resident memory of this process, from /proc/self/status (Linux only).

#include <cstdint>

namespace gpupoor {

struct ProcessMemory {
  std::int64_t rssBytes = 0;      // VmRSS: resident now
  std::int64_t peakRssBytes = 0;  // VmHWM: highest resident since start or the last reset
};

// Reads VmRSS and VmHWM. Throws Error when /proc/self/status cannot be read
// or lacks either field.
ProcessMemory readProcessMemory();

// Resets VmHWM to the current VmRSS by writing "5" to /proc/self/clear_refs
// (Linux >= 4.0), so a benchmark can measure the peak of one phase. Returns
// false and logs a warning when the write fails (e.g. a read-only /proc);
// VmHWM then still counts from process start.
bool resetPeakRss();

}  // namespace gpupoor
