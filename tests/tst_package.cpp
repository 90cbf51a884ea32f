// Debian package test: builds the .deb with CPack into a temporary folder,
// checks its file list and control fields, unpacks it with dpkg-deb -x and
// runs the unpacked binary. Deliberately not covered: installing with dpkg -i
// (needs root and changes the machine) and lintian (the package is not built
// from a Debian source package, so lintian's archive rules do not apply).
#include <QtTest>

#include <set>

#include "core/common/build_info.h"
#include "test_paths.h"

namespace {

// CPack, dpkg-deb and the unpacked binary each finish in seconds. The limit
// only stops a hung process from blocking the whole test run.
constexpr int kProcessTimeoutMs = 120'000;

struct ProcessResult {
  bool started = false;
  bool finished = false;
  int exitCode = -1;
  QString standardOutput;
  QString standardError;
};

ProcessResult runProcess(const QString& program, const QStringList& arguments,
                         const QProcessEnvironment& environment = QProcessEnvironment::systemEnvironment()) {
  QProcess process;
  process.setProcessEnvironment(environment);
  process.start(program, arguments);
  ProcessResult result;
  result.started = process.waitForStarted(kProcessTimeoutMs);
  if (!result.started) return result;

  result.finished = process.waitForFinished(kProcessTimeoutMs);
  if (!result.finished) {
    process.kill();
    process.waitForFinished();
  }
  result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
  result.standardOutput = QString::fromUtf8(process.readAllStandardOutput());
  result.standardError = QString::fromUtf8(process.readAllStandardError());
  return result;
}

// Returns a failure description for QVERIFY2, naming the command and its
// stderr, or an empty string when the command exited with 0.
QString describeFailure(const QString& command, const ProcessResult& result) {
  if (!result.started) return command + ": failed to start (is it installed?)";
  if (!result.finished) return command + ": timed out";
  if (result.exitCode != 0) {
    return QStringLiteral("%1: exit code %2, stderr: %3").arg(command).arg(result.exitCode).arg(result.standardError);
  }
  return {};
}

QString sourcePath(const QString& relativePath) {
  return QDir(QString::fromStdString(gpupoor::test::sourceDir().string())).filePath(relativePath);
}

// Reads the "run:" packages of installer/debian-packages.txt, in file order.
// Kept independent of the CMake parser in installer/debian_depends.cmake, so
// the test compares two readings of the same list.
QStringList readRunPackages(QString* error) {
  QFile file(sourcePath(QStringLiteral("installer/debian-packages.txt")));
  if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) {
    *error = file.fileName() + ": " + file.errorString();
    return {};
  }
  static const QRegularExpression kRunLine(QStringLiteral("^run:\\s*(\\S+)\\s*$"));
  QStringList packages;
  while (!file.atEnd()) {
    const QString line = QString::fromUtf8(file.readLine()).trimmed();
    const auto match = kRunLine.match(line);
    if (match.hasMatch()) packages << match.captured(1);
  }
  return packages;
}

// Parses the output of `dpkg-deb -f`: "Field: value" lines, where lines that
// start with a space continue the previous value.
QMap<QString, QString> parseControlFields(const QString& text) {
  QMap<QString, QString> fields;
  QString current;
  for (const QString& line : text.split('\n')) {
    if (line.startsWith(' ') && !current.isEmpty()) {
      fields[current] += '\n' + line.mid(1);
      continue;
    }
    const auto colon = line.indexOf(':');
    if (colon <= 0) continue;
    current = line.left(colon);
    fields[current] = line.mid(colon + 1).trimmed();
  }
  return fields;
}

// Returns the package names in a Depends-style field, dropping version
// constraints and architecture qualifiers and keeping every alternative.
QStringList packageNamesInRelation(const QString& field) {
  QStringList names;
  for (const QString& clause : field.split(',', Qt::SkipEmptyParts)) {
    for (const QString& alternative : clause.split('|', Qt::SkipEmptyParts)) {
      QString name = alternative.trimmed().section(' ', 0, 0).section('(', 0, 0);
      name = name.section(':', 0, 0);
      if (!name.isEmpty()) names << name;
    }
  }
  return names;
}

}  // namespace

