// FP32 decoding speed of the forward pass with KV cache: a GPT-2 small shaped
// model with random weights (124M parameters) and the bundled demo model.
// Prints the median tokens/s of several repeats after one warm-up run.
#include <QtTest>

#include <algorithm>
#include <vector>

#include "core/common/threads.h"
#include "core/model/generation.h"
#include "core/model/model_loader.h"
#include "helpers/random_gpt2.h"
#include "test_paths.h"

namespace {

constexpr int kRepeats = 3;
constexpr int kPromptTokens = 64;
constexpr int kNewTokens = 32;

// QtTest stops a test function after 5 minutes by default; a GPT-2 small
// forward pass on a busy 2-core machine can need longer. The variable must be
// set before QTest starts its watchdog, hence a static initializer.
const bool kLongTimeoutSet = qputenv("QTEST_FUNCTION_TIMEOUT", "1800000");

struct Speed {
  double prefillTokensPerSecond = 0.0;
  double decodeTokensPerSecond = 0.0;
};

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// Runs one warm-up and kRepeats timed greedy generations; the generated ids
// must be the same every time.
Speed measure(const gpupoor::Gpt2Model& model, const char* label) {
  std::vector<std::int64_t> prompt;
  for (int i = 0; i < kPromptTokens; ++i) prompt.push_back((i * 7919) % model.config().vocabSize);
  gpupoor::GenerationSettings settings;
  settings.maxNewTokens = kNewTokens;
  settings.stopAtEos = false;

  const auto warmUp = gpupoor::generate(model, prompt, settings);
  std::vector<double> prefill;
  std::vector<double> decode;
  for (int i = 0; i < kRepeats; ++i) {
    const auto result = gpupoor::generate(model, prompt, settings);
    if (result.newIds != warmUp.newIds) qFatal("%s: greedy ids changed between runs", label);
    prefill.push_back(result.prefillTokensPerSecond);
    decode.push_back(result.decodeTokensPerSecond);
  }
  const Speed speed{median(prefill), median(decode)};
  qInfo(
      "%s, FP32, %d threads: prefill %d tokens %.1f tokens/s, decode %d tokens %.1f tokens/s "
      "(median of %d after 1 warm-up)",
      label, gpupoor::computeThreads(), kPromptTokens, speed.prefillTokensPerSecond, kNewTokens,
      speed.decodeTokensPerSecond, kRepeats);
  return speed;
}

}  // namespace

class BenchGeneration : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    QVERIFY(kLongTimeoutSet);
    gpupoor::setComputeThreads(0);
  }

  void gpt2SmallShape() {
    gpupoor::Gpt2Config config;  // defaults are GPT-2 small's
    const auto model = gpupoor::test::makeRandomGpt2(config, 1);
    const Speed speed = measure(*model, "random GPT-2 small shape");
    QVERIFY(speed.decodeTokensPerSecond > 0.0);
  }

  void bundledDemoModel() {
    const auto dir = gpupoor::test::sourceDir() / "resources/models/gpt2-demo";
    if (!std::filesystem::exists(dir / "config.json")) QSKIP("bundled gpt2-demo model not found");
    const auto model = gpupoor::loadGpt2Model(dir);
    const Speed speed = measure(*model, "gpt2-demo");
    QVERIFY(speed.decodeTokensPerSecond > 0.0);
  }
};

QTEST_GUILESS_MAIN(BenchGeneration)
#include "tst_bench_generation.moc"
