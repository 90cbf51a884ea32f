#pragma once

// The Charts tab: the dashboard fed live from engine events (replots batched
// to at most 20 per second) or from a saved report, a progress bar while
// perplexity runs, and the export button.

#include <QWidget>

#include "core/engine/events.h"
#include "gui/charts/chart_data.h"

class QLabel;
class QProgressBar;

namespace gpupoor::gui {

class Dashboard;
class ReplotScheduler;

class ChartsPanel : public QWidget {
  Q_OBJECT

 public:
  explicit ChartsPanel(QWidget* parent = nullptr);

  Dashboard* dashboard() const { return m_dashboard; }
  const ChartData& data() const { return m_data; }
  ReplotScheduler* scheduler() const { return m_scheduler; }

  // Starts a new live run: clears the charts.
  void beginRun();
  void applyModelLoaded(const ModelLoadedEvent& event);
  void applyMetricSample(const MetricSampleEvent& event);
  void applyPromptFinished(const PromptFinishedEvent& event);
  void applyPerplexityProgress(const PerplexityProgressEvent& event);
  void applyPerplexityFinished(const PerplexityFinishedEvent& event);
  // Draws everything pending now and hides the progress bar.
  void finishRun();
  // Replaces the charts with `data` (an opened report).
  void showData(const ChartData& data);

 signals:
  void exportRequested();
  // After each batched redraw, with the file stems that were dirty; stems
  // that name no chart ("outputs") are for other views to refresh.
  void flushed(const QStringList& stems);

 private:
  void markDirty(const QStringList& stems);

  Dashboard* m_dashboard = nullptr;
  QProgressBar* m_perplexityProgress = nullptr;
  QLabel* m_perplexityLabel = nullptr;
  ReplotScheduler* m_scheduler = nullptr;
  ChartData m_data;
};

}  // namespace gpupoor::gui
