// Per-channel INT8 quantization and the INT8 layers: rounding error bounds,
// all-zero and damaged rows, Int8Linear against FP32 math for w8a32 and w8a8
// (both the decode and the prefill paths), Int8Embedding lookups, logits and
// memory footprint, and the layer factory.
#include <QtTest>

#include <ATen/ATen.h>

#include <cmath>
#include <limits>

#include "core/common/errors.h"
#include "core/model/model_loader.h"
#include "core/quant/int8_embedding.h"
#include "core/quant/int8_layers.h"
#include "core/quant/int8_linear.h"
#include "core/quant/int8_matmul.h"
#include "core/quant/quantized_matrix.h"
#include "test_paths.h"

using gpupoor::QuantScheme;

namespace {

double cosineSimilarity(const at::Tensor& a, const at::Tensor& b) {
  const at::Tensor x = a.to(at::kDouble).reshape({-1});
  const at::Tensor y = b.to(at::kDouble).reshape({-1});
  return (x.dot(y) / (x.norm() * y.norm())).item<double>();
}

// Rows with very different magnitudes, as real checkpoints have.
at::Tensor makeWeights(std::int64_t rows, std::int64_t cols, std::uint64_t seed) {
  at::manual_seed(seed);
  return at::randn({rows, cols}, at::kFloat) * (at::rand({rows, 1}, at::kFloat) * 2.0 + 0.01);
}

}  // namespace

class TestQuantize : public QObject {
  Q_OBJECT

 private slots:
  void roundingErrorWithinHalfStep_data();
  void roundingErrorWithinHalfStep();
  void allZeroRowHasFiniteScale();
  void subnormalRowHasNonzeroScale();
  void nonFiniteValueThrows_data();
  void nonFiniteValueThrows();
  void wrongDtypeThrows();
  void storedTensorsAreValidated();
  void linearMatchesDequantized_data();
  void linearMatchesDequantized();
  void linearW8A8CloseToFp32_data();
  void linearW8A8CloseToFp32();
  void linearW8A8MatchesIntegerReference_data();
  void linearW8A8MatchesIntegerReference();
  void tileBufferReusedAcrossShapes();
  void linearRejectsWrongInput();
  void linearFootprintCountsInt8();
  void embeddingLookupDequantizesRows();
  void embeddingLookupKeepsIdShape();
  void embeddingRejectsBadIds();
  void embeddingLogitsMatchDequantized_data();
  void embeddingLogitsMatchDequantized();
  void embeddingHoldsNoFloatTable();
  void factoryBuildsInt8Layers();
  void factoryRejectsFp32();
  void tinyModelLogitsMatchFp32_data();
  void tinyModelLogitsMatchFp32();
};

void TestQuantize::roundingErrorWithinHalfStep_data() {
  QTest::addColumn<qint64>("rows");
  QTest::addColumn<qint64>("cols");
  QTest::newRow("square 64") << qint64{64} << qint64{64};
  QTest::newRow("odd 37x129") << qint64{37} << qint64{129};
  QTest::newRow("one row") << qint64{1} << qint64{1000};
}

void TestQuantize::roundingErrorWithinHalfStep() {
  QFETCH(qint64, rows);
  QFETCH(qint64, cols);
  const at::Tensor w = makeWeights(rows, cols, 21);
  const gpupoor::QuantizedMatrix q = gpupoor::quantizePerRow(w, "test.weight");

  QCOMPARE(q.values.scalar_type(), at::kChar);
  QCOMPARE(q.scales.scalar_type(), at::kFloat);
  QCOMPARE(q.scales.size(0), rows);
  QVERIFY(q.values.to(at::kInt).abs().max().item<int>() <= 127);
  // The largest element of each row maps to +-127 exactly.
  QCOMPARE(q.values.to(at::kInt).abs().amax(1).min().item<int>(), 127);

  const at::Tensor error = (gpupoor::dequantize(q) - w).abs();
  const at::Tensor halfStep = q.scales.unsqueeze(1) * 0.5 * (1.0 + 1e-6);
  QVERIFY((error <= halfStep).all().item<bool>());
  const at::Tensor expectedScales = w.abs().amax(1) / 127.0;
  QVERIFY(at::allclose(q.scales, expectedScales, 1e-6, 0.0));
}

