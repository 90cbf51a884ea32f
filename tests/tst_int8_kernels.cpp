// INT8 kernels: every SIMD path against the scalar reference on odd shapes
// (rows and columns that are not multiples of the vector width; 1, 2 and 7
// tokens), exact int32 for w8a8, and the ISA selection rules.
#include <QtTest>

#include <ATen/ATen.h>

#include <cmath>
#include <cstdint>

#include "core/common/errors.h"
#include "core/kernels/int8_kernels.h"

using gpupoor::kernels::Int8MatrixView;
using gpupoor::kernels::KernelIsa;
using gpupoor::kernels::KernelTable;
using gpupoor::kernels::QuantizedRowsView;

namespace {

// Relative tolerance of w8a32 against the scalar path, measured against the
// sum of |terms| so cancellation in a dot product cannot inflate it.
constexpr double kW8A32RelativeTolerance = 1e-5;

struct Problem {
  at::Tensor weights;  // int8 [rows, cols]
  at::Tensor scales;   // float32 [rows]
  at::Tensor rowSums;  // int32 [rows]
  at::Tensor x;        // float32 [n, cols]
  at::Tensor bias;     // float32 [rows]

  void setWeights(at::Tensor values) {
    weights = std::move(values);
    rowSums = weights.sum(1, /*keepdim=*/false, at::kInt);
  }
  Int8MatrixView view() const {
    return Int8MatrixView{weights.data_ptr<std::int8_t>(), scales.data_ptr<float>(),
                          rowSums.data_ptr<std::int32_t>(), weights.size(0), weights.size(1)};
  }
};

Problem makeProblem(std::int64_t rows, std::int64_t cols, std::int64_t n, std::uint64_t seed) {
  at::manual_seed(seed);
  Problem p;
  p.setWeights(at::randint(-127, 128, {rows, cols}, at::kChar));
  p.scales = at::rand({rows}, at::kFloat) * 0.01 + 0.001;
  p.x = at::randn({n, cols}, at::kFloat);
  p.bias = at::randn({rows}, at::kFloat);
  return p;
}

struct QuantizedRows {
  at::Tensor values, offsetValues, scales;
  QuantizedRowsView view() const {
    return QuantizedRowsView{values.data_ptr<std::int8_t>(), offsetValues.data_ptr<std::uint8_t>(),
                             scales.data_ptr<float>(), values.size(0)};
  }
};

QuantizedRows quantizeWith(const KernelTable& kernels, const at::Tensor& x) {
  const std::int64_t n = x.size(0);
  const std::int64_t cols = x.size(1);
  QuantizedRows q{at::empty({n, cols}, at::kChar), at::empty({n, cols}, at::kByte),
                  at::empty({n}, at::kFloat)};
  kernels.quantizeRows(x.data_ptr<float>(), cols, 0, n, q.values.data_ptr<std::int8_t>(),
                       q.offsetValues.data_ptr<std::uint8_t>(), q.scales.data_ptr<float>());
  return q;
}

at::Tensor runW8A8(const KernelTable& kernels, const Problem& p, const QuantizedRows& q) {
  const std::int64_t rows = p.weights.size(0);
  at::Tensor acc = at::full({q.values.size(0), rows}, -1, at::kInt);
  kernels.matmulW8A8(p.view(), q.view(), acc.data_ptr<std::int32_t>(), rows, 0, rows);
  return acc;
}

at::Tensor runW8A32(const KernelTable& kernels, const Problem& p, std::int64_t rowBegin,
                    std::int64_t rowEnd) {
  const std::int64_t rows = p.weights.size(0);
  at::Tensor y = at::zeros({p.x.size(0), rows}, at::kFloat);
  kernels.matmulW8A32(p.view(), p.x.data_ptr<float>(), p.x.size(0), p.bias.data_ptr<float>(),
                      y.data_ptr<float>(), rows, rowBegin, rowEnd);
  return y;
}

// The ISA under test, or a skip reason when this CPU lacks it.
const KernelTable* kernelsOrNull(KernelIsa isa) {
  return gpupoor::kernels::isaSupported(isa) ? &gpupoor::kernels::kernelsFor(isa) : nullptr;
}

}  // namespace

