// Encode speed of the GPT-2 tokenizer, single thread. Reads the bundled
// 100 KB WikiText-2 excerpt, or the file named by GPUPOOR_BENCH_TEXT (for
// example the full 1.3 MB test split). Prints the median of the runs.
#include <QtTest>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "core/tokenizer/tokenizer_loader.h"
#include "test_paths.h"

namespace {

// Runs per mode. The median of 5 ignores up to two slow outliers on a shared machine.
constexpr int kRuns = 5;

std::filesystem::path benchTextPath() {
  if (const char* path = std::getenv("GPUPOOR_BENCH_TEXT"); path != nullptr && *path != '\0') {
    return path;
  }
  return gpupoor::test::sourceDir() / "resources/eval/wikitext-2-test-excerpt.txt";
}

double medianOf(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

class BenchTokenizer : public QObject {
  Q_OBJECT

 private slots:
  void encodeSpeed() {
    const auto path = benchTextPath();
    std::ifstream stream(path, std::ios::binary);
    QVERIFY2(stream.good(), path.c_str());
    std::ostringstream content;
    content << stream.rdbuf();
    const std::string text = std::move(content).str();
    const auto tokenizerDir = gpupoor::test::dataDir() / "tokenizer";

    // Cold: a new tokenizer each run, so every distinct word goes through BPE.
    std::vector<double> coldMs;
    std::size_t tokenCount = 0;
    for (int run = 0; run < kRuns; ++run) {
      const auto tokenizer = gpupoor::requireTokenizer(tokenizerDir);
      const auto start = std::chrono::steady_clock::now();
      tokenCount = tokenizer->encode(text, false).size();
      coldMs.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count());
    }

    // Warm: one tokenizer whose word cache already contains the text's words.
    const auto tokenizer = gpupoor::requireTokenizer(tokenizerDir);
    tokenizer->encode(text, false);
    std::vector<double> warmMs;
    for (int run = 0; run < kRuns; ++run) {
      const auto start = std::chrono::steady_clock::now();
      QCOMPARE(tokenizer->encode(text, false).size(), tokenCount);
      warmMs.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count());
    }

    const double megabytes = static_cast<double>(text.size()) / 1e6;
    for (const auto& [mode, times] :
         {std::pair{"cold cache", coldMs}, std::pair{"warm cache", warmMs}}) {
      const double ms = medianOf(times);
      qInfo(
          "encode %s: %zu bytes -> %zu tokens, median of %d runs %.1f ms (%.2f MB/s, %.0f "
          "tokens/s), 1 thread, %u logical CPUs, file %s",
          mode, text.size(), tokenCount, kRuns, ms, megabytes / (ms / 1e3),
          static_cast<double>(tokenCount) / (ms / 1e3), std::thread::hardware_concurrency(),
          path.c_str());
    }
    QVERIFY(tokenCount > 0);
  }
};

QTEST_GUILESS_MAIN(BenchTokenizer)
#include "tst_bench_tokenizer.moc"
