// Next-token choice (greedy, temperature, top-k, top-p) on small hand-made
// distributions, and generate() on a random in-memory model: seeds, limits,
// EOS, cancellation and agreement with a full recompute.
#include <QtTest>

#include <ATen/ATen.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "core/common/cancel.h"
#include "core/common/errors.h"
#include "core/model/generation.h"
#include "core/model/sampling.h"
#include "helpers/random_gpt2.h"

using gpupoor::GenerationSettings;
using gpupoor::SamplingSettings;

Q_DECLARE_METATYPE(std::vector<float>)
Q_DECLARE_METATYPE(std::vector<double>)

namespace {

// Logits whose softmax is exactly `probabilities` (up to rounding).
std::vector<float> logitsFor(const std::vector<double>& probabilities) {
  std::vector<float> logits;
  for (double p : probabilities) {
    logits.push_back(p > 0.0 ? static_cast<float>(std::log(p))
                             : -std::numeric_limits<float>::infinity());
  }
  return logits;
}

const std::vector<double> kFourTokens = {0.1, 0.2, 0.3, 0.4};

// The id that the model's full (uncached) forward pass ranks first after `ids`.
std::int64_t recomputedGreedy(const gpupoor::Gpt2Model& model,
                              const std::vector<std::int64_t>& ids) {
  const auto count = static_cast<std::int64_t>(ids.size());
  at::Tensor input = at::empty({1, count}, at::kLong);
  std::copy(ids.begin(), ids.end(), input.data_ptr<std::int64_t>());
  const at::Tensor logits = model.forward(input)[0][count - 1].contiguous();
  return gpupoor::greedyToken(
      std::span<const float>(logits.data_ptr<float>(), static_cast<std::size_t>(logits.numel())));
}

}  // namespace

class TestSampling : public QObject {
  Q_OBJECT

 private slots:
  void greedyPicksLargest() {
    const std::vector<float> logits = {0.1f, 3.0f, -1.0f, 2.0f};
    QCOMPARE(gpupoor::greedyToken(logits), 1);
  }

  void greedyTieGoesToLowestId() {
    const std::vector<float> logits = {1.0f, 5.0f, 5.0f, 0.0f};
    QCOMPARE(gpupoor::greedyToken(logits), 1);
  }

  void greedyRejectsNaN() {
    const std::vector<float> logits = {1.0f, std::nanf(""), 0.0f};
    QVERIFY_THROWS_EXCEPTION(gpupoor::Error, gpupoor::greedyToken(logits));
  }

  void greedyRejectsEmptyRow() {
    QVERIFY_THROWS_EXCEPTION(gpupoor::Error, gpupoor::greedyToken(std::vector<float>{}));
  }

  void zeroTemperatureIsOneHot() {
    const auto distribution = gpupoor::samplingDistribution(logitsFor(kFourTokens), {});
    QCOMPARE(distribution, (std::vector<double>{0.0, 0.0, 0.0, 1.0}));
  }

  void distribution_data() {
    QTest::addColumn<double>("temperature");
    QTest::addColumn<int>("topK");
    QTest::addColumn<double>("topP");
    QTest::addColumn<std::vector<double>>("expected");

    // Temperature t turns probabilities p into p^(1/t), renormalized.
    QTest::newRow("temperature 1 keeps the softmax") << 1.0 << 0 << 1.0 << kFourTokens;
    const double sqrtSum = std::sqrt(0.1) + std::sqrt(0.2) + std::sqrt(0.3) + std::sqrt(0.4);
    QTest::newRow("temperature 2 flattens")
        << 2.0 << 0 << 1.0
        << std::vector<double>{std::sqrt(0.1) / sqrtSum, std::sqrt(0.2) / sqrtSum,
                               std::sqrt(0.3) / sqrtSum, std::sqrt(0.4) / sqrtSum};
    QTest::newRow("temperature 0.5 sharpens")
        << 0.5 << 0 << 1.0 << std::vector<double>{0.01 / 0.3, 0.04 / 0.3, 0.09 / 0.3, 0.16 / 0.3};

    QTest::newRow("top-k 2 keeps the two largest")
        << 1.0 << 2 << 1.0 << std::vector<double>{0.0, 0.0, 0.3 / 0.7, 0.4 / 0.7};
    QTest::newRow("top-k 1 is greedy") << 1.0 << 1 << 1.0 << std::vector<double>{0, 0, 0, 1.0};
    QTest::newRow("top-k at vocabulary size is off") << 1.0 << 4 << 1.0 << kFourTokens;
    QTest::newRow("top-k above vocabulary size is off") << 1.0 << 10 << 1.0 << kFourTokens;

    QTest::newRow("top-p 0.65 keeps two tokens")
        << 1.0 << 0 << 0.65 << std::vector<double>{0.0, 0.0, 0.3 / 0.7, 0.4 / 0.7};
    QTest::newRow("top-p 0.75 keeps three tokens")
        << 1.0 << 0 << 0.75 << std::vector<double>{0.0, 0.2 / 0.9, 0.3 / 0.9, 0.4 / 0.9};
    QTest::newRow("tiny top-p keeps the most likely token")
        << 1.0 << 0 << 0.01 << std::vector<double>{0, 0, 0, 1.0};
    QTest::newRow("top-p 1 is off") << 1.0 << 0 << 1.0 << kFourTokens;

    // Top-k 2 leaves {3: 4/7, 2: 3/7}; top-p 0.55 then needs only id 3. Top-p
    // alone would keep ids 3 and 2, so this row shows top-k runs first.
    QTest::newRow("top-k then top-p renormalizes")
        << 1.0 << 2 << 0.55 << std::vector<double>{0, 0, 0, 1.0};
  }

