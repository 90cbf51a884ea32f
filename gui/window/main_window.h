#pragma once

// The gpu-poor workbench window: models on the left; A/B prompts, charts,
// perplexity and the log as tabs. It owns the comparison engine of the
// current run and the bridge that brings the engine's events to this thread.
// Model work never runs here: the engine uses its own worker threads.

#include <nlohmann/json.hpp>

#include <QMainWindow>

#include <memory>
#include <optional>

#include "core/engine/comparison_engine.h"
#include "gui/window/export_dialog.h"

class QAction;
class QLabel;
class QTabWidget;
class QTimer;

namespace gpupoor::gui {

class ChartsPanel;
class EngineBridge;
class LogBridge;
class LogView;
class ModelsPanel;
class PerplexityPage;
class PromptPanel;

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  enum class RunKind { None, AB, Perplexity };

  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  // Starts an A/B run of the editor's prompts on the checked models. Returns
  // false and shows the reason in the A/B tab when it cannot start.
  bool startAbRun();
  // Starts FP32 vs INT8 perplexity on the checked models; false when it
  // cannot start (reason shown in the Perplexity tab).
  bool startPerplexityRun();
  // Asks the running engine to stop between tokens or windows.
  void stopRun();
  RunKind runKind() const { return m_runKind; }
  bool isRunning() const { return m_runKind != RunKind::None; }

  // Writes the last report as JSON (atomically). Returns false with `error`
  // set to the path and reason when it fails.
  bool saveReport(const QString& path, QString* error);
  // Shows the charts, outputs and perplexity of a saved report.
  bool openReport(const QString& path, QString* error);
  // Writes the requested charts; false with the path and reason of the
  // first failure. Files written before a failure stay.
  bool exportCharts(const ExportRequest& request, QString* error);
  // The report of the last run, or of the opened file; null before either.
  const nlohmann::json* currentReport() const;

  // "light", "dark" (Fusion style with a fixed palette) or "system".
  void setTheme(const QString& theme) { applyTheme(theme); }

  ModelsPanel* modelsPanel() const { return m_models; }
  PromptPanel* promptPanel() const { return m_prompts; }
  ChartsPanel* chartsPanel() const { return m_charts; }
  PerplexityPage* perplexityPage() const { return m_perplexity; }
  LogView* logView() const { return m_log; }
  QTabWidget* tabs() const { return m_tabs; }
  EngineBridge* bridge() const { return m_bridge; }

 signals:
  // Emitted on the GUI thread when a run ends in any way.
  void runEnded(gpupoor::RunStatus status);

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  void createActions();
  void createMenus();
  void connectBridge();
  bool startRun(RunKind kind, ComparisonSettings settings);
  void onRunFinished(const RunFinishedEvent& event);
  void onEngineError(const EngineErrorEvent& event);
  void setRunning(RunKind kind);
  void showRunError(RunKind kind, const QString& message);
  void updateMemoryStatus();
  void saveSettings() const;
  void restoreSettings();
  void applyTheme(const QString& theme);

  void onExportTriggered();
  void onSaveReportTriggered();
  void onOpenReportTriggered();

  ModelsPanel* m_models = nullptr;
  PromptPanel* m_prompts = nullptr;
  ChartsPanel* m_charts = nullptr;
  PerplexityPage* m_perplexity = nullptr;
  LogView* m_log = nullptr;
  QTabWidget* m_tabs = nullptr;
  QLabel* m_runStatus = nullptr;
  QLabel* m_memoryStatus = nullptr;
  QTimer* m_memoryTimer = nullptr;

  QAction* m_runAction = nullptr;
  QAction* m_perplexityAction = nullptr;
  QAction* m_stopAction = nullptr;
  QAction* m_exportAction = nullptr;
  QAction* m_saveReportAction = nullptr;
  QAction* m_openReportAction = nullptr;

  EngineBridge* m_bridge = nullptr;
  LogBridge* m_logBridge = nullptr;
  std::unique_ptr<ComparisonEngine> m_engine;
  RunKind m_runKind = RunKind::None;
  std::optional<nlohmann::json> m_report;
  ExportRequest m_lastExport;
  QString m_theme;
};

}  // namespace gpupoor::gui
