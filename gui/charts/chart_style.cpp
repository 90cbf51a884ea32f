#include "gui/charts/chart_style.h"

#include <qcustomplot.h>

#include <array>

namespace gpupoor::gui {

namespace {

// Okabe-Ito: blue, orange, bluish green, reddish purple, vermillion, sky blue.
constexpr std::array<QRgb, 6> kLightSeries = {0xff0072b2, 0xffe69f00, 0xff009e73,
                                              0xffcc79a7, 0xffd55e00, 0xff56b4e9};
// The same hues lifted so they keep contrast against a dark background.
constexpr std::array<QRgb, 6> kDarkSeries = {0xff56b4e9, 0xffe69f00, 0xff3fc99f,
                                             0xffe08fc0, 0xffff8c5a, 0xff9ad2f2};

QColor blend(const QColor& a, const QColor& b, double weightOfB) {
  const double weightOfA = 1.0 - weightOfB;
  return QColor::fromRgbF(static_cast<float>(a.redF() * weightOfA + b.redF() * weightOfB),
                          static_cast<float>(a.greenF() * weightOfA + b.greenF() * weightOfB),
                          static_cast<float>(a.blueF() * weightOfA + b.blueF() * weightOfB));
}

}  // namespace

ChartStyle ChartStyle::fromPalette(const QPalette& palette, const QFont& baseFont) {
  ChartStyle style;
  style.background = palette.color(QPalette::Active, QPalette::Base);
  style.foreground = palette.color(QPalette::Active, QPalette::Text);
  style.dark = style.background.lightnessF() < 0.5;
  style.grid = blend(style.background, style.foreground, 0.18);
  style.subGrid = blend(style.background, style.foreground, 0.08);
  style.mutedText = blend(style.background, style.foreground, 0.55);
  style.font = baseFont;
  style.titleFont = baseFont;
  style.titleFont.setBold(true);
  style.titleFont.setPointSizeF(baseFont.pointSizeF() * 1.15);
  style.smallFont = baseFont;
  style.smallFont.setPointSizeF(baseFont.pointSizeF() * 0.85);
  return style;
}

QColor ChartStyle::schemeColor(const QString& scheme) const {
  if (scheme == QStringLiteral("fp32")) return seriesColor(0);
  if (scheme == QStringLiteral("w8a32")) return seriesColor(1);
  if (scheme == QStringLiteral("w8a8")) return seriesColor(2);
  return seriesColor(3);
}

QColor ChartStyle::seriesColor(int index) const {
  const auto& colors = dark ? kDarkSeries : kLightSeries;
  const auto slot = static_cast<std::size_t>(index < 0 ? 0 : index) % colors.size();
  return QColor::fromRgba(colors[slot]);
}

void ChartStyle::applyTo(QCPAxis& axis) const {
  const QPen axisPen(foreground, 1);
  axis.setBasePen(axisPen);
  axis.setTickPen(axisPen);
  axis.setSubTickPen(axisPen);
  axis.setTickLabelColor(foreground);
  axis.setLabelColor(foreground);
  axis.setTickLabelFont(font);
  axis.setLabelFont(font);
  axis.grid()->setPen(QPen(grid, 1, Qt::DotLine));
  axis.grid()->setSubGridPen(QPen(subGrid, 1, Qt::DotLine));
  axis.grid()->setZeroLinePen(QPen(grid, 1));
}

void ChartStyle::applyTo(QCPLegend& legend) const {
  legend.setBrush(QBrush(background));
  legend.setBorderPen(Qt::NoPen);
  legend.setTextColor(foreground);
  legend.setFont(font);
  legend.setSelectedTextColor(foreground);
}

void ChartStyle::applyTo(QCustomPlot& plot) const {
  plot.setBackground(QBrush(background));
  for (QCPAxisRect* rect : plot.axisRects()) {
    rect->setBackground(QBrush(background));
    for (QCPAxis* axis : rect->axes()) applyTo(*axis);
  }
  applyTo(*plot.legend);
}

}  // namespace gpupoor::gui
