#pragma once

// Splitting the intra-op thread budget between the FP32 and INT8 workers.
//
// Measured with Debian's LibTorch 1.13 (OpenMP backend, libgomp) and
// openblas-pthread: at::set_num_threads() sets the calling thread's OpenMP
// thread count and a process-wide default. A thread's first ATen call (even
// at::get_num_threads()) resets its count to that default. So each worker
// first calls at::get_num_threads(), then sets its own count.
// OpenBLAS, which runs the FP32 matrix products, keeps one process-wide pool
// that at::set_num_threads() does not change, so the engine sets it through
// openblas_set_num_threads() when that symbol is loaded.

namespace gpupoor {

// Threads for each of `workers` concurrent workers out of `budget` (at
// least 1 each).
int threadsPerWorker(int budget, int workers);

// Sets the BLAS pool size when the loaded BLAS is OpenBLAS. Returns false
// when no OpenBLAS thread control is loaded (for example the reference BLAS).
bool setBlasThreads(int threads);

// The OpenBLAS pool size, or 0 when no OpenBLAS thread control is loaded.
int blasThreads();

// Sets the BLAS pool size for its lifetime and restores the old size after.
class ScopedBlasThreads {
 public:
  explicit ScopedBlasThreads(int threads);
  ~ScopedBlasThreads();
  ScopedBlasThreads(const ScopedBlasThreads&) = delete;
  ScopedBlasThreads& operator=(const ScopedBlasThreads&) = delete;

 private:
  int m_previous = 0;
};

}  // namespace gpupoor