  void distribution() {
    QFETCH(double, temperature);
    QFETCH(int, topK);
    QFETCH(double, topP);
    QFETCH(std::vector<double>, expected);

    const auto actual =
        gpupoor::samplingDistribution(logitsFor(kFourTokens), {temperature, topK, topP});
    QCOMPARE(actual.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
      QVERIFY2(
          std::abs(actual[i] - expected[i]) < 1e-6,
          qPrintable(QString("id %1: %2, expected %3").arg(i).arg(actual[i]).arg(expected[i])));
    }
  }

  void topPTieKeepsLowerId() {
    // Two equally likely tokens and p = 0.5: one of them suffices, and it is id 0.
    const auto actual = gpupoor::samplingDistribution(logitsFor({0.5, 0.5}), {1.0, 0, 0.5});
    QCOMPARE(actual, (std::vector<double>{1.0, 0.0}));
  }

  void samplingFollowsDistribution() {
    std::mt19937_64 rng(7);
    std::vector<int> counts(4, 0);
    const int draws = 20000;
    for (int i = 0; i < draws; ++i) {
      ++counts[static_cast<std::size_t>(
          gpupoor::sampleToken(logitsFor(kFourTokens), {1.0, 0, 1.0}, rng))];
    }
    for (std::size_t id = 0; id < kFourTokens.size(); ++id) {
      const double frequency = static_cast<double>(counts[id]) / draws;
      QVERIFY2(std::abs(frequency - kFourTokens[id]) < 0.02,
               qPrintable(QString("id %1 drawn with frequency %2, expected %3")
                              .arg(id)
                              .arg(frequency)
                              .arg(kFourTokens[id])));
    }
  }

  void samplingNeverPicksFilteredToken() {
    std::mt19937_64 rng(11);
    for (int i = 0; i < 2000; ++i) {
      const auto id = gpupoor::sampleToken(logitsFor(kFourTokens), {1.0, 2, 1.0}, rng);
      QVERIFY2(id == 2 || id == 3, qPrintable(QString("top-k 2 drew id %1").arg(id)));
    }
  }

  void samplingNeverPicksImpossibleToken() {
    std::mt19937_64 rng(5);
    for (int i = 0; i < 2000; ++i) {
      const auto id = gpupoor::sampleToken(logitsFor({0.5, 0.0, 0.5}), {1.0, 0, 1.0}, rng);
      QVERIFY2(id != 1, "drew a token whose logit is -inf");
    }
  }

  void sameSeedSameSamples() {
    std::mt19937_64 source(3);
    std::normal_distribution<float> normal;
    std::vector<float> logits(100);
    for (float& value : logits) value = normal(source);

    const auto drawAll = [&](std::uint64_t seed) {
      std::mt19937_64 rng(seed);
      std::vector<std::int64_t> ids;
      for (int i = 0; i < 200; ++i)
        ids.push_back(gpupoor::sampleToken(logits, {0.8, 40, 0.9}, rng));
      return ids;
    };
    QCOMPARE(drawAll(42), drawAll(42));
    QVERIFY(drawAll(42) != drawAll(43));
  }

  void tensorRowAccepted() {
    std::mt19937_64 rng(1);
    const at::Tensor logits = at::tensor({0.0f, 2.0f, 1.0f}).view({1, 3});
    QCOMPARE(gpupoor::sampleToken(logits, {}, rng), 1);
  }

  void tensorWithTwoRowsRejected() {
    std::mt19937_64 rng(1);
    const at::Tensor logits = at::zeros({2, 3});
    QVERIFY_THROWS_EXCEPTION(gpupoor::InvalidArgument, gpupoor::sampleToken(logits, {}, rng));
  }

