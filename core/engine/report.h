#pragma once

// The result of one comparison run, as plain structs, and its JSON form
// ("schema": "gpupoor-report", "schema_version": 1, documented in
// docs/report-schema.md and resources/schema/report.schema.json).

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/common/scheme.h"
#include "core/engine/settings.h"
#include "core/env/machine_info.h"
#include "core/metrics/metric_results.h"
#include "core/model/layers.h"

namespace gpupoor {

inline constexpr int kReportSchemaVersion = 1;

// The two copies of one model that a comparison runs side by side.
enum class ModelCopy { Fp32, Int8 };
// "fp32" or "int8".
std::string modelCopyName(ModelCopy copy);

enum class RunStatus { Running, Completed, Cancelled, Failed };
// "running", "completed", "cancelled", "failed".
std::string runStatusName(RunStatus status);

// Resident parameter bytes of one part of the model ("embeddings",
// "attention", "mlp", "layer_norm", "lm_head").
struct ComponentMemory {
  std::string component;
  MemoryFootprint footprint;
};

// Memory and load time of one loaded copy.
struct CopyInfo {
  ModelCopy copy = ModelCopy::Fp32;
  QuantScheme scheme = QuantScheme::Fp32;
  std::vector<ComponentMemory> components;
  std::int64_t weightBytesTotal = 0;   // sum of the components
  std::int64_t rssBeforeLoadBytes = 0;  // process VmRSS right before loading
  std::int64_t rssAfterLoadBytes = 0;   // process VmRSS right after loading
  double loadMs = 0.0;

  // Resident memory the load added: the copy's own share of the process RSS.
  // Negative when the allocator returned more pages than the load took.
  std::int64_t rssLoadDeltaBytes() const { return rssAfterLoadBytes - rssBeforeLoadBytes; }
};

struct ModelInfo {
  std::string name;                 // folder name or model id
  std::string sourceDir;            // resolved folder the weights came from
  long long parameters = 0;
  std::string dtypeOnDisk;          // "F32", "F16", ... of the largest tensor
  int vocabSize = 0;
  int contextLength = 0;            // n_positions
  std::vector<CopyInfo> copies;     // FP32 first, then one INT8 copy per scheme
};

// Timing of one generation. Prefill covers the prompt forward pass; decode
// covers every later token.
struct SpeedStats {
  int promptTokens = 0;
  int generatedTokens = 0;
  double timeToFirstTokenMs = 0.0;
  double prefillTokensPerSecond = 0.0;
  double decodeTokensPerSecond = 0.0;
  double totalMs = 0.0;
  int repeats = 1;                  // generations the medians were taken over
  SpeedMode mode = SpeedMode::Concurrent;
};

// One prompt through the FP32 copy and one INT8 copy of one model.
struct PromptResult {
  int modelIndex = 0;
  QuantScheme scheme = QuantScheme::W8A32;  // scheme of the INT8 copy
  int promptIndex = 0;
  std::string prompt;
  std::vector<std::int64_t> promptIds;
  std::string fp32Text;
  std::vector<std::int64_t> fp32Ids;  // generated ids only
  std::string int8Text;
  std::vector<std::int64_t> int8Ids;
  double bleu = 0.0;  // INT8 text as hypothesis, FP32 text as reference
  SpeedStats fp32Speed;
  SpeedStats int8Speed;
};

struct PerplexityComparison {
  int modelIndex = 0;
  QuantScheme scheme = QuantScheme::W8A32;
  PerplexityResult fp32;
  PerplexityResult int8;
  KldResult kld;
  double deltaPercent = 0.0;    // 100 * (int8 - fp32) / fp32 perplexity
};

struct CorpusBleu {
  int modelIndex = 0;
  QuantScheme scheme = QuantScheme::W8A32;
  double bleu = 0.0;
  int prompts = 0;
};

struct Report {
  RunStatus status = RunStatus::Running;
  std::string error;        // message of the failure when status is Failed
  std::string errorStage;   // "load", "generate", "perplexity", "report"
  std::string startedAtUtc;   // ISO 8601
  std::string finishedAtUtc;
  MachineInfo environment;
  ComparisonSettings settings;
  std::vector<ModelInfo> models;
  std::vector<PromptResult> prompts;
  std::vector<CorpusBleu> corpusBleu;
  std::vector<PerplexityComparison> perplexity;
};

nlohmann::json reportToJson(const Report& report);

// Writes the JSON form atomically (temp file + rename). Throws
// InvalidArgument when the folder cannot take the temporary file and Error
// when writing fails, both naming the path.
void writeReport(const Report& report, const std::filesystem::path& path);

}  // namespace gpupoor
