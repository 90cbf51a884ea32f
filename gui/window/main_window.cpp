#include "gui/window/main_window.h"

#include <spdlog/spdlog.h>

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QFile>
#include <QFileDialog>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QSaveFile>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QStyleFactory>
#include <QTabWidget>
#include <QTimer>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "core/common/errors.h"
#include "core/common/resources.h"
#include "gui/bridge/engine_bridge.h"
#include "gui/bridge/log_bridge.h"
#include "gui/bridge/replot_scheduler.h"
#include "gui/charts/chart.h"
#include "gui/charts/chart_export.h"
#include "gui/charts/dashboard.h"
#include "gui/window/charts_panel.h"
#include "gui/window/log_view.h"
#include "gui/window/memory_guard.h"
#include "gui/window/models_panel.h"
#include "gui/window/perplexity_page.h"
#include "gui/window/prompt_panel.h"

namespace gpupoor::gui {

namespace {

constexpr int kMemoryRefreshMs = 2000;

QString runStatusText(RunStatus status) {
  switch (status) {
    case RunStatus::Completed:
      return QObject::tr("Run completed");
    case RunStatus::Cancelled:
      return QObject::tr("Run cancelled");
    case RunStatus::Failed:
      return QObject::tr("Run failed");
    case RunStatus::Running:
      break;
  }
  return QObject::tr("Running");
}

}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
  setObjectName(QStringLiteral("mainWindow"));
  setWindowTitle(tr("gpu-poor: FP32 vs INT8 workbench"));

  m_logBridge = new LogBridge(this);
  m_log = new LogView(this);
  connect(m_logBridge, &LogBridge::messageLogged, m_log, &LogView::appendMessage);
  m_logBridge->install();

  m_bridge = new EngineBridge(this);
  m_models = new ModelsPanel(this);
  m_prompts = new PromptPanel(this);
  m_charts = new ChartsPanel(this);
  m_perplexity = new PerplexityPage(this);

  m_tabs = new QTabWidget(this);
  m_tabs->addTab(m_prompts, tr("A/B prompts"));
  m_tabs->addTab(m_charts, tr("Charts"));
  m_tabs->addTab(m_perplexity, tr("Perplexity"));
  m_tabs->addTab(m_log, tr("Log"));
  setCentralWidget(m_tabs);

  auto* modelsDock = new QDockWidget(tr("Models"), this);
  modelsDock->setObjectName(QStringLiteral("modelsDock"));
  modelsDock->setWidget(m_models);
  modelsDock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
  addDockWidget(Qt::LeftDockWidgetArea, modelsDock);
  // Wide enough for all six columns of the model list at the default font.
  resizeDocks({modelsDock}, {500}, Qt::Horizontal);

  m_runStatus = new QLabel(tr("Ready"), this);
  m_memoryStatus = new QLabel(this);
  m_memoryStatus->setToolTip(tr("MemAvailable from /proc/meminfo: memory the kernel can give "
                                "to new allocations without swapping"));
  statusBar()->addWidget(m_runStatus, 1);
  statusBar()->addPermanentWidget(m_memoryStatus);
  m_memoryTimer = new QTimer(this);
  connect(m_memoryTimer, &QTimer::timeout, this, &MainWindow::updateMemoryStatus);
  m_memoryTimer->start(kMemoryRefreshMs);
  updateMemoryStatus();

  createActions();
  createMenus();
  connectBridge();

  connect(m_prompts, &PromptPanel::runRequested, this, &MainWindow::startAbRun);
  connect(m_prompts, &PromptPanel::stopRequested, this, &MainWindow::stopRun);
  connect(m_prompts, &PromptPanel::schemeChanged, m_models, &ModelsPanel::setScheme);
  connect(m_perplexity, &PerplexityPage::runRequested, this, &MainWindow::startPerplexityRun);
  connect(m_perplexity, &PerplexityPage::cancelRequested, this, &MainWindow::stopRun);
  connect(m_charts, &ChartsPanel::exportRequested, this, &MainWindow::onExportTriggered);
  connect(m_models, &ModelsPanel::statusMessage, this, [this](const QString& message) {
    statusBar()->showMessage(message, 10000);
    spdlog::info("{}", message.toStdString());
  });

