#include "gui/charts/chart_export.h"

#include <qcustomplot.h>

#include <nlohmann/json.hpp>

#include <QApplication>
#include <QDir>
#include <QImageWriter>
#include <QPageLayout>
#include <QPageSize>
#include <QPdfWriter>
#include <QSaveFile>
#include <QThread>

#include <cmath>
#include <filesystem>
#include <functional>
#include <system_error>

#include "core/common/errors.h"
#include "gui/charts/chart.h"
#include "gui/charts/dashboard.h"

namespace gpupoor::gui {

namespace {

constexpr int kMinSidePx = 16;
constexpr int kMaxSidePx = 16384;
constexpr double kMinScale = 0.25;
constexpr double kMaxScale = 8.0;

using PaintFunction = std::function<void(QCPPainter&, const QSize&)>;

void requireGuiThread(const QString& path) {
  if (qobject_cast<QApplication*>(QCoreApplication::instance()) == nullptr) {
    throw Error("cannot render '" + path.toStdString() +
                "': chart rendering needs a QApplication (the offscreen platform is enough)");
  }
  if (QThread::currentThread() != QCoreApplication::instance()->thread()) {
    throw Error("cannot render '" + path.toStdString() +
                "': charts must be rendered on the application's main thread");
  }
}

void checkSize(const QSize& size, double scale, const QString& path) {
  const auto sideOk = [](int side) { return side >= kMinSidePx && side <= kMaxSidePx; };
  if (!sideOk(size.width()) || !sideOk(size.height())) {
    throw InvalidArgument("cannot export '" + path.toStdString() + "': size " +
                          std::to_string(size.width()) + "x" + std::to_string(size.height()) +
                          " is out of range; width and height must be " +
                          std::to_string(kMinSidePx) + ".." + std::to_string(kMaxSidePx));
  }
  const double scaledWidth = size.width() * scale;
  const double scaledHeight = size.height() * scale;
  if (!(scale >= kMinScale && scale <= kMaxScale) || scaledWidth > kMaxSidePx ||
      scaledHeight > kMaxSidePx) {
    throw InvalidArgument("cannot export '" + path.toStdString() + "': scale " +
                          std::to_string(scale) + " is out of range; it must be 0.25..8 and " +
                          "the scaled image at most " + std::to_string(kMaxSidePx) +
                          " pixels per side");
  }
}

void openForWriting(QSaveFile& file, const QString& path, const char* kind) {
  if (!file.open(QIODevice::WriteOnly)) {
    throw Error(std::string("cannot write ") + kind + " '" + path.toStdString() +
                "': " + file.errorString().toStdString());
  }
}

void commit(QSaveFile& file, const QString& path, const char* kind) {
  if (!file.commit()) {
    throw Error(std::string("cannot write ") + kind + " '" + path.toStdString() +
                "': " + file.errorString().toStdString());
  }
}

void writePng(const QString& path, const QSize& size, double scale, const QColor& background,
              const PaintFunction& paint) {
  requireGuiThread(path);
  checkSize(size, scale, path);

  const QSize pixels(static_cast<int>(std::lround(size.width() * scale)),
                     static_cast<int>(std::lround(size.height() * scale)));
  QImage image(pixels, QImage::Format_ARGB32_Premultiplied);
  image.fill(background);
  {
    QCPPainter painter(&image);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setRenderHint(QPainter::TextAntialiasing);
    if (scale > 1.0) painter.setMode(QCPPainter::pmNonCosmetic);
    painter.scale(static_cast<double>(pixels.width()) / size.width(),
                  static_cast<double>(pixels.height()) / size.height());
    paint(painter, size);
  }

  QSaveFile file(path);
  openForWriting(file, path, "PNG");
  QImageWriter writer(&file, "png");
  if (!writer.write(image)) {
    file.cancelWriting();
    throw Error("cannot write PNG '" + path.toStdString() +
                "': " + writer.errorString().toStdString());
  }
  commit(file, path, "PNG");
}

void writePdf(const QString& path, const QSize& size, const QString& title,
              const PaintFunction& paint) {
  requireGuiThread(path);
  checkSize(size, 1.0, path);

  QSaveFile file(path);
  openForWriting(file, path, "PDF");
  {
    QPdfWriter writer(&file);
    writer.setCreator(QStringLiteral("gpupoor"));
    writer.setTitle(title);
    // 72 dots per inch makes one painter unit one point, so the page is
    // exactly `size` points and the chart lays out as it does on screen.
    writer.setResolution(72);
    const QPageSize pageSize(QSizeF(size), QPageSize::Point, QString(), QPageSize::ExactMatch);
    writer.setPageLayout(QPageLayout(pageSize, QPageLayout::Portrait, QMarginsF(0, 0, 0, 0)));
    QCPPainter painter;
    if (!painter.begin(&writer)) {
      file.cancelWriting();
      throw Error("cannot write PDF '" + path.toStdString() + "': the PDF painter failed to start");
    }
    painter.setMode(QCPPainter::pmVectorized);
    painter.setMode(QCPPainter::pmNoCaching);
    paint(painter, size);
    painter.end();
  }
  commit(file, path, "PDF");
}

PaintFunction chartPainter(Chart& chart) {
  return [&chart](QCPPainter& painter, const QSize& size) {
    chart.toPainter(&painter, size.width(), size.height());
  };
}

PaintFunction dashboardPainter(Dashboard& dashboard) {
  return [&dashboard](QCPPainter& painter, const QSize& size) {
    dashboard.paint(painter, size, QString::fromUtf8(kDashboardTitle));
  };
}

void ensureDirectory(const QString& dir) {
  std::error_code error;
  std::filesystem::create_directories(std::filesystem::path(dir.toStdString()), error);
  if (error) {
    throw Error("cannot create chart folder '" + dir.toStdString() + "': " + error.message());
  }
}

}  // namespace

void exportChartPng(Chart& chart, const QString& path, const QSize& size, double scale) {
  writePng(path, size, scale, chart.currentStyle().background, chartPainter(chart));
  chart.replot(QCustomPlot::rpQueuedReplot);
}

void exportChartPdf(Chart& chart, const QString& path, const QSize& size) {
  writePdf(path, size, chart.title(), chartPainter(chart));
  chart.replot(QCustomPlot::rpQueuedReplot);
}

void exportDashboardPng(Dashboard& dashboard, const QString& path, const QSize& size,
                        double scale) {
  const QColor background = dashboard.charts().front()->currentStyle().background;
  writePng(path, size, scale, background, dashboardPainter(dashboard));
  for (Chart* chart : dashboard.charts()) chart->replot(QCustomPlot::rpQueuedReplot);
}

void exportDashboardPdf(Dashboard& dashboard, const QString& path, const QSize& size) {
  writePdf(path, size, QString::fromUtf8(kDashboardTitle), dashboardPainter(dashboard));
  for (Chart* chart : dashboard.charts()) chart->replot(QCustomPlot::rpQueuedReplot);
}

QStringList renderChartFiles(const ChartData& data, const QString& dir,
                             const ChartExportOptions& options) {
  requireGuiThread(dir);
  ensureDirectory(dir);
  const QDir folder(dir);

  Dashboard dashboard;
  dashboard.setData(data);
  QStringList written;
  for (Chart* chart : dashboard.charts()) {
    const QString png = folder.filePath(chart->fileStem() + QStringLiteral(".png"));
    const QString pdf = folder.filePath(chart->fileStem() + QStringLiteral(".pdf"));
    exportChartPng(*chart, png, options.chartSize, options.scale);
    written << png;
    exportChartPdf(*chart, pdf, options.chartSize);
    written << pdf;
  }
  const QString png = folder.filePath(QStringLiteral("dashboard.png"));
  const QString pdf = folder.filePath(QStringLiteral("dashboard.pdf"));
  exportDashboardPng(dashboard, png, options.dashboardSize, options.scale);
  written << png;
  exportDashboardPdf(dashboard, pdf, options.dashboardSize);
  written << pdf;
  return written;
}

void renderReportCharts(const nlohmann::json& report, const QString& dir) {
  renderReportCharts(report, dir, ChartExportOptions{});
}

void renderReportCharts(const nlohmann::json& report, const QString& dir,
                        const ChartExportOptions& options) {
  renderChartFiles(chartDataFromReport(report), dir, options);
}

}  // namespace gpupoor::gui
