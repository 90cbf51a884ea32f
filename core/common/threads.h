#pragma once

namespace gpupoor {

// Number of physical cores (falls back to logical CPUs when the topology
// cannot be read).
int physicalCoreCount();

// Sets LibTorch's intra-op thread count for the whole process. Debian's
// LibTorch 1.13 starts with one thread, so every entry point calls this.
// `threads` <= 0 means physicalCoreCount().
void setComputeThreads(int threads);

// The intra-op thread count currently in force.
int computeThreads();

// Runs an empty at::parallel_for from this library and returns how many
// distinct threads took part. It equals computeThreads() only when the
// library was compiled with OpenMP: ATen's parallel_for expands in the
// caller's code, and without -fopenmp it runs on the calling thread alone.
int parallelForThreads();

}  // namespace gpupoor