  void invalidSettings_data() {
    QTest::addColumn<double>("temperature");
    QTest::addColumn<int>("topK");
    QTest::addColumn<double>("topP");
    QTest::newRow("negative temperature") << -0.5 << 0 << 1.0;
    QTest::newRow("NaN temperature") << std::nan("") << 0 << 1.0;
    QTest::newRow("infinite temperature") << std::numeric_limits<double>::infinity() << 0 << 1.0;
    QTest::newRow("negative top-k") << 1.0 << -1 << 1.0;
    QTest::newRow("top-p zero") << 1.0 << 0 << 0.0;
    QTest::newRow("top-p above one") << 1.0 << 0 << 1.5;
  }

  void invalidSettings() {
    QFETCH(double, temperature);
    QFETCH(int, topK);
    QFETCH(double, topP);
    QVERIFY_THROWS_EXCEPTION(gpupoor::InvalidArgument,
                             gpupoor::validateSamplingSettings({temperature, topK, topP}));
  }

  void generateGreedyMatchesRecompute() {
    const auto model = gpupoor::test::makeRandomGpt2(gpupoor::test::tinyGpt2Config(32), 1);
    const std::vector<std::int64_t> prompt = {5, 17, 42, 8};
    GenerationSettings settings;
    settings.maxNewTokens = 10;
    settings.stopAtEos = false;
    const auto result = gpupoor::generate(*model, prompt, settings);
    QCOMPARE(result.newIds.size(), std::size_t{10});
    QCOMPARE(result.promptIds, prompt);
    QCOMPARE(result.stopReason, gpupoor::StopReason::MaxTokens);
    QCOMPARE(result.decodeSteps, 9);

    std::vector<std::int64_t> context = prompt;
    for (std::size_t i = 0; i < result.newIds.size(); ++i) {
      QCOMPARE(result.newIds[i], recomputedGreedy(*model, context));
      context.push_back(result.newIds[i]);
    }
  }

  void generateReportsEveryToken() {
    const auto model = gpupoor::test::makeRandomGpt2(gpupoor::test::tinyGpt2Config(32), 1);
    GenerationSettings settings;
    settings.maxNewTokens = 6;
    settings.stopAtEos = false;
    std::vector<gpupoor::GeneratedToken> seen;
    const std::vector<std::int64_t> prompt = {1, 2, 3};
    const auto result = gpupoor::generate(
        *model, prompt, settings, [&](const gpupoor::GeneratedToken& t) { seen.push_back(t); });
    QCOMPARE(seen.size(), result.newIds.size());
    for (std::size_t i = 0; i < seen.size(); ++i) {
      QCOMPARE(seen[i].index, static_cast<int>(i));
      QCOMPARE(seen[i].id, result.newIds[i]);
      QVERIFY(seen[i].msForToken >= 0.0);
      QVERIFY(seen[i].msSinceStart >= seen[i].msForToken);
    }
    QVERIFY(result.totalMs >= result.prefillMs + result.decodeMs);
    QVERIFY(result.prefillTokensPerSecond > 0.0);
    QVERIFY(result.decodeTokensPerSecond > 0.0);
  }

  void generateSeedRepeatable() {
    const auto model = gpupoor::test::makeRandomGpt2(gpupoor::test::tinyGpt2Config(64), 2);
    GenerationSettings settings;
    settings.maxNewTokens = 40;
    settings.temperature = 1.5;
    settings.topK = 20;
    settings.topP = 0.95;
    settings.stopAtEos = false;
    const std::vector<std::int64_t> prompt = {9, 10};
    settings.seed = 123;
    const auto first = gpupoor::generate(*model, prompt, settings);
    const auto second = gpupoor::generate(*model, prompt, settings);
    settings.seed = 124;
    const auto other = gpupoor::generate(*model, prompt, settings);
    QCOMPARE(first.seed, std::uint64_t{123});
    QCOMPARE(first.newIds, second.newIds);
    QVERIFY(first.newIds != other.newIds);
  }

  void generateStopsAtEos() {
    const auto model = gpupoor::test::makeRandomGpt2(gpupoor::test::tinyGpt2Config(32), 1);
    const std::vector<std::int64_t> prompt = {5, 17, 42, 8};
    GenerationSettings settings;
    settings.maxNewTokens = 10;
    settings.stopAtEos = false;
    const auto free = gpupoor::generate(*model, prompt, settings);

    // Declaring the third greedy token the EOS id stops right after it.
    settings.stopAtEos = true;
    settings.eosId = free.newIds[2];
    const auto stopped = gpupoor::generate(*model, prompt, settings);
    const auto firstEos = std::find(free.newIds.begin(), free.newIds.end(), free.newIds[2]);
    const auto expectedCount = static_cast<std::size_t>(firstEos - free.newIds.begin()) + 1;
    QCOMPARE(stopped.stopReason, gpupoor::StopReason::Eos);
    QCOMPARE(stopped.newIds.size(), expectedCount);
    QCOMPARE(stopped.newIds.back(), free.newIds[2]);
  }

