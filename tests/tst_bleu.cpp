// BLEU against values that NLTK 3.8 produced (tests/data/bleu/cases.jsonl):
// sentence BLEU for smoothing methods 0..7 and corpus BLEU for methods 0, 1
// and 3. A null value means NLTK raised an error for that case.
#include <QtTest>

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <string>

#include "core/common/errors.h"
#include "core/metrics/bleu.h"
#include "test_paths.h"

namespace {

constexpr double kRelativeTolerance = 1e-9;

std::vector<nlohmann::json> loadCases(const std::string& kind) {
  std::ifstream in(gpupoor::test::dataDir() / "bleu" / "cases.jsonl");
  std::vector<nlohmann::json> cases;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    nlohmann::json entry = nlohmann::json::parse(line);
    if (entry.at("kind") == kind) cases.push_back(std::move(entry));
  }
  return cases;
}

bool closeTo(double actual, double expected) {
  if (expected == 0.0) return actual == 0.0;
  return std::fabs(actual - expected) <= kRelativeTolerance * std::fabs(expected);
}

}  // namespace

class TestBleu : public QObject {
  Q_OBJECT

 private slots:
  void fixtureIsPresent() {
    QVERIFY(loadCases("sentence").size() >= 10);
    QCOMPARE(loadCases("corpus").size(), std::size_t{1});
  }

  void sentenceMatchesNltk_data() {
    QTest::addColumn<QString>("reference");
    QTest::addColumn<QString>("hypothesis");
    QTest::addColumn<int>("method");
    QTest::addColumn<bool>("nltkRaises");
    QTest::addColumn<double>("expected");
    int caseIndex = 0;
    for (const nlohmann::json& entry : loadCases("sentence")) {
      for (int method = 0; method <= 7; ++method) {
        const nlohmann::json& value = entry.at("method" + std::to_string(method));
        QTest::addRow("case%d %s | %s method%d", caseIndex,
                      entry.at("reference").get<std::string>().substr(0, 20).c_str(),
                      entry.at("hypothesis").get<std::string>().substr(0, 20).c_str(), method)
            << QString::fromStdString(entry.at("reference").get<std::string>())
            << QString::fromStdString(entry.at("hypothesis").get<std::string>()) << method
            << value.is_null() << (value.is_null() ? 0.0 : value.get<double>());
      }
      ++caseIndex;
    }
  }

  void sentenceMatchesNltk() {
    QFETCH(QString, reference);
    QFETCH(QString, hypothesis);
    QFETCH(int, method);
    QFETCH(bool, nltkRaises);
    QFETCH(double, expected);

    const gpupoor::BleuTokens referenceTokens = gpupoor::splitWhitespace(reference.toStdString());
    const gpupoor::BleuTokens hypothesisTokens = gpupoor::splitWhitespace(hypothesis.toStdString());
    gpupoor::BleuOptions options;
    options.smoothing = method;

    if (nltkRaises) {
      QVERIFY_THROWS_EXCEPTION(gpupoor::InvalidArgument,
                               gpupoor::sentenceBleu({referenceTokens}, hypothesisTokens, options));
      return;
    }
    const double actual = gpupoor::sentenceBleu({referenceTokens}, hypothesisTokens, options);
    QVERIFY2(closeTo(actual, expected),
             qPrintable(QString("actual %1, NLTK %2").arg(actual, 0, 'g', 17).arg(expected, 0, 'g', 17)));
  }

  void corpusMatchesNltk_data() {
    QTest::addColumn<int>("method");
    QTest::newRow("method0") << 0;
    QTest::newRow("method1") << 1;
    QTest::newRow("method3") << 3;
  }

  void corpusMatchesNltk() {
    QFETCH(int, method);
    const nlohmann::json entry = loadCases("corpus").at(0);
    std::vector<std::vector<gpupoor::BleuTokens>> references;
    std::vector<gpupoor::BleuTokens> hypotheses;
    for (const nlohmann::json& pair : entry.at("pairs")) {
      references.push_back({gpupoor::splitWhitespace(pair.at(0).get<std::string>())});
      hypotheses.push_back(gpupoor::splitWhitespace(pair.at(1).get<std::string>()));
    }
    gpupoor::BleuOptions options;
    options.smoothing = method;
    const double expected = entry.at("method" + std::to_string(method)).get<double>();
    const double actual = gpupoor::corpusBleu(references, hypotheses, options);
    QVERIFY2(closeTo(actual, expected),
             qPrintable(QString("actual %1, NLTK %2").arg(actual, 0, 'g', 17).arg(expected, 0, 'g', 17)));
  }

  void splitMatchesPythonSplit_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QStringList>("expected");
    QTest::newRow("empty") << "" << QStringList{};
    QTest::newRow("only spaces") << "   \t\n" << QStringList{};
    QTest::newRow("runs of whitespace") << "  a \t b\n\nc  " << QStringList{"a", "b", "c"};
    QTest::newRow("unit separator") << "a\x1f" "b" << QStringList{"a", "b"};
    QTest::newRow("no-break space") << "a\xc2\xa0" "b" << QStringList{"a", "b"};
    QTest::newRow("accented letters kept") << "caf\xc3\xa9 ok" << QStringList{"caf\xc3\xa9", "ok"};
  }

  void splitMatchesPythonSplit() {
    QFETCH(QString, text);
    QFETCH(QStringList, expected);
    const gpupoor::BleuTokens tokens = gpupoor::splitWhitespace(text.toStdString());
    QStringList actual;
    for (const std::string& token : tokens) actual << QString::fromStdString(token);
    QCOMPARE(actual, expected);
  }

  void invalidSmoothingRejected() {
    gpupoor::BleuOptions options;
    options.smoothing = 8;
    QVERIFY_THROWS_EXCEPTION(gpupoor::InvalidArgument,
                             gpupoor::sentenceBleu({{"a"}}, {"a"}, options));
    options.smoothing = -1;
    QVERIFY_THROWS_EXCEPTION(gpupoor::InvalidArgument,
                             gpupoor::sentenceBleu({{"a"}}, {"a"}, options));
  }

  void mismatchedCorpusRejected() {
    QVERIFY_THROWS_EXCEPTION(gpupoor::InvalidArgument,
                             gpupoor::corpusBleu({{{"a"}}, {{"b"}}}, {{"a"}}));
  }

  void missingReferenceRejected() {
    QVERIFY_THROWS_EXCEPTION(gpupoor::InvalidArgument, gpupoor::sentenceBleu({}, {"a"}));
  }

  void emptyCorpusScoresZero() { QCOMPARE(gpupoor::corpusBleu({}, {}), 0.0); }

  void identicalTextScoresOne() {
    const gpupoor::BleuTokens tokens = gpupoor::splitWhitespace("one two three four five");
    QCOMPARE(gpupoor::sentenceBleu({tokens}, tokens), 1.0);
  }
};

QTEST_GUILESS_MAIN(TestBleu)
#include "tst_bleu.moc"