void TestQuantize::allZeroRowHasFiniteScale() {
  at::Tensor w = makeWeights(4, 50, 22);
  w[2].zero_();
  const gpupoor::QuantizedMatrix q = gpupoor::quantizePerRow(w, "test.weight");
  const float scale = q.scales[2].item<float>();
  QVERIFY(std::isfinite(scale));
  QVERIFY(scale > 0.0f);
  QCOMPARE(q.values[2].abs().max().item<std::int8_t>(), std::int8_t{0});

  gpupoor::Int8Linear linear("test", q, at::Tensor(), QuantScheme::W8A8);
  const at::Tensor y = linear.forward(at::randn({3, 50}, at::kFloat));
  QVERIFY(at::isfinite(y).all().item<bool>());
  QCOMPARE(y.select(1, 2).abs().max().item<float>(), 0.0f);
}

void TestQuantize::subnormalRowHasNonzeroScale() {
  at::Tensor w = at::zeros({1, 8}, at::kFloat);
  w[0][3] = std::numeric_limits<float>::denorm_min() * 5;
  const gpupoor::QuantizedMatrix q = gpupoor::quantizePerRow(w, "tiny.weight");
  QVERIFY(q.scales[0].item<float>() > 0.0f);
  QVERIFY(at::isfinite(gpupoor::dequantize(q)).all().item<bool>());
}

void TestQuantize::nonFiniteValueThrows_data() {
  QTest::addColumn<float>("value");
  QTest::newRow("nan") << std::numeric_limits<float>::quiet_NaN();
  QTest::newRow("+inf") << std::numeric_limits<float>::infinity();
  QTest::newRow("-inf") << -std::numeric_limits<float>::infinity();
}

void TestQuantize::nonFiniteValueThrows() {
  QFETCH(float, value);
  at::Tensor w = makeWeights(40, 10, 23);
  w[33][4] = value;
  try {
    gpupoor::quantizePerRow(w, "h.0.mlp.c_fc.weight");
    QFAIL("expected InvalidCheckpoint");
  } catch (const gpupoor::InvalidCheckpoint& error) {
    const QString message = QString::fromUtf8(error.what());
    QVERIFY2(message.contains("h.0.mlp.c_fc.weight"), qPrintable(message));
    QVERIFY2(message.contains("row 33"), qPrintable(message));
  }
}

void TestQuantize::wrongDtypeThrows() {
  QVERIFY_THROWS_EXCEPTION(gpupoor::InvalidArgument,
                           gpupoor::quantizePerRow(at::zeros({4, 4}, at::kDouble), "w"));
  QVERIFY_THROWS_EXCEPTION(gpupoor::InvalidArgument,
                           gpupoor::quantizePerRow(at::zeros({4}, at::kFloat), "w"));
}

void TestQuantize::storedTensorsAreValidated() {
  const gpupoor::QuantizedMatrix good = gpupoor::quantizePerRow(makeWeights(3, 5, 24), "w");
  QVERIFY_THROWS_EXCEPTION(
      gpupoor::InvalidCheckpoint,
      gpupoor::quantizedMatrixFromTensors(good.values, at::ones({4}, at::kFloat), "w"));
  QVERIFY_THROWS_EXCEPTION(
      gpupoor::InvalidCheckpoint,
      gpupoor::quantizedMatrixFromTensors(good.values.to(at::kInt), good.scales, "w"));
  QVERIFY_THROWS_EXCEPTION(
      gpupoor::InvalidCheckpoint,
      gpupoor::quantizedMatrixFromTensors(good.values, at::zeros({3}, at::kFloat), "w"));
  QVERIFY_THROWS_EXCEPTION(
      gpupoor::InvalidCheckpoint,
      gpupoor::quantizedMatrixFromTensors(at::full({3, 5}, -128, at::kChar), good.scales, "w"));
  const gpupoor::QuantizedMatrix copy =
      gpupoor::quantizedMatrixFromTensors(good.values.clone(), good.scales.clone(), "w");
  QVERIFY(at::equal(copy.values, good.values));
}