class TestInt8Kernels : public QObject {
  Q_OBJECT

 private slots:
  void shapes_data();
  void w8a32MatchesScalar_data() { shapes_data(); }
  void w8a32MatchesScalar();
  void w8a8IsExact_data() { shapes_data(); }
  void w8a8IsExact();
  void w8a8ScaledMatchesScalar_data() { shapes_data(); }
  void w8a8ScaledMatchesScalar();
  void quantizeRowsMatchesScalar_data() { shapes_data(); }
  void quantizeRowsMatchesScalar();
  void dequantizeMatchesScalar_data() { shapes_data(); }
  void dequantizeMatchesScalar();
  void w8a8ExtremesDoNotSaturate_data();
  void w8a8ExtremesDoNotSaturate();
  void w8a32RowRangeWritesOnlyRange_data();
  void w8a32RowRangeWritesOnlyRange();
  void scalarW8A8MatchesInt64();
  void quantizeRowsReachesLimit();
  void quantizeRowsZeroRow();
  void isaNamesRoundTrip();
  void unknownIsaNameThrows();
  void unsupportedIsaThrows();
  void activeIsaIsSupported();
};

void TestInt8Kernels::shapes_data() {
  QTest::addColumn<int>("isa");
  QTest::addColumn<qint64>("rows");
  QTest::addColumn<qint64>("cols");
  QTest::addColumn<qint64>("tokens");

  struct Shape {
    const char* name;
    qint64 rows, cols, tokens;
  };
  const Shape shapes[] = {
      {"1 token 37x67", 37, 67, 1},    {"1 token 1x1", 1, 1, 1},
      {"1 token 4x32", 4, 32, 1},      {"1 token 19x129", 19, 129, 1},
      {"2 tokens 5x31", 5, 31, 2},     {"7 tokens 23x100", 23, 100, 7},
      {"7 tokens 64x256", 64, 256, 7}, {"3 tokens 35x1283", 35, 1283, 3},
      {"16 tokens 17x96", 17, 96, 16}, {"1 token 8x4099", 8, 4099, 1},
      {"9 tokens 6x640", 6, 640, 9},   {"12 tokens 32x192", 32, 192, 12},
      // More tokens than one token block of the w8a8 kernels at 4100 columns.
      {"300 tokens 21x4100", 21, 4100, 300},
  };
  for (const KernelIsa isa : {KernelIsa::Avx2, KernelIsa::Avx512}) {
    for (const Shape& shape : shapes) {
      QTest::newRow(qPrintable(QStringLiteral("%1 %2")
                                   .arg(QString::fromLatin1(gpupoor::kernels::isaName(isa)))
                                   .arg(QLatin1String(shape.name))))
          << static_cast<int>(isa) << shape.rows << shape.cols << shape.tokens;
    }
  }
}

void TestInt8Kernels::w8a32MatchesScalar() {
  QFETCH(int, isa);
  QFETCH(qint64, rows);
  QFETCH(qint64, cols);
  QFETCH(qint64, tokens);
  const KernelTable* kernels = kernelsOrNull(static_cast<KernelIsa>(isa));
  if (kernels == nullptr) QSKIP("this CPU does not support the ISA under test");

  const Problem p = makeProblem(rows, cols, tokens, 11);
  const at::Tensor expected = runW8A32(gpupoor::kernels::kernelsFor(KernelIsa::Scalar), p, 0, rows);
  const at::Tensor actual = runW8A32(*kernels, p, 0, rows);

  // Bound per output: tolerance * (sum_k |w * scale * x| + |bias|).
  const at::Tensor magnitude =
      at::mm(p.x.abs(), (p.weights.to(at::kFloat).abs() * p.scales.unsqueeze(1)).t()) +
      p.bias.abs();
  const at::Tensor excess = (actual - expected).abs() - kW8A32RelativeTolerance * magnitude - 1e-30;
  const double worst = excess.max().item<double>();
  QVERIFY2(worst <= 0.0, qPrintable(QStringLiteral("max excess over tolerance %1").arg(worst)));
}

