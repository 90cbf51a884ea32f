#pragma once

// The headline numbers of a run as text, in the same frame as the charts so
// the dashboard and its exports carry them: per model and INT8 scheme the
// weight memory saved, the decode speed ratio, mean BLEU, and perplexity with
// KL divergence and top-1 agreement when measured.

#include "gui/charts/chart.h"

namespace gpupoor::gui {

class SummaryChart : public Chart {
  Q_OBJECT

 public:
  explicit SummaryChart(QWidget* parent = nullptr);

  // The text build() shows; public for tests and the log.
  static QString summaryText(const ChartData& data);

 protected:
  bool build(const ChartData& data, const ChartStyle& style) override;

 private:
  QCPTextElement* m_body = nullptr;
};

}  // namespace gpupoor::gui
