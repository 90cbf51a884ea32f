// `gpupoor bench`: FP32 versus INT8 on GPT-2-shaped models with random
// weights, measured in one run: memory, load peak, prefill and decode speed,
// kernel and copy bandwidth. Prints a table, or JSON with --json.
#include <QCommandLineParser>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <cstdio>

#include "core/common/errors.h"
#include "core/quant/int8_benchmark.h"
#include "gui/cli/command.h"
#include "gui/cli/option_parsing.h"

namespace gpupoor::cli {
namespace {

std::vector<std::string> splitList(const QString& text) {
  std::vector<std::string> items;
  for (const QString& item : text.split(',', Qt::SkipEmptyParts)) {
    items.push_back(item.trimmed().toStdString());
  }
  return items;
}

double mebibytes(std::int64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

const BenchSchemeResult* findScheme(const BenchShapeResult& shape, QuantScheme scheme) {
  for (const BenchSchemeResult& result : shape.schemes) {
    if (result.scheme == scheme) return &result;
  }
  return nullptr;
}

double ratio(double value, double baseline) { return baseline > 0.0 ? value / baseline : 0.0; }

nlohmann::json toJson(const BenchReport& report) {
  nlohmann::json shapes = nlohmann::json::array();
  for (const BenchShapeResult& shape : report.shapes) {
    const BenchSchemeResult* fp32 = findScheme(shape, QuantScheme::Fp32);
    nlohmann::json schemes = nlohmann::json::array();
    for (const BenchSchemeResult& result : shape.schemes) {
      nlohmann::json entry = {{"scheme", schemeName(result.scheme)},
                              {"weight_bytes", result.weightBytes},
                              {"rss_delta_bytes", result.rssDeltaBytes},
                              {"peak_rss_delta_bytes", result.peakRssDeltaBytes},
                              {"peak_measured", result.peakMeasured},
                              {"load_ms", result.loadMs},
                              {"prefill_tokens_per_second", result.prefillTokensPerSecond},
                              {"decode_tokens_per_second", result.decodeTokensPerSecond},
                              {"gemv_gigabytes_per_second", result.gemvGigabytesPerSecond}};
      if (fp32 != nullptr && result.scheme != QuantScheme::Fp32) {
        entry["vs_fp32"] = {
            {"prefill", ratio(result.prefillTokensPerSecond, fp32->prefillTokensPerSecond)},
            {"decode", ratio(result.decodeTokensPerSecond, fp32->decodeTokensPerSecond)},
            {"rss_delta", ratio(result.rssDeltaBytes, fp32->rssDeltaBytes)},
            {"peak_rss_delta_vs_fp32_file",
             ratio(result.peakRssDeltaBytes, static_cast<double>(shape.float32FileBytes))}};
      }
      schemes.push_back(entry);
    }
    shapes.push_back({{"shape", shape.shape},
                      {"n_layer", shape.config.nLayer},
                      {"n_embd", shape.config.nEmbd},
                      {"float32_file_bytes", shape.float32FileBytes},
                      {"schemes", schemes}});
  }
  return {{"measurement",
           {{"statistic", "median"},
            {"repeats", report.repeats},
            {"warmup_runs", 1},
            {"threads", report.threads},
            {"kernel_isa", report.kernelIsa},
            {"blas_library", report.blasLibrary},
            {"omp_wait_policy", report.openMpWaitPolicy},
            {"gomp_spincount", report.openMpSpinCount},
            {"openblas_thread_timeout", report.openBlasThreadTimeout},
            {"cpu_model", report.cpuModel},
            {"load_average_at_start", report.loadAverage}}},
          {"copy_gigabytes_per_second", report.copyGigabytesPerSecond},
          {"shapes", shapes}};
}

void printTable(const BenchReport& report) {
  printLine(
      fmt::format("CPU: {} | threads {} | INT8 kernels {} | BLAS {} | OMP_WAIT_POLICY {} | "
                  "GOMP_SPINCOUNT {} | OPENBLAS_THREAD_TIMEOUT {} | medians of {} runs after 1 "
                  "warm-up | load average at start {:.1f}",
                  report.cpuModel, report.threads, report.kernelIsa, report.blasLibrary,
                  report.openMpWaitPolicy, report.openMpSpinCount, report.openBlasThreadTimeout,
                  report.repeats, report.loadAverage));
  printLine(
      fmt::format("memcpy bandwidth (read + write): {:.1f} GB/s", report.copyGigabytesPerSecond));
  printLine(fmt::format("{:<12} {:<6} {:>10} {:>10} {:>10} {:>12} {:>11} {:>9} {:>8} {:>8}",
                        "SHAPE", "SCHEME", "WEIGHTS", "RSS+", "PEAK+", "PREFILL t/s", "DECODE t/s",
                        "GEMV GB/s", "PREF x", "DEC x"));
  for (const BenchShapeResult& shape : report.shapes) {
    const BenchSchemeResult* fp32 = findScheme(shape, QuantScheme::Fp32);
    for (const BenchSchemeResult& result : shape.schemes) {
      const double prefillRatio =
          fp32 ? ratio(result.prefillTokensPerSecond, fp32->prefillTokensPerSecond) : 0.0;
      const double decodeRatio =
          fp32 ? ratio(result.decodeTokensPerSecond, fp32->decodeTokensPerSecond) : 0.0;
      printLine(fmt::format(
          "{:<12} {:<6} {:>6.1f} MiB {:>6.1f} MiB {:>6.1f} MiB {:>12.1f} {:>11.2f} {:>9.1f} "
          "{:>7.2f}x {:>7.2f}x",
          shape.shape, schemeName(result.scheme), mebibytes(result.weightBytes),
          mebibytes(result.rssDeltaBytes), mebibytes(result.peakRssDeltaBytes),
          result.prefillTokensPerSecond, result.decodeTokensPerSecond,
          result.gemvGigabytesPerSecond, prefillRatio, decodeRatio));
    }
    printLine(
        fmt::format("{:<12} F32 file {:.1f} MiB", shape.shape, mebibytes(shape.float32FileBytes)));
  }
}

int runBench(const QStringList& args) {
  QCommandLineParser parser;
  parser.setApplicationDescription(
      "Benchmark FP32 against INT8 on GPT-2-shaped models with random weights, written to a "
      "temporary F32 safetensors file and loaded through the normal loader.");
  parser.addOption({"shapes",
                    "Comma-separated shapes: distilgpt2, gpt2, gpt2-medium, gpt2-large, gpt2-xl "
                    "(gpt2-xl writes a 6.2 GB file).",
                    "list", "gpt2,gpt2-large"});
  parser.addOption(
      {"schemes", "Comma-separated schemes: fp32, w8a32, w8a8.", "list", "fp32,w8a32,w8a8"});
  parser.addOption(
      {"repeats", "Timed runs per figure after one warm-up (median reported).", "count", "5"});
  parser.addOption(
      {"threads", "Compute threads; 0 means the number of physical cores.", "count", "0"});
  parser.addOption({"prefill-tokens", "Tokens in the prefill measurement.", "count", "512"});
  parser.addOption({"decode-tokens", "New tokens in the decode measurement.", "count", "128"});
  parser.addOption({"temp-dir", "Folder for the temporary F32 checkpoints.", "dir"});
  parser.addOption({"json", "Print the report as JSON."});
  if (!parseCommandLine(parser, args, "bench")) return kExitOk;

  BenchSettings settings;
  settings.shapes = splitList(parser.value("shapes"));
  settings.schemes.clear();
  for (const std::string& name : splitList(parser.value("schemes"))) {
    settings.schemes.push_back(parseScheme(name));
  }
  if (settings.shapes.empty() || settings.schemes.empty()) {
    throw InvalidArgument("--shapes and --schemes need at least one entry each");
  }
  settings.repeats = static_cast<int>(integerValue(parser, "repeats", 5, 1, 1000));
  settings.threads = static_cast<int>(integerValue(parser, "threads", 0, 0, 1024));
  settings.prefillTokens = static_cast<int>(integerValue(parser, "prefill-tokens", 512, 1, 1024));
  settings.decodeTokens = static_cast<int>(integerValue(parser, "decode-tokens", 128, 1, 960));
  if (parser.isSet("temp-dir")) settings.tempDir = parser.value("temp-dir").toStdString();
  const bool json = parser.isSet("json");

  // With --json, stdout carries only the report, so progress goes to stderr.
  const BenchReport report = runInt8Benchmark(settings, [&](const std::string& line) {
    if (json) {
      std::fprintf(stderr, "%s\n", line.c_str());
    } else {
      printLine(line);
    }
  });
  if (json) {
    printLine(toJson(report).dump(2));
  } else {
    printTable(report);
  }
  return kExitOk;
}

const CommandRegistration kRegistration{Command{
    "bench", "benchmark FP32 against INT8 on GPT-2-shaped random models",
    [](const QStringList& args) { return runGuarded("bench", [&] { return runBench(args); }); }}};

}  // namespace
}  // namespace gpupoor::cli