  try {
    m_perplexity->setDefaultFile(QString::fromStdString(
        (resourceDir() / "eval" / "wikitext-2-test-excerpt.txt").string()));
  } catch (const std::exception& error) {
    spdlog::warn("bundled resources not found: {}", error.what());
  }
  m_lastExport.folder = QDir(QStandardPaths::writableLocation(QStandardPaths::PicturesLocation))
                            .filePath(QStringLiteral("gpupoor"));
  for (Chart* chart : m_charts->dashboard()->charts()) m_lastExport.stems << chart->fileStem();
  m_lastExport.stems << QStringLiteral("dashboard");

  restoreSettings();
  if (m_models->rows().empty()) {
    QString error;
    if (!m_models->addBundledModel(&error)) spdlog::warn("{}", error.toStdString());
  }
  if (m_prompts->prompts().isEmpty()) {
    try {
      m_prompts->loadPromptFile(QString::fromStdString((resourceDir() / "prompts" / "default.txt").string()));
    } catch (const std::exception& error) {
      spdlog::warn("default prompts not loaded: {}", error.what());
    }
  }
  m_models->setScheme(m_prompts->generationSettings().schemes.front());
  setRunning(RunKind::None);
}

MainWindow::~MainWindow() {
  // Destroy the engine first: its destructor cancels the run and joins the
  // workers, so no worker calls a sink while the bridge goes away.
  m_engine.reset();
}

void MainWindow::createActions() {
  m_runAction = new QAction(tr("Run A/B"), this);
  m_runAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
  m_runAction->setToolTip(tr("Run every prompt through the FP32 and INT8 copies of each checked model"));
  connect(m_runAction, &QAction::triggered, this, &MainWindow::startAbRun);

  m_perplexityAction = new QAction(tr("Run perplexity"), this);
  connect(m_perplexityAction, &QAction::triggered, this, &MainWindow::startPerplexityRun);

  m_stopAction = new QAction(tr("Stop"), this);
  m_stopAction->setShortcut(QKeySequence(Qt::Key_Escape));
  m_stopAction->setShortcutContext(Qt::WindowShortcut);
  connect(m_stopAction, &QAction::triggered, this, &MainWindow::stopRun);

  m_exportAction = new QAction(tr("Export charts…"), this);
  m_exportAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
  connect(m_exportAction, &QAction::triggered, this, &MainWindow::onExportTriggered);

  m_saveReportAction = new QAction(tr("Save report…"), this);
  m_saveReportAction->setShortcut(QKeySequence::Save);
  connect(m_saveReportAction, &QAction::triggered, this, &MainWindow::onSaveReportTriggered);

  m_openReportAction = new QAction(tr("Open report…"), this);
  m_openReportAction->setShortcut(QKeySequence::Open);
  connect(m_openReportAction, &QAction::triggered, this, &MainWindow::onOpenReportTriggered);

  for (QAction* action : {m_runAction, m_perplexityAction, m_stopAction, m_exportAction,
                          m_saveReportAction, m_openReportAction}) {
    addAction(action);
  }
}

void MainWindow::createMenus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  file->addAction(m_openReportAction);
  file->addAction(m_saveReportAction);
  file->addAction(m_exportAction);
  file->addSeparator();
  QAction* quit = file->addAction(tr("Quit"), this, &QWidget::close);
  quit->setShortcut(QKeySequence::Quit);

  QMenu* run = menuBar()->addMenu(tr("&Run"));
  run->addAction(m_runAction);
  run->addAction(m_perplexityAction);
  run->addAction(m_stopAction);

  QMenu* view = menuBar()->addMenu(tr("&View"));
  QMenu* theme = view->addMenu(tr("Theme"));
  auto* themes = new QActionGroup(this);
  for (const auto& [key, label] : {std::pair{QStringLiteral("system"), tr("System")},
                                   std::pair{QStringLiteral("light"), tr("Light")},
                                   std::pair{QStringLiteral("dark"), tr("Dark")}}) {
    QAction* action = theme->addAction(label);
    action->setCheckable(true);
    action->setData(key);
    action->setChecked(key == (m_theme.isEmpty() ? QStringLiteral("system") : m_theme));
    themes->addAction(action);
    connect(action, &QAction::triggered, this, [this, key] { applyTheme(key); });
  }
}

