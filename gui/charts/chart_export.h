#pragma once

// Saving charts as PNG and PDF, from the window or headless from a report.
// Every file is written atomically (QSaveFile: a temporary file renamed over
// the target on success), so a failed export leaves any earlier file intact.
// Failures throw gpupoor::Error (or InvalidArgument for bad sizes) with the
// path and the reason.

#include <nlohmann/json_fwd.hpp>

#include <QSize>
#include <QString>
#include <QStringList>

#include "gui/charts/chart_data.h"

namespace gpupoor::gui {

class Chart;
class Dashboard;

// Title painted above the dashboard grid in exports.
inline constexpr const char* kDashboardTitle = "gpu-poor: FP32 vs INT8";

// Logical sizes in pixels (PNG) or points (PDF, 1/72 inch).
struct ChartExportOptions {
  QSize chartSize{1000, 620};
  QSize dashboardSize{1800, 1100};
  // PNG pixels = logical size x scale; 2 gives sharp images on high-DPI screens.
  double scale = 1.0;
};

// Writes `chart` as a PNG of exactly size.width() * scale by size.height() *
// scale pixels (rounded). Sizes must be 16..16384 and scale 0.25..8.
void exportChartPng(Chart& chart, const QString& path, const QSize& size, double scale = 1.0);
// Writes `chart` as a one-page vector PDF of `size` points.
void exportChartPdf(Chart& chart, const QString& path, const QSize& size);

void exportDashboardPng(Dashboard& dashboard, const QString& path, const QSize& size,
                        double scale = 1.0);
void exportDashboardPdf(Dashboard& dashboard, const QString& path, const QSize& size);

// Writes every chart of `data` into `dir` (created when missing) as
// <stem>.png and <stem>.pdf, plus dashboard.png and dashboard.pdf. Returns
// the paths written. Needs a QApplication and must run on its thread.
QStringList renderChartFiles(const ChartData& data, const QString& dir,
                             const ChartExportOptions& options = {});

// Renders the charts of a "gpupoor-report" JSON document into `dir`, as
// renderChartFiles() does. Throws InvalidArgument when `report` is not such a
// document and Error when no QApplication exists or a file cannot be written.
void renderReportCharts(const nlohmann::json& report, const QString& dir);
void renderReportCharts(const nlohmann::json& report, const QString& dir,
                        const ChartExportOptions& options);

}  // namespace gpupoor::gui