class TestPackage : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase();

  void packageContainsFile_data();
  void packageContainsFile();
  void controlField_data();
  void controlField();
  void dependsEqualsRunList();

  void unpackedFileMatchesSource_data();
  void unpackedFileMatchesSource();
  void linkedLibrariesCovered();
  void directLibrariesInRunList();
  void unpackedBinaryPrintsVersion();
  void unpackedBinaryListsDemoModel();

  void desktopFileValid();
  void metainfoValid();
  void changelogNamesVersion();

  void runListParser_data();
  void runListParser();

 private:
  QProcessEnvironment unpackedEnvironment() const;
  // Maps each shared library that ldd resolves for the unpacked binary, by
  // soname, to its resolved path.
  QMap<QString, QString> resolveLinkedLibraries(QString* error) const;
  // Maps resolved library paths to the Debian package that owns each one.
  QMap<QString, QString> owningPackages(const QStringList& paths, QString* error) const;

  QTemporaryDir m_workDir;
  QString m_debPath;
  QString m_rootDir;
  QSet<QString> m_packagedPaths;
  QMap<QString, QString> m_controlFields;
};

void TestPackage::initTestCase() {
  QVERIFY2(m_workDir.isValid(), qPrintable(m_workDir.errorString()));

  // Build the package with the build tree's CPack configuration, written by
  // include(CPack) in installer/packaging.cmake.
  const QDir buildDir(QString::fromStdString(gpupoor::test::gpupoorBinary().parent_path().parent_path().string()));
  const QString cpackConfig = buildDir.filePath(QStringLiteral("CPackConfig.cmake"));
  QVERIFY2(QFile::exists(cpackConfig), qPrintable(cpackConfig + " is missing; reconfigure the build with CMake"));
  const QString outputDir = m_workDir.filePath(QStringLiteral("cpack"));
  const auto cpack = runProcess(QStringLiteral("cpack"),
                                {QStringLiteral("-G"), QStringLiteral("DEB"), QStringLiteral("--config"),
                                 cpackConfig, QStringLiteral("-B"), outputDir});
  const QString cpackFailure = describeFailure(QStringLiteral("cpack"), cpack);
  QVERIFY2(cpackFailure.isEmpty(), qPrintable(cpackFailure + cpack.standardOutput));

  const QStringList debs = QDir(outputDir).entryList({QStringLiteral("*.deb")}, QDir::Files);
  QCOMPARE(debs.size(), 1);
  m_debPath = QDir(outputDir).filePath(debs.first());

  // The file list, as paths without the leading "./".
  const auto contents = runProcess(QStringLiteral("dpkg-deb"), {QStringLiteral("--contents"), m_debPath});
  const QString contentsFailure = describeFailure(QStringLiteral("dpkg-deb --contents"), contents);
  QVERIFY2(contentsFailure.isEmpty(), qPrintable(contentsFailure));
  for (const QString& line : contents.standardOutput.split('\n', Qt::SkipEmptyParts)) {
    const QString path = line.section(' ', -1);
    if (path.startsWith(QStringLiteral("./"))) m_packagedPaths.insert(path.mid(2));
  }

  const auto fields = runProcess(QStringLiteral("dpkg-deb"), {QStringLiteral("-f"), m_debPath});
  const QString fieldsFailure = describeFailure(QStringLiteral("dpkg-deb -f"), fields);
  QVERIFY2(fieldsFailure.isEmpty(), qPrintable(fieldsFailure));
  m_controlFields = parseControlFields(fields.standardOutput);

  m_rootDir = m_workDir.filePath(QStringLiteral("root"));
  const auto unpack = runProcess(QStringLiteral("dpkg-deb"), {QStringLiteral("-x"), m_debPath, m_rootDir});
  const QString unpackFailure = describeFailure(QStringLiteral("dpkg-deb -x"), unpack);
  QVERIFY2(unpackFailure.isEmpty(), qPrintable(unpackFailure));
}