void TestQuantize::linearMatchesDequantized_data() {
  QTest::addColumn<qint64>("tokens");
  QTest::newRow("decode 1 token") << qint64{1};
  QTest::newRow("7 tokens") << qint64{7};
  QTest::newRow("prefill tile path") << qint64{gpupoor::kW8A32TileGemmMinTokens + 5};
}

void TestQuantize::linearMatchesDequantized() {
  QFETCH(qint64, tokens);
  const at::Tensor w = makeWeights(300, 77, 25);
  const at::Tensor bias = at::randn({300}, at::kFloat);
  const gpupoor::QuantizedMatrix q = gpupoor::quantizePerRow(w, "fc.weight");
  gpupoor::Int8Linear linear("fc", q, bias, QuantScheme::W8A32);
  const at::Tensor x = at::randn({tokens, 77}, at::kFloat);

  const at::Tensor y = linear.forward(x);
  QCOMPARE(y.sizes(), (at::IntArrayRef{tokens, 300}));
  const at::Tensor expected = at::addmm(bias, x, gpupoor::dequantize(q).t());
  const at::Tensor magnitude = at::mm(x.abs(), gpupoor::dequantize(q).abs().t()) + bias.abs();
  QVERIFY(((y - expected).abs() <= magnitude * 1e-5 + 1e-30).all().item<bool>());
  QVERIFY(cosineSimilarity(y, at::addmm(bias, x, w.t())) >= 0.999);
}

void TestQuantize::linearW8A8CloseToFp32_data() {
  QTest::addColumn<qint64>("tokens");
  QTest::newRow("decode 1 token") << qint64{1};
  QTest::newRow("prefill 40 tokens") << qint64{40};
}

void TestQuantize::linearW8A8CloseToFp32() {
  QFETCH(qint64, tokens);
  const at::Tensor w = makeWeights(200, 256, 26);
  const at::Tensor bias = at::randn({200}, at::kFloat);
  gpupoor::Int8Linear linear("fc", gpupoor::quantizePerRow(w, "fc.weight"), bias,
                             QuantScheme::W8A8);
  const at::Tensor x = at::randn({tokens, 256}, at::kFloat);
  const at::Tensor y = linear.forward(x);
  QCOMPARE(linear.scheme(), std::string("w8a8"));
  QVERIFY(cosineSimilarity(y, at::addmm(bias, x, w.t())) >= 0.999);
}

void TestQuantize::linearW8A8MatchesIntegerReference_data() {
  QTest::addColumn<qint64>("tokens");
  QTest::newRow("decode 1 token") << qint64{1};
  QTest::newRow("prefill 33 tokens") << qint64{33};
}

// The w8a8 output is the exact integer product rescaled once per element:
// y[t, r] = (sum_k xq[t, k] * wq[r, k]) * xScale[t] * wScale[r] + bias[r].
// The reference quantizes the activations as the header specifies and sums
// in double, which is exact for these magnitudes.
void TestQuantize::linearW8A8MatchesIntegerReference() {
  QFETCH(qint64, tokens);
  const at::Tensor w = makeWeights(70, 99, 28);
  const at::Tensor bias = at::randn({70}, at::kFloat);
  const gpupoor::QuantizedMatrix q = gpupoor::quantizePerRow(w, "fc.weight");
  gpupoor::Int8Linear linear("fc", q, bias, QuantScheme::W8A8);
  const at::Tensor x = at::randn({tokens, 99}, at::kFloat);

  const float limit = static_cast<float>(gpupoor::kernels::kActivationMax);
  const at::Tensor xScales = std::get<0>(x.abs().max(1, /*keepdim=*/true)) / limit;
  const at::Tensor xq = at::round(x * (1.0f / xScales)).clamp(-limit, limit);
  const at::Tensor sums = at::mm(xq.to(at::kDouble), q.values.to(at::kDouble).t());
  const at::Tensor expected =
      (sums.to(at::kFloat) * (xScales * q.scales.unsqueeze(0)) + bias).contiguous();

  const at::Tensor y = linear.forward(x);
  QCOMPARE(y.sizes(), expected.sizes());
  const at::Tensor tolerance = expected.abs() * 1e-6 + 1e-6;
  QVERIFY(((y - expected).abs() <= tolerance).all().item<bool>());
}

