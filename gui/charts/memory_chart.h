#pragma once

// Memory per model copy: grouped bars per model, one pair per copy (FP32 and
// each INT8 scheme): the resident parameter bytes of the copy, and the
// process RSS right after that copy finished loading.

#include "gui/charts/chart.h"

namespace gpupoor::gui {

class MemoryChart : public Chart {
  Q_OBJECT

 public:
  explicit MemoryChart(QWidget* parent = nullptr);

 protected:
  bool build(const ChartData& data, const ChartStyle& style) override;
};

}  // namespace gpupoor::gui
