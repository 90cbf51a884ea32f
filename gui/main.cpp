// Entry point of gpupoor: with a subcommand it runs headless on the command
// line; without one it opens the desktop window.

#include <QApplication>
#include <QCoreApplication>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "core/common/build_info.h"
#include "core/common/threads.h"
#include "gui/cli/command.h"
#include "gui/window/gui_main.h"

namespace {

void printUsage() {
  std::printf("gpupoor %s: compare GPT-2 checkpoints in FP32 and INT8\n\n", gpupoor::build::kVersion);
  std::printf("Usage:\n  gpupoor                 open the desktop app\n");
  std::printf("  gpupoor COMMAND --help  options of one command\n\nCommands:\n");
  for (const auto& command : gpupoor::cli::CommandRegistry::all()) {
    std::printf("  %-12s %s\n", command.name.c_str(), command.summary.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return gpupoor::gui::runGui(argc, argv);

  const std::string first = argv[1];
  if (first == "--version" || first == "-V") {
    std::printf("gpupoor %s (commit %s)\n", gpupoor::build::kVersion, gpupoor::build::kGitCommit);
    return 0;
  }
  if (first == "--help" || first == "-h" || first == "help") {
    printUsage();
    return 0;
  }
  const auto* command = gpupoor::cli::CommandRegistry::find(first);
  if (command == nullptr) {
    if (!first.empty() && first[0] == '-') return gpupoor::gui::runGui(argc, argv);
    std::fprintf(stderr, "gpupoor: unknown command '%s'; run 'gpupoor --help' for the list\n",
                 first.c_str());
    return gpupoor::cli::kExitBadInput;
  }

  // Log lines go to stderr, so a command's stdout carries only its results.
  spdlog::set_default_logger(spdlog::stderr_color_mt("gpupoor"));

  std::unique_ptr<QCoreApplication> app;
  if (command->needsWidgets) {
    // Charts are drawn offscreen so scripts and machines without a display
    // get the same pictures as the window.
    if (std::getenv("QT_QPA_PLATFORM") == nullptr) setenv("QT_QPA_PLATFORM", "offscreen", 1);
    app = std::make_unique<QApplication>(argc, argv);
  } else {
    app = std::make_unique<QCoreApplication>(argc, argv);
  }
  QCoreApplication::setApplicationName("gpupoor");
  QCoreApplication::setApplicationVersion(gpupoor::build::kVersion);
  gpupoor::setComputeThreads(0);

  QStringList args = QCoreApplication::arguments();
  args.removeFirst();  // program name
  args.removeFirst();  // command name
  return command->run(args);
}