// The w8a32 prefill path keeps its FP32 tile buffer between calls, so products
// of different widths in turn must each still match their own weights.
void TestQuantize::tileBufferReusedAcrossShapes() {
  const std::int64_t tokens = gpupoor::kW8A32TileGemmMinTokens + 3;
  const gpupoor::QuantizedMatrix wide = gpupoor::quantizePerRow(makeWeights(64, 300, 29), "a");
  const gpupoor::QuantizedMatrix narrow = gpupoor::quantizePerRow(makeWeights(500, 40, 30), "b");
  gpupoor::Int8Linear wideLinear("a", wide, at::Tensor(), QuantScheme::W8A32);
  gpupoor::Int8Linear narrowLinear("b", narrow, at::Tensor(), QuantScheme::W8A32);
  const at::Tensor xWide = at::randn({tokens, 300}, at::kFloat);
  const at::Tensor xNarrow = at::randn({tokens, 40}, at::kFloat);
  const auto check = [](const at::Tensor& y, const at::Tensor& x,
                        const gpupoor::QuantizedMatrix& matrix) {
    const at::Tensor weights = gpupoor::dequantize(matrix);
    const at::Tensor magnitude = at::mm(x.abs(), weights.abs().t());
    return ((y - at::mm(x, weights.t())).abs() <= magnitude * 1e-5 + 1e-30).all().item<bool>();
  };
  for (int round = 0; round < 2; ++round) {
    QVERIFY(check(wideLinear.forward(xWide), xWide, wide));
    QVERIFY(check(narrowLinear.forward(xNarrow), xNarrow, narrow));
  }
}

void TestQuantize::linearRejectsWrongInput() {
  gpupoor::Int8Linear linear("h.1.attn.c_proj",
                             gpupoor::quantizePerRow(makeWeights(8, 16, 27), "w"), at::Tensor(),
                             QuantScheme::W8A32);
  try {
    linear.forward(at::zeros({2, 15}, at::kFloat));
    QFAIL("expected InvalidArgument");
  } catch (const gpupoor::InvalidArgument& error) {
    QVERIFY2(QString::fromUtf8(error.what()).contains("h.1.attn.c_proj"), error.what());
  }
  QVERIFY_THROWS_EXCEPTION(gpupoor::InvalidArgument,
                           linear.forward(at::zeros({2, 16}, at::kDouble)));
  QVERIFY_THROWS_EXCEPTION(
      gpupoor::InvalidArgument,
      gpupoor::Int8Linear("fc", gpupoor::quantizePerRow(makeWeights(8, 16, 27), "w"),
                          at::zeros({7}, at::kFloat), QuantScheme::W8A32));
  QVERIFY_THROWS_EXCEPTION(
      gpupoor::InvalidArgument,
      gpupoor::Int8Linear("fc", gpupoor::quantizePerRow(makeWeights(8, 16, 27), "w"), at::Tensor(),
                          QuantScheme::Fp32));
}

void TestQuantize::linearFootprintCountsInt8() {
  gpupoor::Int8Linear linear("fc", gpupoor::quantizePerRow(makeWeights(96, 40, 28), "w"),
                             at::zeros({96}, at::kFloat), QuantScheme::W8A32);
  const gpupoor::MemoryFootprint footprint = linear.footprint();
  QCOMPARE(footprint.weightBytes, qint64{96 * 40});
  // Per row: a float32 scale and an int32 row sum.
  QCOMPARE(footprint.scaleBytes, qint64{96 * 8});
  QCOMPARE(footprint.float32Bytes, qint64{96 * 4});
  QCOMPARE(linear.inFeatures(), qint64{40});
  QCOMPARE(linear.outFeatures(), qint64{96});
}

