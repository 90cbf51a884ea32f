// Entry point of gpupoor: with a subcommand it runs headless on the command
// line; without one it opens the desktop window.

#include <QApplication>
#include <QCoreApplication>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

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

// Restarts the process once with settings for the two thread pools that run
// model work, each applied only when the user has not set it:
// - OMP_WAIT_POLICY=passive and GOMP_SPINCOUNT=3000. By default LibTorch's
//   OpenMP threads spin for 300000 rounds after each parallel region and take
//   the cores from OpenBLAS's threads, which run the FP32 matrix products. On
//   2 cores the FP32 prefill of the gpt2 shape ran at 220 tokens/s with that
//   spinning and 490 without (gpupoor bench, 256 tokens). Not spinning at all
//   costs a wake-up per parallel region instead, and an INT8 decode step runs
//   one region per matrix. In a decode-like pass over the gpt2-large int8
//   matrices, 3000 rounds raised w8a8 from 16 to 22 GB/s, as much as 20000
//   did. With both cores busy with other work, 20000 rounds halved the same
//   pass while 3000 cost about 5%.
// - OPENBLAS_THREAD_TIMEOUT=20. OpenBLAS's threads poll with sched_yield for
//   2^28 cycles (about 0.1 s) after each product before they sleep, and so
//   keep polling through the OpenMP work that follows on the same cores.
//   When prefill attention still went through OpenBLAS, gpt2-large w8a8
//   prefill ran at 148 tokens/s with the default and 208 with a short
//   timeout. 2^20 cycles (about 0.3 ms) still covers the gaps between the
//   products of an FP32 decode step, so FP32 keeps its threads awake where
//   it needs them (see docs/benchmarks.md).
// Both libraries read the variables only when they are loaded, hence the
// exec, which costs about 0.4 s of library loading. Commands that run no
// model skip it.
void restartWithThreadSettings(int argc, char** argv) {
  const bool setOpenMp = std::getenv("OMP_WAIT_POLICY") == nullptr;
  const bool setSpinCount = std::getenv("GOMP_SPINCOUNT") == nullptr;
  const bool setOpenBlas = std::getenv("OPENBLAS_THREAD_TIMEOUT") == nullptr;
  if (!setOpenMp && !setSpinCount && !setOpenBlas) return;
  if (argc >= 2) {
    const std::string_view first = argv[1];
    for (const std::string_view light : {"--version", "-V", "--help", "-h", "help", "models", "tokenize",
                                         "bleu", "charts"}) {
      if (first == light) return;
    }
    for (int i = 2; i < argc; ++i) {
      if (std::string_view(argv[i]) == "--help" || std::string_view(argv[i]) == "-h") return;
    }
  }
  if (setOpenMp) setenv("OMP_WAIT_POLICY", "passive", 1);
  if (setSpinCount) setenv("GOMP_SPINCOUNT", "3000", 1);
  if (setOpenBlas) setenv("OPENBLAS_THREAD_TIMEOUT", "20", 1);
  execv("/proc/self/exe", argv);
  // The exec failed: carry on with the libraries' defaults.
  std::fprintf(stderr, "gpupoor: could not restart with the thread settings: %s\n",
               std::strerror(errno));
}

}  // namespace

int main(int argc, char** argv) {
  restartWithThreadSettings(argc, argv);
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
