#pragma once

namespace gpupoor::gui {

// Creates the QApplication, shows the main window and runs the event loop.
int runGui(int argc, char** argv);

}  // namespace gpupoor::gui