void TestPackage::packageContainsFile_data() {
  QTest::addColumn<QString>("path");
  QTest::newRow("binary") << "usr/bin/gpupoor";
  QTest::newRow("demo model weights") << "usr/share/gpupoor/models/gpt2-demo/model.safetensors";
  QTest::newRow("demo model config") << "usr/share/gpupoor/models/gpt2-demo/config.json";
  QTest::newRow("demo model vocab") << "usr/share/gpupoor/models/gpt2-demo/vocab.json";
  QTest::newRow("demo model merges") << "usr/share/gpupoor/models/gpt2-demo/merges.txt";
  QTest::newRow("demo model card") << "usr/share/gpupoor/models/gpt2-demo/README.md";
  QTest::newRow("prompts text") << "usr/share/gpupoor/prompts/default.txt";
  QTest::newRow("prompts jsonl") << "usr/share/gpupoor/prompts/default.jsonl";
  QTest::newRow("eval excerpt") << "usr/share/gpupoor/eval/wikitext-2-test-excerpt.txt";
  QTest::newRow("eval licence notice") << "usr/share/gpupoor/eval/README.md";
  QTest::newRow("desktop file") << "usr/share/applications/gpupoor.desktop";
  QTest::newRow("icon 48") << "usr/share/icons/hicolor/48x48/apps/gpupoor.png";
  QTest::newRow("icon 128") << "usr/share/icons/hicolor/128x128/apps/gpupoor.png";
  QTest::newRow("icon 256") << "usr/share/icons/hicolor/256x256/apps/gpupoor.png";
  QTest::newRow("icon scalable") << "usr/share/icons/hicolor/scalable/apps/gpupoor.svg";
  QTest::newRow("metainfo") << "usr/share/metainfo/io.github.gpupoor.metainfo.xml";
  QTest::newRow("copyright") << "usr/share/doc/gpupoor/copyright";
  QTest::newRow("changelog") << "usr/share/doc/gpupoor/changelog.Debian.gz";
}

void TestPackage::packageContainsFile() {
  QFETCH(QString, path);
  QVERIFY2(m_packagedPaths.contains(path), qPrintable(path + " is missing from " + m_debPath));
}

void TestPackage::controlField_data() {
  QTest::addColumn<QString>("field");
  QTest::addColumn<QString>("expected");
  const auto architecture = runProcess(QStringLiteral("dpkg"), {QStringLiteral("--print-architecture")});
  QTest::newRow("package") << "Package" << "gpupoor";
  QTest::newRow("version") << "Version" << QString::fromLatin1(gpupoor::build::kVersion);
  QTest::newRow("section") << "Section" << "science";
  QTest::newRow("architecture") << "Architecture" << architecture.standardOutput.trimmed();
  QTest::newRow("maintainer") << "Maintainer" << "gpu-poor maintainers <maintainers@example.invalid>";
}

void TestPackage::controlField() {
  QFETCH(QString, field);
  QFETCH(QString, expected);
  QVERIFY2(m_controlFields.contains(field), qPrintable(field + " is missing from the control file"));
  QCOMPARE(m_controlFields.value(field), expected);
}

void TestPackage::dependsEqualsRunList() {
  QString error;
  const QStringList runPackages = readRunPackages(&error);
  QVERIFY2(error.isEmpty(), qPrintable(error));
  QVERIFY(!runPackages.isEmpty());

  const QStringList depends = m_controlFields.value(QStringLiteral("Depends")).split(QStringLiteral(", "));
  QCOMPARE(depends, runPackages);
}

void TestPackage::unpackedFileMatchesSource_data() {
  QTest::addColumn<QString>("unpackedPath");
  QTest::addColumn<QString>("sourceRelativePath");
  QTest::newRow("demo model weights") << "usr/share/gpupoor/models/gpt2-demo/model.safetensors"
                                      << "resources/models/gpt2-demo/model.safetensors";
  QTest::newRow("demo model vocab") << "usr/share/gpupoor/models/gpt2-demo/vocab.json"
                                    << "resources/models/gpt2-demo/vocab.json";
  QTest::newRow("prompts text") << "usr/share/gpupoor/prompts/default.txt" << "resources/prompts/default.txt";
  QTest::newRow("eval excerpt") << "usr/share/gpupoor/eval/wikitext-2-test-excerpt.txt"
                                << "resources/eval/wikitext-2-test-excerpt.txt";
  QTest::newRow("icon 48") << "usr/share/icons/hicolor/48x48/apps/gpupoor.png" << "resources/icons/gpupoor-48.png";
  QTest::newRow("icon 256") << "usr/share/icons/hicolor/256x256/apps/gpupoor.png"
                            << "resources/icons/gpupoor-256.png";
  QTest::newRow("desktop file") << "usr/share/applications/gpupoor.desktop" << "installer/gpupoor.desktop";
  QTest::newRow("copyright") << "usr/share/doc/gpupoor/copyright" << "installer/debian/copyright";
}

