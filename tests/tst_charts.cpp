// Charts and their export: PNG pixel sizes at scale 1 and 2, PDF output,
// atomic writes and error messages, charts built from report data.
#include <QtTest>

#include <nlohmann/json.hpp>

#include <QImage>
#include <QTemporaryDir>

#include "core/common/errors.h"
#include "core/engine/report.h"
#include "gui/charts/chart.h"
#include "gui/charts/chart_data.h"
#include "gui/charts/chart_export.h"
#include "gui/charts/dashboard.h"
#include "gui/charts/summary_chart.h"

using gpupoor::gui::Chart;
using gpupoor::gui::ChartData;
using gpupoor::gui::Dashboard;

namespace {

// A run of two models with both copies, three prompts and perplexity, with
// numbers of plausible magnitude.
ChartData sampleData() {
  ChartData data;
  data.caption = QStringLiteral("test CPU · 2 threads · speed mode concurrent");
  const struct {
    const char* name;
    long long parameters;
    double fp32MiB;
    double fp32TokensPerSecond;
  } models[] = {{"gpt2-demo", 7'291'776, 27.8, 310.0}, {"gpt2", 124'439'808, 474.7, 38.0}};
  for (int m = 0; m < 2; ++m) {
    auto& model = data.modelAt(m);
    model.name = QString::fromLatin1(models[m].name);
    model.parameters = models[m].parameters;
    auto& fp32 = model.copyFor(QStringLiteral("fp32"));
    fp32.weightBytes = static_cast<std::int64_t>(models[m].fp32MiB * 1024 * 1024);
    fp32.rssLoadDeltaBytes = fp32.weightBytes + 90 * 1024 * 1024;
    fp32.decodeTokensPerSecond = models[m].fp32TokensPerSecond;
    auto& int8 = model.copyFor(QStringLiteral("w8a32"));
    int8.weightBytes = fp32.weightBytes / 4 + 1024 * 1024;
    int8.rssLoadDeltaBytes = int8.weightBytes + 4 * 1024 * 1024;
    int8.decodeTokensPerSecond = models[m].fp32TokensPerSecond * 1.4;

    for (int p = 0; p < 3; ++p) {
      data.bleu.push_back({m, QStringLiteral("w8a32"), p, 1.0 - 0.1 * p});
      for (const auto& scheme : {QStringLiteral("fp32"), QStringLiteral("w8a32")}) {
        auto& series = data.throughputFor(m, scheme);
        series.x << 0.5 * (p + 1);
        series.tokensPerSecond << (scheme == QStringLiteral("fp32") ? 1.0 : 1.4) *
                                      models[m].fp32TokensPerSecond;
      }
    }
    data.perplexity.push_back({m, QStringLiteral("w8a32"), 882.32, 884.1, 0.2, 0.004, 0.975, 1000});
  }
  return data;
}

// Counts pixels that differ from the top-left pixel (the background).
int nonBackgroundPixels(const QImage& image) {
  const QRgb background = image.pixel(0, 0);
  int count = 0;
  for (int y = 0; y < image.height(); y += 2) {
    for (int x = 0; x < image.width(); x += 2) {
      if (image.pixel(x, y) != background) ++count;
    }
  }
  return count;
}

QByteArray firstBytes(const QString& path, int count) {
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly)) return {};
  return file.read(count);
}

