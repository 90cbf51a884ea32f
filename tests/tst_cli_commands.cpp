// The model subcommands as a user runs them, through the built gpupoor binary.
// Covered: generate with --int8 and Ctrl-C, quantize and reload, perplexity
// --json, compare with a report and charts, the --help usage line, and exit
// code 2 with a message for bad input. Text runs use the bundled demo model;
// the tiny fixtures (token ids only, no tokenizer) serve the rest.
#include <QtTest>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <signal.h>

#include <cmath>
#include <optional>

#include "core/io/safetensors_source.h"
#include "test_paths.h"

namespace {

// Upper bound for one command; the demo model loads and generates in seconds.
constexpr int kProcessTimeoutMs = 120'000;

// Text for the perplexity runs: 184 GPT-2 tokens, several windows of 64.
constexpr const char* kPerplexityText =
    "The lighthouse keeper climbed the stairs every evening before the sun went down. He "
    "trimmed the wick, polished the great lens and wrote the weather in a small book that "
    "nobody else ever read. In the winter the storms came in from the west, and the waves "
    "broke so high against the rocks that the spray reached the lamp room. His daughter "
    "lived in the town across the bay. Once a month she rowed over with bread, letters and "
    "news of the harbour, and they sat together in the kitchen while the kettle boiled. She "
    "asked him each time whether he was lonely, and each time he told her that the ships "
    "were company enough. When the new electric light was installed, the company sent a "
    "young engineer who explained that the keeper would no longer be needed. The old man "
    "listened politely, thanked him, and went on climbing the stairs every evening, because "
    "nobody had told the stairs that the work was finished.\n";

struct ProcessResult {
  bool finished = false;
  QProcess::ExitStatus exitStatus = QProcess::CrashExit;
  int exitCode = -1;
  QString standardOutput;
  QString standardError;
};

QString gpupoorProgram() { return QString::fromStdString(gpupoor::test::gpupoorBinary().string()); }

ProcessResult runGpupoor(
    const QStringList& arguments,
    const QProcessEnvironment& environment = QProcessEnvironment::systemEnvironment()) {
  QProcess process;
  process.setProcessEnvironment(environment);
  process.start(gpupoorProgram(), arguments);
  ProcessResult result;
  result.finished = process.waitForFinished(kProcessTimeoutMs);
  if (!result.finished) {
    process.kill();
    process.waitForFinished();
  }
  result.exitStatus = process.exitStatus();
  result.exitCode = process.exitCode();
  result.standardOutput = QString::fromUtf8(process.readAllStandardOutput());
  result.standardError = QString::fromUtf8(process.readAllStandardError());
  return result;
}

QString demoModel() {
  return QString::fromStdString(
      (gpupoor::test::sourceDir() / "resources/models/gpt2-demo").string());
}

QString tinyModel() {
  return QString::fromStdString((gpupoor::test::dataDir() / "tiny-gpt2/f32-plain").string());
}

// Runs `generate --json` and returns the parsed output, or nothing (after a
// failed check) when the command failed.
std::optional<nlohmann::json> generateJson(const QStringList& arguments) {
  const ProcessResult result =
      runGpupoor(QStringList{"generate", "--json", "--threads", "1"} + arguments);
  const bool succeeded = result.finished && result.exitCode == 0;
  [&] { QVERIFY2(succeeded, qPrintable(result.standardError)); }();
  if (!succeeded) return std::nullopt;
  return nlohmann::json::parse(result.standardOutput.toStdString());
}

std::vector<std::int64_t> newIds(const nlohmann::json& output) {
  const auto ids = output.at("ids").get<std::vector<std::int64_t>>();
  const auto promptTokens = output.at("prompt_tokens").get<std::size_t>();
  return {ids.begin() + static_cast<std::ptrdiff_t>(promptTokens), ids.end()};
}

// True when this process ignores SIGINT, as a background command of a shell
// without job control does. gpupoor inherits that and keeps ignoring Ctrl-C.
bool interruptIgnored() {
  struct sigaction action {};
  return sigaction(SIGINT, nullptr, &action) == 0 && action.sa_handler == SIG_IGN;
}

// Starts a greedy generation on the demo model that runs far longer than any
// test waits, because the sliding window lets it go on past the context.
void startEndlessGeneration(QProcess& process, const QString& prompt) {
  process.start(gpupoorProgram(), {"generate", "--model", demoModel(), "--prompt", prompt,
                                   "--greedy", "--no-stop-at-eos", "--sliding-window",
                                   "--max-new-tokens", "100000", "--threads", "1"});
}

// Reads stdout until it has more than `minimumBytes` or the process ends.
QByteArray readOutputBeyond(QProcess& process, qsizetype minimumBytes) {
  QByteArray output;
  QElapsedTimer timer;
  timer.start();
  while (output.size() <= minimumBytes && timer.elapsed() < kProcessTimeoutMs) {
    if (process.state() == QProcess::NotRunning) break;
    process.waitForReadyRead(1000);
    output += process.readAllStandardOutput();
  }
  return output;
}

bool writeFile(const QString& path, const QByteArray& contents) {
  QFile file(path);
  return file.open(QIODevice::WriteOnly) && file.write(contents) == contents.size();
}

}  // namespace

