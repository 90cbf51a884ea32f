#pragma once

// Decode speed per model copy: tokens/s over elapsed time while a run goes,
// or per prompt when drawn from a saved report.

#include "gui/charts/chart.h"

namespace gpupoor::gui {

class ThroughputChart : public Chart {
  Q_OBJECT

 public:
  explicit ThroughputChart(QWidget* parent = nullptr);

 protected:
  bool build(const ChartData& data, const ChartStyle& style) override;
};

}  // namespace gpupoor::gui
