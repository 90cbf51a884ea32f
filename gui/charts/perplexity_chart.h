#pragma once

// Perplexity of the FP32 and INT8 copies of each model on the same text, with
// the INT8 change in percent above each pair.

#include "gui/charts/chart.h"

namespace gpupoor::gui {

class PerplexityChart : public Chart {
  Q_OBJECT

 public:
  explicit PerplexityChart(QWidget* parent = nullptr);

 protected:
  bool build(const ChartData& data, const ChartStyle& style) override;
  QString emptyText() const override;
};

}  // namespace gpupoor::gui
