// The GPT-2 forward pass against logits from an independent float64
// implementation, for every checkpoint layout in tests/data/tiny-gpt2:
// full-sequence logits, greedy continuations, and KV-cache decoding.
#include <QtTest>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "core/io/safetensors_source.h"
#include "core/model/generation.h"
#include "core/model/model_loader.h"
#include "test_paths.h"

namespace {

// Absolute tolerance against the float64 reference; float32 math over two
// layers stays well inside it.
constexpr double kReferenceTolerance = 1e-4;
// Cached and uncached float32 passes sum in different orders, so they differ
// by rounding only.
constexpr double kCacheTolerance = 1e-5;

struct ReferenceCase {
  std::vector<std::int64_t> inputIds;
  std::string logitsName;
  std::vector<std::int64_t> greedyIds;  // prompt followed by 12 greedy ids
};

std::filesystem::path fixtureDir(const QString& variant) {
  return gpupoor::test::dataDir() / "tiny-gpt2" / variant.toStdString();
}

std::vector<ReferenceCase> readCases(const std::filesystem::path& dir) {
  std::ifstream in(dir / "reference.json");
  const auto root = nlohmann::json::parse(in);
  std::vector<ReferenceCase> cases;
  for (const auto& entry : root.at("cases")) {
    cases.push_back({entry.at("input_ids").get<std::vector<std::int64_t>>(),
                     entry.at("logits").get<std::string>(),
                     entry.at("greedy_8_prompt_12_new").get<std::vector<std::int64_t>>()});
  }
  return cases;
}

at::Tensor idsTensor(const std::vector<std::int64_t>& ids) { return at::tensor(ids, at::kLong); }

double maxAbsDifference(const at::Tensor& a, const at::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

void addVariantRows() {
  QTest::addColumn<QString>("variant");
  for (const char* variant :
       {"f32-plain", "f16-prefixed-lmhead", "bf16-prefixed", "f32-pytorch-bin"}) {
    QTest::newRow(variant) << variant;
  }
}

}  // namespace

class TestGpt2Reference : public QObject {
  Q_OBJECT

 private slots:
  void logitsMatchReference_data() { addVariantRows(); }

  void logitsMatchReference() {
    QFETCH(QString, variant);
    const auto dir = fixtureDir(variant);
    const auto model = gpupoor::loadGpt2Model(dir);
    const gpupoor::SafetensorsSource reference(dir / "reference_logits.safetensors");

    for (const auto& testCase : readCases(dir)) {
      const at::Tensor expected = reference.loadFloat32(testCase.logitsName);
      const at::Tensor actual = model->forward(idsTensor(testCase.inputIds).unsqueeze(0))[0];
      QCOMPARE(actual.sizes().vec(), expected.sizes().vec());

      // Worst position first, so a failure names where the pass goes wrong.
      const at::Tensor perPosition = (actual - expected).abs().amax(1);
      const auto worst = perPosition.argmax().item<std::int64_t>();
      const double maxDifference = perPosition[worst].item<double>();
      qInfo("%s %s: max |difference| %.3g at position %lld of %zu", qPrintable(variant),
            testCase.logitsName.c_str(), maxDifference, static_cast<long long>(worst),
            testCase.inputIds.size());
      QVERIFY2(maxDifference < kReferenceTolerance,
               qPrintable(QString("%1: max |difference| %2 at position %3 exceeds %4")
                              .arg(QString::fromStdString(testCase.logitsName))
                              .arg(maxDifference)
                              .arg(worst)
                              .arg(kReferenceTolerance)));
    }
  }

  void greedyMatchesReference_data() { addVariantRows(); }

  void greedyMatchesReference() {
    QFETCH(QString, variant);
    const auto dir = fixtureDir(variant);
    const auto model = gpupoor::loadGpt2Model(dir);

    for (const auto& testCase : readCases(dir)) {
      const std::size_t promptLength = std::min<std::size_t>(8, testCase.inputIds.size());
      const std::vector<std::int64_t> prompt(testCase.inputIds.begin(),
                                             testCase.inputIds.begin() + promptLength);
      gpupoor::GenerationSettings settings;
      settings.maxNewTokens = static_cast<int>(testCase.greedyIds.size() - promptLength);
      settings.stopAtEos = false;
      const auto result = gpupoor::generate(*model, prompt, settings);

      std::vector<std::int64_t> actual = result.promptIds;
      actual.insert(actual.end(), result.newIds.begin(), result.newIds.end());
      QVERIFY2(
          actual == testCase.greedyIds,
          qPrintable(
              QString("%1: greedy ids differ").arg(QString::fromStdString(testCase.logitsName))));
    }
  }

