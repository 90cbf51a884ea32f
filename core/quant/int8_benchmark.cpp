#include "core/quant/int8_benchmark.h"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include <malloc.h>
#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <numeric>

#include "core/common/errors.h"
#include "core/common/process_memory.h"
#include "core/common/threads.h"
#include "core/env/machine_info.h"
#include "core/io/safetensors_writer.h"
#include "core/kernels/int8_kernels.h"
#include "core/model/generation.h"
#include "core/model/model_loader.h"
#include "core/quant/int8_linear.h"
#include "core/quant/layer_factory.h"

namespace gpupoor {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Standard deviation of GPT-2's weight initialisation.
constexpr double kInitStd = 0.02;
// Buffer for the copy bandwidth: far larger than any cache.
constexpr std::size_t kCopyBytes = std::size_t{1} << 30;
// While a model loads, allocations from this size get their own mmap (see
// useLoadingAllocator).
constexpr int kMmapThresholdBytes = 1 << 20;
// While a model runs: glibc's largest dynamic mmap threshold (32 MiB on
// 64-bit) and the trim threshold glibc pairs with it (twice as large). A
// process that never calls mallopt reaches these after its first large free.
constexpr int kTimingMmapThresholdBytes = 32 << 20;
constexpr int kTimingTrimThresholdBytes = 64 << 20;
// glibc's default trim threshold.
constexpr int kDefaultTrimThresholdBytes = 128 << 10;
// Matrix-vector calls per GEMV timing sample.
constexpr int kGemvCallsPerSample = 20;

double msSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t middle = values.size() / 2;
  return values.size() % 2 == 1 ? values[middle] : 0.5 * (values[middle - 1] + values[middle]);
}

// Runs body once as a warm-up, then `repeats` times; returns the median ms.
template <typename Body>
double medianMs(int repeats, const Body& body) {
  body();
  std::vector<double> samples;
  for (int i = 0; i < repeats; ++i) {
    const Clock::time_point start = Clock::now();
    body();
    samples.push_back(msSince(start));
  }
  return median(samples);
}

// A temporary folder removed when the benchmark ends, also on errors.
class TemporaryFolder {
 public:
  explicit TemporaryFolder(const fs::path& parent) {
    std::string pattern = (parent / "gpupoor-bench-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      throw InvalidArgument(fmt::format(
          "cannot create a temporary folder in {}: {}; pass --temp-dir with an existing, "
          "writable folder",
          parent.string(), std::strerror(errno)));
    }
    m_path = pattern;
  }
  ~TemporaryFolder() {
    std::error_code error;
    fs::remove_all(m_path, error);
  }
  TemporaryFolder(const TemporaryFolder&) = delete;
  TemporaryFolder& operator=(const TemporaryFolder&) = delete;
  const fs::path& path() const { return m_path; }

 private:
  fs::path m_path;
};

// Writes config.json and an F32 model.safetensors with random weights in the
// Hugging Face GPT-2 layout (Conv1D weights [in, out], no prefix).
std::int64_t writeRandomCheckpoint(const Gpt2Config& config, const fs::path& dir) {
  const nlohmann::json json = {{"model_type", "gpt2"},
                               {"vocab_size", config.vocabSize},
                               {"n_positions", config.nPositions},
                               {"n_embd", config.nEmbd},
                               {"n_layer", config.nLayer},
                               {"n_head", config.nHead},
                               {"n_inner", nullptr},
                               {"activation_function", "gelu_new"},
                               {"layer_norm_epsilon", 1e-5},
                               {"bos_token_id", 50256},
                               {"eos_token_id", 50256}};
  std::ofstream(dir / "config.json") << json.dump(2);

  const std::int64_t c = config.nEmbd;
  const auto random = [](std::int64_t rows, std::int64_t cols) {
    return at::empty({rows, cols}, at::kFloat).normal_(0.0, kInitStd);
  };
  std::map<std::string, at::Tensor> tensors;
  tensors["wte.weight"] = random(config.vocabSize, c);
  tensors["wpe.weight"] = random(config.nPositions, c);
  for (int layer = 0; layer < config.nLayer; ++layer) {
    const std::string prefix = fmt::format("h.{}.", layer);
    tensors[prefix + "ln_1.weight"] = at::ones({c});
    tensors[prefix + "ln_1.bias"] = at::zeros({c});
    tensors[prefix + "attn.c_attn.weight"] = random(c, 3 * c);
    tensors[prefix + "attn.c_attn.bias"] = at::zeros({3 * c});
    tensors[prefix + "attn.c_proj.weight"] = random(c, c);
    tensors[prefix + "attn.c_proj.bias"] = at::zeros({c});
    tensors[prefix + "ln_2.weight"] = at::ones({c});
    tensors[prefix + "ln_2.bias"] = at::zeros({c});
    tensors[prefix + "mlp.c_fc.weight"] = random(c, config.nInner);
    tensors[prefix + "mlp.c_fc.bias"] = at::zeros({config.nInner});
    tensors[prefix + "mlp.c_proj.weight"] = random(config.nInner, c);
    tensors[prefix + "mlp.c_proj.bias"] = at::zeros({c});
  }
  tensors["ln_f.weight"] = at::ones({c});
  tensors["ln_f.bias"] = at::zeros({c});
  writeSafetensors(dir / "model.safetensors", tensors);
  return static_cast<std::int64_t>(fs::file_size(dir / "model.safetensors"));
}

