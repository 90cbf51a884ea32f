#include "gui/window/gui_main.h"

#include <cstdio>

#include "gui/cli/command.h"

namespace gpupoor::gui {

// TODO: the desktop window is not built yet; this entry point only says so.
int runGui(int /*argc*/, char** /*argv*/) {
  std::fprintf(stderr,
               "gpupoor: the desktop window is not available in this build yet; "
               "run 'gpupoor --help' for the command-line tools\n");
  return cli::kExitInternalError;
}

}  // namespace gpupoor::gui