void TestPackage::unpackedFileMatchesSource() {
  QFETCH(QString, unpackedPath);
  QFETCH(QString, sourceRelativePath);
  QFile unpacked(QDir(m_rootDir).filePath(unpackedPath));
  QFile source(sourcePath(sourceRelativePath));
  QVERIFY2(unpacked.open(QIODevice::ReadOnly), qPrintable(unpacked.fileName() + ": " + unpacked.errorString()));
  QVERIFY2(source.open(QIODevice::ReadOnly), qPrintable(source.fileName() + ": " + source.errorString()));
  QCOMPARE(unpacked.size(), source.size());
  QVERIFY2(unpacked.readAll() == source.readAll(), qPrintable(unpackedPath + " differs from " + sourceRelativePath));
}

QProcessEnvironment TestPackage::unpackedEnvironment() const {
  QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
  // The unpacked binary must find its resources through <bin>/../share/gpupoor
  // alone, and must not see models from the user's Hugging Face cache.
  environment.remove(QStringLiteral("GPUPOOR_RESOURCE_DIR"));
  environment.insert(QStringLiteral("HF_HOME"), m_workDir.filePath(QStringLiteral("hf-home")));
  environment.insert(QStringLiteral("XDG_CACHE_HOME"), m_workDir.filePath(QStringLiteral("cache")));
  environment.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
  return environment;
}

QMap<QString, QString> TestPackage::resolveLinkedLibraries(QString* error) const {
  const QString binary = QDir(m_rootDir).filePath(QStringLiteral("usr/bin/gpupoor"));
  const auto ldd = runProcess(QStringLiteral("ldd"), {binary});
  *error = describeFailure(QStringLiteral("ldd"), ldd);
  if (!error->isEmpty()) return {};

  // Lines look like "\tlibfoo.so.1 => /usr/lib/x86_64-linux-gnu/libfoo.so.1 (0x...)".
  static const QRegularExpression kResolved(QStringLiteral("^\\s*(\\S+) => (\\S+) \\(0x[0-9a-f]+\\)$"));
  static const QRegularExpression kNotFound(QStringLiteral("^\\s*(\\S+) => not found$"));
  // The dynamic loader has no "=>": "\t/lib64/ld-linux-x86-64.so.2 (0x...)".
  static const QRegularExpression kLoader(QStringLiteral("^\\s*(/\\S+) \\(0x[0-9a-f]+\\)$"));
  QMap<QString, QString> libraries;
  QStringList missing;
  for (const QString& line : ldd.standardOutput.split('\n', Qt::SkipEmptyParts)) {
    if (const auto match = kNotFound.match(line); match.hasMatch()) missing << match.captured(1);
    if (const auto match = kLoader.match(line); match.hasMatch()) {
      const QFileInfo loader(match.captured(1));
      libraries.insert(loader.fileName(), loader.canonicalFilePath());
    }
    if (const auto match = kResolved.match(line); match.hasMatch()) {
      libraries.insert(match.captured(1), QFileInfo(match.captured(2)).canonicalFilePath());
    }
  }
  if (!missing.isEmpty()) *error = "ldd found no file for: " + missing.join(QStringLiteral(", "));
  return libraries;
}

