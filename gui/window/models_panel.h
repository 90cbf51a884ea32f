#pragma once

// The models panel. Models come from a folder, the Hugging Face cache or the
// bundled demo, several at once, and each checked model takes part in the next
// run. A row shows name, parameters, FP32 and INT8 size, scheme and status.
// Below the list, a table shows the bytes per component of the selected model
// before and after quantization, and a note names the tensors that stay FP32.
// Loading and quantizing a model here, to inspect it before a run, happens on
// a worker thread with progress and cancel. A model that would not fit in
// available memory is rejected.

#include <QFutureWatcher>
#include <QString>
#include <QWidget>

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "core/common/cancel.h"
#include "core/engine/events.h"
#include "gui/window/model_loading.h"

class QLabel;
class QProgressBar;
class QPushButton;
class QSettings;
class QToolButton;
class QTreeWidget;
class QTreeWidgetItem;

namespace gpupoor::gui {

class ModelsPanel : public QWidget {
  Q_OBJECT

 public:
  struct Row {
    QString name;
    QString dir;
    QString source;  // "bundled", "hf-cache" or "folder"
    long long parameters = 0;
    std::optional<ComponentBytes> fp32;
    std::optional<ComponentBytes> int8;
    QString scheme;  // of the INT8 copy measured last
    QStringList float32Tensors;
    QString status;
    bool checked = true;
  };

  explicit ModelsPanel(QWidget* parent = nullptr);
  ~ModelsPanel() override;

  // Adds the model in `dir` (a model folder or hub id); returns false and
  // sets `error` when it is not a readable GPT-2 model. A model already in
  // the list is not added twice.
  bool addModel(const QString& dirOrId, QString* error);
  // Adds the bundled demo model when present; returns false otherwise.
  bool addBundledModel(QString* error);

  const std::vector<Row>& rows() const { return m_rows; }
  // Indexes into rows() of the checked models, in list order.
  std::vector<int> checkedRows() const;
  void setChecked(int row, bool checked);
  void setScheme(QuantScheme scheme) { m_scheme = scheme; }

  // MemAvailable in bytes, or nullopt when unknown. The probe reads
  // /proc/meminfo unless a test replaced it.
  std::optional<std::int64_t> availableMemory() const { return m_availableMemory(); }
  void setAvailableMemoryProbe(std::function<std::optional<std::int64_t>()> probe) {
    m_availableMemory = std::move(probe);
  }

  // Loads and quantizes the model of `row` on a worker thread. Returns
  // false with the reason in `error` when the model would not fit in
  // MemAvailable or another load is running.
  bool startLoad(int row, QString* error);
  void cancelLoad();
  bool isLoading() const;

  // Updates the row of a model from a run's ModelLoadedEvent.
  void applyModelLoaded(int row, const ModelLoadedEvent& event);
  void setRowStatus(int row, const QString& status);
  void setRunning(bool running);

  void saveSettings(QSettings& settings) const;
  void restoreSettings(const QSettings& settings);

  QTreeWidget* list() const { return m_list; }
  QTreeWidget* breakdown() const { return m_breakdown; }

 signals:
  void loadFinished(int row, bool ok, const QString& message);
  void statusMessage(const QString& message);

 private:
  void addRow(Row row);
  void refreshRow(int row);
  void showBreakdown(int row);
  void onLoadProgress(int row, const LoadStep& step);
  void onLoadDone();
  void fillCacheMenu();
  void chooseFolder();
  int currentRow() const;

  std::vector<Row> m_rows;
  QTreeWidget* m_list = nullptr;
  QTreeWidget* m_breakdown = nullptr;
  QLabel* m_float32Note = nullptr;
  QProgressBar* m_progress = nullptr;
  QPushButton* m_loadButton = nullptr;
  QPushButton* m_cancelButton = nullptr;
  QPushButton* m_removeButton = nullptr;
  QToolButton* m_cacheButton = nullptr;
  QuantScheme m_scheme = QuantScheme::W8A32;
  std::function<std::optional<std::int64_t>()> m_availableMemory;

  // The load in progress: its row, cancel flag and result.
  int m_loadingRow = -1;
  quint64 m_loadJob = 0;
  CancelTokenPtr m_loadCancel;
  QFutureWatcher<ModelPairInfo>* m_loadWatcher = nullptr;
  bool m_running = false;
};

}  // namespace gpupoor::gui
