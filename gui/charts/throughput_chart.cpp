#include "gui/charts/throughput_chart.h"

#include <algorithm>
#include <cmath>

namespace gpupoor::gui {

namespace {

// Line style per model, so copies of the same model share a dash pattern and
// copies of the same scheme share a colour.
Qt::PenStyle penStyleForModel(int modelIndex) {
  static constexpr Qt::PenStyle kStyles[] = {Qt::SolidLine, Qt::DashLine, Qt::DotLine,
                                             Qt::DashDotLine};
  return kStyles[static_cast<std::size_t>(std::max(modelIndex, 0)) % 4];
}

}  // namespace

ThroughputChart::ThroughputChart(QWidget* parent)
    : Chart(tr("Decode speed"), "throughput", parent) {
  setToolTip(tr("Decode tokens per second of each model copy: generated tokens after the "
                "first, divided by the time spent on them (the prompt's forward pass is not "
                "included). Live samples while a run goes; one point per prompt in a saved "
                "report."));
}

bool ThroughputChart::build(const ChartData& data, const ChartStyle& style) {
  const bool perPrompt = data.throughputAxis == ThroughputAxis::PromptNumber;
  xAxis->setLabel(perPrompt ? tr("Prompt") : tr("Elapsed time (s)"));
  yAxis->setLabel(tr("Decode speed (tokens/s)"));
  xAxis->grid()->setVisible(true);
  if (perPrompt) {
    auto ticker = QSharedPointer<QCPAxisTickerFixed>::create();
    ticker->setTickStep(1.0);
    ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    xAxis->setTicker(ticker);
  } else {
    xAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
  }

  const bool severalModels = data.models.size() > 1;
  double maxX = 0.0;
  double maxY = 0.0;
  for (const auto& series : data.throughput) {
    if (series.x.isEmpty()) continue;
    auto* graph = addGraph();
    const QColor color = style.schemeColor(series.scheme);
    QPen pen(color, 2.0, penStyleForModel(series.modelIndex));
    graph->setPen(pen);
    CopyMeasure labelSource;
    labelSource.scheme = series.scheme;
    graph->setName(severalModels
                       ? QStringLiteral("%1 %2").arg(data.modelName(series.modelIndex),
                                                     labelSource.label())
                       : labelSource.label());
    if (perPrompt || series.x.size() < 40) {
      graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, color, style.background, 6));
    }
    graph->setData(series.x, series.tokensPerSecond, true);
    // Gaps between prompts are NaN values, which every comparison skips.
    for (int i = 0; i < series.x.size(); ++i) {
      if (std::isnan(series.tokensPerSecond[i])) continue;
      maxX = std::max(maxX, series.x[i]);
      maxY = std::max(maxY, series.tokensPerSecond[i]);
    }
  }
  if (graphCount() == 0) return false;

  if (perPrompt) {
    xAxis->setRange(0.5, std::max(1.0, maxX) + 0.5);
  } else {
    xAxis->setRange(0.0, std::max(1.0, maxX * 1.02));
  }
  yAxis->setRange(0.0, std::max(1.0, maxY * 1.15));
  return true;
}

}  // namespace gpupoor::gui
