#include "gui/cli/command.h"

#include <algorithm>
#include <cstdio>
#include <exception>

#include "core/common/errors.h"

namespace gpupoor::cli {

namespace {
std::vector<Command>& registry() {
  static std::vector<Command> commands;
  return commands;
}
}  // namespace

void CommandRegistry::add(Command command) {
  auto& commands = registry();
  commands.push_back(std::move(command));
  std::sort(commands.begin(), commands.end(),
            [](const Command& a, const Command& b) { return a.name < b.name; });
}

const std::vector<Command>& CommandRegistry::all() { return registry(); }

const Command* CommandRegistry::find(const std::string& name) {
  for (const auto& command : registry()) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

int runGuarded(const std::string& commandName, const std::function<int()>& body) {
  try {
    return body();
  } catch (const InvalidArgument& error) {
    std::fprintf(stderr, "gpupoor %s: error: %s\n", commandName.c_str(), error.what());
    return kExitBadInput;
  } catch (const InvalidCheckpoint& error) {
    std::fprintf(stderr, "gpupoor %s: error: %s\n", commandName.c_str(), error.what());
    return kExitBadInput;
  } catch (const Cancelled&) {
    std::fprintf(stderr, "gpupoor %s: cancelled\n", commandName.c_str());
    return kExitCancelled;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "gpupoor %s: internal error: %s\n", commandName.c_str(), error.what());
    return kExitInternalError;
  }
}

void printLine(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

}  // namespace gpupoor::cli
