#pragma once

// INT8/FP32 ratios of decode speed and weight memory against model size, one
// point per model, so several models show how the gains scale.

#include "gui/charts/chart.h"

namespace gpupoor::gui {

class ScalingChart : public Chart {
  Q_OBJECT

 public:
  explicit ScalingChart(QWidget* parent = nullptr);

 protected:
  bool build(const ChartData& data, const ChartStyle& style) override;
  QString emptyText() const override;
};

}  // namespace gpupoor::gui