QMap<QString, QString> TestPackage::owningPackages(const QStringList& paths, QString* error) const {
  // Debian 12 has merged /usr, but some packages still list their files
  // under /lib, so ask dpkg for both spellings of every path. One exact
  // path per argument keeps dpkg -S a hash lookup, while a glob makes it
  // scan every file of every package, which is far slower.
  QStringList queries;
  for (const QString& path : paths) {
    queries << path;
    if (path.startsWith(QStringLiteral("/usr/"))) queries << path.mid(4);
  }
  const auto dpkg = runProcess(QStringLiteral("dpkg"), QStringList{QStringLiteral("-S")} + queries);
  // dpkg -S exits with 1 when some queries match nothing, as the /lib
  // spellings usually do. The check below reports libraries with no owner.
  if (!dpkg.started || !dpkg.finished) {
    *error = describeFailure(QStringLiteral("dpkg -S"), dpkg);
    return {};
  }

  // Lines look like "libfoo1:amd64: /usr/lib/x86_64-linux-gnu/libfoo.so.1.2".
  QMap<QString, QString> owners;
  for (const QString& line : dpkg.standardOutput.split('\n', Qt::SkipEmptyParts)) {
    const auto separator = line.indexOf(QStringLiteral(": /"));
    if (separator <= 0 || line.startsWith(QStringLiteral("diversion by"))) continue;
    const QString package = line.left(separator).section(':', 0, 0).section(',', 0, 0).trimmed();
    const QString path = QFileInfo(line.mid(separator + 2)).canonicalFilePath();
    owners.insert(path, package);
  }
  QStringList unowned;
  for (const QString& path : paths) {
    if (!owners.contains(path)) unowned << path;
  }
  if (!unowned.isEmpty()) *error = "no Debian package owns: " + unowned.join(QStringLiteral(", "));
  return owners;
}

void TestPackage::linkedLibrariesCovered() {
  QString error;
  const auto libraries = resolveLinkedLibraries(&error);
  QVERIFY2(error.isEmpty(), qPrintable(error));
  QVERIFY(!libraries.isEmpty());
  const auto owners = owningPackages(libraries.values(), &error);
  QVERIFY2(error.isEmpty(), qPrintable(error));

  // Installed packages and what they depend on and provide.
  const auto query = runProcess(
      QStringLiteral("dpkg-query"),
      {QStringLiteral("-W"), QStringLiteral("-f=${db:Status-Abbrev}\\t${Package}\\t${Provides}\\t${Depends}, "
                                            "${Pre-Depends}\\n")});
  const QString queryFailure = describeFailure(QStringLiteral("dpkg-query -W"), query);
  QVERIFY2(queryFailure.isEmpty(), qPrintable(queryFailure));
  QMultiMap<QString, QString> dependencies;
  QMultiMap<QString, QString> providers;
  for (const QString& line : query.standardOutput.split('\n', Qt::SkipEmptyParts)) {
    const QStringList columns = line.split('\t');
    if (columns.size() != 4 || !columns[0].startsWith(QStringLiteral("ii"))) continue;
    for (const QString& dependency : packageNamesInRelation(columns[3])) dependencies.insert(columns[1], dependency);
    for (const QString& provided : packageNamesInRelation(columns[2])) providers.insert(provided, columns[1]);
  }

  // Everything apt installs for the run list: the packages themselves and
  // all their dependencies, following virtual packages to their providers.
  QString listError;
  QStringList pending = readRunPackages(&listError);
  QVERIFY2(listError.isEmpty(), qPrintable(listError));
  std::set<QString> installedWithPackage;
  while (!pending.isEmpty()) {
    const QString package = pending.takeLast();
    if (!installedWithPackage.insert(package).second) continue;
    pending << dependencies.values(package) << providers.values(package);
  }

  for (auto it = libraries.cbegin(); it != libraries.cend(); ++it) {
    const QString package = owners.value(it.value());
    QVERIFY2(installedWithPackage.count(package) == 1,
             qPrintable(QStringLiteral("%1 (%2, package %3) is not pulled in by the run: list of "
                                       "installer/debian-packages.txt; add the package there")
                            .arg(it.key(), it.value(), package)));
  }
}

