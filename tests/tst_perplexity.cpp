// Sliding-window perplexity, KL divergence and the evaluation-text readers.
// The reference is a naive loop that runs the model once per scored token on
// exactly the context the sliding window gives that token, so it checks the
// window plan, the batching and the target masking independently.
#include <QtTest>

#include <ATen/ATen.h>

#include <cmath>
#include <fstream>
#include <numeric>

#include "core/common/cancel.h"
#include "core/common/errors.h"
#include "core/metrics/kld.h"
#include "core/metrics/perplexity.h"
#include "core/model/model_loader.h"
#include "test_paths.h"

namespace {

constexpr std::int64_t kVocab = 97;
constexpr std::int64_t kWidth = 16;

// A small causal language model. Each position's logits come from the mean
// embedding of its prefix plus its own token, so they depend on the context.
class CausalMockModel {
 public:
  explicit CausalMockModel(std::uint64_t seed) {
    at::manual_seed(seed);
    m_embedding = at::randn({kVocab, kWidth});
    m_output = at::randn({kWidth, kVocab});
  }

  at::Tensor operator()(const at::Tensor& ids) const {
    const at::Tensor embedded = m_embedding.index_select(0, ids.reshape({-1})).reshape({ids.size(0), ids.size(1), kWidth});
    const at::Tensor counts = at::arange(1, ids.size(1) + 1, at::kFloat).reshape({1, -1, 1});
    const at::Tensor prefixMean = embedded.cumsum(1) / counts;
    return at::matmul(prefixMean + embedded, m_output);
  }

 private:
  at::Tensor m_embedding;
  at::Tensor m_output;
};

std::vector<std::int64_t> makeIds(std::int64_t count, std::uint64_t seed) {
  at::manual_seed(seed);
  const at::Tensor ids = at::randint(0, kVocab, {count}, at::kLong);
  return {ids.data_ptr<std::int64_t>(), ids.data_ptr<std::int64_t>() + count};
}

// Start of the window that scores token t: the first window whose end lies
// beyond t.
std::int64_t windowStartFor(std::int64_t t, std::int64_t maxLength, std::int64_t stride) {
  if (t < maxLength) return 0;
  return ((t - maxLength) / stride + 1) * stride;
}

double naivePerplexity(const gpupoor::LogitsFunction& model, const std::vector<std::int64_t>& ids,
                       int maxLength, int stride, std::int64_t* scored) {
  double nllSum = 0.0;
  *scored = 0;
  for (std::int64_t t = 1; t < static_cast<std::int64_t>(ids.size()); ++t) {
    const std::int64_t begin = windowStartFor(t, maxLength, stride);
    if (t == begin) continue;  // no context inside its window
    std::vector<std::int64_t> context(ids.begin() + begin, ids.begin() + t);
    const at::Tensor input = at::from_blob(context.data(), {1, static_cast<std::int64_t>(context.size())}, at::kLong).clone();
    const at::Tensor last = model(input)[0][-1];
    nllSum -= at::log_softmax(last, 0)[ids[static_cast<std::size_t>(t)]].item<double>();
    ++*scored;
  }
  return std::exp(nllSum / static_cast<double>(*scored));
}

std::filesystem::path writeTemporary(const QString& name, const std::string& content) {
  const std::filesystem::path path = std::filesystem::temp_directory_path() /
                                     ("gpupoor_tst_perplexity_" + name.toStdString());
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

}  // namespace

class TestPerplexity : public QObject {
  Q_OBJECT

 private slots:
  void matchesNaiveLoop_data() {
    QTest::addColumn<int>("tokenCount");
    QTest::addColumn<int>("maxLength");
    QTest::addColumn<int>("stride");
    QTest::addColumn<int>("batchWindows");
    QTest::newRow("half stride") << 200 << 32 << 16 << 4;
    QTest::newRow("stride one") << 60 << 16 << 1 << 8;
    QTest::newRow("stride max length minus one") << 150 << 32 << 31 << 3;
    QTest::newRow("stride equals max length") << 150 << 32 << 32 << 2;
    QTest::newRow("uneven last window") << 203 << 32 << 12 << 4;
    QTest::newRow("one window per batch") << 120 << 24 << 10 << 1;
    QTest::newRow("text shorter than window") << 20 << 64 << 32 << 4;
    QTest::newRow("text exactly one window") << 64 << 64 << 32 << 4;
    QTest::newRow("two tokens") << 2 << 64 << 32 << 4;
  }