double measureCopyBandwidth(int repeats) {
  std::vector<char> source(kCopyBytes, 1);
  std::vector<char> target(kCopyBytes, 0);
  const double ms =
      medianMs(repeats, [&] { std::memcpy(target.data(), source.data(), kCopyBytes); });
  return 2.0 * static_cast<double>(kCopyBytes) / (ms * 1e6);
}

// Bandwidth of one-token matmuls through mlp.c_fc of block 0, counting the
// weight bytes as stored (FP32 or INT8).
double measureGemvBandwidth(const Gpt2Model& model, int repeats) {
  const LinearLayer& layer = *model.weights().blocks.at(0).mlpFc;
  const at::Tensor x = at::randn({1, layer.inFeatures()}, at::kFloat);
  const double ms = medianMs(repeats, [&] {
    for (int i = 0; i < kGemvCallsPerSample; ++i) layer.forward(x);
  });
  return static_cast<double>(layer.footprint().weightBytes) * kGemvCallsPerSample / (ms * 1e6);
}

// For measuring a load: a fixed mmap threshold keeps every large tensor in
// its own mapping, which goes back to the OS when the tensor is freed.
// glibc's default threshold grows after such a free, and the next model copy
// would then reuse heap pages that RSS already counts.
void useLoadingAllocator() {
  mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes);
  mallopt(M_TRIM_THRESHOLD, kDefaultTrimThresholdBytes);
}

// For timing: temporaries up to 32 MiB (the MLP activations of 512 tokens on
// gpt2-large are 10 MiB) come from heap pages that stay mapped between
// layers, as they do in the app and the other commands. With the loading
// setting, each of them was a fresh mapping, page-faulted in and zeroed on
// every layer. Switching settings took gpt2-large prefill (512 tokens, 2
// threads) from 133 to 170 tokens/s in FP32 and from 206 to 348 in w8a8.
void useTimingAllocator() {
  mallopt(M_MMAP_THRESHOLD, kTimingMmapThresholdBytes);
  mallopt(M_TRIM_THRESHOLD, kTimingTrimThresholdBytes);
}

// One copy of the model under test and what was measured of it.
struct LoadedScheme {
  BenchSchemeResult result;
  std::unique_ptr<Gpt2Model> model;
};

// Loads (and quantizes) one copy from disk, measuring resident memory around
// it. The trim returns freed heap pages to the OS first, so they neither
// hide nor inflate this copy's RSS delta.
LoadedScheme loadScheme(const Gpt2Config& config, const fs::path& dir, QuantScheme scheme,
                        const std::function<void(const std::string&)>& log) {
  LoadedScheme loaded;
  BenchSchemeResult& result = loaded.result;
  result.scheme = scheme;

  useLoadingAllocator();
  malloc_trim(0);
  const std::unique_ptr<LayerFactory> factory = makeLayerFactory(scheme, 4 * config.nLayer + 2);
  const bool peakReset = resetPeakRss();
  const ProcessMemory before = readProcessMemory();
  const Clock::time_point loadStart = Clock::now();
  LoadOptions options;
  options.factory = factory.get();
  loaded.model = loadGpt2Model(dir, options);
  result.loadMs = msSince(loadStart);
  const ProcessMemory after = readProcessMemory();
  result.rssDeltaBytes = after.rssBytes - before.rssBytes;
  result.peakRssDeltaBytes = after.peakRssBytes - before.rssBytes;
  result.peakMeasured = peakReset;
  result.weightBytes = loaded.model->memory().total();
  log(fmt::format(
      "  {}: loaded in {:.0f} ms, weights {:.1f} MiB, RSS +{:.1f} MiB, peak +{:.1f} MiB",
      schemeName(scheme), result.loadMs, result.weightBytes / 1048576.0,
      result.rssDeltaBytes / 1048576.0, result.peakRssDeltaBytes / 1048576.0));
  return loaded;
}