void MainWindow::connectBridge() {
  connect(m_bridge, &EngineBridge::loadProgress, this, [this](const LoadProgressEvent& event) {
    m_runStatus->setText(tr("Loading %1 copy of model %2: tensor %3/%4")
                             .arg(event.copy == ModelCopy::Fp32 ? QStringLiteral("FP32")
                                                                : QStringLiteral("INT8"))
                             .arg(event.modelIndex + 1)
                             .arg(event.tensorIndex)
                             .arg(event.tensorCount));
  });
  connect(m_bridge, &EngineBridge::modelLoaded, this, [this](const ModelLoadedEvent& event) {
    const std::vector<int> rows = m_models->checkedRows();
    if (event.modelIndex >= 0 && event.modelIndex < static_cast<int>(rows.size())) {
      m_models->applyModelLoaded(rows[static_cast<std::size_t>(event.modelIndex)], event);
    }
    m_charts->applyModelLoaded(event);
  });
  connect(m_bridge, &EngineBridge::tokenGenerated, this, [this](const TokenGeneratedEvent& event) {
    m_prompts->applyToken(event);
    m_charts->scheduler()->markDirty(QStringLiteral("outputs"));
  });
  connect(m_bridge, &EngineBridge::metricSample, m_charts, &ChartsPanel::applyMetricSample);
  connect(m_bridge, &EngineBridge::promptFinished, this, [this](const PromptFinishedEvent& event) {
    m_prompts->applyPromptFinished(event);
    m_charts->applyPromptFinished(event);
    m_runStatus->setText(tr("Prompt %1 of model %2 finished, BLEU %3")
                             .arg(event.result.promptIndex + 1)
                             .arg(event.result.modelIndex + 1)
                             .arg(event.result.bleu, 0, 'f', 3));
  });
  connect(m_bridge, &EngineBridge::perplexityProgress, this, [this](const PerplexityProgressEvent& event) {
    m_charts->applyPerplexityProgress(event);
    m_perplexity->applyProgress(event);
  });
  connect(m_bridge, &EngineBridge::perplexityFinished, this, [this](const PerplexityFinishedEvent& event) {
    m_charts->applyPerplexityFinished(event);
    m_perplexity->applyFinished(event);
  });
  connect(m_bridge, &EngineBridge::runFinished, this, &MainWindow::onRunFinished);
  connect(m_bridge, &EngineBridge::engineError, this, &MainWindow::onEngineError);

  // Streamed tokens re-render the output panes on the chart timer, so the
  // panes also redraw at most 20 times a second.
  connect(m_charts, &ChartsPanel::flushed, this, [this](const QStringList& stems) {
    if (stems.contains(QStringLiteral("outputs"))) m_prompts->refreshOutputs();
  });
}

bool MainWindow::startAbRun() {
  ComparisonSettings settings = m_prompts->generationSettings();
  for (const QString& prompt : m_prompts->prompts()) settings.prompts.push_back(prompt.toStdString());
  if (settings.prompts.empty()) {
    showRunError(RunKind::AB, tr("Type a prompt (one per line) or open a prompt set first."));
    return false;
  }
  return startRun(RunKind::AB, std::move(settings));
}

bool MainWindow::startPerplexityRun() {
  ComparisonSettings settings = m_prompts->generationSettings();
  try {
    settings.perplexity = m_perplexity->perplexitySettings();
  } catch (const std::exception& error) {
    showRunError(RunKind::Perplexity, QString::fromUtf8(error.what()));
    return false;
  }
  return startRun(RunKind::Perplexity, std::move(settings));
}