class TestCliCommands : public QObject {
  Q_OBJECT

 private slots:
  void generateInt8_data() {
    QTest::addColumn<QString>("scheme");
    QTest::newRow("w8a32") << "w8a32";
    QTest::newRow("w8a8") << "w8a8";
  }

  void generateInt8() {
    QFETCH(QString, scheme);
    const QString prompt = "The quick brown fox";
    const ProcessResult result =
        runGpupoor({"generate", "--model", demoModel(), "--prompt", prompt, "--int8", scheme,
                    "--greedy", "--max-new-tokens", "8", "--threads", "1"});
    QVERIFY(result.finished);
    QVERIFY2(result.exitCode == 0, qPrintable(result.standardError));
    QVERIFY2(result.standardOutput.startsWith(prompt), qPrintable(result.standardOutput));
    QVERIFY2(result.standardOutput.trimmed().size() > prompt.size(),
             qPrintable(result.standardOutput));
    QVERIFY2(result.standardError.contains("with " + scheme), qPrintable(result.standardError));
  }

  void generateInt8JsonScheme_data() {
    QTest::addColumn<QString>("scheme");
    QTest::newRow("w8a32") << "w8a32";
    QTest::newRow("w8a8") << "w8a8";
  }

  void generateInt8JsonScheme() {
    QFETCH(QString, scheme);
    const auto output = generateJson({"--model", tinyModel(), "--ids", "5,77,301,12", "--int8",
                                      scheme, "--max-new-tokens", "6", "--no-stop-at-eos"});
    if (!output) return;
    QCOMPARE(QString::fromStdString(output->at("scheme").get<std::string>()), scheme);
    QCOMPARE(output->at("new_tokens").get<int>(), 6);
  }

  // The demo model's greedy continuation of this prompt starts with the same
  // tokens under w8a32 as under FP32; later tokens may drift apart.
  void generateW8a32MatchesFp32Start() {
    const QStringList common = {"--model",  demoModel(),        "--prompt", "The quick brown fox",
                                "--greedy", "--max-new-tokens", "8"};
    const auto fp32 = generateJson(common);
    if (!fp32) return;
    const auto int8 = generateJson(common + QStringList{"--int8", "w8a32"});
    if (!int8) return;
    QCOMPARE(QString::fromStdString(fp32->at("scheme").get<std::string>()), QString("fp32"));
    QCOMPARE(QString::fromStdString(int8->at("scheme").get<std::string>()), QString("w8a32"));

    constexpr std::size_t kMatchingTokens = 4;
    const auto fp32Ids = newIds(*fp32);
    const auto int8Ids = newIds(*int8);
    QVERIFY(fp32Ids.size() >= kMatchingTokens);
    QVERIFY(int8Ids.size() >= kMatchingTokens);
    for (std::size_t i = 0; i < kMatchingTokens; ++i) {
      QVERIFY2(
          fp32Ids[i] == int8Ids[i],
          qPrintable(
              QString("new token %1: fp32 %2, w8a32 %3").arg(i).arg(fp32Ids[i]).arg(int8Ids[i])));
    }
  }