// Times every loaded copy in rounds: a warm-up round, then `repeats` rounds
// in each of which every copy runs once, one after another. The machine's
// speed drifts over minutes: one machine measured 7.3 to 9.2 FP32 decode
// tokens/s when the copies ran one after the other. Within a round the drift
// affects all copies alike, so the ratios between them are steadier.
void timeSchemes(std::vector<LoadedScheme>& copies, const Gpt2Config& config,
                 const BenchSettings& settings,
                 const std::function<void(const std::string&)>& log) {
  useTimingAllocator();
  const std::size_t count = copies.size();

  // Prefill: a prompt of prefillTokens through the batched forward pass into
  // an empty KV cache, with logits for the last position only, as generation
  // does before its first token. Each cache is allocated once and cleared per
  // run, so no allocation is timed.
  at::manual_seed(7);
  const at::Tensor prefillIds = at::randint(0, config.vocabSize, {settings.prefillTokens}, at::kLong);
  std::vector<std::vector<double>> prefillMs(count);
  {
    std::vector<KvCache> caches;
    for (const LoadedScheme& copy : copies) caches.push_back(copy.model->newCache());
    for (int round = 0; round <= settings.repeats; ++round) {
      for (std::size_t i = 0; i < count; ++i) {
        caches[i].clear();
        const Clock::time_point start = Clock::now();
        copies[i].model->forwardIncremental(prefillIds, caches[i], /*lastOnly=*/true);
        if (round > 0) prefillMs[i].push_back(msSince(start));
      }
      log(fmt::format("  prefill round {}/{} done{}", round, settings.repeats,
                      round == 0 ? " (warm-up)" : ""));
    }
  }


  // Decode: greedy generation after a short prompt; the decode rate excludes
  // the prompt's forward pass.
  const at::Tensor promptTensor =
      at::randint(0, config.vocabSize, {settings.promptTokens}, at::kLong);
  const std::vector<std::int64_t> prompt(
      promptTensor.data_ptr<std::int64_t>(),
      promptTensor.data_ptr<std::int64_t>() + promptTensor.numel());
  GenerationSettings generation;
  generation.maxNewTokens = settings.decodeTokens;
  generation.stopAtEos = false;
  std::vector<std::vector<double>> decodeRates(count);
  for (int round = 0; round <= settings.repeats; ++round) {
    for (std::size_t i = 0; i < count; ++i) {
      const GenerationResult run = generate(*copies[i].model, prompt, generation);
      if (round > 0) decodeRates[i].push_back(run.decodeTokensPerSecond);
    }
    log(fmt::format("  decode round {}/{} done{}", round, settings.repeats,
                    round == 0 ? " (warm-up)" : ""));
  }

  for (std::size_t i = 0; i < count; ++i) {
    BenchSchemeResult& result = copies[i].result;
    result.prefillTokensPerSecond = settings.prefillTokens / (median(prefillMs[i]) / 1000.0);
    result.decodeTokensPerSecond = median(decodeRates[i]);
    result.gemvGigabytesPerSecond = measureGemvBandwidth(*copies[i].model, settings.repeats);
    log(fmt::format("  {}: prefill {:.1f} tokens/s, decode {:.2f} tokens/s, GEMV {:.1f} GB/s",
                    schemeName(result.scheme), result.prefillTokensPerSecond,
                    result.decodeTokensPerSecond, result.gemvGigabytesPerSecond));
  }
}

}  // namespace