void TestQuantize::embeddingLookupDequantizesRows() {
  const at::Tensor table = makeWeights(50, 24, 29);
  const gpupoor::QuantizedMatrix q = gpupoor::quantizePerRow(table, "wte.weight");
  gpupoor::Int8Embedding embedding("wte", q, QuantScheme::W8A32);
  const at::Tensor ids = at::tensor(std::vector<std::int64_t>{0, 49, 7, 7}, at::kLong);
  const at::Tensor rows = embedding.lookup(ids);
  QVERIFY(at::equal(rows, gpupoor::dequantize(q).index_select(0, ids)));
}

void TestQuantize::embeddingLookupKeepsIdShape() {
  gpupoor::Int8Embedding embedding("wpe", gpupoor::quantizePerRow(makeWeights(10, 6, 30), "w"),
                                   QuantScheme::W8A8);
  const at::Tensor rows = embedding.lookup(at::zeros({2, 3}, at::kLong));
  QCOMPARE(rows.sizes(), (at::IntArrayRef{2, 3, 6}));
}

void TestQuantize::embeddingRejectsBadIds() {
  gpupoor::Int8Embedding embedding("wte", gpupoor::quantizePerRow(makeWeights(10, 6, 31), "w"),
                                   QuantScheme::W8A32);
  try {
    embedding.lookup(at::tensor(std::vector<std::int64_t>{3, 10}, at::kLong));
    QFAIL("expected InvalidArgument");
  } catch (const gpupoor::InvalidArgument& error) {
    QVERIFY2(QString::fromUtf8(error.what()).contains("id 10"), error.what());
  }
  QVERIFY_THROWS_EXCEPTION(gpupoor::InvalidArgument,
                           embedding.lookup(at::tensor(std::vector<std::int64_t>{-1}, at::kLong)));
  QVERIFY_THROWS_EXCEPTION(gpupoor::InvalidArgument, embedding.lookup(at::zeros({2}, at::kInt)));
}

void TestQuantize::embeddingLogitsMatchDequantized_data() {
  QTest::addColumn<int>("scheme");
  QTest::addColumn<qint64>("tokens");
  QTest::newRow("w8a32 1 token") << static_cast<int>(QuantScheme::W8A32) << qint64{1};
  QTest::newRow("w8a32 30 tokens") << static_cast<int>(QuantScheme::W8A32) << qint64{30};
  QTest::newRow("w8a8 1 token") << static_cast<int>(QuantScheme::W8A8) << qint64{1};
  QTest::newRow("w8a8 30 tokens") << static_cast<int>(QuantScheme::W8A8) << qint64{30};
}

void TestQuantize::embeddingLogitsMatchDequantized() {
  QFETCH(int, scheme);
  QFETCH(qint64, tokens);
  const at::Tensor table = makeWeights(513, 48, 32);
  gpupoor::Int8Embedding embedding("wte", gpupoor::quantizePerRow(table, "wte.weight"),
                                   static_cast<QuantScheme>(scheme));
  const at::Tensor hidden = at::randn({tokens, 48}, at::kFloat);
  const at::Tensor logits = embedding.projectLogits(hidden);
  QCOMPARE(logits.sizes(), (at::IntArrayRef{tokens, 513}));
  QVERIFY(cosineSimilarity(logits, at::mm(hidden, table.t())) >= 0.999);
}

void TestQuantize::embeddingHoldsNoFloatTable() {
  constexpr std::int64_t kRows = 1000;
  constexpr std::int64_t kCols = 64;
  gpupoor::Int8Embedding embedding(
      "wte", gpupoor::quantizePerRow(makeWeights(kRows, kCols, 33), "w"), QuantScheme::W8A32);
  const gpupoor::MemoryFootprint footprint = embedding.footprint();
  QCOMPARE(footprint.weightBytes, kRows * kCols);
  QCOMPARE(footprint.scaleBytes, kRows * 8);
  QCOMPARE(footprint.float32Bytes, qint64{0});
  // The object's only tensors: the int8 table and one scale per row.
  QCOMPARE(embedding.table().values.scalar_type(), at::kChar);
  QCOMPARE(embedding.table().values.storage().nbytes(), static_cast<size_t>(kRows * kCols));
  QCOMPARE(embedding.table().scales.storage().nbytes(), static_cast<size_t>(kRows * 4));
  QVERIFY(sizeof(gpupoor::Int8Embedding) <
          sizeof(gpupoor::QuantizedMatrix) + sizeof(std::string) + 64);
}

