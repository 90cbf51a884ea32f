#include "gui/charts/perplexity_chart.h"

#include <algorithm>

namespace gpupoor::gui {

PerplexityChart::PerplexityChart(QWidget* parent)
    : Chart(tr("Perplexity"), "perplexity", parent) {
  setToolTip(tr("Perplexity = exp(mean negative log-likelihood per token) over the chosen "
                "text, scored with sliding windows of max length tokens moved by the stride, "
                "every token scored once. Lower is better. The percentage is "
                "100 x (INT8 - FP32) / FP32."));
}

QString PerplexityChart::emptyText() const {
  return tr("No perplexity yet.\nRun it from the Perplexity tab.");
}

bool PerplexityChart::build(const ChartData& data, const ChartStyle& style) {
  if (data.perplexity.empty()) return false;

  auto ticker = QSharedPointer<QCPAxisTickerText>::create();
  const bool severalModels = data.models.size() > 1;
  const int categories = static_cast<int>(data.perplexity.size());
  constexpr int kSlots = 2;
  const double barWidth = kGroupWidth / kSlots;

  auto* fp32Bars = new QCPBars(xAxis, yAxis);
  auto* int8Bars = new QCPBars(xAxis, yAxis);
  fp32Bars->setName(tr("FP32"));
  int8Bars->setName(tr("INT8"));
  QCPBars* const barsBySlot[kSlots] = {fp32Bars, int8Bars};
  for (int slot = 0; slot < kSlots; ++slot) {
    const QColor color = style.schemeColor(slot == 0 ? QStringLiteral("fp32")
                                                     : data.perplexity.front().scheme);
    QColor fill = color;
    fill.setAlphaF(0.8f);
    barsBySlot[slot]->setWidth(barWidth * 0.92);
    barsBySlot[slot]->setBrush(fill);
    barsBySlot[slot]->setPen(QPen(color, 1.0));
  }

  double maxPerplexity = 0.0;
  for (int i = 0; i < categories; ++i) {
    const auto& entry = data.perplexity[static_cast<std::size_t>(i)];
    const int category = i + 1;
    QString tick = QStringLiteral("INT8 %1").arg(entry.scheme);
    if (severalModels || categories == 1) tick = data.modelName(entry.modelIndex) + "\n" + tick;
    ticker->addTick(category, tick);

    const double fp32Key = groupedKey(category, 0, kSlots, barWidth);
    const double int8Key = groupedKey(category, 1, kSlots, barWidth);
    fp32Bars->addData(fp32Key, entry.fp32Perplexity);
    int8Bars->addData(int8Key, entry.int8Perplexity);
    addValueLabel(fp32Key, entry.fp32Perplexity, QString::number(entry.fp32Perplexity, 'f', 2),
                  style);
    const QString delta = QStringLiteral("%1\n(%2%3%)")
                              .arg(QString::number(entry.int8Perplexity, 'f', 2),
                                   entry.deltaPercent >= 0 ? QStringLiteral("+") : QString(),
                                   QString::number(entry.deltaPercent, 'f', 2));
    addValueLabel(int8Key, entry.int8Perplexity, delta, style);
    maxPerplexity = std::max({maxPerplexity, entry.fp32Perplexity, entry.int8Perplexity});
  }

  xAxis->setTicker(ticker);
  xAxis->setLabel(QString());
  xAxis->grid()->setVisible(false);
  xAxis->setRange(0.4, categories + 0.6);
  yAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
  yAxis->setLabel(tr("Perplexity (lower is better)"));
  yAxis->setRange(0.0, std::max(1.0, maxPerplexity * 1.25));
  return maxPerplexity > 0.0;
}

}  // namespace gpupoor::gui
