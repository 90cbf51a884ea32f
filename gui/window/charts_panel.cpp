#include "gui/window/charts_panel.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

#include "gui/bridge/engine_bridge.h"
#include "gui/bridge/replot_scheduler.h"
#include "gui/charts/chart.h"
#include "gui/charts/dashboard.h"
#include "gui/charts/live_chart_data.h"

namespace gpupoor::gui {

ChartsPanel::ChartsPanel(QWidget* parent) : QWidget(parent) {
  m_dashboard = new Dashboard(this);
  m_scheduler = new ReplotScheduler(
      [this](const QStringList& stems) {
        m_dashboard->setData(m_data, stems);
        emit flushed(stems);
      },
      this);

  m_perplexityLabel = new QLabel(tr("Perplexity:"), this);
  m_perplexityProgress = new QProgressBar(this);
  m_perplexityProgress->setObjectName(QStringLiteral("perplexityProgress"));
  m_perplexityProgress->setFormat(tr("%v / %m windows"));
  m_perplexityProgress->setToolTip(tr("Sliding windows scored so far, FP32 and INT8 together"));
  m_perplexityLabel->setVisible(false);
  m_perplexityProgress->setVisible(false);

  auto* exportButton = new QPushButton(tr("Export charts…"), this);
  exportButton->setToolTip(tr("Save charts and the dashboard as PNG and PDF (Ctrl+E)"));
  connect(exportButton, &QPushButton::clicked, this, &ChartsPanel::exportRequested);

  auto* bar = new QHBoxLayout;
  bar->addWidget(m_perplexityLabel);
  bar->addWidget(m_perplexityProgress, 1);
  bar->addStretch();
  bar->addWidget(exportButton);

  auto* layout = new QVBoxLayout(this);
  layout->addLayout(bar);
  layout->addWidget(m_dashboard, 1);
}

void ChartsPanel::markDirty(const QStringList& stems) { m_scheduler->markDirty(stems); }

void ChartsPanel::beginRun() {
  assertGuiThread("ChartsPanel::beginRun");
  m_data = ChartData{};
  m_perplexityProgress->setVisible(false);
  m_perplexityLabel->setVisible(false);
  m_dashboard->setData(m_data);
}

void ChartsPanel::applyModelLoaded(const ModelLoadedEvent& event) {
  assertGuiThread("ChartsPanel::applyModelLoaded");
  markDirty(gpupoor::gui::applyModelLoaded(m_data, event));
}

void ChartsPanel::applyMetricSample(const MetricSampleEvent& event) {
  assertGuiThread("ChartsPanel::applyMetricSample");
  markDirty(gpupoor::gui::applyMetricSample(m_data, event));
}

void ChartsPanel::applyPromptFinished(const PromptFinishedEvent& event) {
  assertGuiThread("ChartsPanel::applyPromptFinished");
  markDirty(gpupoor::gui::applyPromptFinished(m_data, event));
}

void ChartsPanel::applyPerplexityProgress(const PerplexityProgressEvent& event) {
  assertGuiThread("ChartsPanel::applyPerplexityProgress");
  m_perplexityLabel->setVisible(true);
  m_perplexityProgress->setVisible(true);
  m_perplexityLabel->setText(tr("Perplexity (%1, INT8 %2):")
                                 .arg(m_data.modelName(event.modelIndex),
                                      QString::fromStdString(schemeName(event.scheme))));
  m_perplexityProgress->setRange(0, static_cast<int>(std::max<std::int64_t>(1, event.windowsTotal)));
  m_perplexityProgress->setValue(static_cast<int>(event.windowsDone));
}

void ChartsPanel::applyPerplexityFinished(const PerplexityFinishedEvent& event) {
  assertGuiThread("ChartsPanel::applyPerplexityFinished");
  m_perplexityProgress->setVisible(false);
  m_perplexityLabel->setVisible(false);
  markDirty(gpupoor::gui::applyPerplexityFinished(m_data, event));
}

void ChartsPanel::finishRun() {
  m_perplexityProgress->setVisible(false);
  m_perplexityLabel->setVisible(false);
  m_scheduler->flushNow();
}

void ChartsPanel::showData(const ChartData& data) {
  m_data = data;
  finishRun();
  m_dashboard->setData(m_data);
}

}  // namespace gpupoor::gui