  void int8UnknownScheme_data() {
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("value");
    QTest::newRow("generate bogus")
        << QStringList{"generate", "--model", tinyModel(), "--ids", "1,2", "--int8", "bogus"}
        << "bogus";
    QTest::newRow("generate fp32")
        << QStringList{"generate", "--model", tinyModel(), "--ids", "1,2", "--int8", "fp32"}
        << "fp32";
    QTest::newRow("logits upper case")
        << QStringList{"logits", "--model",   tinyModel(), "--ids", "1,2",
                       "--out",  "/dev/null", "--int8",    "W8A8"}
        << "W8A8";
    QTest::newRow("perplexity bogus") << QStringList{"perplexity", "--model", demoModel(), "--file",
                                                     "/dev/null",  "--int8",  "bogus"}
                                      << "bogus";
  }

  void int8UnknownScheme() {
    QFETCH(QStringList, arguments);
    QFETCH(QString, value);
    const ProcessResult result = runGpupoor(arguments);
    QVERIFY(result.finished);
    QCOMPARE(result.exitCode, 2);
    QVERIFY2(result.standardError.contains("'" + value + "'"), qPrintable(result.standardError));
    QVERIFY2(result.standardError.contains("w8a32"), qPrintable(result.standardError));
    QVERIFY2(result.standardError.contains("w8a8"), qPrintable(result.standardError));
  }

  // logits --int8 really quantizes: the logits move away from FP32, but not far.
  void logitsInt8CloseToFp32() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString ids = "5,77,301,12,499,0,42,7";
    const ProcessResult fp32 = runGpupoor({"logits", "--model", tinyModel(), "--ids", ids, "--out",
                                           dir.filePath("fp32.safetensors"), "--threads", "1"});
    QVERIFY2(fp32.exitCode == 0, qPrintable(fp32.standardError));
    const ProcessResult int8 =
        runGpupoor({"logits", "--model", tinyModel(), "--ids", ids, "--int8", "w8a32", "--out",
                    dir.filePath("w8a32.safetensors"), "--threads", "1"});
    QVERIFY2(int8.exitCode == 0, qPrintable(int8.standardError));