// A report as the engine builds it: one model, FP32 and INT8 w8a32 copies,
// two prompts and a perplexity comparison.
gpupoor::Report sampleReport() {
  gpupoor::Report report;
  report.status = gpupoor::RunStatus::Completed;
  report.startedAtUtc = "2026-12-04T22:10:00Z";
  report.environment.cpuModel = "Test CPU";
  report.environment.threadsInUse = 2;
  report.settings.models = {"gpt2-demo"};
  report.settings.speedMode = gpupoor::SpeedMode::Concurrent;

  gpupoor::ModelInfo model;
  model.name = "gpt2-demo";
  model.parameters = 7'291'776;
  gpupoor::CopyInfo fp32;
  fp32.copy = gpupoor::ModelCopy::Fp32;
  fp32.scheme = gpupoor::QuantScheme::Fp32;
  fp32.weightBytesTotal = 29'167'104;
  fp32.rssBeforeLoadBytes = 150'000'000;
  fp32.rssAfterLoadBytes = 180'000'000;
  gpupoor::CopyInfo int8;
  int8.copy = gpupoor::ModelCopy::Int8;
  int8.scheme = gpupoor::QuantScheme::W8A32;
  int8.weightBytesTotal = 7'700'000;
  int8.rssBeforeLoadBytes = 180'000'000;
  int8.rssAfterLoadBytes = 190'000'000;
  model.copies = {fp32, int8};
  report.models.push_back(model);

  for (int p = 0; p < 2; ++p) {
    gpupoor::PromptResult result;
    result.modelIndex = 0;
    result.scheme = gpupoor::QuantScheme::W8A32;
    result.promptIndex = p;
    result.prompt = p == 0 ? "The quick brown fox" : "Machine learning is";
    result.fp32Text = " jumps over";
    result.fp32Ids = {18045, 625};
    result.int8Text = p == 0 ? " jumps over" : " jumps under";
    result.int8Ids = p == 0 ? std::vector<std::int64_t>{18045, 625}
                            : std::vector<std::int64_t>{18045, 739};
    result.bleu = p == 0 ? 1.0 : 0.5;
    result.fp32Speed.decodeTokensPerSecond = 300.0 + 10.0 * p;
    result.int8Speed.decodeTokensPerSecond = 400.0 + 10.0 * p;
    report.prompts.push_back(result);
  }

  gpupoor::PerplexityComparison perplexity;
  perplexity.modelIndex = 0;
  perplexity.scheme = gpupoor::QuantScheme::W8A32;
  perplexity.fp32.perplexity = 882.32;
  perplexity.fp32.tokensScored = 1000;
  perplexity.int8.perplexity = 884.0;
  perplexity.deltaPercent = 0.19;
  perplexity.kld.meanKld = 0.004;
  perplexity.kld.top1Agreement = 0.975;
  report.perplexity.push_back(perplexity);
  return report;
}

}  // namespace

class TestCharts : public QObject {
  Q_OBJECT

 private slots:
  void chartPngHasRequestedPixels_data() {
    QTest::addColumn<QString>("stem");
    QTest::addColumn<QSize>("size");
    QTest::addColumn<double>("scale");
    QTest::addColumn<QSize>("expectedPixels");
    QTest::newRow("memory 1000x620 scale 1") << "memory" << QSize(1000, 620) << 1.0 << QSize(1000, 620);
    QTest::newRow("memory 800x500 scale 2") << "memory" << QSize(800, 500) << 2.0 << QSize(1600, 1000);
    QTest::newRow("bleu 640x480 scale 1") << "bleu" << QSize(640, 480) << 1.0 << QSize(640, 480);
    QTest::newRow("throughput 333x217 scale 2") << "throughput" << QSize(333, 217) << 2.0 << QSize(666, 434);
    QTest::newRow("perplexity 900x600 scale 1.5") << "perplexity" << QSize(900, 600) << 1.5 << QSize(1350, 900);
    QTest::newRow("scaling 700x450 scale 1") << "scaling" << QSize(700, 450) << 1.0 << QSize(700, 450);
    QTest::newRow("summary 700x450 scale 2") << "summary" << QSize(700, 450) << 2.0 << QSize(1400, 900);
  }

  void chartPngHasRequestedPixels() {
    QFETCH(QString, stem);
    QFETCH(QSize, size);
    QFETCH(double, scale);
    QFETCH(QSize, expectedPixels);

    Dashboard dashboard;
    dashboard.setData(sampleData());
    Chart* chart = dashboard.chart(stem);
    QVERIFY(chart != nullptr);
    QVERIFY(chart->hasContent());

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(stem + ".png");
    gpupoor::gui::exportChartPng(*chart, path, size, scale);

    QImage image(path);
    QVERIFY(!image.isNull());
    QCOMPARE(image.size(), expectedPixels);
    // Axes, bars and text cover a visible share of the image.
    QVERIFY2(nonBackgroundPixels(image) > image.width() * image.height() / 4 / 50,
             qPrintable(QStringLiteral("only %1 drawn pixels").arg(nonBackgroundPixels(image))));
  }

  void dashboardPngHasRequestedPixels() {
    Dashboard dashboard;
    dashboard.setData(sampleData());
    QTemporaryDir dir;
    const QString path = dir.filePath("dashboard.png");
    gpupoor::gui::exportDashboardPng(dashboard, path, QSize(1500, 900), 2.0);
    QImage image(path);
    QCOMPARE(image.size(), QSize(3000, 1800));
    QVERIFY(nonBackgroundPixels(image) > 10000);
  }

  void chartPdfIsPdf() {
    Dashboard dashboard;
    dashboard.setData(sampleData());
    QTemporaryDir dir;
    const QString chartPath = dir.filePath("memory.pdf");
    gpupoor::gui::exportChartPdf(*dashboard.chart("memory"), chartPath, QSize(800, 500));
    QCOMPARE(firstBytes(chartPath, 5), QByteArray("%PDF-"));
    QVERIFY(QFileInfo(chartPath).size() > 2000);

    const QString dashboardPath = dir.filePath("dashboard.pdf");
    gpupoor::gui::exportDashboardPdf(dashboard, dashboardPath, QSize(1600, 1000));
    QCOMPARE(firstBytes(dashboardPath, 5), QByteArray("%PDF-"));
  }

