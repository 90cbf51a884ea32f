#include "gui/window/gui_main.h"

#include <spdlog/spdlog.h>

#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <QTimer>

#include "core/common/build_info.h"
#include "core/common/resources.h"
#include "core/common/threads.h"
#include "gui/cli/command.h"
#include "gui/window/main_window.h"
#include "gui/window/prompt_panel.h"

namespace gpupoor::gui {

namespace {

void saveScreenshot(QWidget& window, const QString& path) {
  const QPixmap shot = window.grab();
  if (shot.save(path, "PNG")) {
    spdlog::info("screenshot saved to {}", path.toStdString());
  } else {
    spdlog::error("cannot save screenshot to {}", path.toStdString());
  }
}

}  // namespace

int runGui(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setApplicationName(QStringLiteral("gpupoor"));
  QApplication::setOrganizationName(QStringLiteral("gpu-poor"));
  QApplication::setApplicationVersion(QString::fromLatin1(build::kVersion));
  QApplication::setApplicationDisplayName(QStringLiteral("gpu-poor"));
  setComputeThreads(0);
  try {
    QApplication::setWindowIcon(QIcon(QString::fromStdString((resourceDir() / "icons" / "gpupoor.svg").string())));
  } catch (const std::exception& error) {
    spdlog::warn("app icon not found: {}", error.what());
  }

  // Options for scripted screenshots and demos; hidden from `gpupoor --help`,
  // which lists the subcommands.
  QCommandLineParser parser;
  parser.addOption({"report", "Open this report JSON at start.", "FILE"});
  parser.addOption({"run", "Start an A/B run of the prompts at start."});
  parser.addOption({"tab", "Show this tab at start: 0 A/B, 1 charts, 2 perplexity, 3 log.", "N"});
  parser.addOption({"theme", "light, dark or system.", "NAME"});
  parser.addOption({"screenshot", "Save a screenshot of the window to FILE after the run (with "
                                  "--run) or after --screenshot-delay-ms, then quit.", "FILE"});
  parser.addOption({"screenshot-delay-ms", "Delay before the screenshot without --run.", "MS", "1500"});
  parser.addOption({"size", "Window size, WxH.", "WxH"});
  parser.addOption({"first-prompts", "Keep only the first N prompts of the editor.", "N"});
  parser.process(app);

  MainWindow window;
  if (parser.isSet("size")) {
    const QStringList parts = parser.value("size").split(QLatin1Char('x'));
    if (parts.size() == 2) window.resize(parts[0].toInt(), parts[1].toInt());
  }
  window.show();

  if (parser.isSet("report")) {
    QString error;
    if (!window.openReport(parser.value("report"), &error)) spdlog::error("{}", error.toStdString());
  }
  const QString screenshot = parser.value("screenshot");
  const auto finish = [&window, &app, screenshot] {
    if (screenshot.isEmpty()) return;
    saveScreenshot(window, screenshot);
    window.close();
    app.quit();
  };
  if (parser.isSet("theme")) window.setTheme(parser.value("theme"));
  if (parser.isSet("first-prompts")) {
    window.promptPanel()->setPrompts(window.promptPanel()->prompts().mid(0, parser.value("first-prompts").toInt()));
  }
  if (parser.isSet("tab")) window.tabs()->setCurrentIndex(parser.value("tab").toInt());

  if (parser.isSet("run")) {
    QObject::connect(&window, &MainWindow::runEnded, &window, [finish] {
      // One more timer turn, so the last batched replot is on screen.
      QTimer::singleShot(300, finish);
    });
    QTimer::singleShot(0, &window, [&window, finish] {
      if (!window.startAbRun()) finish();
    });
  } else if (!screenshot.isEmpty()) {
    QTimer::singleShot(parser.value("screenshot-delay-ms").toInt(), finish);
  }
  return QApplication::exec();
}

}  // namespace gpupoor::gui
