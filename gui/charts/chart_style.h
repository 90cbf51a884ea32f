#pragma once

// Colours and fonts of the charts, taken from a widget palette so that charts
// read well in light and dark themes. Series colours come from the Okabe-Ito
// set (distinguishable with the common colour-vision deficiencies), with
// brighter variants on dark backgrounds.

#include <QColor>
#include <QFont>
#include <QPalette>
#include <QString>

class QCustomPlot;
class QCPAxis;
class QCPLegend;

namespace gpupoor::gui {

struct ChartStyle {
  QColor background;
  QColor foreground;  // axes, tick labels, titles
  QColor grid;
  QColor subGrid;
  QColor mutedText;   // placeholder text of an empty chart
  bool dark = false;
  QFont font;
  QFont titleFont;
  QFont smallFont;    // value labels on bars

  static ChartStyle fromPalette(const QPalette& palette, const QFont& baseFont);

  // Colour of a model copy: FP32 blue, INT8 w8a32 orange, INT8 w8a8 green.
  QColor schemeColor(const QString& scheme) const;
  // The n-th categorical colour, for series keyed by model.
  QColor seriesColor(int index) const;

  void applyTo(QCustomPlot& plot) const;
  void applyTo(QCPAxis& axis) const;
  void applyTo(QCPLegend& legend) const;
};

}  // namespace gpupoor::gui