bool MainWindow::startRun(RunKind kind, ComparisonSettings settings) {
  assertGuiThread("MainWindow::startRun");
  if (isRunning()) {
    showRunError(kind, tr("A run is already going; stop it first (Esc)."));
    return false;
  }
  if (m_models->isLoading()) {
    showRunError(kind, tr("Wait until the model being loaded in the Models panel is done, or cancel it."));
    return false;
  }

  // Models: the checked rows, in list order, with a memory check first.
  QStringList names;
  std::int64_t neededBytes = 0;
  for (int row : m_models->checkedRows()) {
    const auto& data = m_models->rows()[static_cast<std::size_t>(row)];
    settings.models.push_back(data.dir.toStdString());
    names << data.name;
    neededBytes += estimateLoadBytes(data.parameters);
  }
  if (settings.models.empty()) {
    showRunError(kind, tr("Check at least one model in the Models panel."));
    return false;
  }
  if (const auto available = m_models->availableMemory()) {
    const QString subject = names.size() == 1 ? names.front() : tr("The %n checked models", nullptr, static_cast<int>(names.size()));
    if (auto refusal = checkFits(subject, neededBytes, *available)) {
      showRunError(kind, *refusal);
      return false;
    }
  }

  const quint64 job = m_bridge->beginJob();
  if (kind == RunKind::AB) {
    m_prompts->beginRun(names);
  } else {
    m_perplexity->beginRun(names);
  }
  m_charts->beginRun();
  for (int row : m_models->checkedRows()) m_models->setRowStatus(row, tr("queued for run"));

  // A finished engine is replaced; its destructor returns at once then.
  m_engine = std::make_unique<ComparisonEngine>();
  try {
    m_engine->start(std::move(settings), m_bridge->sinkFor(job));
  } catch (const std::exception& error) {
    m_bridge->endJob();
    showRunError(kind, QString::fromUtf8(error.what()));
    return false;
  }
  spdlog::info("{} run started on {}", kind == RunKind::AB ? "A/B" : "perplexity",
               names.join(QStringLiteral(", ")).toStdString());
  setRunning(kind);
  return true;
}

void MainWindow::stopRun() {
  if (!isRunning()) {
    if (m_models->isLoading()) m_models->cancelLoad();
    return;
  }
  m_runStatus->setText(tr("Stopping…"));
  if (m_engine) m_engine->cancel();
}

void MainWindow::onRunFinished(const RunFinishedEvent& event) {
  assertGuiThread("MainWindow::onRunFinished");
  const RunKind kind = m_runKind;
  m_bridge->endJob();
  if (event.report) {
    m_report = reportToJson(*event.report);
    if (kind == RunKind::Perplexity || !event.report->perplexity.empty()) {
      QStringList names;
      for (const auto& model : event.report->models) names << QString::fromStdString(model.name);
      m_perplexity->showResults(event.report->perplexity, names);
    }
  }
  m_prompts->refreshOutputs();
  m_charts->finishRun();
  for (int row : m_models->checkedRows()) {
    if (m_models->rows()[static_cast<std::size_t>(row)].status == tr("queued for run")) {
      m_models->setRowStatus(row, runStatusText(event.status).toLower());
    }
  }
  setRunning(RunKind::None);
  m_runStatus->setText(runStatusText(event.status));
  spdlog::info("run ended: {}", runStatusName(event.status));
  emit runEnded(event.status);
}

void MainWindow::onEngineError(const EngineErrorEvent& event) {
  const QString message = tr("%1 failed: %2").arg(QString::fromStdString(event.stage),
                                                  QString::fromStdString(event.message));
  showRunError(m_runKind == RunKind::None ? RunKind::AB : m_runKind, message);
}

void MainWindow::showRunError(RunKind kind, const QString& message) {
  spdlog::error("{}", message.toStdString());
  m_runStatus->setText(message);
  if (kind == RunKind::Perplexity) {
    m_perplexity->showError(message);
  } else {
    m_prompts->showError(message);
  }
}

