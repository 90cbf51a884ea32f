#include "core/engine/thread_budget.h"

#include <dlfcn.h>

#include <algorithm>

namespace gpupoor {
namespace {

using SetThreadsFunction = void (*)(int);
using GetThreadsFunction = int (*)();

// OpenBLAS is loaded through libblas.so.3 by LibTorch, so its symbols are
// looked up at run time instead of linked.
SetThreadsFunction openBlasSetter() {
  static const auto setter =
      reinterpret_cast<SetThreadsFunction>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  return setter;
}

GetThreadsFunction openBlasGetter() {
  static const auto getter =
      reinterpret_cast<GetThreadsFunction>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  return getter;
}

}  // namespace

int threadsPerWorker(int budget, int workers) { return std::max(1, budget / std::max(1, workers)); }

bool setBlasThreads(int threads) {
  const SetThreadsFunction setter = openBlasSetter();
  if (setter == nullptr) return false;
  setter(std::max(1, threads));
  return true;
}

int blasThreads() {
  const GetThreadsFunction getter = openBlasGetter();
  return getter == nullptr ? 0 : getter();
}

ScopedBlasThreads::ScopedBlasThreads(int threads) : m_previous(blasThreads()) { setBlasThreads(threads); }

ScopedBlasThreads::~ScopedBlasThreads() {
  if (m_previous > 0) setBlasThreads(m_previous);
}

}  // namespace gpupoor
