#include "gui/charts/memory_chart.h"

#include <algorithm>

namespace gpupoor::gui {

namespace {

// Schemes present in any model, FP32 first, then in order of appearance.
QStringList schemesIn(const ChartData& data) {
  QStringList schemes;
  for (const auto& model : data.models) {
    for (const auto& copy : model.copies) {
      if (!schemes.contains(copy.scheme)) schemes << copy.scheme;
    }
  }
  std::stable_sort(schemes.begin(), schemes.end(), [](const QString& a, const QString& b) {
    return a == QStringLiteral("fp32") && b != QStringLiteral("fp32");
  });
  return schemes;
}

}  // namespace

MemoryChart::MemoryChart(QWidget* parent) : Chart(tr("Memory per model copy"), "memory", parent) {
  setToolTip(tr("Weights: resident bytes of the copy's parameters (matrices, quantization "
                "scales and the tensors that stay FP32), summed over its layers.\n"
                "RSS added: how much the process's resident set size (VmRSS) grew while the "
                "copy loaded. On small models it also counts allocator pages kept from "
                "earlier work."));
}

bool MemoryChart::build(const ChartData& data, const ChartStyle& style) {
  const QStringList schemes = schemesIn(data);
  if (data.models.empty() || schemes.isEmpty()) return false;

  auto ticker = QSharedPointer<QCPAxisTickerText>::create();
  for (std::size_t i = 0; i < data.models.size(); ++i) {
    ticker->addTick(static_cast<double>(i + 1), data.modelName(static_cast<int>(i)));
  }
  xAxis->setTicker(ticker);
  xAxis->setLabel(QString());
  xAxis->grid()->setVisible(false);
  yAxis->setLabel(tr("Memory (MiB)"));

  const int barsPerModel = static_cast<int>(schemes.size()) * 2;
  const double barWidth = kGroupWidth / barsPerModel;
  double maxMiB = 0.0;
  int slot = 0;

  for (const QString& scheme : schemes) {
    const QColor color = style.schemeColor(scheme);
    CopyMeasure labelSource;
    labelSource.scheme = scheme;

    // Weights: solid bars. RSS: the same hue, lighter and hatched.
    for (const bool isRss : {false, true}) {
      auto* bars = new QCPBars(xAxis, yAxis);
      bars->setWidth(barWidth * 0.92);
      bars->setName(isRss ? tr("%1 RSS added").arg(labelSource.label())
                          : tr("%1 weights").arg(labelSource.label()));
      QColor fill = color;
      if (isRss) fill.setAlphaF(0.45f);
      bars->setBrush(QBrush(fill, Qt::SolidPattern));
      bars->setPen(QPen(color, 1.2));

      QVector<double> keys;
      QVector<double> values;
      for (std::size_t i = 0; i < data.models.size(); ++i) {
        const CopyMeasure* copy = data.models[i].copy(scheme);
        if (copy == nullptr) continue;
        const double mib = toMiB(isRss ? copy->rssLoadDeltaBytes : copy->weightBytes);
        if (mib <= 0.0) continue;
        const double key = groupedKey(static_cast<int>(i + 1), slot, barsPerModel, barWidth);
        keys << key;
        values << mib;
        maxMiB = std::max(maxMiB, mib);
        addValueLabel(key, mib, QString::number(mib, 'f', 1), style);
      }
      bars->setData(keys, values, true);
      ++slot;
    }
  }

  xAxis->setRange(0.4, static_cast<double>(data.models.size()) + 0.6);
  yAxis->setRange(0.0, std::max(1.0, maxMiB * 1.18));
  return maxMiB > 0.0;
}

}  // namespace gpupoor::gui