void TestInt8Kernels::w8a8IsExact() {
  QFETCH(int, isa);
  QFETCH(qint64, rows);
  QFETCH(qint64, cols);
  QFETCH(qint64, tokens);
  const KernelTable* kernels = kernelsOrNull(static_cast<KernelIsa>(isa));
  if (kernels == nullptr) QSKIP("this CPU does not support the ISA under test");

  const Problem p = makeProblem(rows, cols, tokens, 12);
  const KernelTable& scalar = gpupoor::kernels::kernelsFor(KernelIsa::Scalar);
  const QuantizedRows q = quantizeWith(scalar, p.x);
  const at::Tensor expected = runW8A8(scalar, p, q);
  const at::Tensor actual = runW8A8(*kernels, p, q);

  const at::Tensor mismatches = (expected != actual).nonzero();
  QVERIFY2(mismatches.size(0) == 0,
           qPrintable(QStringLiteral("%1 int32 sums differ, first at [token, row] = [%2]")
                          .arg(mismatches.size(0))
                          .arg(mismatches.size(0) > 0
                                   ? QString::number(mismatches[0][0].item<std::int64_t>()) + ", " +
                                         QString::number(mismatches[0][1].item<std::int64_t>())
                                   : QString())));
}

// The rescaled w8a8 output: the scalar path equals the exact int32 sums
// times xScale * wScale plus bias, and every SIMD path equals the scalar one
// bit for bit, with and without a bias.
void TestInt8Kernels::w8a8ScaledMatchesScalar() {
  QFETCH(int, isa);
  QFETCH(qint64, rows);
  QFETCH(qint64, cols);
  QFETCH(qint64, tokens);
  const KernelTable* kernels = kernelsOrNull(static_cast<KernelIsa>(isa));
  if (kernels == nullptr) QSKIP("this CPU does not support the ISA under test");

  const Problem p = makeProblem(rows, cols, tokens, 15);
  const KernelTable& scalar = gpupoor::kernels::kernelsFor(KernelIsa::Scalar);
  const QuantizedRows q = quantizeWith(scalar, p.x);
  const at::Tensor sums = runW8A8(scalar, p, q).to(at::kFloat);
  const at::Tensor scales = q.scales.unsqueeze(1) * p.scales.unsqueeze(0);
  for (const bool withBias : {true, false}) {
    const float* bias = withBias ? p.bias.data_ptr<float>() : nullptr;
    const auto run = [&](const KernelTable& table) {
      at::Tensor y = at::full({tokens, rows}, -1.0f, at::kFloat);
      table.matmulW8A8Scaled(p.view(), q.view(), bias, y.data_ptr<float>(), rows, 0, rows);
      return y;
    };
    const at::Tensor reference = run(scalar);
    const at::Tensor formula = withBias ? sums * scales + p.bias.unsqueeze(0) : sums * scales + 0.0f;
    QVERIFY2(at::equal(reference, formula), withBias ? "scalar, bias" : "scalar, no bias");
    const at::Tensor actual = run(*kernels);
    const std::int64_t mismatches = (actual != reference).sum().item<std::int64_t>();
    QVERIFY2(mismatches == 0, qPrintable(QStringLiteral("%1 outputs differ (%2)")
                                             .arg(mismatches)
                                             .arg(withBias ? "bias" : "no bias")));
  }
}

void TestInt8Kernels::quantizeRowsMatchesScalar() {
  QFETCH(int, isa);
  QFETCH(qint64, cols);
  QFETCH(qint64, tokens);
  const KernelTable* kernels = kernelsOrNull(static_cast<KernelIsa>(isa));
  if (kernels == nullptr) QSKIP("this CPU does not support the ISA under test");

  at::manual_seed(13);
  const at::Tensor x = at::randn({tokens, cols}, at::kFloat) * 3.0;
  const QuantizedRows expected = quantizeWith(gpupoor::kernels::kernelsFor(KernelIsa::Scalar), x);
  const QuantizedRows actual = quantizeWith(*kernels, x);

  QVERIFY(at::equal(actual.scales, expected.scales));
  QVERIFY(at::equal(actual.values, expected.values));
  QVERIFY(at::equal(actual.offsetValues, expected.offsetValues));
  QVERIFY(actual.values.to(at::kInt).abs().max().item<int>() <= gpupoor::kernels::kActivationMax);
}

