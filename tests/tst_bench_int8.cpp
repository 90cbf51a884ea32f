// The INT8 benchmark targets on the gpt2-large shape, measured by running
// `gpupoor bench --json`. It carries the CTest label bench and is not part of
// `make test`, because it writes a 3.1 GB temporary file and runs for many
// minutes. It prints the measured figures so a failure shows how far off
// each one is.
#include <QProcess>
#include <QtTest>

#include <nlohmann/json.hpp>

#include "test_paths.h"

namespace {

// Timeout for the whole benchmark run.
constexpr int kBenchTimeoutMs = 60 * 60 * 1000;

const nlohmann::json* findScheme(const nlohmann::json& shape, const std::string& scheme) {
  for (const nlohmann::json& entry : shape.at("schemes")) {
    if (entry.at("scheme") == scheme) return &entry;
  }
  return nullptr;
}

}  // namespace

class TestBenchInt8 : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    QProcess process;
    process.setProcessChannelMode(QProcess::SeparateChannels);
    process.start(QString::fromStdString(gpupoor::test::gpupoorBinary().string()),
                  {"bench", "--shapes", "gpt2,gpt2-large", "--repeats", "5", "--threads", "2",
                   "--json"});
    QVERIFY(process.waitForFinished(kBenchTimeoutMs));
    QVERIFY2(process.exitCode() == 0, process.readAllStandardError().constData());
    m_report = nlohmann::json::parse(process.readAllStandardOutput().toStdString());
    qInfo("%s", m_report.dump(2).c_str());
    for (const nlohmann::json& shape : m_report.at("shapes")) {
      if (shape.at("shape") == "gpt2-large") m_large = shape;
    }
    QVERIFY(!m_large.is_null());
  }

  void targets_data() {
    QTest::addColumn<QString>("scheme");
    QTest::addColumn<QString>("figure");
    QTest::addColumn<double>("limit");
    QTest::addColumn<bool>("atLeast");
    QTest::newRow("w8a32 decode >= 2.5x") << "w8a32" << "decode" << 2.5 << true;
    QTest::newRow("w8a8 decode >= 2.5x") << "w8a8" << "decode" << 2.5 << true;
    QTest::newRow("w8a8 prefill >= 2x") << "w8a8" << "prefill" << 2.0 << true;
    QTest::newRow("w8a32 prefill >= 0.9x") << "w8a32" << "prefill" << 0.9 << true;
    QTest::newRow("w8a32 RSS <= 0.28x") << "w8a32" << "rss_delta" << 0.28 << false;
    QTest::newRow("w8a8 RSS <= 0.28x") << "w8a8" << "rss_delta" << 0.28 << false;
    QTest::newRow("w8a32 load peak <= 0.40x file")
        << "w8a32" << "peak_rss_delta_vs_fp32_file" << 0.40 << false;
    QTest::newRow("w8a8 load peak <= 0.40x file")
        << "w8a8" << "peak_rss_delta_vs_fp32_file" << 0.40 << false;
  }

  void targets() {
    QFETCH(QString, scheme);
    QFETCH(QString, figure);
    QFETCH(double, limit);
    QFETCH(bool, atLeast);
    const nlohmann::json* entry = findScheme(m_large, scheme.toStdString());
    QVERIFY(entry != nullptr);
    const double value = entry->at("vs_fp32").at(figure.toStdString()).get<double>();
    const QString message = QStringLiteral("%1 %2 ratio %3, limit %4")
                                .arg(scheme, figure)
                                .arg(value, 0, 'f', 3)
                                .arg(limit);
    QVERIFY2(atLeast ? value >= limit : value <= limit, qPrintable(message));
  }

 private:
  nlohmann::json m_report;
  nlohmann::json m_large;
};

QTEST_GUILESS_MAIN(TestBenchInt8)
#include "tst_bench_int8.moc"