Gpt2Config benchShapeConfig(const std::string& shape) {
  struct Shape {
    const char* name;
    int layers, width, heads;
  };
  static const Shape kShapes[] = {{"distilgpt2", 6, 768, 12},
                                  {"gpt2", 12, 768, 12},
                                  {"gpt2-medium", 24, 1024, 16},
                                  {"gpt2-large", 36, 1280, 20},
                                  {"gpt2-xl", 48, 1600, 25}};
  for (const Shape& candidate : kShapes) {
    if (shape == candidate.name) {
      Gpt2Config config;
      config.nLayer = candidate.layers;
      config.nEmbd = candidate.width;
      config.nHead = candidate.heads;
      config.nInner = 4 * candidate.width;
      return config;
    }
  }
  throw InvalidArgument(fmt::format(
      "unknown benchmark shape '{}'; use distilgpt2, gpt2, gpt2-medium, gpt2-large or gpt2-xl",
      shape));
}

BenchReport runInt8Benchmark(const BenchSettings& settings,
                             const std::function<void(const std::string&)>& onLine) {
  const auto log = [&](const std::string& line) {
    spdlog::debug("{}", line);
    if (onLine) onLine(line);
  };
  if (settings.repeats < 1) {
    throw InvalidArgument(fmt::format("repeats must be at least 1, got {}", settings.repeats));
  }
  std::vector<Gpt2Config> configs;
  for (const std::string& shape : settings.shapes) configs.push_back(benchShapeConfig(shape));

  setComputeThreads(settings.threads);
  useLoadingAllocator();
  BenchReport report;
  const MachineInfo machine = collectMachineInfo();
  double loads[1] = {0.0};
  if (getloadavg(loads, 1) == 1) report.loadAverage = loads[0];
  report.threads = computeThreads();
  report.repeats = settings.repeats;
  report.kernelIsa = std::string(kernels::isaName(kernels::activeIsa()));
  report.cpuModel = machine.cpuModel;
  report.blasLibrary = machine.blasLibrary;
  const auto environment = [](const char* name) {
    const char* value = std::getenv(name);
    return std::string(value != nullptr ? value : "unset");
  };
  report.openMpWaitPolicy = environment("OMP_WAIT_POLICY");
  report.openMpSpinCount = environment("GOMP_SPINCOUNT");
  report.openBlasThreadTimeout = environment("OPENBLAS_THREAD_TIMEOUT");
  log(fmt::format("CPU {}, {} threads, INT8 kernels {}, BLAS {}, OMP_WAIT_POLICY {}, "
                  "GOMP_SPINCOUNT {}, OPENBLAS_THREAD_TIMEOUT {}, load average {:.1f}",
                  report.cpuModel, report.threads, report.kernelIsa, report.blasLibrary,
                  report.openMpWaitPolicy, report.openMpSpinCount, report.openBlasThreadTimeout,
                  report.loadAverage));

  const fs::path parent = settings.tempDir.empty() ? fs::temp_directory_path() : settings.tempDir;
  // Fails now, not after the first measurements, when the folder is unusable.
  {
    const TemporaryFolder probe(parent);
  }

  report.copyGigabytesPerSecond = measureCopyBandwidth(settings.repeats);
  log(fmt::format("memcpy bandwidth {:.1f} GB/s (read + write)", report.copyGigabytesPerSecond));

  for (std::size_t i = 0; i < configs.size(); ++i) {
    BenchShapeResult shapeResult;
    shapeResult.shape = settings.shapes[i];
    shapeResult.config = configs[i];
    const TemporaryFolder folder(parent);
    log(fmt::format("{}: writing random F32 weights to {}", shapeResult.shape,
                    folder.path().string()));
    shapeResult.float32FileBytes = writeRandomCheckpoint(configs[i], folder.path());
    // Every copy is loaded before any is timed: loads then start from the
    // same clean heap, and the timing rounds can alternate between copies.
    std::vector<LoadedScheme> copies;
    for (const QuantScheme scheme : settings.schemes) {
      copies.push_back(loadScheme(configs[i], folder.path(), scheme, log));
    }
    timeSchemes(copies, configs[i], settings, log);
    for (LoadedScheme& copy : copies) shapeResult.schemes.push_back(copy.result);
    copies.clear();
    report.shapes.push_back(std::move(shapeResult));
  }
  return report;
}

}  // namespace gpupoor