void TestInt8Kernels::dequantizeMatchesScalar() {
  QFETCH(int, isa);
  QFETCH(qint64, rows);
  QFETCH(qint64, cols);
  const KernelTable* kernels = kernelsOrNull(static_cast<KernelIsa>(isa));
  if (kernels == nullptr) QSKIP("this CPU does not support the ISA under test");

  const Problem p = makeProblem(rows, cols, 1, 14);
  at::Tensor expected = at::empty({rows, cols}, at::kFloat);
  at::Tensor actual = at::empty({rows, cols}, at::kFloat);
  gpupoor::kernels::kernelsFor(KernelIsa::Scalar)
      .dequantizeRows(p.view(), 0, rows, expected.data_ptr<float>(), cols);
  kernels->dequantizeRows(p.view(), 0, rows, actual.data_ptr<float>(), cols);
  QVERIFY(at::equal(actual, expected));
}

void TestInt8Kernels::w8a8ExtremesDoNotSaturate_data() {
  QTest::addColumn<int>("isa");
  QTest::addColumn<int>("weightValue");
  QTest::addColumn<int>("activationValue");
  for (const KernelIsa isa : {KernelIsa::Avx2, KernelIsa::Avx512}) {
    const QString prefix = QString::fromLatin1(gpupoor::kernels::isaName(isa));
    constexpr int kMax = gpupoor::kernels::kActivationMax;
    QTest::newRow(qPrintable(prefix + " 127 x max")) << static_cast<int>(isa) << 127 << kMax;
    QTest::newRow(qPrintable(prefix + " -127 x max")) << static_cast<int>(isa) << -127 << kMax;
    QTest::newRow(qPrintable(prefix + " -127 x -max")) << static_cast<int>(isa) << -127 << -kMax;
    QTest::newRow(qPrintable(prefix + " 127 x -max")) << static_cast<int>(isa) << 127 << -kMax;
  }
}

void TestInt8Kernels::w8a8ExtremesDoNotSaturate() {
  QFETCH(int, isa);
  QFETCH(int, weightValue);
  QFETCH(int, activationValue);
  const KernelTable* kernels = kernelsOrNull(static_cast<KernelIsa>(isa));
  if (kernels == nullptr) QSKIP("this CPU does not support the ISA under test");

  constexpr std::int64_t kRows = 5;
  constexpr std::int64_t kCols = 4096 + 33;
  Problem p;
  p.setWeights(at::full({kRows, kCols}, weightValue, at::kChar));
  p.scales = at::ones({kRows}, at::kFloat);
  const std::int32_t expected = static_cast<std::int32_t>(kCols) * weightValue * activationValue;
  // One token takes the decode path; more take the register tiles, and 5
  // also the tiles for a leftover token.
  for (const std::int64_t tokens : {1, 2, 5}) {
    QuantizedRows q{at::full({tokens, kCols}, activationValue, at::kChar),
                    at::full({tokens, kCols},
                             activationValue + gpupoor::kernels::kActivationOffset, at::kByte),
                    at::ones({tokens}, at::kFloat)};
    const at::Tensor acc = runW8A8(*kernels, p, q);
    QCOMPARE(acc.min().item<std::int32_t>(), expected);
    QCOMPARE(acc.max().item<std::int32_t>(), expected);
  }
}

void TestInt8Kernels::w8a32RowRangeWritesOnlyRange_data() {
  QTest::addColumn<int>("isa");
  for (const KernelIsa isa : {KernelIsa::Scalar, KernelIsa::Avx2, KernelIsa::Avx512}) {
    QTest::newRow(gpupoor::kernels::isaName(isa).data()) << static_cast<int>(isa);
  }
}