void MainWindow::setRunning(RunKind kind) {
  m_runKind = kind;
  const bool running = kind != RunKind::None;
  m_runAction->setEnabled(!running);
  m_perplexityAction->setEnabled(!running);
  m_stopAction->setEnabled(true);
  m_openReportAction->setEnabled(!running);
  m_models->setRunning(running);
  m_perplexity->setRunning(running);
  m_prompts->setRunning(running);
  if (running) m_runStatus->setText(tr("Running…"));
}

void MainWindow::updateMemoryStatus() {
  const auto available = availableMemoryBytes();
  m_memoryStatus->setText(available ? tr("Free memory: %1").arg(formatBytes(*available))
                                    : tr("Free memory: unknown"));
}

const nlohmann::json* MainWindow::currentReport() const { return m_report ? &*m_report : nullptr; }

bool MainWindow::saveReport(const QString& path, QString* error) {
  if (!m_report) {
    *error = tr("There is no report yet: run a comparison or open a report first.");
    return false;
  }
  QSaveFile file(path);
  const QByteArray text = QByteArray::fromStdString(m_report->dump(2) + "\n");
  if (!file.open(QIODevice::WriteOnly) || file.write(text) != text.size() || !file.commit()) {
    *error = tr("Cannot write report %1: %2").arg(path, file.errorString());
    return false;
  }
  spdlog::info("report saved to {}", path.toStdString());
  return true;
}

bool MainWindow::openReport(const QString& path, QString* error) {
  std::ifstream file(path.toStdString());
  if (!file) {
    *error = tr("Cannot open report %1: %2").arg(path, QString::fromLocal8Bit(std::strerror(errno)));
    return false;
  }
  try {
    nlohmann::json report = nlohmann::json::parse(file);
    const ChartData data = chartDataFromReport(report);
    m_charts->showData(data);
    m_prompts->showReportOutputs(promptOutputsFromReport(report));
    m_report = std::move(report);
  } catch (const std::exception& failure) {
    *error = tr("Cannot read report %1: %2").arg(path, QString::fromUtf8(failure.what()));
    return false;
  }
  spdlog::info("report opened from {}", path.toStdString());
  m_runStatus->setText(tr("Showing report %1").arg(QFileInfo(path).fileName()));
  return true;
}

bool MainWindow::exportCharts(const ExportRequest& request, QString* error) {
  m_charts->scheduler()->flushNow();
  const QDir folder(request.folder);
  try {
    if (!folder.exists() && !QDir().mkpath(request.folder)) {
      throw Error("cannot create folder '" + request.folder.toStdString() + "'");
    }
    Dashboard* dashboard = m_charts->dashboard();
    for (const QString& stem : request.stems) {
      const QString base = folder.filePath(stem);
      if (stem == QStringLiteral("dashboard")) {
        if (request.png) exportDashboardPng(*dashboard, base + ".png", request.dashboardSize, request.scale);
        if (request.pdf) exportDashboardPdf(*dashboard, base + ".pdf", request.dashboardSize);
        continue;
      }
      Chart* chart = dashboard->chart(stem);
      if (chart == nullptr) continue;
      if (request.png) exportChartPng(*chart, base + ".png", request.chartSize, request.scale);
      if (request.pdf) exportChartPdf(*chart, base + ".pdf", request.chartSize);
    }
  } catch (const std::exception& failure) {
    *error = QString::fromUtf8(failure.what());
    spdlog::error("chart export failed: {}", failure.what());
    return false;
  }
  spdlog::info("charts exported to {}", request.folder.toStdString());
  return true;
}

void MainWindow::onExportTriggered() {
  QStringList stems;
  QStringList titles;
  for (Chart* chart : m_charts->dashboard()->charts()) {
    stems << chart->fileStem();
    titles << chart->title();
  }
  stems << QStringLiteral("dashboard");
  titles << tr("Dashboard (all charts)");
  ExportDialog dialog(stems, titles, m_lastExport, this);
  if (dialog.exec() != QDialog::Accepted) return;
  m_lastExport = dialog.request();
  QString error;
  if (exportCharts(m_lastExport, &error)) {
    statusBar()->showMessage(tr("Charts saved to %1").arg(m_lastExport.folder), 10000);
  } else {
    QMessageBox::warning(this, tr("Export failed"), error);
  }
}

