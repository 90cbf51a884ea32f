#pragma once

// All charts of a run in one widget, three columns by two rows: memory,
// decode speed, BLEU / perplexity, INT8-FP32 ratios, summary. The same layout
// is painted into exports, with a title line above the grid.

#include <QString>
#include <QWidget>

#include <vector>

#include "gui/charts/chart_data.h"

class QCPPainter;

namespace gpupoor::gui {

class Chart;
class MemoryChart;
class ThroughputChart;
class BleuChart;
class PerplexityChart;
class ScalingChart;
class SummaryChart;

class Dashboard : public QWidget {
  Q_OBJECT

 public:
  explicit Dashboard(QWidget* parent = nullptr);

  // Gives `data` to every chart and queues a replot of each.
  void setData(const ChartData& data);
  // Gives `data` only to the charts whose file stem is in `fileStems`.
  void setData(const ChartData& data, const QStringList& fileStems);
  const ChartData& data() const { return m_data; }

  // In display order.
  const std::vector<Chart*>& charts() const { return m_charts; }
  // The chart with this file stem ("memory", "throughput", "bleu",
  // "perplexity", "scaling", "summary"), or null.
  Chart* chart(const QString& fileStem) const;

  // Paints the title, the caption and every chart into a `size` area at the
  // painter's origin. The painter must be active.
  void paint(QCPPainter& painter, const QSize& size, const QString& title);

 private:
  ChartData m_data;
  std::vector<Chart*> m_charts;
};

}  // namespace gpupoor::gui
