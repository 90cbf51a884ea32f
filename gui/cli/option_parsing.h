#pragma once

// Option parsing shared by the metric and comparison subcommands: every
// problem becomes an InvalidArgument naming the option and the value, so
// runGuarded() turns it into exit code 2.

#include <QCommandLineParser>
#include <QStringList>

#include <cstdint>
#include <string>

namespace gpupoor::cli {

// Parses `args` (the arguments after the command name). Returns false when
// --help was given, after printing commandHelpText(). Throws InvalidArgument
// for unknown options, missing values and unexpected positional arguments;
// `positionalHint` (optional) replaces the pointer to --help in the last case.
bool parseCommandLine(QCommandLineParser& parser, const QStringList& args, const std::string& commandName,
                      const std::string& positionalHint = {});

// Returns the parser's help text with the usage line "Usage: gpupoor
// <commandName> [options]". QCommandLineParser::helpText() names argv[0]
// (for example ./build/gui/gpupoor) and not the subcommand.
std::string commandHelpText(const QCommandLineParser& parser, const std::string& commandName);

// Value of a required option; throws InvalidArgument when it is missing.
QString requiredValue(const QCommandLineParser& parser, const QString& option);

// Integer value of `option` in [minimum, maximum], or `fallback` when absent.
std::int64_t integerValue(const QCommandLineParser& parser, const QString& option,
                          std::int64_t fallback, std::int64_t minimum, std::int64_t maximum);

// Floating-point value of `option` in [minimum, maximum], or `fallback`.
double numberValue(const QCommandLineParser& parser, const QString& option, double fallback,
                   double minimum, double maximum);

// Parses "method0".."method7" or "0".."7" into the NLTK smoothing method number.
int parseSmoothingMethod(const QString& text);

}  // namespace gpupoor::cli
