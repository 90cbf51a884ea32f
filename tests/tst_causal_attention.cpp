// Causal attention of a block of tokens (prefill) against the same
// computation written with ATen operators (matmul, mask, softmax, matmul).
// Covers the portable and AVX2 code, with keys and values in qkv rows (no
// cache) and in the KV cache layout after earlier tokens.
#include <QtTest>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <limits>
#include <vector>

#include "core/kernels/int8_kernels.h"
#include "core/model/causal_attention.h"

using gpupoor::AttentionRows;
using gpupoor::CausalAttentionShape;

namespace {

// Queries, keys and values of every head as [H, positions, D] tensors, plus
// the operand views the kernels read.
struct Problem {
  at::Tensor qkv;     // [T, 3C] when keys and values live in the qkv rows
  at::Tensor keys;    // [H, P, D] cache layout, or empty
  at::Tensor values;  // [H, P, D] cache layout, or empty
  CausalAttentionShape shape;
  AttentionRows queryRows, keyRows, valueRows;

  // [H, T, D] queries and [H, past + T, D] keys and values, for the reference.
  at::Tensor headQueries() const {
    const std::int64_t c = shape.heads * shape.headDim;
    return qkv.narrow(1, 0, c).view({shape.tokens, shape.heads, shape.headDim}).permute({1, 0, 2});
  }
  at::Tensor headRows(int part) const {
    const std::int64_t positions = shape.past + shape.tokens;
    if (keys.defined()) return (part == 1 ? keys : values).narrow(1, 0, positions);
    const std::int64_t c = shape.heads * shape.headDim;
    return qkv.narrow(1, part * c, c)
        .view({shape.tokens, shape.heads, shape.headDim})
        .permute({1, 0, 2});
  }
};

Problem makeProblem(std::int64_t heads, std::int64_t headDim, std::int64_t past,
                    std::int64_t tokens, bool cacheLayout) {
  Problem p;
  const std::int64_t c = heads * headDim;
  p.shape = {heads, headDim, past, tokens};
  p.qkv = at::randn({tokens, 3 * c}, at::kFloat);
  p.queryRows = {p.qkv.data_ptr<float>(), headDim, 3 * c};
  if (cacheLayout) {
    const std::int64_t capacity = past + tokens + 5;
    p.keys = at::randn({heads, capacity, headDim}, at::kFloat);
    p.values = at::randn({heads, capacity, headDim}, at::kFloat);
    p.keyRows = {p.keys.data_ptr<float>(), capacity * headDim, headDim};
    p.valueRows = {p.values.data_ptr<float>(), capacity * headDim, headDim};
  } else {
    p.keyRows = {p.qkv.data_ptr<float>() + c, headDim, 3 * c};
    p.valueRows = {p.qkv.data_ptr<float>() + 2 * c, headDim, 3 * c};
  }
  return p;
}

at::Tensor reference(const Problem& p, float scale) {
  const std::int64_t positions = p.shape.past + p.shape.tokens;
  at::Tensor scores = at::matmul(p.headQueries(), p.headRows(1).transpose(1, 2)) * scale;
  const at::Tensor future =
      at::ones({p.shape.tokens, positions}, at::kBool).triu(p.shape.past + 1);
  scores.masked_fill_(future, -std::numeric_limits<float>::infinity());
  const at::Tensor out = at::matmul(at::softmax(scores, -1), p.headRows(2));  // [H, T, D]
  return out.permute({1, 0, 2}).reshape({p.shape.tokens, p.shape.heads * p.shape.headDim});
}

double worstDifference(const at::Tensor& actual, const at::Tensor& expected) {
  return (actual - expected).abs().max().item<double>();
}

}  // namespace

class TestCausalAttention : public QObject {
  Q_OBJECT

 private slots:
  void matchesReference_data();
  void matchesReference();
  void threadedMatchesReference_data();
  void threadedMatchesReference();
  void extremeScoresStayFinite();
};

