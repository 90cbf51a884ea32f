#include "gui/charts/bleu_chart.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace gpupoor::gui {

BleuChart::BleuChart(QWidget* parent) : Chart(tr("BLEU per prompt"), "bleu", parent) {
  setToolTip(tr("Sentence BLEU-4 of each prompt: the INT8 copy's generated text as the "
                "hypothesis and the FP32 copy's text as the reference, whitespace tokens, "
                "uniform weights, computed as NLTK does. 1.0 means identical outputs; one "
                "early divergent token can lower it a lot."));
}

bool BleuChart::build(const ChartData& data, const ChartStyle& style) {
  if (data.bleu.empty()) return false;

  // One bar series per (model, scheme) in order of appearance.
  std::vector<std::pair<int, QString>> seriesKeys;
  int maxPrompt = 0;
  for (const auto& entry : data.bleu) {
    const std::pair<int, QString> key{entry.modelIndex, entry.scheme};
    if (std::find(seriesKeys.begin(), seriesKeys.end(), key) == seriesKeys.end()) {
      seriesKeys.push_back(key);
    }
    maxPrompt = std::max(maxPrompt, entry.promptIndex + 1);
  }

  const int slotCount = static_cast<int>(seriesKeys.size());
  const double barWidth = kGroupWidth / slotCount;
  const bool severalModels = data.models.size() > 1;
  const bool severalSchemes =
      std::any_of(seriesKeys.begin(), seriesKeys.end(),
                  [&](const auto& key) { return key.second != seriesKeys.front().second; });
  // Value labels only while they fit: at most 16 bars in the chart.
  const bool labelValues = slotCount * maxPrompt <= 16;

  for (int slot = 0; slot < slotCount; ++slot) {
    const auto& [modelIndex, scheme] = seriesKeys[static_cast<std::size_t>(slot)];
    auto* bars = new QCPBars(xAxis, yAxis);
    bars->setWidth(barWidth * 0.92);
    const QColor color = severalModels ? style.seriesColor(modelIndex) : style.schemeColor(scheme);
    QColor fill = color;
    fill.setAlphaF(0.8f);
    bars->setBrush(fill);
    bars->setPen(QPen(color, 1.0));

    // The axis label already says INT8 vs FP32, so names only tell series apart.
    QString name = QStringLiteral("INT8 %1").arg(scheme);
    if (severalModels) {
      name = severalSchemes ? data.modelName(modelIndex) + QStringLiteral(" ") + scheme
                            : data.modelName(modelIndex);
    }
    bars->setName(name);

    QVector<double> keys;
    QVector<double> values;
    for (const auto& entry : data.bleu) {
      if (entry.modelIndex != modelIndex || entry.scheme != scheme) continue;
      const double key = groupedKey(entry.promptIndex + 1, slot, slotCount, barWidth);
      keys << key;
      values << entry.bleu;
      if (labelValues) addValueLabel(key, entry.bleu, QString::number(entry.bleu, 'f', 2), style);
    }
    bars->setData(keys, values, true);
  }

  auto ticker = QSharedPointer<QCPAxisTickerFixed>::create();
  ticker->setTickStep(1.0);
  ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
  xAxis->setTicker(ticker);
  xAxis->setLabel(tr("Prompt"));
  xAxis->grid()->setVisible(false);
  xAxis->setRange(0.4, maxPrompt + 0.6);
  yAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
  yAxis->setLabel(tr("BLEU-4 (INT8 vs FP32 text)"));
  yAxis->setRange(0.0, 1.12);
  return true;
}

}  // namespace gpupoor::gui
