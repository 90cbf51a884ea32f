// Decode attention (one new token over the KV cache) against the same
// computation written with ATen operators, for the portable and AVX2 code.
#include <QtTest>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "core/kernels/int8_kernels.h"
#include "core/model/decode_attention.h"

namespace {

// The cache buffers [H, P, D] and a query [H, D].
struct Problem {
  at::Tensor query;
  at::Tensor keys;
  at::Tensor values;
  gpupoor::DecodeAttentionShape shape;
};

Problem makeProblem(std::int64_t heads, std::int64_t headDim, std::int64_t capacity,
                    std::int64_t length) {
  Problem p;
  p.query = at::randn({heads, headDim}, at::kFloat);
  p.keys = at::randn({heads, capacity, headDim}, at::kFloat);
  p.values = at::randn({heads, capacity, headDim}, at::kFloat);
  p.shape = {heads, headDim, capacity, length};
  return p;
}

at::Tensor reference(const Problem& p, float scale) {
  const at::Tensor keys = p.keys.narrow(1, 0, p.shape.length);
  const at::Tensor values = p.values.narrow(1, 0, p.shape.length);
  const at::Tensor scores = at::matmul(keys, p.query.unsqueeze(2)).squeeze(2) * scale;
  return at::matmul(at::softmax(scores, -1).unsqueeze(1), values).squeeze(1);
}

}  // namespace

class TestDecodeAttention : public QObject {
  Q_OBJECT

 private slots:
  void matchesReference_data();
  void matchesReference();
  void threadedMatchesReference();
};

void TestDecodeAttention::matchesReference_data() {
  QTest::addColumn<bool>("avx2");
  QTest::addColumn<qint64>("heads");
  QTest::addColumn<qint64>("headDim");
  QTest::addColumn<qint64>("length");
  for (const bool avx2 : {false, true}) {
    const QString prefix = avx2 ? QStringLiteral("avx2 ") : QStringLiteral("scalar ");
    QTest::newRow(qPrintable(prefix + "first position")) << avx2 << qint64{3} << qint64{8} << qint64{1};
    QTest::newRow(qPrintable(prefix + "gpt2 heads")) << avx2 << qint64{12} << qint64{64} << qint64{37};
    QTest::newRow(qPrintable(prefix + "odd head size")) << avx2 << qint64{5} << qint64{13} << qint64{20};
    QTest::newRow(qPrintable(prefix + "full cache")) << avx2 << qint64{2} << qint64{16} << qint64{40};
  }
}

void TestDecodeAttention::matchesReference() {
  QFETCH(bool, avx2);
  QFETCH(qint64, heads);
  QFETCH(qint64, headDim);
  QFETCH(qint64, length);
  if (avx2 && !gpupoor::kernels::isaSupported(gpupoor::kernels::KernelIsa::Avx2)) {
    QSKIP("this CPU does not support AVX2");
  }
  at::manual_seed(7);
  const Problem p = makeProblem(heads, headDim, 40, length);
  const float scale = 0.125f;
  at::Tensor out = at::full({heads, headDim}, -1.0f, at::kFloat);
  if (avx2) {
    std::vector<float> scores(static_cast<std::size_t>(length));
    gpupoor::attendOneTokenAvx2(p.query.data_ptr<float>(), p.keys.data_ptr<float>(),
                                p.values.data_ptr<float>(), p.shape, scale, scores.data(),
                                out.data_ptr<float>());
  } else {
    gpupoor::attendOneTokenScalar(p.query.data_ptr<float>(), p.keys.data_ptr<float>(),
                                  p.values.data_ptr<float>(), p.shape, scale,
                                  out.data_ptr<float>());
  }
  const at::Tensor expected = reference(p, scale);
  const double worst = (out - expected).abs().max().item<double>();
  QVERIFY2(worst <= 1e-5, qPrintable(QStringLiteral("max difference %1").arg(worst)));
}

// The dispatching entry point splits the heads across two threads once the
// cache is long enough (7 heads x 1200 positions x 64 floats here), and a
// thread's heads must land in their own columns.
void TestDecodeAttention::threadedMatchesReference() {
  at::set_num_threads(2);
  at::manual_seed(8);
  const Problem p = makeProblem(7, 64, 1300, 1200);
  const float scale = 0.2f;
  at::Tensor out = at::full({7, 64}, -1.0f, at::kFloat);
  gpupoor::attendOneToken(p.query.data_ptr<float>(), p.keys.data_ptr<float>(),
                          p.values.data_ptr<float>(), p.shape, scale, out.data_ptr<float>());
  const double worst = (out - reference(p, scale)).abs().max().item<double>();
  QVERIFY2(worst <= 1e-5, qPrintable(QStringLiteral("max difference %1").arg(worst)));
}

QTEST_GUILESS_MAIN(TestDecodeAttention)
#include "tst_decode_attention.moc"