void MainWindow::onSaveReportTriggered() {
  const QString path = QFileDialog::getSaveFileName(this, tr("Save report"), QStringLiteral("report.json"),
                                                    tr("JSON report (*.json)"));
  if (path.isEmpty()) return;
  QString error;
  if (!saveReport(path, &error)) QMessageBox::warning(this, tr("Save report"), error);
}

void MainWindow::onOpenReportTriggered() {
  const QString path = QFileDialog::getOpenFileName(this, tr("Open report"), QString(),
                                                    tr("JSON report (*.json);;All files (*)"));
  if (path.isEmpty()) return;
  QString error;
  if (!openReport(path, &error)) QMessageBox::warning(this, tr("Open report"), error);
}

void MainWindow::applyTheme(const QString& theme) {
  m_theme = theme;
  if (theme == QStringLiteral("dark") || theme == QStringLiteral("light")) {
    QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
    QPalette palette = QApplication::style()->standardPalette();
    if (theme == QStringLiteral("dark")) {
      const QColor window(0x2b, 0x2b, 0x2e);
      const QColor base(0x1e, 0x1e, 0x20);
      const QColor text(0xe6, 0xe6, 0xe6);
      palette.setColor(QPalette::Window, window);
      palette.setColor(QPalette::WindowText, text);
      palette.setColor(QPalette::Base, base);
      palette.setColor(QPalette::AlternateBase, window);
      palette.setColor(QPalette::Text, text);
      palette.setColor(QPalette::Button, window);
      palette.setColor(QPalette::ButtonText, text);
      palette.setColor(QPalette::ToolTipBase, base);
      palette.setColor(QPalette::ToolTipText, text);
      palette.setColor(QPalette::PlaceholderText, QColor(0x9a, 0x9a, 0x9a));
      palette.setColor(QPalette::Highlight, QColor(0x3d, 0x7a, 0xc6));
      palette.setColor(QPalette::HighlightedText, Qt::white);
      palette.setColor(QPalette::Disabled, QPalette::Text, QColor(0x80, 0x80, 0x80));
      palette.setColor(QPalette::Disabled, QPalette::ButtonText, QColor(0x80, 0x80, 0x80));
    }
    QApplication::setPalette(palette);
  } else {
    QApplication::setPalette(QApplication::style()->standardPalette());
  }
}

void MainWindow::saveSettings() const {
  QSettings settings;
  settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
  settings.setValue(QStringLiteral("window/state"), saveState());
  settings.setValue(QStringLiteral("window/tab"), m_tabs->currentIndex());
  settings.setValue(QStringLiteral("window/theme"), m_theme);
  settings.setValue(QStringLiteral("export/folder"), m_lastExport.folder);
  m_models->saveSettings(settings);
  m_prompts->saveSettings(settings);
  m_perplexity->saveSettings(settings);
}

void MainWindow::restoreSettings() {
  QSettings settings;
  restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
  restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
  m_tabs->setCurrentIndex(settings.value(QStringLiteral("window/tab"), 0).toInt());
  const QString folder = settings.value(QStringLiteral("export/folder")).toString();
  if (!folder.isEmpty()) m_lastExport.folder = folder;
  const QString theme = settings.value(QStringLiteral("window/theme")).toString();
  if (!theme.isEmpty() && theme != QStringLiteral("system")) applyTheme(theme);
  m_theme = theme;
  m_models->restoreSettings(settings);
  m_prompts->restoreSettings(settings);
  m_perplexity->restoreSettings(settings);
}

void MainWindow::closeEvent(QCloseEvent* event) {
  // Cancel running work and wait for the workers here, before any widget
  // they report to is destroyed. They stop between tokens, tensors or
  // perplexity batches, so the wait is one step long.
  if (m_engine && m_engine->running()) {
    spdlog::info("window closing: cancelling the run");
    m_engine->cancel();
    m_engine->wait();
  }
  m_bridge->endJob();
  if (m_models->isLoading()) m_models->cancelLoad();
  saveSettings();
  event->accept();
}

}  // namespace gpupoor::gui
