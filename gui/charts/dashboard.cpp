#include "gui/charts/dashboard.h"

#include <qcustomplot.h>

#include <QFontMetrics>
#include <QGridLayout>

#include "gui/charts/bleu_chart.h"
#include "gui/charts/chart.h"
#include "gui/charts/memory_chart.h"
#include "gui/charts/perplexity_chart.h"
#include "gui/charts/scaling_chart.h"
#include "gui/charts/summary_chart.h"
#include "gui/charts/throughput_chart.h"

namespace gpupoor::gui {

namespace {
constexpr int kColumns = 3;
}  // namespace

Dashboard::Dashboard(QWidget* parent) : QWidget(parent) {
  setObjectName(QStringLiteral("dashboard"));
  m_charts = {new MemoryChart(this),     new ThroughputChart(this), new BleuChart(this),
              new PerplexityChart(this), new ScalingChart(this),    new SummaryChart(this)};
  auto* grid = new QGridLayout(this);
  grid->setContentsMargins(0, 0, 0, 0);
  grid->setSpacing(6);
  for (std::size_t i = 0; i < m_charts.size(); ++i) {
    grid->addWidget(m_charts[i], static_cast<int>(i) / kColumns, static_cast<int>(i) % kColumns);
  }
  setData(ChartData{});
}

void Dashboard::setData(const ChartData& data) {
  m_data = data;
  for (Chart* chart : m_charts) {
    chart->setData(m_data);
    chart->replot(QCustomPlot::rpQueuedReplot);
  }
}

void Dashboard::setData(const ChartData& data, const QStringList& fileStems) {
  m_data = data;
  for (Chart* chart : m_charts) {
    if (!fileStems.contains(chart->fileStem())) continue;
    chart->setData(m_data);
    chart->replot(QCustomPlot::rpQueuedReplot);
  }
}

Chart* Dashboard::chart(const QString& fileStem) const {
  for (Chart* chart : m_charts) {
    if (chart->fileStem() == fileStem) return chart;
  }
  return nullptr;
}

void Dashboard::paint(QCPPainter& painter, const QSize& size, const QString& title) {
  const ChartStyle style = m_charts.front()->currentStyle();
  painter.fillRect(QRect(QPoint(0, 0), size), style.background);

  // Header: title, then the caption (machine, threads, speed mode) if any.
  QFont titleFont = style.titleFont;
  titleFont.setPointSizeF(style.titleFont.pointSizeF() * 1.3);
  const int margin = 12;
  const int titleHeight = QFontMetrics(titleFont).height();
  const int captionHeight = m_data.caption.isEmpty() ? 0 : QFontMetrics(style.font).height();
  painter.setPen(style.foreground);
  painter.setFont(titleFont);
  painter.drawText(QRect(margin, margin / 2, size.width() - 2 * margin, titleHeight),
                   Qt::AlignLeft | Qt::AlignVCenter, title);
  if (captionHeight > 0) {
    painter.setFont(style.font);
    painter.setPen(style.mutedText);
    painter.drawText(
        QRect(margin, margin / 2 + titleHeight, size.width() - 2 * margin, captionHeight),
        Qt::AlignLeft | Qt::AlignVCenter, m_data.caption);
  }

  // Grid of charts under the header.
  const int top = margin / 2 + titleHeight + captionHeight + margin / 2;
  const int rows = (static_cast<int>(m_charts.size()) + kColumns - 1) / kColumns;
  const int cellWidth = size.width() / kColumns;
  const int cellHeight = (size.height() - top) / rows;
  for (std::size_t i = 0; i < m_charts.size(); ++i) {
    const int row = static_cast<int>(i) / kColumns;
    const int column = static_cast<int>(i) % kColumns;
    painter.save();
    painter.translate(column * cellWidth, top + row * cellHeight);
    m_charts[i]->toPainter(&painter, cellWidth, cellHeight);
    painter.restore();
  }
}

}  // namespace gpupoor::gui