  void generateCancelled() {
    const auto model = gpupoor::test::makeRandomGpt2(gpupoor::test::tinyGpt2Config(32), 1);
    gpupoor::CancelToken cancel;
    GenerationSettings settings;
    settings.maxNewTokens = 20;
    settings.stopAtEos = false;
    const std::vector<std::int64_t> prompt = {3};
    const auto result = gpupoor::generate(
        *model, prompt, settings,
        [&](const gpupoor::GeneratedToken& token) {
          if (token.index == 2) cancel.cancel();
        },
        &cancel);
    QCOMPARE(result.stopReason, gpupoor::StopReason::Cancelled);
    QCOMPARE(result.newIds.size(), std::size_t{3});
  }

  void generateZeroTokens() {
    const auto model = gpupoor::test::makeRandomGpt2(gpupoor::test::tinyGpt2Config(16), 1);
    GenerationSettings settings;
    settings.maxNewTokens = 0;
    const std::vector<std::int64_t> prompt = {3, 4};
    const auto result = gpupoor::generate(*model, prompt, settings);
    QVERIFY(result.newIds.empty());
    QCOMPARE(result.stopReason, gpupoor::StopReason::MaxTokens);
  }

  void overLongPromptRejected() {
    const auto model = gpupoor::test::makeRandomGpt2(gpupoor::test::tinyGpt2Config(16), 1);
    GenerationSettings settings;
    settings.maxNewTokens = 7;
    const std::vector<std::int64_t> prompt(10, 4);
    QVERIFY_THROWS_EXCEPTION(gpupoor::InvalidArgument, gpupoor::generate(*model, prompt, settings));
  }

  void promptFillingContextAccepted() {
    const auto model = gpupoor::test::makeRandomGpt2(gpupoor::test::tinyGpt2Config(16), 1);
    GenerationSettings settings;
    settings.maxNewTokens = 6;
    settings.stopAtEos = false;
    const std::vector<std::int64_t> prompt(10, 4);
    QCOMPARE(gpupoor::generate(*model, prompt, settings).newIds.size(), std::size_t{6});
  }

  void slidingWindowMatchesRecompute() {
    const auto model = gpupoor::test::makeRandomGpt2(gpupoor::test::tinyGpt2Config(16), 3);
    GenerationSettings settings;
    settings.maxNewTokens = 14;
    settings.stopAtEos = false;
    settings.allowSlidingWindow = true;
    std::vector<std::int64_t> prompt;
    for (std::int64_t i = 0; i < 20; ++i) prompt.push_back((i * 7) % 64);
    const auto result = gpupoor::generate(*model, prompt, settings);
    QCOMPARE(result.newIds.size(), std::size_t{14});

    // Each token must be the greedy choice given at most the last 16 ids.
    std::vector<std::int64_t> context = prompt;
    for (std::size_t i = 0; i < result.newIds.size(); ++i) {
      const std::vector<std::int64_t> window(context.end() - 16, context.end());
      QCOMPARE(result.newIds[i], recomputedGreedy(*model, window));
      context.push_back(result.newIds[i]);
    }
  }

  void emptyPromptRejected() {
    const auto model = gpupoor::test::makeRandomGpt2(gpupoor::test::tinyGpt2Config(16), 1);
    QVERIFY_THROWS_EXCEPTION(gpupoor::InvalidArgument,
                             gpupoor::generate(*model, std::vector<std::int64_t>{}, {}));
  }

  void promptIdOutOfRangeRejected() {
    const auto model = gpupoor::test::makeRandomGpt2(gpupoor::test::tinyGpt2Config(16), 1);
    const std::vector<std::int64_t> prompt = {1, 64};
    GenerationSettings settings;
    settings.maxNewTokens = 2;
    QVERIFY_THROWS_EXCEPTION(gpupoor::InvalidArgument, gpupoor::generate(*model, prompt, settings));
  }

  void negativeTokenCountRejected() {
    const auto model = gpupoor::test::makeRandomGpt2(gpupoor::test::tinyGpt2Config(16), 1);
    GenerationSettings settings;
    settings.maxNewTokens = -1;
    const std::vector<std::int64_t> prompt = {1};
    QVERIFY_THROWS_EXCEPTION(gpupoor::InvalidArgument, gpupoor::generate(*model, prompt, settings));
  }
};

QTEST_GUILESS_MAIN(TestSampling)
#include "tst_sampling.moc"