void TestCausalAttention::matchesReference_data() {
  QTest::addColumn<bool>("avx2");
  QTest::addColumn<qint64>("heads");
  QTest::addColumn<qint64>("headDim");
  QTest::addColumn<qint64>("past");
  QTest::addColumn<qint64>("tokens");
  QTest::addColumn<bool>("cacheLayout");
  struct Case {
    const char* name;
    qint64 heads, headDim, past, tokens;
    bool cache;
    bool avx2Too;  // the AVX2 code needs headDim % 8 == 0
  };
  const Case cases[] = {
      {"one token", 3, 8, 0, 1, false, true},
      {"gpt2 head size, 37 tokens", 4, 64, 0, 37, false, true},
      {"after 13 cached tokens", 2, 64, 13, 6, true, true},
      {"head size 24", 3, 24, 5, 9, true, true},
      {"tiny model head size 8", 4, 8, 0, 17, false, true},
      {"odd head size", 2, 13, 3, 7, true, false},
  };
  for (const bool avx2 : {false, true}) {
    for (const Case& c : cases) {
      if (avx2 && !c.avx2Too) continue;
      QTest::newRow(qPrintable(QStringLiteral("%1 %2").arg(avx2 ? "avx2" : "scalar", c.name)))
          << avx2 << c.heads << c.headDim << c.past << c.tokens << c.cache;
    }
  }
}

void TestCausalAttention::matchesReference() {
  QFETCH(bool, avx2);
  QFETCH(qint64, heads);
  QFETCH(qint64, headDim);
  QFETCH(qint64, past);
  QFETCH(qint64, tokens);
  QFETCH(bool, cacheLayout);
  if (avx2 && !gpupoor::kernels::isaSupported(gpupoor::kernels::KernelIsa::Avx2)) {
    QSKIP("this CPU does not support AVX2");
  }
  at::manual_seed(21);
  const Problem p = makeProblem(heads, headDim, past, tokens, cacheLayout);
  const float scale = 1.0f / std::sqrt(static_cast<float>(headDim));
  at::Tensor out = at::full({tokens, heads * headDim}, -1.0f, at::kFloat);
  if (avx2) {
    std::vector<float> scratch(
        static_cast<std::size_t>(gpupoor::causalAttentionScratchFloats(p.shape)));
    gpupoor::attendCausalAvx2(p.queryRows, p.keyRows, p.valueRows, p.shape, scale, 0, heads,
                              scratch.data(), out.data_ptr<float>());
  } else {
    gpupoor::attendCausalScalar(p.queryRows, p.keyRows, p.valueRows, p.shape, scale,
                                out.data_ptr<float>());
  }
  const double worst = worstDifference(out, reference(p, scale));
  QVERIFY2(worst <= 1e-5, qPrintable(QStringLiteral("max difference %1").arg(worst)));
}

void TestCausalAttention::threadedMatchesReference_data() {
  QTest::addColumn<qint64>("headDim");
  QTest::newRow("head size 16 (vector code)") << qint64{16};
  QTest::newRow("head size 12 (portable code)") << qint64{12};
}

// The dispatching entry point splits the heads across two threads. With a
// head size the AVX2 code cannot take, each thread writes its columns of the
// output through the portable code.
void TestCausalAttention::threadedMatchesReference() {
  QFETCH(qint64, headDim);
  at::set_num_threads(2);
  at::manual_seed(22);
  const Problem p = makeProblem(7, headDim, 4, 11, true);
  const float scale = 0.2f;
  at::Tensor out = at::full({11, 7 * headDim}, -1.0f, at::kFloat);
  gpupoor::attendCausal(p.queryRows, p.keyRows, p.valueRows, p.shape, scale,
                        out.data_ptr<float>());
  const double worst = worstDifference(out, reference(p, scale));
  QVERIFY2(worst <= 1e-5, qPrintable(QStringLiteral("max difference %1").arg(worst)));
}

// Scores far apart (a softmax weight of e^-200 next to 1) must match the
// reference, with no NaN or infinity from the exponential.
void TestCausalAttention::extremeScoresStayFinite() {
  at::manual_seed(23);
  Problem p = makeProblem(2, 8, 0, 9, false);
  p.qkv.mul_(40.0f);
  const float scale = 1.0f;
  at::Tensor out = at::empty({9, 16}, at::kFloat);
  gpupoor::attendCausal(p.queryRows, p.keyRows, p.valueRows, p.shape, scale,
                        out.data_ptr<float>());
  QVERIFY(at::isfinite(out).all().item<bool>());
  const at::Tensor expected = reference(p, scale);
  const double worst = worstDifference(out, expected) / expected.abs().max().item<double>();
  QVERIFY2(worst <= 1e-5, qPrintable(QStringLiteral("max relative difference %1").arg(worst)));
}

QTEST_GUILESS_MAIN(TestCausalAttention)
#include "tst_causal_attention.moc"