    const gpupoor::SafetensorsSource fp32File(dir.filePath("fp32.safetensors").toStdString());
    const gpupoor::SafetensorsSource int8File(dir.filePath("w8a32.safetensors").toStdString());
    QCOMPARE(int8File.metadata().at("scheme"), std::string("w8a32"));
    const at::Tensor fp32Logits = fp32File.loadFloat32("logits");
    const at::Tensor int8Logits = int8File.loadFloat32("logits");
    QCOMPARE(int8Logits.sizes().vec(), fp32Logits.sizes().vec());
    const double maxDifference = (int8Logits - fp32Logits).abs().max().item<double>();
    const double maxMagnitude = fp32Logits.abs().max().item<double>();
    QVERIFY2(maxDifference > 0.0, "w8a32 logits equal the FP32 logits");
    QVERIFY2(
        maxDifference < 0.05 * maxMagnitude,
        qPrintable(
            QString("max |difference| %1, max |logit| %2").arg(maxDifference).arg(maxMagnitude)));
  }

  // `quantize` then generating from the saved folder gives exactly what
  // --int8 gives on the original, because reloading does not requantize.
  void quantizedReloadMatchesInt8() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString quantized = dir.filePath("demo-w8a8");
    const ProcessResult quantize =
        runGpupoor({"quantize", "--model", demoModel(), "--out", quantized, "--scheme", "w8a8"});
    QVERIFY(quantize.finished);
    QVERIFY2(quantize.exitCode == 0, qPrintable(quantize.standardError));

    const QStringList common = {"--prompt", "The quick brown fox", "--greedy", "--max-new-tokens",
                                "8"};
    const auto direct =
        generateJson(QStringList{"--model", demoModel(), "--int8", "w8a8"} + common);
    if (!direct) return;
    const auto reloaded = generateJson(QStringList{"--model", quantized} + common);
    if (!reloaded) return;
    QCOMPARE(QString::fromStdString(reloaded->at("scheme").get<std::string>()), QString("w8a8"));
    QCOMPARE(reloaded->at("ids").get<std::vector<std::int64_t>>(),
             direct->at("ids").get<std::vector<std::int64_t>>());
    QCOMPARE(QString::fromStdString(reloaded->at("text").get<std::string>()),
             QString::fromStdString(direct->at("text").get<std::string>()));
  }

  void quantizedReloadLogitsIdentical() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString quantized = dir.filePath("tiny-w8a32");
    const ProcessResult quantize =
        runGpupoor({"quantize", "--model", tinyModel(), "--out", quantized, "--scheme", "w8a32"});
    QVERIFY2(quantize.exitCode == 0, qPrintable(quantize.standardError));

    const QString ids = "5,77,301,12,499,0,42,7";
    const ProcessResult direct =
        runGpupoor({"logits", "--model", tinyModel(), "--int8", "w8a32", "--ids", ids, "--out",
                    dir.filePath("direct.safetensors"), "--threads", "1"});
    QVERIFY2(direct.exitCode == 0, qPrintable(direct.standardError));
    const ProcessResult reloaded =
        runGpupoor({"logits", "--model", quantized, "--ids", ids, "--out",
                    dir.filePath("reloaded.safetensors"), "--threads", "1"});
    QVERIFY2(reloaded.exitCode == 0, qPrintable(reloaded.standardError));

    // The files differ in their "model" metadata, so compare the tensors.
    const gpupoor::SafetensorsSource directFile(dir.filePath("direct.safetensors").toStdString());
    const gpupoor::SafetensorsSource reloadedFile(
        dir.filePath("reloaded.safetensors").toStdString());
    QCOMPARE(reloadedFile.metadata().at("scheme"), std::string("w8a32"));
    QVERIFY(at::equal(reloadedFile.loadFloat32("logits"), directFile.loadFloat32("logits")));
  }

  void perplexityJson() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString textFile = dir.filePath("lighthouse.txt");
    QVERIFY(writeFile(textFile, kPerplexityText));

    // The token count comes from the tokenize command, independent of perplexity.
    const ProcessResult tokenized =
        runGpupoor({"tokenize", "--model", demoModel(), "--file", textFile, "--json"});
    QVERIFY2(tokenized.exitCode == 0, qPrintable(tokenized.standardError));
    const auto textTokens = nlohmann::json::parse(tokenized.standardOutput.toStdString())
                                .at("count")
                                .get<std::int64_t>();
    constexpr std::int64_t kMaxLength = 64;
    constexpr std::int64_t kStride = 32;
    QVERIFY2(textTokens > 2 * kMaxLength, qPrintable(QString::number(textTokens)));

    const ProcessResult result = runGpupoor(
        {"perplexity", "--model", demoModel(), "--file", textFile, "--json", "--max-length",
         QString::number(kMaxLength), "--stride", QString::number(kStride), "--threads", "1"});
    QVERIFY(result.finished);
    QVERIFY2(result.exitCode == 0, qPrintable(result.standardError));
    const QStringList lines = result.standardOutput.trimmed().split('\n');
    QCOMPARE(lines.size(), 1);
    const auto output = nlohmann::json::parse(lines.first().toStdString());
    QVERIFY(output.is_object());
    QVERIFY(output.contains("perplexity"));
    QVERIFY(output.contains("nll"));
    QVERIFY(output.contains("tokens"));
    QVERIFY(output.contains("windows"));

    const double perplexity = output.at("perplexity").get<double>();
    const double nll = output.at("nll").get<double>();
    QVERIFY2(std::abs(perplexity - std::exp(nll)) <= 1e-9 * perplexity,
             qPrintable(QString("perplexity %1, exp(nll) %2")
                            .arg(perplexity, 0, 'g', 17)
                            .arg(std::exp(nll), 0, 'g', 17)));
    // With stride < max length every token but the first is scored once.
    QCOMPARE(output.at("tokens").get<std::int64_t>(), textTokens - 1);
    // Windows start every kStride tokens until one reaches the end of the text.
    const std::int64_t expectedWindows = (textTokens - kMaxLength + kStride - 1) / kStride + 1;
    QCOMPARE(output.at("windows").get<std::int64_t>(), expectedWindows);
    QCOMPARE(output.at("scheme").get<std::string>(), std::string("fp32"));
  }

  void perplexityBadOptions_data() {
    QTest::addColumn<QStringList>("options");
    QTest::addColumn<QString>("expectedMessage");
    QTest::newRow("stride zero") << QStringList{"--stride", "0"} << "--stride '0'";
    QTest::newRow("max length beyond n_positions")
        << QStringList{"--max-length", "513"} << "--max-length '513'";
    QTest::newRow("max length one") << QStringList{"--max-length", "1"} << "--max-length '1'";
    QTest::newRow("stride beyond max length")
        << QStringList{"--max-length", "64", "--stride", "65"} << "--stride '65'";
  }

  void perplexityBadOptions() {
    QFETCH(QStringList, options);
    QFETCH(QString, expectedMessage);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString textFile = dir.filePath("lighthouse.txt");
    QVERIFY(writeFile(textFile, kPerplexityText));
    const ProcessResult result =
        runGpupoor(QStringList{"perplexity", "--model", demoModel(), "--file", textFile} + options);
    QVERIFY(result.finished);
    QCOMPARE(result.exitCode, 2);
    QVERIFY2(result.standardError.contains(expectedMessage), qPrintable(result.standardError));
  }

  void compareWritesReportAndCharts() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString prompts = dir.filePath("prompts.txt");
    QVERIFY(writeFile(prompts, "The quick brown fox\nOnce upon a time\n"));
    const QString report = dir.filePath("report.json");
    const QString charts = dir.filePath("charts");

    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert("QT_QPA_PLATFORM", "offscreen");
    const ProcessResult result =
        runGpupoor({"compare", "--model", demoModel(), "--prompts", prompts, "--max-new-tokens",
                    "6", "--report", report, "--charts", charts, "--threads", "2"},
                   environment);
    QVERIFY(result.finished);
    QVERIFY2(result.exitCode == 0, qPrintable(result.standardError));

    QFile reportFile(report);
    QVERIFY(reportFile.open(QIODevice::ReadOnly));
    const auto document = nlohmann::json::parse(reportFile.readAll().toStdString(), nullptr, false);
    QVERIFY(!document.is_discarded());
    QCOMPARE(document.at("schema").get<std::string>(), std::string("gpupoor-report"));
    QCOMPARE(document.at("status").get<std::string>(), std::string("completed"));
    QCOMPARE(document.at("prompts").size(), std::size_t{2});

    const QFileInfoList pngFiles = QDir(charts).entryInfoList({"*.png"}, QDir::Files);
    QVERIFY2(!pngFiles.isEmpty(), qPrintable(charts));
    for (const QFileInfo& png : pngFiles) {
      QFile file(png.filePath());
      QVERIFY(file.open(QIODevice::ReadOnly));
      const QByteArray header = file.read(8);
      QVERIFY2(header == QByteArray("\x89PNG\r\n\x1a\n", 8), qPrintable(png.fileName()));
      QVERIFY2(png.size() > 1000, qPrintable(png.fileName()));
    }
  }

  void compareBadPaths_data() {
    QTest::addColumn<bool>("promptsExist");
    QTest::addColumn<QString>("reportName");
    QTest::addColumn<QString>("expectedMessage");
    QTest::newRow("missing prompts file") << false << "report.json"
                                          << "missing-prompts.txt";
    QTest::newRow("report folder missing") << true << "no-such-folder/report.json"
                                           << "no-such-folder/report.json";
  }

  void compareRejectsQuantizedModel() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString quantized = dir.filePath("tiny-w8a8");
    const ProcessResult quantize =
        runGpupoor({"quantize", "--model", tinyModel(), "--out", quantized, "--scheme", "w8a8"});
    QVERIFY2(quantize.exitCode == 0, qPrintable(quantize.standardError));
    const QString prompts = dir.filePath("prompts.txt");
    QVERIFY(writeFile(prompts, "The quick brown fox\n"));

    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert("QT_QPA_PLATFORM", "offscreen");
    const ProcessResult result = runGpupoor({"compare", "--model", quantized, "--prompts", prompts,
                                             "--report", dir.filePath("report.json")},
                                            environment);
    QVERIFY(result.finished);
    QCOMPARE(result.exitCode, 2);
    QVERIFY2(result.standardError.contains("quantized checkpoint"),
             qPrintable(result.standardError));
    QVERIFY2(result.standardError.contains(quantized), qPrintable(result.standardError));
  }

  void compareBadPaths() {
    QFETCH(bool, promptsExist);
    QFETCH(QString, reportName);
    QFETCH(QString, expectedMessage);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString prompts = dir.filePath(promptsExist ? "prompts.txt" : "missing-prompts.txt");
    if (promptsExist) QVERIFY(writeFile(prompts, "The quick brown fox\n"));

    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert("QT_QPA_PLATFORM", "offscreen");
    const ProcessResult result =
        runGpupoor({"compare", "--model", demoModel(), "--prompts", prompts, "--max-new-tokens",
                    "6", "--report", dir.filePath(reportName)},
                   environment);
    QVERIFY(result.finished);
    QCOMPARE(result.exitCode, 2);
    QVERIFY2(result.standardError.contains(expectedMessage), qPrintable(result.standardError));
    // The check happens before any model is loaded.
    QVERIFY2(!result.standardError.contains("loaded "), qPrintable(result.standardError));
    QVERIFY(!QFile::exists(dir.filePath("report.json")));
  }

  // Ctrl-C stops generation after the current token: the text so far is
  // printed, then the process exits with 130 instead of dying by the signal.
  void generateStopsOnInterrupt() {
    if (interruptIgnored()) QSKIP("this test process ignores SIGINT, and gpupoor inherits that");
    const QString prompt = "The quick brown fox";
    QProcess process;
    startEndlessGeneration(process, prompt);
    QVERIFY(process.waitForStarted());

    // Text beyond the prompt shows that generation is running.
    QByteArray output = readOutputBeyond(process, prompt.size() + 10);
    QVERIFY2(output.size() > prompt.size() + 10, output.constData());
    QCOMPARE(::kill(static_cast<pid_t>(process.processId()), SIGINT), 0);

    QVERIFY(process.waitForFinished(kProcessTimeoutMs));
    output += process.readAllStandardOutput();
    const QString standardError = QString::fromUtf8(process.readAllStandardError());
    QCOMPARE(process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(process.exitCode(), 130);
    QVERIFY2(output.startsWith(prompt.toUtf8()), output.constData());
    QVERIFY2(output.endsWith('\n'), output.constData());
    QVERIFY2(standardError.contains("(cancelled)"), qPrintable(standardError));
  }

  // Started with SIGINT ignored (a background command), generate keeps
  // ignoring it instead of installing its handler.
  void generateKeepsIgnoredInterrupt() {
    const QString prompt = "The quick brown fox";
    QProcess process;
    process.setChildProcessModifier([] { ::signal(SIGINT, SIG_IGN); });
    startEndlessGeneration(process, prompt);
    QVERIFY(process.waitForStarted());

    const QByteArray output = readOutputBeyond(process, prompt.size() + 10);
    QVERIFY2(output.size() > prompt.size() + 10, output.constData());
    QCOMPARE(::kill(static_cast<pid_t>(process.processId()), SIGINT), 0);

    // A handled SIGINT ends generation within one token, far below this wait.
    QVERIFY(!process.waitForFinished(1000));
    QCOMPARE(process.state(), QProcess::Running);
    process.kill();
    QVERIFY(process.waitForFinished(kProcessTimeoutMs));
  }

  // Ctrl-C stops perplexity between batches of windows with exit code 130.
  void perplexityStopsOnInterrupt() {
    if (interruptIgnored()) QSKIP("this test process ignores SIGINT, and gpupoor inherits that");
    const QString excerpt = QString::fromStdString(
        (gpupoor::test::sourceDir() / "resources/eval/wikitext-2-test-excerpt.txt").string());
    QProcess process;
    // Stride 1 makes one 512-token window per token, far more work than the test waits for.
    process.start(gpupoorProgram(), {"perplexity", "--model", demoModel(), "--file", excerpt,
                                     "--stride", "1", "--threads", "1"});
    QVERIFY(process.waitForStarted());

    // Wait for the log line printed just before scoring starts.
    process.setReadChannel(QProcess::StandardError);
    QByteArray standardError;
    QElapsedTimer timer;
    timer.start();
    while (!standardError.contains("scoring ") && timer.elapsed() < kProcessTimeoutMs) {
      if (process.state() == QProcess::NotRunning) break;
      process.waitForReadyRead(1000);
      standardError += process.readAllStandardError();
    }
    QVERIFY2(standardError.contains("scoring "), standardError.constData());
    QCOMPARE(::kill(static_cast<pid_t>(process.processId()), SIGINT), 0);

    QVERIFY(process.waitForFinished(kProcessTimeoutMs));
    standardError += process.readAllStandardError();
    QCOMPARE(process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(process.exitCode(), 130);
    QVERIFY2(standardError.contains("gpupoor perplexity: cancelled"), standardError.constData());
    QVERIFY(process.readAllStandardOutput().isEmpty());
  }

  // One row per command listed by `gpupoor --help`.
  void helpNamesCommand_data() {
    QTest::addColumn<QString>("command");
    const ProcessResult overview = runGpupoor({"--help"});
    QVERIFY2(overview.exitCode == 0, qPrintable(overview.standardError));
    const qsizetype listStart = overview.standardOutput.indexOf("Commands:");
    QVERIFY2(listStart >= 0, qPrintable(overview.standardOutput));
    const QStringList lines =
        overview.standardOutput.mid(listStart).split('\n', Qt::SkipEmptyParts);
    for (const QString& line : lines.mid(1)) {
      const QString command = line.trimmed().section(' ', 0, 0);
      QTest::newRow(qPrintable(command)) << command;
    }
  }

  void helpNamesCommand() {
    QFETCH(QString, command);
    const ProcessResult result = runGpupoor({command, "--help"});
    QVERIFY(result.finished);
    QCOMPARE(result.exitCode, 0);
    const QString firstLine = result.standardOutput.section('\n', 0, 0);
    QCOMPARE(firstLine, "Usage: gpupoor " + command + " [options]");
  }
};

QTEST_GUILESS_MAIN(TestCliCommands)
#include "tst_cli_commands.moc"
