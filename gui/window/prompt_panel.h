#pragma once

// The A/B tab: prompt editor and prompt sets, generation settings, and the
// streaming FP32 / INT8 outputs of every (model, prompt) of the current run.

#include <QWidget>

#include <map>
#include <tuple>

#include "core/engine/events.h"
#include "core/engine/settings.h"
#include "gui/window/output_panes.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QSettings;
class QSpinBox;

namespace gpupoor::gui {

class PromptPanel : public QWidget {
  Q_OBJECT

 public:
  explicit PromptPanel(QWidget* parent = nullptr);

  // One prompt per non-empty line of the editor.
  QStringList prompts() const;
  void setPrompts(const QStringList& prompts);
  // Reads a .txt or .jsonl prompt set into the editor; throws InvalidArgument.
  void loadPromptFile(const QString& path);

  // Sampling, scheme, threads and speed mode from the controls; models and
  // prompts are left for the caller.
  ComparisonSettings generationSettings() const;
  void setGenerationSettings(const ComparisonSettings& settings);

  void saveSettings(QSettings& settings) const;
  void restoreSettings(const QSettings& settings);

  // Forgets the outputs of the previous run; `modelNames` label the list.
  void beginRun(const QStringList& modelNames);
  void applyToken(const TokenGeneratedEvent& event);
  void applyPromptFinished(const PromptFinishedEvent& event);
  // Re-renders the visible outputs if tokens arrived since the last call.
  void refreshOutputs();
  // Shows the outputs stored in a saved report.
  void showReportOutputs(const std::vector<PromptOutputs>& outputs);

  // Shows why a run could not start or failed, above the outputs, until the
  // next run starts.
  void showError(const QString& message);
  void setRunning(bool running);

  OutputPanes* outputPanes() const { return m_panes; }
  QComboBox* outputSelector() const { return m_outputSelector; }
  QPlainTextEdit* promptEditor() const { return m_editor; }
  // Number of (model, scheme, prompt) outputs with at least one token.
  int outputCount() const { return static_cast<int>(m_outputs.size()); }

 signals:
  void runRequested();
  void stopRequested();
  void schemeChanged(gpupoor::QuantScheme scheme);

 private:
  using OutputKey = std::tuple<int, QString, int>;  // model, scheme, prompt
  PromptOutputs& outputsFor(int modelIndex, const QString& scheme, int promptIndex);
  void updateSamplingControls();
  void showSelectedOutput();
  void openPromptFile();

  QPlainTextEdit* m_editor = nullptr;
  QLabel* m_promptCount = nullptr;
  QSpinBox* m_maxNewTokens = nullptr;
  QComboBox* m_sampling = nullptr;
  QDoubleSpinBox* m_temperature = nullptr;
  QSpinBox* m_topK = nullptr;
  QDoubleSpinBox* m_topP = nullptr;
  QSpinBox* m_seed = nullptr;
  QComboBox* m_scheme = nullptr;
  QCheckBox* m_stopAtEos = nullptr;
  QSpinBox* m_threads = nullptr;
  QComboBox* m_speedMode = nullptr;
  QComboBox* m_outputSelector = nullptr;
  QLabel* m_error = nullptr;
  QPushButton* m_runButton = nullptr;
  QPushButton* m_stopButton = nullptr;
  OutputPanes* m_panes = nullptr;

  QStringList m_modelNames;
  QStringList m_runPrompts;
  std::map<OutputKey, PromptOutputs> m_outputs;
  bool m_outputsDirty = false;
  bool m_followLatest = true;
};

}  // namespace gpupoor::gui
