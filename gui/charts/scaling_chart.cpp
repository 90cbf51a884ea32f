#include "gui/charts/scaling_chart.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace gpupoor::gui {

namespace {

struct RatioPoint {
  double parametersMillions = 0.0;
  double ratio = 0.0;
  QString modelName;
};

}  // namespace

ScalingChart::ScalingChart(QWidget* parent)
    : Chart(tr("INT8 / FP32 against model size"), "scaling", parent) {
  setToolTip(tr("For each model: INT8 decode tokens/s divided by FP32 decode tokens/s "
                "(above 1 = INT8 faster), and INT8 weight bytes divided by FP32 weight bytes "
                "(below 1 = INT8 smaller). The x axis is the parameter count on a log scale."));
}

QString ScalingChart::emptyText() const {
  return tr("Needs both copies of a model\nand one finished prompt.");
}

bool ScalingChart::build(const ChartData& data, const ChartStyle& style) {
  // Per INT8 scheme: speed ratio and memory ratio points.
  std::map<QString, std::vector<RatioPoint>> speedByScheme;
  std::map<QString, std::vector<RatioPoint>> memoryByScheme;
  for (std::size_t i = 0; i < data.models.size(); ++i) {
    const ModelMeasures& model = data.models[i];
    const CopyMeasure* fp32 = model.copy(QStringLiteral("fp32"));
    if (fp32 == nullptr || model.parameters <= 0) continue;
    const double millions = static_cast<double>(model.parameters) / 1e6;
    const QString name = data.modelName(static_cast<int>(i));
    for (const auto& copy : model.copies) {
      if (!copy.isInt8()) continue;
      if (copy.decodeTokensPerSecond > 0.0 && fp32->decodeTokensPerSecond > 0.0) {
        speedByScheme[copy.scheme].push_back(
            {millions, copy.decodeTokensPerSecond / fp32->decodeTokensPerSecond, name});
      }
      if (copy.weightBytes > 0 && fp32->weightBytes > 0) {
        memoryByScheme[copy.scheme].push_back(
            {millions,
             static_cast<double>(copy.weightBytes) / static_cast<double>(fp32->weightBytes), name});
      }
    }
  }
  if (speedByScheme.empty() && memoryByScheme.empty()) return false;

  double minX = 1e300;
  double maxX = 0.0;
  double maxY = 1.0;
  auto addSeries = [&](const QString& name, std::vector<RatioPoint> points, const QColor& color,
                       QCPScatterStyle::ScatterShape shape, Qt::PenStyle penStyle) {
    std::sort(points.begin(), points.end(),
              [](const RatioPoint& a, const RatioPoint& b) {
                return a.parametersMillions < b.parametersMillions;
              });
    auto* graph = addGraph();
    graph->setName(name);
    graph->setPen(QPen(color, 2.0, penStyle));
    graph->setScatterStyle(QCPScatterStyle(shape, color, color, 9));
    for (const auto& point : points) {
      graph->addData(point.parametersMillions, point.ratio);
      minX = std::min(minX, point.parametersMillions);
      maxX = std::max(maxX, point.parametersMillions);
      maxY = std::max(maxY, point.ratio);
      addValueLabel(point.parametersMillions, point.ratio,
                    QStringLiteral("%1×").arg(QString::number(point.ratio, 'f', 2)), style);
    }
  };
  for (auto& [scheme, points] : speedByScheme) {
    addSeries(tr("Speed ratio %1").arg(scheme), points, style.schemeColor(scheme),
              QCPScatterStyle::ssCircle, Qt::SolidLine);
  }
  for (auto& [scheme, points] : memoryByScheme) {
    addSeries(tr("Memory ratio %1").arg(scheme), points, style.schemeColor(scheme),
              QCPScatterStyle::ssSquare, Qt::DashLine);
  }

  // Parity line: above it INT8 is faster (speed) or larger (memory).
  auto* parity = new QCPItemStraightLine(this);
  parity->point1->setCoords(minX, 1.0);
  parity->point2->setCoords(maxX * 10.0, 1.0);
  parity->setPen(QPen(style.mutedText, 1.0, Qt::DashDotLine));

  xAxis->setScaleType(QCPAxis::stLogarithmic);
  xAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
  xAxis->setNumberFormat(QStringLiteral("g"));
  xAxis->setLabel(tr("Parameters (millions, log scale)"));
  xAxis->grid()->setVisible(true);
  xAxis->setRange(minX / 2.0, maxX * 2.0);
  yAxis->setLabel(tr("INT8 ÷ FP32"));
  yAxis->setRange(0.0, maxY * 1.2);
  return true;
}

}  // namespace gpupoor::gui
