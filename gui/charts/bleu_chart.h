#pragma once

// BLEU per prompt: how closely each INT8 copy's output matches the FP32
// output for the same prompt (1 = identical text).

#include "gui/charts/chart.h"

namespace gpupoor::gui {

class BleuChart : public Chart {
  Q_OBJECT

 public:
  explicit BleuChart(QWidget* parent = nullptr);

 protected:
  bool build(const ChartData& data, const ChartStyle& style) override;
};

}  // namespace gpupoor::gui