void TestPackage::directLibrariesInRunList() {
  const QString binary = QDir(m_rootDir).filePath(QStringLiteral("usr/bin/gpupoor"));
  const auto readelf = runProcess(QStringLiteral("readelf"), {QStringLiteral("--dynamic"), binary});
  const QString readelfFailure = describeFailure(QStringLiteral("readelf --dynamic"), readelf);
  QVERIFY2(readelfFailure.isEmpty(), qPrintable(readelfFailure));
  static const QRegularExpression kNeeded(QStringLiteral("\\(NEEDED\\)\\s+Shared library: \\[(\\S+)\\]"));
  QStringList needed;
  for (auto it = kNeeded.globalMatch(readelf.standardOutput); it.hasNext();) needed << it.next().captured(1);
  QVERIFY(!needed.isEmpty());

  QString error;
  const auto libraries = resolveLinkedLibraries(&error);
  QVERIFY2(error.isEmpty(), qPrintable(error));
  const auto owners = owningPackages(libraries.values(), &error);
  QVERIFY2(error.isEmpty(), qPrintable(error));
  const QStringList runPackages = readRunPackages(&error);
  QVERIFY2(error.isEmpty(), qPrintable(error));

  // Libraries the binary links directly belong in the list itself, as
  // dpkg-shlibdeps would put them into Depends.
  for (const QString& soname : needed) {
    QVERIFY2(libraries.contains(soname), qPrintable(soname + " is needed but ldd did not resolve it"));
    const QString package = owners.value(libraries.value(soname));
    QVERIFY2(runPackages.contains(package),
             qPrintable(QStringLiteral("%1 comes from %2, which is missing from the run: list of "
                                       "installer/debian-packages.txt")
                            .arg(soname, package)));
  }
}

void TestPackage::unpackedBinaryPrintsVersion() {
  const QString binary = QDir(m_rootDir).filePath(QStringLiteral("usr/bin/gpupoor"));
  const auto version = runProcess(binary, {QStringLiteral("--version")}, unpackedEnvironment());
  const QString failure = describeFailure(binary + " --version", version);
  QVERIFY2(failure.isEmpty(), qPrintable(failure));
  QVERIFY2(version.standardOutput.startsWith(QStringLiteral("gpupoor %1 ").arg(gpupoor::build::kVersion)),
           qPrintable("unexpected output: " + version.standardOutput));
}

void TestPackage::unpackedBinaryListsDemoModel() {
  const QString binary = QDir(m_rootDir).filePath(QStringLiteral("usr/bin/gpupoor"));
  const auto models =
      runProcess(binary, {QStringLiteral("models"), QStringLiteral("--json")}, unpackedEnvironment());
  const QString failure = describeFailure(binary + " models --json", models);
  QVERIFY2(failure.isEmpty(), qPrintable(failure));
  QJsonParseError parseError;
  const auto document = QJsonDocument::fromJson(models.standardOutput.toUtf8(), &parseError);
  QVERIFY2(parseError.error == QJsonParseError::NoError,
           qPrintable(parseError.errorString() + " in: " + models.standardOutput));
  QVERIFY2(document.isArray(), qPrintable("expected a JSON array, got: " + models.standardOutput));

  QJsonObject demo;
  for (const auto& value : document.array()) {
    if (value.toObject().value(QStringLiteral("name")).toString() == QStringLiteral("gpt2-demo")) {
      demo = value.toObject();
    }
  }
  QVERIFY2(!demo.isEmpty(), qPrintable("gpt2-demo is not listed: " + models.standardOutput));
  QCOMPARE(demo.value(QStringLiteral("source")).toString(), QStringLiteral("bundled"));
  // The model must come from the unpacked share/gpupoor, not from the source
  // tree that the lookup falls back to.
  const QString installedModelDir = QFileInfo(
      QDir(m_rootDir).filePath(QStringLiteral("usr/share/gpupoor/models/gpt2-demo"))).canonicalFilePath();
  QCOMPARE(QFileInfo(demo.value(QStringLiteral("path")).toString()).canonicalFilePath(), installedModelDir);
}

void TestPackage::desktopFileValid() {
  const QString validator = QStandardPaths::findExecutable(QStringLiteral("desktop-file-validate"));
  if (validator.isEmpty()) QSKIP("desktop-file-validate is not installed (Debian: desktop-file-utils)");
  const QString desktopFile = QDir(m_rootDir).filePath(QStringLiteral("usr/share/applications/gpupoor.desktop"));
  const auto result = runProcess(validator, {desktopFile});
  const QString failure = describeFailure(QStringLiteral("desktop-file-validate"), result);
  QVERIFY2(failure.isEmpty(), qPrintable(failure + result.standardOutput));
  // desktop-file-validate exits with 0 on hints and warnings but prints them.
  QVERIFY2(result.standardOutput.trimmed().isEmpty(), qPrintable(result.standardOutput));
}

