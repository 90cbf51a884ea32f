// The desktop window driven as a user would: the bundled demo model, an A/B
// run of one prompt, charts, exports, reports, cancel and close during a run.
// Also the pieces the window relies on: divergence marking, the event bridge,
// batched replots and the memory check.
#include <QtTest>

#include <nlohmann/json.hpp>

#include <QComboBox>
#include <QImage>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableWidget>
#include <QFileInfo>
#include <QLineEdit>
#include <QTemporaryDir>
#include <QTextBlock>
#include <QTextEdit>
#include <QTreeWidget>

#include <cmath>
#include <fstream>
#include <thread>

#include "core/engine/report.h"
#include "gui/bridge/engine_bridge.h"
#include "gui/bridge/replot_scheduler.h"
#include "gui/charts/chart.h"
#include "gui/charts/dashboard.h"
#include "gui/window/charts_panel.h"
#include "gui/window/export_dialog.h"
#include "gui/window/main_window.h"
#include "gui/window/memory_guard.h"
#include "gui/window/models_panel.h"
#include "gui/window/output_panes.h"
#include "gui/window/perplexity_page.h"
#include "gui/window/prompt_panel.h"

using gpupoor::RunStatus;
using gpupoor::gui::MainWindow;

namespace {

// Generous bound for a run of the 7.3M-parameter demo model on a busy
// two-core machine; a hang fails here instead of at the CTest timeout.
constexpr int kRunTimeoutMs = 600'000;

// Keeps runs short: one prompt, few tokens, greedy.
void prepareShortRun(MainWindow& window, const QStringList& prompts, int maxNewTokens) {
  window.promptPanel()->setPrompts(prompts);
  gpupoor::ComparisonSettings settings = window.promptPanel()->generationSettings();
  settings.maxNewTokens = maxNewTokens;
  settings.temperature = 0.0;
  window.promptPanel()->setGenerationSettings(settings);
}

// Returns the status of the next runEnded signal, or Running on a timeout.
RunStatus waitForRunEnd(QSignalSpy& spy) {
  if (spy.isEmpty() && !spy.wait(kRunTimeoutMs)) return RunStatus::Running;
  return spy.takeFirst().at(0).value<RunStatus>();
}

// Counts characters of `pane` whose background is `color`.
int highlightedCharacters(const QTextEdit& pane, const QColor& color) {
  int count = 0;
  for (QTextBlock block = pane.document()->begin(); block.isValid(); block = block.next()) {
    for (auto it = block.begin(); !it.atEnd(); ++it) {
      const QTextFragment fragment = it.fragment();
      if (fragment.charFormat().background().color() == color &&
          fragment.charFormat().background().style() != Qt::NoBrush) {
        count += fragment.length();
      }
    }
  }
  return count;
}

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

}  // namespace

