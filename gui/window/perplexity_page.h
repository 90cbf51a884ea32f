#pragma once

// The Perplexity tab. The user picks a text file, a reading mode, the window
// length and the stride. A run scores the text with the FP32 and INT8 copies
// of the checked models and shows perplexity, its change, KL divergence and
// top-1 agreement.

#include <QWidget>

#include "core/engine/events.h"
#include "core/engine/settings.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSettings;
class QSpinBox;
class QTableWidget;

namespace gpupoor::gui {

class PerplexityPage : public QWidget {
  Q_OBJECT

 public:
  explicit PerplexityPage(QWidget* parent = nullptr);

  // The text and window settings from the controls. Throws InvalidArgument
  // naming the file when it does not exist.
  PerplexitySettings perplexitySettings() const;
  void setDefaultFile(const QString& path);
  QLineEdit* fileEdit() const { return m_file; }

  void saveSettings(QSettings& settings) const;
  void restoreSettings(const QSettings& settings);

  void setRunning(bool running);
  // Shows why a run could not start or failed, until the next run starts.
  void showError(const QString& message);
  void beginRun(const QStringList& modelNames);
  void applyProgress(const PerplexityProgressEvent& event);
  void applyFinished(const PerplexityFinishedEvent& event);
  void showResults(const std::vector<PerplexityComparison>& results, const QStringList& modelNames);
  QTableWidget* resultsTable() const { return m_results; }

 signals:
  void runRequested();
  void cancelRequested();

 private:
  void addResultRow(const PerplexityComparison& result);

  QLineEdit* m_file = nullptr;
  QComboBox* m_reading = nullptr;
  QSpinBox* m_maxLength = nullptr;
  QSpinBox* m_stride = nullptr;
  QSpinBox* m_maxTokens = nullptr;
  QPushButton* m_run = nullptr;
  QPushButton* m_cancel = nullptr;
  QProgressBar* m_progress = nullptr;
  QLabel* m_status = nullptr;
  QTableWidget* m_results = nullptr;
  QStringList m_modelNames;
};

}  // namespace gpupoor::gui
