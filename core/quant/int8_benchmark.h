#pragma once

// The INT8-versus-FP32 benchmark behind `gpupoor bench`. It builds
// GPT-2-shaped models with random weights (no download) and writes each as an
// F32 safetensors file to a temporary folder. Every scheme loads that file
// through the normal loader (mmap, one tensor at a time) and is then timed
// for prefill and decode. Also measures
// the matrix-vector kernel's effective bandwidth and the machine's memcpy
// bandwidth, so decode speed can be compared with the memory limit.
//
// Every figure is a median over `repeats` runs after one warm-up run.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/common/scheme.h"
#include "core/model/config.h"

namespace gpupoor {

struct BenchSettings {
  std::vector<std::string> shapes{"gpt2", "gpt2-large"};
  std::vector<QuantScheme> schemes{QuantScheme::Fp32, QuantScheme::W8A32, QuantScheme::W8A8};
  int repeats = 5;
  int threads = 0;  // 0: physical cores
  int prefillTokens = 512;
  int promptTokens = 32;
  int decodeTokens = 128;
  std::filesystem::path tempDir;  // empty: the system temporary folder
};

struct BenchSchemeResult {
  QuantScheme scheme = QuantScheme::Fp32;
  std::int64_t weightBytes = 0;         // Gpt2Model::memory().total()
  std::int64_t rssDeltaBytes = 0;       // VmRSS after load minus before
  std::int64_t peakRssDeltaBytes = 0;   // VmHWM during load minus VmRSS before
  bool peakMeasured = false;            // false when VmHWM could not be reset
  double loadMs = 0.0;                  // load and quantize, one run
  double prefillTokensPerSecond = 0.0;  // median
  double decodeTokensPerSecond = 0.0;   // median
  double gemvGigabytesPerSecond = 0.0;  // weight bytes of mlp.c_fc / median time, one token
};

struct BenchShapeResult {
  std::string shape;
  Gpt2Config config;
  std::int64_t float32FileBytes = 0;  // size of the F32 safetensors file
  std::vector<BenchSchemeResult> schemes;
};

struct BenchReport {
  std::vector<BenchShapeResult> shapes;
  double copyGigabytesPerSecond = 0.0;  // memcpy of 1 GiB, read + written bytes / median time
  int threads = 0;
  int repeats = 0;
  std::string kernelIsa;
  std::string cpuModel;
  std::string blasLibrary;
  double loadAverage = 0.0;  // 1-minute load average at the start
  // OMP_WAIT_POLICY, GOMP_SPINCOUNT and OPENBLAS_THREAD_TIMEOUT as the run
  // saw them ("unset" when absent): they change the speed of the thread pools.
  std::string openMpWaitPolicy;
  std::string openMpSpinCount;
  std::string openBlasThreadTimeout;
};

// GPT-2 configurations by Hugging Face model name: distilgpt2, gpt2,
// gpt2-medium, gpt2-large, gpt2-xl. Throws InvalidArgument for other names.
Gpt2Config benchShapeConfig(const std::string& shape);

// Runs the benchmark; `onLine` receives one progress line per step. Throws
// InvalidArgument for bad settings and Error when the temporary folder
// cannot be written.
BenchReport runInt8Benchmark(const BenchSettings& settings,
                             const std::function<void(const std::string&)>& onLine = {});

}  // namespace gpupoor
