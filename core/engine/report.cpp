// JSON form of a Report (schema "gpupoor-report", version 1). The field
// names and nesting here must match resources/schema/report.schema.json and
// docs/report-schema.md; tst_engine validates written reports against the
// schema.

#include "core/engine/report.h"

#include <nlohmann/json.hpp>

#include <cmath>

#include <fmt/format.h>

#include "core/common/atomic_file.h"

namespace gpupoor {
namespace {

using nlohmann::json;

// JSON has no NaN or infinity, so a metric that could not be computed is null.
json number(double value) { return std::isfinite(value) ? json(value) : json(nullptr); }

json toJson(const MachineInfo& info) {
  return {
      {"cpu_model", info.cpuModel},
      {"isa", {{"avx2", info.avx2}, {"fma", info.fma}, {"avx512f", info.avx512f},
               {"avx512_vnni", info.avx512Vnni}}},
      {"physical_cores", info.physicalCores},
      {"logical_cpus", info.logicalCpus},
      {"threads_in_use", info.threadsInUse},
      {"os", info.osName},
      {"kernel", info.kernel},
      {"torch_version", info.torchVersion},
      {"blas_library", info.blasLibrary},
      {"app_version", info.appVersion},
      {"git_commit", info.gitCommit},
      {"total_memory_bytes", info.totalMemoryBytes},
  };
}

json toJson(const ComparisonSettings& settings) {
  json schemes = json::array();
  for (QuantScheme scheme : settings.schemes) schemes.push_back(schemeName(scheme));
  json perplexity = nullptr;
  if (settings.perplexity) {
    const PerplexitySettings& options = *settings.perplexity;
    perplexity = {
        {"file", options.file.string()},
        {"reading", textReadingName(options.reading)},
        {"max_length", options.maxLength},
        {"stride", options.stride},
        {"max_tokens", options.maxTokens},
        {"batch_windows", options.batchWindows},
    };
  }
  return {
      {"models", settings.models},
      {"schemes", schemes},
      {"prompt_count", settings.prompts.size()},
      {"sampling",
       {{"max_new_tokens", settings.maxNewTokens},
        {"temperature", settings.temperature},
        {"top_k", settings.topK},
        {"top_p", settings.topP},
        {"seed", settings.seed},
        {"stop_at_eos", settings.stopAtEos},
        {"greedy", settings.temperature <= 0.0}}},
      {"threads", settings.threads},
      {"speed", {{"mode", speedModeName(settings.speedMode)}, {"repeats", settings.speedRepeats}}},
      {"perplexity", perplexity},
      {"bleu",
       {{"smoothing", fmt::format("method{}", settings.bleu.smoothing)},
        {"epsilon", settings.bleu.epsilon},
        {"tokenization", "whitespace"}}},
  };
}

json toJson(const CopyInfo& copy) {
  json components = json::array();
  for (const ComponentMemory& component : copy.components) {
    components.push_back({
        {"component", component.component},
        {"weight_bytes", component.footprint.weightBytes},
        {"scale_bytes", component.footprint.scaleBytes},
        {"float32_bytes", component.footprint.float32Bytes},
        {"total_bytes", component.footprint.total()},
    });
  }
  return {
      {"copy", modelCopyName(copy.copy)},
      {"scheme", schemeName(copy.scheme)},
      {"weight_bytes_total", copy.weightBytesTotal},
      {"rss_before_load_bytes", copy.rssBeforeLoadBytes},
      {"rss_after_load_bytes", copy.rssAfterLoadBytes},
      {"rss_load_delta_bytes", copy.rssLoadDeltaBytes()},
      {"load_ms", number(copy.loadMs)},
      {"components", components},
  };
}

json toJson(const ModelInfo& model) {
  json copies = json::array();
  for (const CopyInfo& copy : model.copies) copies.push_back(toJson(copy));
  return {
      {"name", model.name},
      {"source_dir", model.sourceDir},
      {"parameters", model.parameters},
      {"dtype_on_disk", model.dtypeOnDisk},
      {"vocab_size", model.vocabSize},
      {"context_length", model.contextLength},
      {"copies", copies},
  };
}

json toJson(const SpeedStats& speed) {
  return {
      {"mode", speedModeName(speed.mode)},
      {"prompt_tokens", speed.promptTokens},
      {"generated_tokens", speed.generatedTokens},
      {"time_to_first_token_ms", number(speed.timeToFirstTokenMs)},
      {"prefill_tokens_per_second", number(speed.prefillTokensPerSecond)},
      {"decode_tokens_per_second", number(speed.decodeTokensPerSecond)},
      {"total_ms", number(speed.totalMs)},
      {"repeats", speed.repeats},
  };
}

json toJson(const PromptResult& result) {
  return {
      {"model_index", result.modelIndex},
      {"scheme", schemeName(result.scheme)},
      {"prompt_index", result.promptIndex},
      {"prompt", result.prompt},
      {"prompt_ids", result.promptIds},
      {"fp32", {{"text", result.fp32Text}, {"ids", result.fp32Ids}, {"speed", toJson(result.fp32Speed)}}},
      {"int8", {{"text", result.int8Text}, {"ids", result.int8Ids}, {"speed", toJson(result.int8Speed)}}},
      {"bleu", number(result.bleu)},
  };
}

json toJson(const PerplexityResult& result) {
  return {
      {"perplexity", number(result.perplexity)},
      {"mean_nll", number(result.meanNll)},
      {"nll_standard_error", number(result.nllStandardError)},
      {"tokens_scored", result.tokensScored},
      {"windows", result.windows},
  };
}

json toJson(const PerplexityComparison& comparison) {
  return {
      {"model_index", comparison.modelIndex},
      {"scheme", schemeName(comparison.scheme)},
      {"fp32", toJson(comparison.fp32)},
      {"int8", toJson(comparison.int8)},
      {"delta_percent", number(comparison.deltaPercent)},
      {"kld",
       {{"mean", number(comparison.kld.meanKld)},
        {"p99", number(comparison.kld.p99Kld)},
        {"top1_agreement", number(comparison.kld.top1Agreement)},
        {"positions", comparison.kld.positions}}},
  };
}

}  // namespace

std::string modelCopyName(ModelCopy copy) { return copy == ModelCopy::Fp32 ? "fp32" : "int8"; }

std::string runStatusName(RunStatus status) {
  switch (status) {
    case RunStatus::Running:
      return "running";
    case RunStatus::Completed:
      return "completed";
    case RunStatus::Cancelled:
      return "cancelled";
    case RunStatus::Failed:
      return "failed";
  }
  return "failed";
}

nlohmann::json reportToJson(const Report& report) {
  json models = json::array();
  for (const ModelInfo& model : report.models) models.push_back(toJson(model));
  json prompts = json::array();
  for (const PromptResult& prompt : report.prompts) prompts.push_back(toJson(prompt));
  json corpusBleu = json::array();
  for (const CorpusBleu& entry : report.corpusBleu) {
    corpusBleu.push_back({{"model_index", entry.modelIndex},
                          {"scheme", schemeName(entry.scheme)},
                          {"bleu", number(entry.bleu)},
                          {"prompts", entry.prompts}});
  }
  json perplexity = json::array();
  for (const PerplexityComparison& entry : report.perplexity) perplexity.push_back(toJson(entry));

  json error = nullptr;
  if (report.status == RunStatus::Failed) {
    error = {{"stage", report.errorStage}, {"message", report.error}};
  }
  return {
      {"schema", "gpupoor-report"},
      {"schema_version", kReportSchemaVersion},
      {"status", runStatusName(report.status)},
      {"error", error},
      {"started_at", report.startedAtUtc},
      {"finished_at", report.finishedAtUtc},
      {"environment", toJson(report.environment)},
      {"settings", toJson(report.settings)},
      {"models", models},
      {"prompts", prompts},
      {"corpus_bleu", corpusBleu},
      {"perplexity", perplexity},
  };
}

void writeReport(const Report& report, const std::filesystem::path& path) {
  // Invalid UTF-8 (say, in a folder name) becomes U+FFFD instead of failing
  // the whole report. A temporary file in the same folder is renamed over
  // `path`, so a reader never sees half a report.
  const std::string text =
      reportToJson(report).dump(2, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
  writeFileAtomically(path, text + "\n");
}

}  // namespace gpupoor