  void emptyDataShowsPlaceholder() {
    Dashboard dashboard;
    QVERIFY(!dashboard.chart("memory")->hasContent());
    QVERIFY(!dashboard.chart("bleu")->hasContent());
    QVERIFY(!dashboard.chart("perplexity")->hasContent());
    QVERIFY(!dashboard.chart("scaling")->hasContent());
    // Empty charts still export, as a frame with the placeholder text.
    QTemporaryDir dir;
    const QString path = dir.filePath("empty.png");
    gpupoor::gui::exportChartPng(*dashboard.chart("memory"), path, QSize(400, 300));
    QCOMPARE(QImage(path).size(), QSize(400, 300));
  }

  void chartsFollowPalette() {
    Dashboard dashboard;
    dashboard.setData(sampleData());
    Chart* chart = dashboard.chart("memory");
    QPalette dark = chart->palette();
    dark.setColor(QPalette::Base, QColor(30, 30, 30));
    dark.setColor(QPalette::Text, QColor(230, 230, 230));
    chart->setPalette(dark);

    QTemporaryDir dir;
    const QString path = dir.filePath("dark.png");
    gpupoor::gui::exportChartPng(*chart, path, QSize(400, 300));
    QCOMPARE(QColor(QImage(path).pixel(1, 1)), QColor(30, 30, 30));
    QVERIFY(chart->currentStyle().dark);
  }

  void badSizeIsRejected_data() {
    QTest::addColumn<QSize>("size");
    QTest::addColumn<double>("scale");
    QTest::newRow("zero width") << QSize(0, 300) << 1.0;
    QTest::newRow("too tall") << QSize(300, 20000) << 1.0;
    QTest::newRow("scale zero") << QSize(300, 300) << 0.0;
    QTest::newRow("scaled too large") << QSize(9000, 300) << 2.0;
  }

  void badSizeIsRejected() {
    QFETCH(QSize, size);
    QFETCH(double, scale);
    Dashboard dashboard;
    QTemporaryDir dir;
    const QString path = dir.filePath("bad.png");
    QVERIFY_THROWS_EXCEPTION(gpupoor::InvalidArgument,
                             gpupoor::gui::exportChartPng(*dashboard.chart("memory"), path, size,
                                                          scale));
    QVERIFY(!QFileInfo::exists(path));
  }

  void failedExportNamesPathAndKeepsOldFile() {
    Dashboard dashboard;
    dashboard.setData(sampleData());
    QTemporaryDir dir;
    // A regular file where the export expects a folder makes opening fail
    // even for root.
    const QString blocker = dir.filePath("not-a-folder");
    {
      QFile file(blocker);
      QVERIFY(file.open(QIODevice::WriteOnly));
      file.write("keep me");
    }
    const QString path = blocker + "/memory.png";
    try {
      gpupoor::gui::exportChartPng(*dashboard.chart("memory"), path, QSize(400, 300));
      QFAIL("export into a file path did not throw");
    } catch (const gpupoor::Error& error) {
      const QString message = QString::fromUtf8(error.what());
      QVERIFY2(message.contains(path), qPrintable(message));
    }
    QCOMPARE(firstBytes(blocker, 100), QByteArray("keep me"));

    try {
      gpupoor::gui::renderChartFiles(sampleData(), blocker + "/charts");
      QFAIL("rendering into a folder below a file did not throw");
    } catch (const gpupoor::Error& error) {
      QVERIFY2(QString::fromUtf8(error.what()).contains(blocker), error.what());
    }
  }