void TestInt8Kernels::w8a32RowRangeWritesOnlyRange() {
  QFETCH(int, isa);
  const KernelTable* kernels = kernelsOrNull(static_cast<KernelIsa>(isa));
  if (kernels == nullptr) QSKIP("this CPU does not support the ISA under test");

  const Problem p = makeProblem(30, 70, 3, 15);
  const at::Tensor y = runW8A32(*kernels, p, 5, 22);
  QCOMPARE(y.narrow(1, 0, 5).abs().max().item<float>(), 0.0f);
  QCOMPARE(y.narrow(1, 22, 8).abs().max().item<float>(), 0.0f);
  QVERIFY(y.narrow(1, 5, 17).abs().min().item<float>() > 0.0f);
}

void TestInt8Kernels::scalarW8A8MatchesInt64() {
  const Problem p = makeProblem(9, 301, 3, 16);
  const KernelTable& scalar = gpupoor::kernels::kernelsFor(KernelIsa::Scalar);
  const QuantizedRows q = quantizeWith(scalar, p.x);
  const at::Tensor acc = runW8A8(scalar, p, q);
  const at::Tensor expected = at::mm(q.values.to(at::kLong), p.weights.to(at::kLong).t());
  QVERIFY(at::equal(acc.to(at::kLong), expected));
}

void TestInt8Kernels::quantizeRowsReachesLimit() {
  // The largest |x| of a row maps to exactly kActivationMax, with its sign.
  const at::Tensor x = at::tensor({0.5f, -2.0f, 1.0f, 0.0f}, at::kFloat).reshape({1, 4});
  for (const KernelIsa isa : {KernelIsa::Scalar, KernelIsa::Avx2}) {
    const KernelTable* kernels = kernelsOrNull(isa);
    if (kernels == nullptr) continue;
    const QuantizedRows q = quantizeWith(*kernels, x);
    QCOMPARE(static_cast<int>(q.values[0][1].item<std::int8_t>()), -gpupoor::kernels::kActivationMax);
    QCOMPARE(q.scales.item<float>(), 2.0f / static_cast<float>(gpupoor::kernels::kActivationMax));
  }
}

void TestInt8Kernels::quantizeRowsZeroRow() {
  const at::Tensor x = at::zeros({1, 40}, at::kFloat);
  const QuantizedRows q = quantizeWith(gpupoor::kernels::activeKernels(), x);
  QCOMPARE(q.scales.item<float>(), 1.0f);
  QCOMPARE(q.values.abs().max().item<std::int8_t>(), std::int8_t{0});
}

void TestInt8Kernels::isaNamesRoundTrip() {
  for (const KernelIsa isa : {KernelIsa::Scalar, KernelIsa::Avx2, KernelIsa::Avx512}) {
    QCOMPARE(gpupoor::kernels::parseIsa(gpupoor::kernels::isaName(isa)), isa);
  }
}

void TestInt8Kernels::unknownIsaNameThrows() {
  QVERIFY_THROWS_EXCEPTION(gpupoor::InvalidArgument, gpupoor::kernels::parseIsa("sse9"));
}

void TestInt8Kernels::unsupportedIsaThrows() {
  if (gpupoor::kernels::isaSupported(KernelIsa::Avx512)) {
    QSKIP("this CPU supports every ISA, so none can be rejected");
  }
  QVERIFY_THROWS_EXCEPTION(gpupoor::InvalidArgument,
                           gpupoor::kernels::kernelsFor(KernelIsa::Avx512));
}

void TestInt8Kernels::activeIsaIsSupported() {
  QVERIFY(gpupoor::kernels::isaSupported(gpupoor::kernels::activeIsa()));
  if (qEnvironmentVariableIsEmpty("GPUPOOR_KERNELS") &&
      gpupoor::kernels::isaSupported(KernelIsa::Avx2)) {
    QVERIFY(gpupoor::kernels::activeIsa() != KernelIsa::Scalar);
  }
}

QTEST_GUILESS_MAIN(TestInt8Kernels)
#include "tst_int8_kernels.moc"
