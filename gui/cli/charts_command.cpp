// `gpupoor charts`: renders the charts of a saved report JSON into a folder
// as PNG and PDF files, without opening the window.

#include <nlohmann/json.hpp>

#include <QCommandLineParser>
#include <QDir>

#include <fstream>

#include "core/common/errors.h"
#include "gui/charts/chart_export.h"
#include "gui/cli/command.h"
#include "gui/cli/option_parsing.h"

namespace gpupoor::cli {

namespace {

int parsePositive(const QCommandLineParser& parser, const QString& name) {
  bool ok = false;
  const int value = parser.value(name).toInt(&ok);
  if (!ok || value <= 0) {
    throw InvalidArgument("--" + name.toStdString() + " must be a positive integer, got '" +
                          parser.value(name).toStdString() + "'");
  }
  return value;
}

int runCharts(const QStringList& args) {
  QCommandLineParser parser;
  parser.setApplicationDescription(
      "Render the charts of a gpupoor report as PNG and PDF: memory, decode speed, BLEU, "
      "perplexity, INT8/FP32 ratios, summary and a dashboard of all of them.");
  parser.addOption({"report", "Report JSON written by 'gpupoor compare' or the app.", "FILE"});
  parser.addOption({"out", "Folder for the files; created when missing.", "DIR"});
  parser.addOption({"width", "Width of each chart in pixels (PNG) or points (PDF).", "N", "1000"});
  parser.addOption({"height", "Height of each chart.", "N", "620"});
  parser.addOption({"dashboard-width", "Width of the dashboard.", "N", "1800"});
  parser.addOption({"dashboard-height", "Height of the dashboard.", "N", "1100"});
  parser.addOption({"scale", "PNG pixels per unit: 1, or 2 for high-DPI screens.", "X", "1"});

  return runGuarded("charts", [&] {
    if (!parseCommandLine(parser, args, "charts")) return kExitOk;
    if (!parser.isSet("report") || !parser.isSet("out")) {
      throw InvalidArgument("--report FILE and --out DIR are required; see 'gpupoor charts --help'");
    }
    const std::string reportPath = parser.value("report").toStdString();
    std::ifstream file(reportPath);
    if (!file) throw InvalidArgument("cannot open report '" + reportPath + "'");
    nlohmann::json report;
    try {
      report = nlohmann::json::parse(file);
    } catch (const nlohmann::json::parse_error& error) {
      throw InvalidArgument("report '" + reportPath + "' is not valid JSON: " + error.what());
    }

    gui::ChartExportOptions options;
    options.chartSize = QSize(parsePositive(parser, "width"), parsePositive(parser, "height"));
    options.dashboardSize =
        QSize(parsePositive(parser, "dashboard-width"), parsePositive(parser, "dashboard-height"));
    bool scaleOk = false;
    options.scale = parser.value("scale").toDouble(&scaleOk);
    if (!scaleOk) {
      throw InvalidArgument("--scale must be a number, got '" + parser.value("scale").toStdString() + "'");
    }

    const QStringList written = gui::renderChartFiles(gui::chartDataFromReport(report),
                                                      parser.value("out"), options);
    for (const QString& path : written) printLine(path.toStdString());
    return kExitOk;
  });
}

const CommandRegistration kRegistration{
    {"charts", "render the charts of a saved report as PNG and PDF", runCharts, true}};

}  // namespace

}  // namespace gpupoor::cli