  void exportReplacesExistingFile() {
    Dashboard dashboard;
    dashboard.setData(sampleData());
    QTemporaryDir dir;
    const QString path = dir.filePath("memory.png");
    gpupoor::gui::exportChartPng(*dashboard.chart("memory"), path, QSize(400, 300));
    gpupoor::gui::exportChartPng(*dashboard.chart("memory"), path, QSize(500, 350));
    QCOMPARE(QImage(path).size(), QSize(500, 350));
    // QSaveFile leaves no temporary file behind.
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files).size(), 1);
  }

  void renderChartFilesWritesAll() {
    QTemporaryDir dir;
    const QString out = dir.filePath("charts/nested");
    gpupoor::gui::ChartExportOptions options;
    options.chartSize = QSize(600, 400);
    options.dashboardSize = QSize(1200, 800);
    const QStringList written = gpupoor::gui::renderChartFiles(sampleData(), out, options);
    const QStringList stems = {"memory", "throughput", "bleu", "perplexity", "scaling",
                               "summary", "dashboard"};
    QCOMPARE(written.size(), stems.size() * 2);
    for (const QString& stem : stems) {
      const QString png = QDir(out).filePath(stem + ".png");
      const QString pdf = QDir(out).filePath(stem + ".pdf");
      QVERIFY2(written.contains(png), qPrintable(png));
      QCOMPARE(QImage(png).size(), stem == "dashboard" ? QSize(1200, 800) : QSize(600, 400));
      QCOMPARE(firstBytes(pdf, 5), QByteArray("%PDF-"));
    }
  }

  void summaryNamesHeadlineNumbers() {
    const QString text = gpupoor::gui::SummaryChart::summaryText(sampleData());
    QVERIFY2(text.contains("gpt2-demo"), qPrintable(text));
    QVERIFY2(text.contains("1.40×"), qPrintable(text));
    QVERIFY2(text.contains("882.32"), qPrintable(text));
    QVERIFY2(text.contains("top-1 97.5%"), qPrintable(text));
  }

  void chartDataFromEngineReport() {
    const ChartData data = gpupoor::gui::chartDataFromReport(gpupoor::reportToJson(sampleReport()));
    QCOMPARE(data.models.size(), std::size_t{1});
    QCOMPARE(data.models[0].name, QString("gpt2-demo"));
    QCOMPARE(data.models[0].parameters, 7'291'776LL);
    const auto* fp32 = data.models[0].copy("fp32");
    const auto* int8 = data.models[0].copy("w8a32");
    QVERIFY(fp32 != nullptr);
    QVERIFY(int8 != nullptr);
    QCOMPARE(fp32->weightBytes, std::int64_t{29'167'104});
    QCOMPARE(fp32->rssLoadDeltaBytes, std::int64_t{30'000'000});
    QCOMPARE(int8->rssLoadDeltaBytes, std::int64_t{10'000'000});
    // Mean decode speed over both prompts.
    QCOMPARE(fp32->decodeTokensPerSecond, 305.0);
    QCOMPARE(int8->decodeTokensPerSecond, 405.0);
    QCOMPARE(data.bleu.size(), std::size_t{2});
    QCOMPARE(data.bleu[1].bleu, 0.5);
    QCOMPARE(data.throughput.size(), std::size_t{2});
    QCOMPARE(data.throughputAxis, gpupoor::gui::ThroughputAxis::PromptNumber);
    QCOMPARE(data.perplexity.size(), std::size_t{1});
    QCOMPARE(data.perplexity[0].fp32Perplexity, 882.32);
    QCOMPARE(data.perplexity[0].meanKld, 0.004);
    QCOMPARE(data.perplexity[0].top1Agreement, 0.975);
    QVERIFY2(data.caption.contains("Test CPU"), qPrintable(data.caption));
    QVERIFY2(data.caption.contains("2 threads"), qPrintable(data.caption));
    QVERIFY2(data.caption.contains("concurrent"), qPrintable(data.caption));
  }

  void renderReportChartsWritesFiles() {
    QTemporaryDir dir;
    const QString out = dir.filePath("charts");
    gpupoor::gui::renderReportCharts(gpupoor::reportToJson(sampleReport()), out);
    for (const QString stem : {"memory", "throughput", "bleu", "perplexity", "scaling", "summary"}) {
      QCOMPARE(QImage(QDir(out).filePath(stem + ".png")).size(), QSize(1000, 620));
      QCOMPARE(firstBytes(QDir(out).filePath(stem + ".pdf"), 5), QByteArray("%PDF-"));
    }
    QCOMPARE(QImage(QDir(out).filePath("dashboard.png")).size(), QSize(1800, 1100));
  }

  void nonReportJsonIsRejected_data() {
    QTest::addColumn<QString>("document");
    QTest::newRow("array") << "[1, 2]";
    QTest::newRow("other schema") << R"({"schema": "something-else", "models": []})";
    QTest::newRow("no models") << R"({"schema": "gpupoor-report"})";
    QTest::newRow("models not array") << R"({"schema": "gpupoor-report", "models": 3})";
  }

  void nonReportJsonIsRejected() {
    QFETCH(QString, document);
    const auto report = nlohmann::json::parse(document.toStdString());
    QVERIFY_THROWS_EXCEPTION(gpupoor::InvalidArgument, gpupoor::gui::chartDataFromReport(report));
  }
};

QTEST_MAIN(TestCharts)
#include "tst_charts.moc"
