#include "gui/charts/chart.h"

#include <QApplication>
#include <QEvent>

namespace gpupoor::gui {

Chart::Chart(const QString& title, const QString& fileStem, QWidget* parent)
    : QCustomPlot(parent), m_title(title), m_fileStem(fileStem) {
  setObjectName(fileStem + QStringLiteral("Chart"));
  setMinimumSize(320, 220);
  setAntialiasedElements(QCP::aeAll);
  setNoAntialiasingOnDrag(true);

  // Row 0: title. Row 1: the axis rect QCustomPlot creates. Row 2: legend.
  plotLayout()->insertRow(0);
  m_titleElement = new QCPTextElement(this, title);
  plotLayout()->addElement(0, 0, m_titleElement);

  axisRect()->insetLayout()->take(legend);
  m_legendRow = new QCPLayoutGrid;
  plotLayout()->addElement(2, 0, m_legendRow);
  m_legendRow->addElement(0, 0, legend);
  legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
  legend->setWrap(2);
  legend->setMargins(QMargins(4, 0, 4, 2));
  plotLayout()->setRowStretchFactor(0, 0.001);
  plotLayout()->setRowStretchFactor(2, 0.001);
  m_legendRow->setMargins(QMargins(0, 0, 0, 0));
  legend->setVisible(true);
}

Chart::~Chart() {
  // The plot layout deletes the legend row only while the row is part of it.
  if (m_legendRow->layout() == nullptr) delete m_legendRow;
}

ChartStyle Chart::currentStyle() const { return ChartStyle::fromPalette(palette(), font()); }

void Chart::setData(const ChartData& data) {
  m_data = data;
  rebuild();
}

QString Chart::emptyText() const { return tr("No data yet.\nRun a comparison or open a report."); }

void Chart::changeEvent(QEvent* event) {
  QCustomPlot::changeEvent(event);
  if (event->type() == QEvent::PaletteChange || event->type() == QEvent::FontChange) {
    rebuild();
    replot(QCustomPlot::rpQueuedReplot);
  }
}

void Chart::addValueLabel(double key, double value, const QString& text, const ChartStyle& style) {
  auto* label = new QCPItemText(this);
  label->setClipToAxisRect(false);
  label->position->setType(QCPItemPosition::ptPlotCoords);
  label->position->setCoords(key, value);
  label->setPositionAlignment(Qt::AlignHCenter | Qt::AlignBottom);
  label->setPadding(QMargins(0, 0, 0, 2));
  label->setFont(style.smallFont);
  label->setColor(style.foreground);
  label->setText(text);
}

void Chart::rebuild() {
  clearPlottables();
  clearItems();
  legend->clearItems();

  const ChartStyle style = currentStyle();
  style.applyTo(*this);
  m_titleElement->setFont(style.titleFont);
  m_titleElement->setTextColor(style.foreground);

  m_hasContent = build(m_data, style);
  // An empty legend in the layout collapses the width of the whole plot
  // layout (seen with QCustomPlot 2.1), so its row leaves the layout while
  // there is nothing to list.
  const bool showLegend = legend->itemCount() > 0;
  const bool legendInLayout = plotLayout()->hasElement(2, 0) && plotLayout()->element(2, 0) == m_legendRow;
  if (showLegend && !legendInLayout) {
    plotLayout()->addElement(2, 0, m_legendRow);
    plotLayout()->setRowStretchFactor(2, 0.001);
  } else if (!showLegend && legendInLayout) {
    plotLayout()->take(m_legendRow);
    plotLayout()->simplify();
  }
  legend->setVisible(showLegend);
  if (!m_hasContent) {
    auto* placeholder = new QCPItemText(this);
    placeholder->position->setType(QCPItemPosition::ptAxisRectRatio);
    placeholder->position->setCoords(0.5, 0.5);
    placeholder->setPositionAlignment(Qt::AlignCenter);
    placeholder->setColor(style.mutedText);
    placeholder->setFont(style.font);
    placeholder->setText(emptyText());
  }
}

}  // namespace gpupoor::gui