  void cacheMatchesFullPass_data() { addVariantRows(); }

  void cacheMatchesFullPass() {
    QFETCH(QString, variant);
    const auto model = gpupoor::loadGpt2Model(fixtureDir(variant));

    for (const auto& testCase : readCases(fixtureDir(variant))) {
      const at::Tensor ids = idsTensor(testCase.inputIds);
      const at::Tensor full = model->forward(ids.unsqueeze(0))[0];
      const std::int64_t count = ids.size(0);

      // Token by token from an empty cache.
      gpupoor::KvCache cache = model->newCache();
      std::vector<at::Tensor> rows;
      for (std::int64_t i = 0; i < count; ++i) {
        rows.push_back(model->forwardIncremental(ids.narrow(0, i, 1), cache));
      }
      QCOMPARE(cache.length, count);
      const double stepDifference = maxAbsDifference(at::cat(rows), full);
      QVERIFY2(stepDifference < kCacheTolerance,
               qPrintable(QString("%1 token by token: max |difference| %2")
                              .arg(QString::fromStdString(testCase.logitsName))
                              .arg(stepDifference)));

      // A prefill of the first half, then the rest in one more call.
      cache.clear();
      const std::int64_t half = count / 2;
      std::vector<at::Tensor> chunks;
      if (half > 0) chunks.push_back(model->forwardIncremental(ids.narrow(0, 0, half), cache));
      chunks.push_back(model->forwardIncremental(ids.narrow(0, half, count - half), cache));
      const double chunkDifference = maxAbsDifference(at::cat(chunks), full);
      QVERIFY2(chunkDifference < kCacheTolerance,
               qPrintable(QString("%1 in two chunks: max |difference| %2")
                              .arg(QString::fromStdString(testCase.logitsName))
                              .arg(chunkDifference)));

      // lastOnly returns the final row alone.
      cache.clear();
      const at::Tensor last = model->forwardIncremental(ids, cache, true);
      QCOMPARE(last.sizes().vec(), (std::vector<std::int64_t>{1, full.size(1)}));
      QVERIFY(maxAbsDifference(last[0], full[count - 1]) < kCacheTolerance);
    }
  }

  void batchMatchesSingleSequences() {
    const auto model = gpupoor::loadGpt2Model(fixtureDir("f32-plain"));
    const at::Tensor first = idsTensor({5, 77, 301, 12, 499, 0});
    const at::Tensor second = idsTensor({511, 510, 3, 3, 3, 3});
    const at::Tensor batch = model->forward(at::stack({first, second}));
    QCOMPARE(batch.sizes().vec(), (std::vector<std::int64_t>{2, 6, 512}));
    QVERIFY(maxAbsDifference(batch[0], model->forward(first.unsqueeze(0))[0]) < kCacheTolerance);
    QVERIFY(maxAbsDifference(batch[1], model->forward(second.unsqueeze(0))[0]) < kCacheTolerance);
  }

  void layoutsAgree() {
    // The F32 layouts hold the same weights, so their logits agree to rounding.
    const at::Tensor ids = idsTensor({5, 77, 301, 12}).unsqueeze(0);
    const at::Tensor plain = gpupoor::loadGpt2Model(fixtureDir("f32-plain"))->forward(ids);
    const at::Tensor bin = gpupoor::loadGpt2Model(fixtureDir("f32-pytorch-bin"))->forward(ids);
    QVERIFY(maxAbsDifference(plain, bin) < kCacheTolerance);
  }

  void tiedHeadStoredOnce_data() { addVariantRows(); }

  void tiedHeadStoredOnce() {
    QFETCH(QString, variant);
    const auto model = gpupoor::loadGpt2Model(fixtureDir(variant));
    const auto memory = model->memory();
    QCOMPARE(memory.lmHead, std::int64_t{0});
    QVERIFY(model->weights().lmHead == nullptr);
    // Every FP32 parameter counted once: 4 bytes each.
    QCOMPARE(memory.total(), model->config().parameterCount() * 4);
    QCOMPARE(memory.scales, std::int64_t{0});
    QCOMPARE(model->scheme(), std::string("fp32"));
  }
};

QTEST_GUILESS_MAIN(TestGpt2Reference)
#include "tst_gpt2_reference.moc"
