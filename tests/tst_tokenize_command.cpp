// `gpupoor tokenize` run as a user would: the built binary in a child process.
#include <QtTest>

#include <nlohmann/json.hpp>

#include "test_paths.h"

namespace {

struct RunResult {
  int exitCode = -1;
  QByteArray standardOutput;
  QByteArray standardError;
};

RunResult runGpupoor(const QStringList& arguments) {
  QProcess process;
  process.start(QString::fromStdString(gpupoor::test::gpupoorBinary().string()), arguments);
  RunResult result;
  if (!process.waitForFinished(60'000)) return result;
  result.exitCode = process.exitCode();
  result.standardOutput = process.readAllStandardOutput();
  result.standardError = process.readAllStandardError();
  return result;
}

QString tokenizerDir() {
  return QString::fromStdString((gpupoor::test::dataDir() / "tokenizer").string());
}

}  // namespace

class TestTokenizeCommand : public QObject {
  Q_OBJECT

 private slots:
  void printsCommaSeparatedIds() {
    const auto result =
        runGpupoor({"tokenize", "--model", tokenizerDir(), "--text", "Hello world"});
    QCOMPARE(result.exitCode, 0);
    QCOMPARE(result.standardOutput, QByteArray("15496,995\n"));
  }

  void printsJson() {
    const auto result = runGpupoor({"tokenize", "--model", tokenizerDir(), "--text",
                                    "a<|endoftext|>", "--allow-special", "--json"});
    QCOMPARE(result.exitCode, 0);
    const auto document = nlohmann::json::parse(result.standardOutput.toStdString());
    QCOMPARE(document.at("ids").get<std::vector<int>>(), (std::vector<int>{64, 50256}));
    QCOMPARE(document.at("count").get<int>(), 2);
  }

  void bundledModelByName() {
    const auto result = runGpupoor({"tokenize", "--model", "gpt2-demo", "--text", "Hello world"});
    QCOMPARE(result.exitCode, 0);
    QCOMPARE(result.standardOutput, QByteArray("15496,995\n"));
  }

  void specialTokenIsTextByDefault() {
    const auto result =
        runGpupoor({"tokenize", "--model", tokenizerDir(), "--text", "<|endoftext|>", "--json"});
    QCOMPARE(result.exitCode, 0);
    const auto document = nlohmann::json::parse(result.standardOutput.toStdString());
    QCOMPARE(document.at("count").get<int>(), 7);
  }

  void encodesFile() {
    QTemporaryDir folder;
    QVERIFY(folder.isValid());
    QFile input(folder.filePath("prompt.txt"));
    QVERIFY(input.open(QIODevice::WriteOnly));
    input.write("hello\nworld");
    input.close();
    const auto result =
        runGpupoor({"tokenize", "--model", tokenizerDir(), "--file", input.fileName()});
    QCOMPARE(result.exitCode, 0);
    QCOMPARE(result.standardOutput, QByteArray("31373,198,6894\n"));
  }

  void badInputExitsWithTwo_data() {
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("expectedMessage");
    QTest::newRow("no model") << QStringList{"--text", "x"} << "--model";
    QTest::newRow("text and file")
        << QStringList{"--model", tokenizerDir(), "--text", "x", "--file", "y"} << "exactly one";
    QTest::newRow("missing folder")
        << QStringList{"--model", "/nonexistent/model", "--text", "x"} << "/nonexistent/model";
    QTest::newRow("missing file") << QStringList{"--model", tokenizerDir(), "--file",
                                                 "/nonexistent/prompt.txt"}
                                  << "/nonexistent/prompt.txt";
    QTest::newRow("unknown option")
        << QStringList{"--model", tokenizerDir(), "--txt", "x"} << "txt";
  }

  void badInputExitsWithTwo() {
    QFETCH(QStringList, arguments);
    QFETCH(QString, expectedMessage);
    const auto result = runGpupoor(QStringList{"tokenize"} + arguments);
    QCOMPARE(result.exitCode, 2);
    QVERIFY2(QString::fromUtf8(result.standardError).contains(expectedMessage),
             result.standardError.constData());
    QVERIFY(result.standardOutput.isEmpty());
  }

  void folderWithoutTokenizerNamesFiles() {
    QTemporaryDir folder;
    QVERIFY(folder.isValid());
    const auto result = runGpupoor({"tokenize", "--model", folder.path(), "--text", "x"});
    QCOMPARE(result.exitCode, 2);
    const QString message = QString::fromUtf8(result.standardError);
    QVERIFY2(message.contains("vocab.json"), result.standardError.constData());
    QVERIFY2(message.contains("merges.txt"), result.standardError.constData());
  }

  void invalidUtf8FileExitsWithTwo() {
    QTemporaryDir folder;
    QVERIFY(folder.isValid());
    QFile input(folder.filePath("latin1.txt"));
    QVERIFY(input.open(QIODevice::WriteOnly));
    input.write("caf\xE9");
    input.close();
    const auto result =
        runGpupoor({"tokenize", "--model", tokenizerDir(), "--file", input.fileName()});
    QCOMPARE(result.exitCode, 2);
    QVERIFY2(QString::fromUtf8(result.standardError).contains("byte offset 3"),
             result.standardError.constData());
  }
};

QTEST_GUILESS_MAIN(TestTokenizeCommand)
#include "tst_tokenize_command.moc"