  void matchesNaiveLoop() {
    QFETCH(int, tokenCount);
    QFETCH(int, maxLength);
    QFETCH(int, stride);
    QFETCH(int, batchWindows);
    const CausalMockModel model(7);
    const std::vector<std::int64_t> ids = makeIds(tokenCount, 11);

    gpupoor::PerplexityOptions options;
    options.maxLength = maxLength;
    options.stride = stride;
    options.batchWindows = batchWindows;
    const gpupoor::PerplexityResult result = gpupoor::computePerplexity(model, ids, options);

    std::int64_t naiveScored = 0;
    const double naive = naivePerplexity(model, ids, maxLength, stride, &naiveScored);
    QCOMPARE(result.tokensScored, naiveScored);
    QVERIFY2(std::fabs(result.perplexity - naive) <= 1e-5 * naive,
             qPrintable(QString("windows %1, naive %2").arg(result.perplexity, 0, 'g', 12).arg(naive, 0, 'g', 12)));
    QVERIFY(std::fabs(std::exp(result.meanNll) - result.perplexity) <= 1e-12 * result.perplexity);
  }

  void tinyModelMatchesNaiveLoop_data() {
    QTest::addColumn<int>("tokenCount");
    QTest::addColumn<int>("maxLength");
    QTest::addColumn<int>("stride");
    QTest::newRow("half stride") << 150 << 64 << 32;
    QTest::newRow("quarter stride") << 150 << 64 << 16;
    QTest::newRow("stride max length minus one") << 150 << 64 << 63;
    QTest::newRow("stride equals max length") << 150 << 64 << 64;
    QTest::newRow("short windows") << 90 << 20 << 7;
    QTest::newRow("text shorter than window") << 40 << 64 << 32;
    QTest::newRow("text exactly one window") << 64 << 64 << 32;
  }

  void tinyModelMatchesNaiveLoop() {
    // The tiny GPT-2 fixture: 2 layers, vocabulary 512, 64 positions.
    QFETCH(int, tokenCount);
    QFETCH(int, maxLength);
    QFETCH(int, stride);
    const auto model = gpupoor::loadGpt2Model(gpupoor::test::dataDir() / "tiny-gpt2" / "f32-plain");
    const gpupoor::LogitsFunction logits = [&](const at::Tensor& ids) { return model->forward(ids); };
    at::manual_seed(21);
    const at::Tensor random = at::randint(0, 512, {tokenCount}, at::kLong);
    const std::vector<std::int64_t> ids(random.data_ptr<std::int64_t>(), random.data_ptr<std::int64_t>() + tokenCount);

    gpupoor::PerplexityOptions options;
    options.maxLength = maxLength;
    options.stride = stride;
    options.batchWindows = 3;
    const gpupoor::PerplexityResult result = gpupoor::computePerplexity(logits, ids, options);

    std::int64_t naiveScored = 0;
    const double naive = naivePerplexity(logits, ids, maxLength, stride, &naiveScored);
    QCOMPARE(result.tokensScored, naiveScored);
    QVERIFY2(std::fabs(result.perplexity - naive) <= 1e-5 * naive,
             qPrintable(QString("windows %1, naive %2").arg(result.perplexity, 0, 'g', 12).arg(naive, 0, 'g', 12)));
  }

  void everyTokenScoredOnce_data() {
    QTest::addColumn<int>("tokenCount");
    QTest::addColumn<int>("maxLength");
    QTest::addColumn<int>("stride");
    QTest::newRow("half stride") << 1000 << 64 << 32;
    QTest::newRow("odd stride") << 999 << 64 << 27;
    QTest::newRow("short text") << 10 << 64 << 32;
  }

  void everyTokenScoredOnce() {
    QFETCH(int, tokenCount);
    QFETCH(int, maxLength);
    QFETCH(int, stride);
    const std::vector<gpupoor::TokenWindow> windows = gpupoor::planWindows(tokenCount, maxLength, stride);
    std::vector<int> timesScored(static_cast<std::size_t>(tokenCount), 0);
    for (const gpupoor::TokenWindow& window : windows) {
      QVERIFY(window.end - window.begin <= maxLength);
      QVERIFY(window.targetBegin > window.begin);
      for (std::int64_t t = window.targetBegin; t < window.end; ++t) ++timesScored[static_cast<std::size_t>(t)];
    }
    QCOMPARE(timesScored[0], 0);
    for (int t = 1; t < tokenCount; ++t) QCOMPARE(timesScored[static_cast<std::size_t>(t)], 1);
    QCOMPARE(windows.back().end, std::int64_t{tokenCount});
  }