void TestQuantize::factoryBuildsInt8Layers() {
  auto factory = gpupoor::makeInt8LayerFactory(QuantScheme::W8A8, 2);
  QCOMPARE(factory->scheme(), std::string("w8a8"));
  auto linear = factory->makeLinear("h.0.mlp.c_fc", makeWeights(32, 8, 34), at::zeros({32}));
  auto embedding = factory->makeEmbedding("wte", makeWeights(20, 8, 35));
  QCOMPARE(linear->scheme(), std::string("w8a8"));
  QCOMPARE(embedding->scheme(), std::string("w8a8"));
  QCOMPARE(linear->footprint().weightBytes, qint64{32 * 8});
  QVERIFY(dynamic_cast<gpupoor::Int8Linear*>(linear.get()) != nullptr);
  QVERIFY(dynamic_cast<gpupoor::Int8Embedding*>(embedding.get()) != nullptr);

  const auto* int8Factory = dynamic_cast<gpupoor::Int8LayerFactory*>(factory.get());
  QVERIFY(int8Factory != nullptr);
  QCOMPARE(int8Factory->tensorsQuantized(), 2);
  QCOMPARE(int8Factory->float32BytesIn(), qint64{(32 * 8 + 20 * 8) * 4});
  QCOMPARE(int8Factory->quantizedBytesOut(), qint64{32 * 8 + 32 * 8 + 20 * 8 + 20 * 8});
}

void TestQuantize::factoryRejectsFp32() {
  QVERIFY_THROWS_EXCEPTION(gpupoor::InvalidArgument,
                           gpupoor::makeInt8LayerFactory(QuantScheme::Fp32));
}

void TestQuantize::tinyModelLogitsMatchFp32_data() {
  QTest::addColumn<QString>("variant");
  QTest::addColumn<int>("scheme");
  QTest::addColumn<double>("minCosine");
  for (const char* variant :
       {"f32-plain", "f16-prefixed-lmhead", "bf16-prefixed", "f32-pytorch-bin"}) {
    QTest::newRow(qPrintable(QStringLiteral("%1 w8a32").arg(QLatin1String(variant))))
        << QString::fromLatin1(variant) << static_cast<int>(QuantScheme::W8A32) << 0.999;
    // NOTE: 0.99 for w8a8 is a chosen bound, not a requirement: activation
    // rounding adds error on top of the weight rounding.
    QTest::newRow(qPrintable(QStringLiteral("%1 w8a8").arg(QLatin1String(variant))))
        << QString::fromLatin1(variant) << static_cast<int>(QuantScheme::W8A8) << 0.99;
  }
}

void TestQuantize::tinyModelLogitsMatchFp32() {
  QFETCH(QString, variant);
  QFETCH(int, scheme);
  QFETCH(double, minCosine);
  const std::filesystem::path dir = gpupoor::test::dataDir() / "tiny-gpt2" / variant.toStdString();
  const auto fp32 = gpupoor::loadGpt2Model(dir);
  const auto factory = gpupoor::makeInt8LayerFactory(static_cast<QuantScheme>(scheme));
  gpupoor::LoadOptions options;
  options.factory = factory.get();
  const auto int8 = gpupoor::loadGpt2Model(dir, options);
  QCOMPARE(int8->scheme(), gpupoor::schemeName(static_cast<QuantScheme>(scheme)));

  at::manual_seed(36);
  const at::Tensor ids = at::randint(0, 512, {2, 20}, at::kLong);
  const double cosine = cosineSimilarity(fp32->forward(ids), int8->forward(ids));
  QVERIFY2(cosine >= minCosine, qPrintable(QStringLiteral("cosine %1").arg(cosine, 0, 'f', 6)));
  QVERIFY(int8->memory().total() < fp32->memory().total() / 2);
}

QTEST_GUILESS_MAIN(TestQuantize)
#include "tst_quantize.moc"
