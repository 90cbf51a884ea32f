#pragma once

// Base of every chart: a QCustomPlot with a title row, a legend row under the
// axes and colours from the widget palette. A chart keeps the last ChartData
// it was given and rebuilds its plottables from it, also when the palette
// changes (light/dark switch). Rebuilding does not replot; the caller decides
// when to draw (the live view batches replots).

#include <qcustomplot.h>

#include <QString>

#include "gui/charts/chart_data.h"
#include "gui/charts/chart_style.h"

namespace gpupoor::gui {

class Chart : public QCustomPlot {
  Q_OBJECT

 public:
  Chart(const QString& title, const QString& fileStem, QWidget* parent = nullptr);
  ~Chart() override;

  // Stores `data` and rebuilds the plottables. Call replot() afterwards.
  void setData(const ChartData& data);
  const ChartData& data() const { return m_data; }

  const QString& title() const { return m_title; }
  // File name without extension used by exports ("memory", "bleu", ...).
  const QString& fileStem() const { return m_fileStem; }
  // True when the last data gave this chart something to draw.
  bool hasContent() const { return m_hasContent; }

  ChartStyle currentStyle() const;

 protected:
  // Adds the plottables for `data`; returns false when there is nothing to
  // draw, so the base shows the placeholder text instead.
  virtual bool build(const ChartData& data, const ChartStyle& style) = 0;
  // Message shown when build() returned false.
  virtual QString emptyText() const;

  void changeEvent(QEvent* event) override;

  // Adds a bar label (value text) above the top of a bar.
  void addValueLabel(double key, double value, const QString& text, const ChartStyle& style);
  QCPTextElement* titleElement() const { return m_titleElement; }

 private:
  void rebuild();

  QString m_title;
  QString m_fileStem;
  ChartData m_data;
  bool m_hasContent = false;
  QCPTextElement* m_titleElement = nullptr;
  QCPLayoutGrid* m_legendRow = nullptr;
};

// Share of one category's width that a group of bars fills.
inline constexpr double kGroupWidth = 0.8;

// Key of bar `slot` (0-based) of `slotCount` bars of `barWidth` grouped around
// `category`. Computed in plot coordinates so labels stay on their bars at any
// export size.
inline double groupedKey(int category, int slot, int slotCount, double barWidth) {
  return category + (slot - (slotCount - 1) / 2.0) * barWidth;
}

// Value in bytes as MiB, the unit every memory axis uses.
inline double toMiB(std::int64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

}  // namespace gpupoor::gui