  void maxTokensLimitsText() {
    const CausalMockModel model(3);
    const std::vector<std::int64_t> ids = makeIds(300, 5);
    gpupoor::PerplexityOptions options;
    options.maxLength = 32;
    options.stride = 16;
    options.maxTokens = 100;
    const gpupoor::PerplexityResult limited = gpupoor::computePerplexity(model, ids, options);
    QCOMPARE(limited.tokensScored, std::int64_t{99});

    const std::vector<std::int64_t> prefix(ids.begin(), ids.begin() + 100);
    options.maxTokens = 0;
    const gpupoor::PerplexityResult direct = gpupoor::computePerplexity(model, prefix, options);
    QCOMPARE(limited.perplexity, direct.perplexity);
  }

  void progressReachesTotal() {
    const CausalMockModel model(3);
    const std::vector<std::int64_t> ids = makeIds(200, 5);
    gpupoor::PerplexityOptions options;
    options.maxLength = 32;
    options.stride = 16;
    options.batchWindows = 3;
    std::vector<std::int64_t> done;
    std::int64_t total = 0;
    const gpupoor::PerplexityResult result = gpupoor::computePerplexity(
        model, ids, options, [&](std::int64_t windowsDone, std::int64_t windowsTotal) {
          done.push_back(windowsDone);
          total = windowsTotal;
        });
    QVERIFY(!done.empty());
    QVERIFY(std::is_sorted(done.begin(), done.end()));
    QCOMPARE(done.back(), total);
    QCOMPARE(total, result.windows);
  }

  void cancelStopsBetweenBatches() {
    const CausalMockModel model(3);
    const std::vector<std::int64_t> ids = makeIds(400, 5);
    gpupoor::PerplexityOptions options;
    options.maxLength = 32;
    options.stride = 16;
    options.batchWindows = 1;
    gpupoor::CancelToken cancel;
    int batches = 0;
    auto progress = [&](std::int64_t, std::int64_t) {
      if (++batches == 2) cancel.cancel();
    };
    QVERIFY_THROWS_EXCEPTION(gpupoor::Cancelled,
                             gpupoor::computePerplexity(model, ids, options, progress, &cancel));
    QCOMPARE(batches, 2);
  }

  void invalidOptionsRejected_data() {
    QTest::addColumn<int>("tokenCount");
    QTest::addColumn<int>("maxLength");
    QTest::addColumn<int>("stride");
    QTest::newRow("stride zero") << 100 << 32 << 0;
    QTest::newRow("stride beyond window") << 100 << 32 << 33;
    QTest::newRow("window of one token") << 100 << 1 << 1;
    QTest::newRow("one token of text") << 1 << 32 << 16;
    QTest::newRow("empty text") << 0 << 32 << 16;
  }

  void invalidOptionsRejected() {
    QFETCH(int, tokenCount);
    QFETCH(int, maxLength);
    QFETCH(int, stride);
    const CausalMockModel model(3);
    const std::vector<std::int64_t> ids = makeIds(tokenCount, 5);
    gpupoor::PerplexityOptions options;
    options.maxLength = maxLength;
    options.stride = stride;
    QVERIFY_THROWS_EXCEPTION(gpupoor::InvalidArgument, gpupoor::computePerplexity(model, ids, options));
  }

  void standardErrorFromVariance() {
    const std::vector<double> nll{1.0, 2.0, 3.0, 4.0};
    const gpupoor::PerplexityResult result = gpupoor::summarizeNll(nll, 1);
    QCOMPARE(result.meanNll, 2.5);
    QVERIFY(std::fabs(result.nllStandardError - std::sqrt(5.0 / 3.0 / 4.0)) < 1e-12);
    QVERIFY(std::fabs(result.perplexity - std::exp(2.5)) < 1e-9);
  }

