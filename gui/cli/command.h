#pragma once

// Subcommands of the gpupoor binary. Each cli/<name>_command.cpp defines one
// run function and registers it with a static CommandRegistration, so adding
// a command touches no shared file.

#include <QStringList>

#include <functional>
#include <string>
#include <vector>

namespace gpupoor::cli {

// Process exit codes of every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitInternalError = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitCancelled = 130;

struct Command {
  std::string name;
  std::string summary;  // one line for `gpupoor --help`
  // Receives the arguments after the command name; returns the exit code.
  std::function<int(const QStringList& args)> run;
  // True when the command draws widgets (charts), so main() creates a
  // QApplication on the offscreen platform instead of a QCoreApplication.
  bool needsWidgets = false;
};

class CommandRegistry {
 public:
  static void add(Command command);
  static const std::vector<Command>& all();
  // Returns null when no command has that name.
  static const Command* find(const std::string& name);
};

struct CommandRegistration {
  explicit CommandRegistration(Command command) { CommandRegistry::add(std::move(command)); }
};

// Runs `body`, translating core exceptions into messages on stderr and exit
// codes: bad input (InvalidArgument, InvalidCheckpoint) 2, cancelled 130,
// anything else 1.
int runGuarded(const std::string& commandName, const std::function<int()>& body);

// Writes `text` plus a newline to stdout and flushes it.
void printLine(const std::string& text);

}  // namespace gpupoor::cli
