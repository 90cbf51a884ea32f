// `gpupoor bleu` as a user runs it: values, JSON output and exit codes for
// bad input.
#include <QtTest>

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>

#include "test_paths.h"

namespace {

struct CommandOutput {
  int exitCode = -1;
  QString out;
  QString err;
};

CommandOutput runGpupoor(const QStringList& args) {
  QProcess process;
  process.start(QString::fromStdString(gpupoor::test::gpupoorBinary().string()), args);
  process.waitForFinished(60000);
  return {process.exitCode(), QString::fromUtf8(process.readAllStandardOutput()),
          QString::fromUtf8(process.readAllStandardError())};
}

}  // namespace

class TestCliBleu : public QObject {
  Q_OBJECT

 private slots:
  void plainOutputIsScore() {
    const CommandOutput result = runGpupoor(
        {"bleu", "--reference", "the cat sat on the mat", "--hypothesis", "the cat is on the mat"});
    QCOMPARE(result.exitCode, 0);
    QCOMPARE(result.out.trimmed(), QString("0.254066"));
  }

  void jsonOutputHasFields() {
    const CommandOutput result =
        runGpupoor({"bleu", "--reference", "a b c d", "--hypothesis", "a b c", "--smoothing", "method3", "--json"});
    QCOMPARE(result.exitCode, 0);
    const QJsonObject object = QJsonDocument::fromJson(result.out.toUtf8()).object();
    QVERIFY(std::fabs(object.value("bleu").toDouble() - 0.6025286104785453) < 1e-12);
    QCOMPARE(object.value("smoothing").toString(), QString("method3"));
    QCOMPARE(object.value("reference_tokens").toInt(), 4);
    QCOMPARE(object.value("hypothesis_tokens").toInt(), 3);
  }

  void badInputExitsTwo_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("messagePart");
    QTest::newRow("missing hypothesis") << QStringList{"bleu", "--reference", "a"} << "--hypothesis";
    QTest::newRow("smoothing out of range")
        << QStringList{"bleu", "--reference", "a", "--hypothesis", "a", "--smoothing", "method8"} << "method8";
    QTest::newRow("unknown option") << QStringList{"bleu", "--colour"} << "colour";
    QTest::newRow("method6 without trigrams")
        << QStringList{"bleu", "--reference", "a b", "--hypothesis", "a b", "--smoothing", "method6"} << "method6";
    QTest::newRow("negative epsilon")
        << QStringList{"bleu", "--reference", "a", "--hypothesis", "a", "--epsilon", "-1"} << "epsilon";
  }

  void badInputExitsTwo() {
    QFETCH(QStringList, args);
    QFETCH(QString, messagePart);
    const CommandOutput result = runGpupoor(args);
    QCOMPARE(result.exitCode, 2);
    QVERIFY2(result.err.contains(messagePart), qPrintable(result.err));
    QVERIFY(result.out.isEmpty());
  }
};

QTEST_GUILESS_MAIN(TestCliBleu)
#include "tst_cli_bleu.moc"