  void identicalModelsHaveZeroKld() {
    const CausalMockModel model(9);
    const std::vector<std::int64_t> ids = makeIds(150, 2);
    gpupoor::PerplexityOptions options;
    options.maxLength = 32;
    options.stride = 16;
    const gpupoor::PairedPerplexity paired = gpupoor::comparePerplexity(model, model, ids, options);
    QCOMPARE(paired.reference.perplexity, paired.candidate.perplexity);
    QVERIFY(std::fabs(paired.kld.meanKld) < 1e-6);
    QCOMPARE(paired.kld.top1Agreement, 1.0);
    QCOMPARE(paired.kld.positions, paired.reference.tokensScored);
  }

  void pairedMatchesSingleRuns() {
    const CausalMockModel reference(9);
    const CausalMockModel candidate(10);
    const std::vector<std::int64_t> ids = makeIds(150, 2);
    gpupoor::PerplexityOptions options;
    options.maxLength = 32;
    options.stride = 8;
    const gpupoor::PairedPerplexity paired = gpupoor::comparePerplexity(reference, candidate, ids, options);
    QCOMPARE(paired.reference.perplexity, gpupoor::computePerplexity(reference, ids, options).perplexity);
    QCOMPARE(paired.candidate.perplexity, gpupoor::computePerplexity(candidate, ids, options).perplexity);
    QVERIFY(paired.kld.meanKld > 0.0);
    QVERIFY(paired.kld.p99Kld >= paired.kld.meanKld);
    QVERIFY(paired.kld.top1Agreement < 1.0);
  }

  void kldOfKnownDistributions() {
    // P = (0.5, 0.5), Q = (0.9, 0.1): KL = 0.5 ln(0.5/0.9) + 0.5 ln(0.5/0.1).
    const at::Tensor referenceLogits = at::log(at::tensor({0.5, 0.5}, at::kFloat)).reshape({1, 2});
    const at::Tensor candidateLogits = at::log(at::tensor({0.9, 0.1}, at::kFloat)).reshape({1, 2});
    const gpupoor::PositionDivergence divergence = gpupoor::compareLogits(referenceLogits, candidateLogits);
    const double expected = 0.5 * std::log(0.5 / 0.9) + 0.5 * std::log(0.5 / 0.1);
    QCOMPARE(divergence.kld.size(), std::size_t{1});
    QVERIFY(std::fabs(divergence.kld[0] - expected) < 1e-6);
  }

  void kldRejectsShapeMismatch() {
    QVERIFY_THROWS_EXCEPTION(gpupoor::InvalidArgument,
                             gpupoor::compareLogits(at::zeros({2, 5}), at::zeros({2, 6})));
  }

  void wikitextRowsJoined() {
    const std::filesystem::path path =
        writeTemporary("wikitext.raw", " \n = Title = \n \n Body text .\n");
    const std::string text = gpupoor::readEvaluationText(path, gpupoor::TextReading::Wikitext);
    QCOMPARE(QString::fromStdString(text),
             QString::fromStdString(std::string("\n\n = Title = \n\n\n\n\n Body text .\n")));
    std::filesystem::remove(path);
  }

  void wikitextCrlfLikeLf() {
    const std::filesystem::path lf = writeTemporary("lf.raw", " \n = A = \n B .\n");
    const std::filesystem::path crlf = writeTemporary("crlf.raw", " \r\n = A = \r\n B .\r\n");
    QCOMPARE(gpupoor::readEvaluationText(crlf, gpupoor::TextReading::Wikitext),
             gpupoor::readEvaluationText(lf, gpupoor::TextReading::Wikitext));
    std::filesystem::remove(lf);
    std::filesystem::remove(crlf);
  }

  void plainKeepsBytes() {
    const std::string content = " \n = A = \r\n B .";
    const std::filesystem::path path = writeTemporary("plain.txt", content);
    QCOMPARE(gpupoor::readEvaluationText(path, gpupoor::TextReading::Plain), content);
    std::filesystem::remove(path);
  }

  void missingFileRejected() {
    QVERIFY_THROWS_EXCEPTION(gpupoor::InvalidArgument,
                             gpupoor::readEvaluationText("/nonexistent/gpupoor/none.txt", gpupoor::TextReading::Plain));
  }
};

QTEST_GUILESS_MAIN(TestPerplexity)
#include "tst_perplexity.moc"