void TestPackage::metainfoValid() {
  const QString validator = QStandardPaths::findExecutable(QStringLiteral("appstreamcli"));
  if (validator.isEmpty()) QSKIP("appstreamcli is not installed (Debian: appstream)");
  const QString metainfo =
      QDir(m_rootDir).filePath(QStringLiteral("usr/share/metainfo/io.github.gpupoor.metainfo.xml"));
  // --no-net: validation must not reach out to the URLs in the file.
  const auto result = runProcess(validator, {QStringLiteral("validate"), QStringLiteral("--no-net"),
                                             QStringLiteral("--pedantic"), metainfo});
  const QString failure = describeFailure(QStringLiteral("appstreamcli validate"), result);
  QVERIFY2(failure.isEmpty(), qPrintable(failure + result.standardOutput));
}

void TestPackage::changelogNamesVersion() {
  const QString changelog = QDir(m_rootDir).filePath(QStringLiteral("usr/share/doc/gpupoor/changelog.Debian.gz"));
  const auto result = runProcess(QStringLiteral("gzip"), {QStringLiteral("-dc"), changelog});
  const QString failure = describeFailure(QStringLiteral("gzip -dc"), result);
  QVERIFY2(failure.isEmpty(), qPrintable(failure));
  const QString firstLine = result.standardOutput.section('\n', 0, 0);
  const QString expected = QStringLiteral("gpupoor (%1) ").arg(QString::fromLatin1(gpupoor::build::kVersion));
  QVERIFY2(firstLine.startsWith(expected), qPrintable(firstLine));
  QVERIFY2(result.standardOutput.contains(QStringLiteral(" -- gpu-poor maintainers <")),
           qPrintable(result.standardOutput));
}

void TestPackage::runListParser_data() {
  QTest::addColumn<QString>("listText");
  QTest::addColumn<bool>("accepted");
  QTest::addColumn<QString>("expectedOutput");
  QTest::newRow("build and run lines")
      << "# comment\nbuild: cmake\nrun: libfoo1\nrun:  libbar2.0-qt6 \n" << true << "libfoo1, libbar2.0-qt6";
  QTest::newRow("upper-case name") << "run: LibFoo\n" << false << "invalid line 'run: LibFoo'";
  QTest::newRow("two names on a line") << "run: libfoo1 libbar2\n" << false << "invalid line";
  QTest::newRow("version constraint") << "run: libfoo1 (>= 2)\n" << false << "invalid line";
  QTest::newRow("empty run line") << "run:\n" << false << "invalid line";
  QTest::newRow("no run lines") << "build: cmake\n" << false << "no 'run:' lines found";
}

void TestPackage::runListParser() {
  QFETCH(QString, listText);
  QFETCH(bool, accepted);
  QFETCH(QString, expectedOutput);

  const QString listPath = m_workDir.filePath(QStringLiteral("package-list.txt"));
  QFile list(listPath);
  QVERIFY2(list.open(QIODevice::WriteOnly | QIODevice::Truncate), qPrintable(list.errorString()));
  list.write(listText.toUtf8());
  list.close();

  const auto cmake = runProcess(QStringLiteral("cmake"), {"-DPACKAGE_LIST=" + listPath, QStringLiteral("-P"),
                                                          sourcePath(QStringLiteral("installer/debian_depends.cmake"))});
  QVERIFY2(cmake.started && cmake.finished, qPrintable(describeFailure(QStringLiteral("cmake -P"), cmake)));
  QCOMPARE(cmake.exitCode == 0, accepted);
  if (accepted) {
    QCOMPARE(cmake.standardOutput.trimmed(), expectedOutput);
  } else {
    // CMake wraps long error messages, so compare with whitespace collapsed.
    const QString message = cmake.standardError.simplified();
    QVERIFY2(message.contains(expectedOutput), qPrintable(message));
  }
}

QTEST_GUILESS_MAIN(TestPackage)
#include "tst_package.moc"