class TestMainWindow : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    // Settings go to a throwaway location, so tests start from defaults.
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("gpu-poor-tests"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_main_window"));
    QSettings().clear();
    qRegisterMetaType<RunStatus>("gpupoor::RunStatus");
  }

  void windowStartsWithDemoModel() {
    MainWindow window;
    const auto& rows = window.modelsPanel()->rows();
    QCOMPARE(rows.size(), std::size_t{1});
    QCOMPARE(rows.front().name, QString("gpt2-demo"));
    QCOMPARE(rows.front().source, QString("bundled"));
    QCOMPARE(rows.front().parameters, 7'291'776LL);
    QVERIFY(!window.promptPanel()->prompts().isEmpty());
    QVERIFY(!window.isRunning());
  }

  void abRunFillsBothPanes() {
    MainWindow window;
    window.show();
    prepareShortRun(window, {QStringLiteral("The quick brown fox")}, 24);
    QSignalSpy ended(&window, &MainWindow::runEnded);
    QVERIFY(window.startAbRun());
    QVERIFY(window.isRunning());
    QCOMPARE(waitForRunEnd(ended), RunStatus::Completed);
    QVERIFY(!window.isRunning());

    // Both panes show the prompt and a continuation.
    auto* panes = window.promptPanel()->outputPanes();
    const QString fp32 = panes->fp32Pane()->toPlainText();
    const QString int8 = panes->int8Pane()->toPlainText();
    QVERIFY2(fp32.startsWith("The quick brown fox"), qPrintable(fp32));
    QVERIFY2(fp32.size() > 20, qPrintable(fp32));
    QVERIFY2(int8.startsWith("The quick brown fox"), qPrintable(int8));
    QVERIFY2(int8.size() > 20, qPrintable(int8));
    QCOMPARE(window.promptPanel()->outputCount(), 1);

    // The divergence mark matches the token ids of the report.
    const nlohmann::json* report = window.currentReport();
    QVERIFY(report != nullptr);
    QCOMPARE(report->at("prompts").size(), std::size_t{1});
    const auto fp32Ids = report->at("prompts")[0].at("fp32").at("ids").get<std::vector<std::int64_t>>();
    const auto int8Ids = report->at("prompts")[0].at("int8").at("ids").get<std::vector<std::int64_t>>();
    QVERIFY(!fp32Ids.empty());
    const bool differ = fp32Ids != int8Ids;
    QCOMPARE(panes->markedDivergence().has_value(), differ);
    if (differ) {
      std::size_t expected = 0;
      while (expected < fp32Ids.size() && expected < int8Ids.size() &&
             fp32Ids[expected] == int8Ids[expected]) {
        ++expected;
      }
      QCOMPARE(*panes->markedDivergence(), expected);
      QVERIFY(highlightedCharacters(*panes->fp32Pane(), panes->divergenceColor()) > 0 ||
              highlightedCharacters(*panes->int8Pane(), panes->divergenceColor()) > 0);
    }

    // Charts hold the run's data.
    auto* dashboard = window.chartsPanel()->dashboard();
    QVERIFY(dashboard->chart("memory")->hasContent());
    QVERIFY(dashboard->chart("bleu")->hasContent());
    QVERIFY(dashboard->chart("throughput")->hasContent());
    QCOMPARE(window.chartsPanel()->data().bleu.size(), std::size_t{1});

    // Row sizes come from the run.
    const auto& row = window.modelsPanel()->rows().front();
    QVERIFY(row.fp32.has_value());
    QVERIFY(row.int8.has_value());
    QVERIFY(row.int8->total() < row.fp32->total());

    // Exports: PNG of exactly the requested pixels, a PDF, a JSON report.
    QTemporaryDir dir;
    gpupoor::gui::ExportRequest request;
    request.folder = dir.filePath("export");
    request.stems = {"memory", "dashboard"};
    request.chartSize = QSize(640, 400);
    request.dashboardSize = QSize(1200, 760);
    request.scale = 2.0;
    QString error;
    QVERIFY2(window.exportCharts(request, &error), qPrintable(error));
    const QImage memory(QDir(request.folder).filePath("memory.png"));
    QCOMPARE(memory.size(), QSize(1280, 800));
    QVERIFY(nonBackgroundPixels(memory) > 5000);
    QCOMPARE(QImage(QDir(request.folder).filePath("dashboard.png")).size(), QSize(2400, 1520));
    QFile pdf(QDir(request.folder).filePath("dashboard.pdf"));
    QVERIFY(pdf.open(QIODevice::ReadOnly));
    QCOMPARE(pdf.read(5), QByteArray("%PDF-"));

    const QString reportPath = dir.filePath("report.json");
    QVERIFY2(window.saveReport(reportPath, &error), qPrintable(error));
    std::ifstream reportFile(reportPath.toStdString());
    const auto saved = nlohmann::json::parse(reportFile);
    QCOMPARE(saved.at("schema").get<std::string>(), std::string("gpupoor-report"));
    QCOMPARE(saved.at("status").get<std::string>(), std::string("completed"));
    QCOMPARE(saved.at("prompts").size(), std::size_t{1});

    // A second window shows the saved report's charts and outputs again.
    MainWindow viewer;
    QVERIFY2(viewer.openReport(reportPath, &error), qPrintable(error));
    QVERIFY(viewer.chartsPanel()->dashboard()->chart("memory")->hasContent());
    QVERIFY(viewer.chartsPanel()->dashboard()->chart("bleu")->hasContent());
    QVERIFY(viewer.promptPanel()->outputPanes()->fp32Pane()->toPlainText().contains("The quick brown fox"));
  }

  void cancelMidRunLeavesWindowUsable() {
    MainWindow window;
    window.show();
    prepareShortRun(window, {QStringLiteral("Machine learning is"), QStringLiteral("In the year 2025,"),
                             QStringLiteral("The capital of France")},
                    200);
    QSignalSpy tokens(window.bridge(), &gpupoor::gui::EngineBridge::tokenGenerated);
    QSignalSpy ended(&window, &MainWindow::runEnded);
    QVERIFY(window.startAbRun());
    QVERIFY(tokens.wait(kRunTimeoutMs));
    window.stopRun();
    QCOMPARE(waitForRunEnd(ended), RunStatus::Cancelled);
    QVERIFY(!window.isRunning());
    // The report of a cancelled run has fewer prompts than asked for.
    QVERIFY(window.currentReport() != nullptr);
    QVERIFY(window.currentReport()->at("prompts").size() < 3);

    // The window runs again after the cancel.
    prepareShortRun(window, {QStringLiteral("Machine learning is")}, 8);
    QVERIFY(window.startAbRun());
    QCOMPARE(waitForRunEnd(ended), RunStatus::Completed);
  }

  void closeDuringRunExitsCleanly() {
    auto* window = new MainWindow;
    window->show();
    prepareShortRun(*window, {QStringLiteral("The quick brown fox")}, 300);
    QSignalSpy tokens(window->bridge(), &gpupoor::gui::EngineBridge::tokenGenerated);
    QVERIFY(window->startAbRun());
    QVERIFY(tokens.wait(kRunTimeoutMs));
    QVERIFY(window->close());
    delete window;
    // Events still queued for the deleted window are dropped, not delivered.
    QCoreApplication::processEvents();
  }

  void perplexityTabShowsResults() {
    MainWindow window;
    auto* maxTokens = window.perplexityPage()->findChild<QSpinBox*>(QStringLiteral("perplexityMaxTokens"));
    QVERIFY(maxTokens != nullptr);
    maxTokens->setValue(1500);
    QVERIFY2(QFileInfo(window.perplexityPage()->fileEdit()->text()).isFile(),
             qPrintable(window.perplexityPage()->fileEdit()->text()));
    QSignalSpy ended(&window, &MainWindow::runEnded);

    QVERIFY(window.startPerplexityRun());
    QCOMPARE(waitForRunEnd(ended), RunStatus::Completed);

    const QTableWidget* results = window.perplexityPage()->resultsTable();
    QCOMPARE(results->rowCount(), 1);
    const double fp32 = results->item(0, 2)->text().section(QLatin1Char(' '), 0, 0).toDouble();
    const double int8 = results->item(0, 3)->text().section(QLatin1Char(' '), 0, 0).toDouble();
    QVERIFY2(fp32 > 1.0, qPrintable(results->item(0, 2)->text()));
    QVERIFY2(int8 > 1.0, qPrintable(results->item(0, 3)->text()));
    // w8a32 stays within a few percent of FP32 on the demo model.
    QVERIFY2(std::abs(int8 - fp32) / fp32 < 0.05, qPrintable(QStringLiteral("%1 vs %2").arg(fp32).arg(int8)));
    QVERIFY(!results->item(0, 7)->text().isEmpty());
    QVERIFY(window.chartsPanel()->dashboard()->chart("perplexity")->hasContent());
  }

  void runWithoutModelsIsRejected() {
    MainWindow window;
    window.modelsPanel()->setChecked(0, false);
    QVERIFY(!window.startAbRun());
    QVERIFY(!window.isRunning());
  }

  void oversizedModelIsRejected() {
    MainWindow window;
    window.modelsPanel()->setAvailableMemoryProbe([] { return std::optional<std::int64_t>{1024 * 1024}; });
    QString error;
    QVERIFY(!window.modelsPanel()->startLoad(0, &error));
    QVERIFY2(error.contains("needs about"), qPrintable(error));
    QVERIFY2(error.contains("1.0 MiB"), qPrintable(error));
    QVERIFY(!window.startAbRun());
    QVERIFY(!window.isRunning());
  }

  void modelLoadMeasuresBothCopies() {
    MainWindow window;
    QSignalSpy finished(window.modelsPanel(), &gpupoor::gui::ModelsPanel::loadFinished);
    QString error;
    QVERIFY2(window.modelsPanel()->startLoad(0, &error), qPrintable(error));
    QVERIFY(finished.wait(kRunTimeoutMs));
    QCOMPARE(finished.first().at(1).toBool(), true);
    const auto& row = window.modelsPanel()->rows().front();
    QVERIFY(row.fp32.has_value());
    QVERIFY(row.int8.has_value());
    QVERIFY(row.fp32->transformerWeights > 3 * row.int8->transformerWeights);
    QVERIFY(row.int8->scales > 0);
    QCOMPARE(row.fp32->scales, std::int64_t{0});
    QVERIFY(!row.float32Tensors.isEmpty());
    QCOMPARE(window.modelsPanel()->breakdown()->topLevelItemCount(), 6);
  }

  void divergenceIsHighlighted() {
    gpupoor::gui::OutputPanes panes;
    gpupoor::gui::PromptOutputs outputs;
    outputs.prompt = QStringLiteral("Once upon");
    outputs.scheme = QStringLiteral("w8a32");
    outputs.fp32 = {{257, " a"}, {640, " time"}, {11, ","}};
    outputs.int8 = {{257, " a"}, {1110, " day"}, {11, ","}};
    panes.showOutputs(outputs);
    QCOMPARE(panes.markedDivergence(), std::optional<std::size_t>{1});
    QCOMPARE(highlightedCharacters(*panes.fp32Pane(), panes.divergenceColor()), 5);
    QCOMPARE(highlightedCharacters(*panes.int8Pane(), panes.divergenceColor()), 4);
  }

  void firstDivergenceCases_data() {
    QTest::addColumn<QVector<qint64>>("fp32");
    QTest::addColumn<QVector<qint64>>("int8");
    QTest::addColumn<bool>("finished");
    QTest::addColumn<int>("expected");  // -1: none
    QTest::newRow("identical") << QVector<qint64>{1, 2, 3} << QVector<qint64>{1, 2, 3} << true << -1;
    QTest::newRow("first token differs") << QVector<qint64>{1, 2} << QVector<qint64>{5, 2} << true << 0;
    QTest::newRow("prefix while streaming") << QVector<qint64>{1, 2, 3} << QVector<qint64>{1} << false << -1;
    QTest::newRow("int8 stopped early") << QVector<qint64>{1, 2, 3} << QVector<qint64>{1, 2} << true << 2;
    QTest::newRow("both empty") << QVector<qint64>{} << QVector<qint64>{} << true << -1;
  }

  void firstDivergenceCases() {
    QFETCH(QVector<qint64>, fp32);
    QFETCH(QVector<qint64>, int8);
    QFETCH(bool, finished);
    QFETCH(int, expected);
    std::vector<gpupoor::gui::GeneratedPiece> a;
    std::vector<gpupoor::gui::GeneratedPiece> b;
    for (qint64 id : fp32) a.push_back({id, QString()});
    for (qint64 id : int8) b.push_back({id, QString()});
    const auto found = gpupoor::gui::firstDivergence(a, b, finished);
    QCOMPARE(found.has_value(), expected >= 0);
    if (found) QCOMPARE(static_cast<int>(*found), expected);
  }

  void bridgeDropsStaleJobs() {
    gpupoor::gui::EngineBridge bridge;
    QSignalSpy errors(&bridge, &gpupoor::gui::EngineBridge::engineError);
    const quint64 oldJob = bridge.beginJob();
    const auto oldSink = bridge.sinkFor(oldJob);
    const quint64 newJob = bridge.beginJob();
    const auto newSink = bridge.sinkFor(newJob);
    // Sinks are called from a worker thread, as the engine does.
    std::thread worker([&] {
      oldSink(gpupoor::EngineErrorEvent{"generate", "stale"});
      newSink(gpupoor::EngineErrorEvent{"generate", "current"});
    });
    worker.join();
    QTRY_COMPARE(bridge.deliveredEvents() + bridge.droppedEvents(), quint64{2});
    QCOMPARE(bridge.deliveredEvents(), quint64{1});
    QCOMPARE(errors.size(), 1);
    QCOMPARE(errors.first().at(0).value<gpupoor::EngineErrorEvent>().message, std::string("current"));
  }

  void sinkOutlivesBridge() {
    gpupoor::EventSink sink;
    {
      gpupoor::gui::EngineBridge bridge;
      sink = bridge.sinkFor(bridge.beginJob());
    }
    // Calling a sink whose bridge is gone is a no-op.
    sink(gpupoor::EngineErrorEvent{"generate", "late"});
    QCoreApplication::processEvents();
  }

  void replotsAreBatched() {
    int flushes = 0;
    QStringList lastStems;
    gpupoor::gui::ReplotScheduler scheduler([&](const QStringList& stems) {
      ++flushes;
      lastStems = stems;
    });
    for (int i = 0; i < 1000; ++i) scheduler.markDirty(i % 2 == 0 ? QStringLiteral("bleu") : QStringLiteral("memory"));
    QCOMPARE(flushes, 0);
    QTRY_COMPARE(flushes, 1);
    lastStems.sort();
    QCOMPARE(lastStems, QStringList({"bleu", "memory"}));
  }

  void memAvailableIsParsed() {
    const std::string meminfo = "MemTotal:       24576000 kB\nMemFree:  100 kB\nMemAvailable:   12000000 kB\n";
    QCOMPARE(gpupoor::gui::parseMemAvailable(meminfo), std::optional<std::int64_t>{12'000'000LL * 1024});
    QCOMPARE(gpupoor::gui::parseMemAvailable("MemTotal: 5 kB\n"), std::nullopt);
    QVERIFY(gpupoor::gui::availableMemoryBytes().has_value());
  }

  void memoryCheckNamesSizes() {
    QVERIFY(!gpupoor::gui::checkFits("small", 1024, 2048).has_value());
    const auto rejection = gpupoor::gui::checkFits("gpt2-xl", 8LL << 30, 2LL << 30);
    QVERIFY(rejection.has_value());
    QVERIFY2(rejection->contains("gpt2-xl"), qPrintable(*rejection));
    QVERIFY2(rejection->contains("8.0 GiB"), qPrintable(*rejection));
    QVERIFY2(rejection->contains("2.0 GiB"), qPrintable(*rejection));
  }
};

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
