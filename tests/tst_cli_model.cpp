// The model subcommands as a user runs them: `gpupoor logits` against the
// float64 reference logits, and bad input giving exit code 2 with a message.
#include <QtTest>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "core/io/safetensors_source.h"
#include "test_paths.h"

namespace {

struct ProcessResult {
  int exitCode = -1;
  QString standardOutput;
  QString standardError;
};

ProcessResult runGpupoor(const QStringList& arguments) {
  QProcess process;
  process.start(QString::fromStdString(gpupoor::test::gpupoorBinary().string()), arguments);
  if (!process.waitForFinished(120000)) return {};
  return {process.exitCode(), QString::fromUtf8(process.readAllStandardOutput()),
          QString::fromUtf8(process.readAllStandardError())};
}

QString fixture(const char* variant) {
  return QString::fromStdString((gpupoor::test::dataDir() / "tiny-gpt2" / variant).string());
}

}  // namespace

class TestCliModel : public QObject {
  Q_OBJECT

 private slots:
  void logitsMatchReference() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString out = dir.filePath("logits.safetensors");
    const auto result = runGpupoor({"logits", "--model", fixture("f16-prefixed-lmhead"), "--ids",
                                    "5,77,301,12,499,0,42,7", "--out", out, "--threads", "1"});
    QVERIFY2(result.exitCode == 0, qPrintable(result.standardError));

    const gpupoor::SafetensorsSource written(out.toStdString());
    const gpupoor::SafetensorsSource reference(
        (gpupoor::test::dataDir() / "tiny-gpt2/f16-prefixed-lmhead/reference_logits.safetensors"));
    const at::Tensor actual = written.loadFloat32("logits");
    const at::Tensor expected = reference.loadFloat32("case0.logits");
    QCOMPARE(actual.sizes().vec(), expected.sizes().vec());
    const double maxDifference = (actual - expected).abs().max().item<double>();
    QVERIFY2(maxDifference < 1e-4, qPrintable(QString("max |difference| %1").arg(maxDifference)));
    QCOMPARE(written.metadata().at("scheme"), std::string("fp32"));
    QCOMPARE(written.metadata().at("input_ids"), std::string("5,77,301,12,499,0,42,7"));
  }

  void logitsBadInput_data() {
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("expectedMessage");
    const QString model = fixture("f32-plain");
    QTest::newRow("id outside vocabulary")
        << QStringList{"logits", "--model", model, "--ids", "1,512", "--out", "/dev/null"}
        << "token id 512";
    QTest::newRow("id not a number")
        << QStringList{"logits", "--model", model, "--ids", "1,x", "--out", "/dev/null"}
        << "invalid --ids item 'x'";
    QTest::newRow("missing output file")
        << QStringList{"logits", "--model", model, "--ids", "1"} << "--out";
    QTest::newRow("model folder without weights")
        << QStringList{"logits",
                       "--model",
                       QString::fromStdString(gpupoor::test::dataDir().string()),
                       "--ids",
                       "1",
                       "--out",
                       "/dev/null"}
        << "config.json";
  }

  void logitsBadInput() {
    QFETCH(QStringList, arguments);
    QFETCH(QString, expectedMessage);
    const auto result = runGpupoor(arguments);
    QCOMPARE(result.exitCode, 2);
    QVERIFY2(result.standardError.contains(expectedMessage), qPrintable(result.standardError));
  }
};

QTEST_GUILESS_MAIN(TestCliModel)
#include "tst_cli_model.moc"
