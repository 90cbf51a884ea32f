#include "gui/cli/option_parsing.h"

#include <cmath>
#include <cstdio>

#include <fmt/format.h>

#include "core/common/errors.h"

namespace gpupoor::cli {

bool parseCommandLine(QCommandLineParser& parser, const QStringList& args, const std::string& commandName,
                      const std::string& positionalHint) {
  const QCommandLineOption helpOption(QStringList{"h", "help"}, "Show this help.");
  parser.addOption(helpOption);
  // QCommandLineParser treats the first element as the program name.
  const QStringList withProgram = QStringList{QString::fromStdString("gpupoor " + commandName)} + args;
  if (!parser.parse(withProgram)) {
    std::string message = parser.errorText().toStdString();
    if (!message.empty() && message.back() == '.') message.pop_back();
    throw InvalidArgument(fmt::format("{}; run 'gpupoor {} --help' for the options", message, commandName));
  }
  if (parser.isSet(helpOption)) {
    std::fputs(commandHelpText(parser, commandName).c_str(), stdout);
    std::fflush(stdout);
    return false;
  }
  if (!parser.positionalArguments().isEmpty()) {
    const std::string hint =
        positionalHint.empty() ? fmt::format("run 'gpupoor {} --help' for the options", commandName)
                               : positionalHint;
    throw InvalidArgument(fmt::format("unexpected argument '{}'; {}",
                                      parser.positionalArguments().first().toStdString(), hint));
  }
  return true;
}

std::string commandHelpText(const QCommandLineParser& parser, const std::string& commandName) {
  const QString text = parser.helpText();
  const qsizetype lineEnd = text.indexOf('\n');
  const QString firstLine = text.left(lineEnd);
  // Keep what Qt writes after the program name, such as positional arguments.
  const qsizetype optionsAt = firstLine.indexOf(QStringLiteral("[options]"));
  const QString usageTail = optionsAt >= 0 ? firstLine.mid(optionsAt) : QStringLiteral("[options]");
  const QString usage =
      QStringLiteral("Usage: gpupoor %1 %2").arg(QString::fromStdString(commandName), usageTail);
  return (usage + (lineEnd >= 0 ? text.mid(lineEnd) : QString())).toStdString();
}

QString requiredValue(const QCommandLineParser& parser, const QString& option) {
  if (!parser.isSet(option)) {
    throw InvalidArgument(fmt::format("missing required option --{}", option.toStdString()));
  }
  return parser.value(option);
}

std::int64_t integerValue(const QCommandLineParser& parser, const QString& option,
                          std::int64_t fallback, std::int64_t minimum, std::int64_t maximum) {
  if (!parser.isSet(option)) return fallback;
  bool ok = false;
  const qlonglong value = parser.value(option).toLongLong(&ok);
  if (!ok || value < minimum || value > maximum) {
    throw InvalidArgument(fmt::format("invalid --{} '{}': expected an integer from {} to {}",
                                      option.toStdString(), parser.value(option).toStdString(),
                                      minimum, maximum));
  }
  return value;
}

double numberValue(const QCommandLineParser& parser, const QString& option, double fallback,
                   double minimum, double maximum) {
  if (!parser.isSet(option)) return fallback;
  bool ok = false;
  const double value = parser.value(option).toDouble(&ok);
  if (!ok || !std::isfinite(value) || value < minimum || value > maximum) {
    throw InvalidArgument(fmt::format("invalid --{} '{}': expected a number from {} to {}",
                                      option.toStdString(), parser.value(option).toStdString(),
                                      minimum, maximum));
  }
  return value;
}

int parseSmoothingMethod(const QString& text) {
  QString digits = text.trimmed();
  if (digits.startsWith("method")) digits = digits.mid(6);
  bool ok = false;
  const int method = digits.toInt(&ok);
  if (!ok || method < 0 || method > 7) {
    throw InvalidArgument(fmt::format(
        "invalid smoothing '{}': expected method0 to method7 (NLTK SmoothingFunction)", text.toStdString()));
  }
  return method;
}

}  // namespace gpupoor::cli
