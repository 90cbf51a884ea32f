// Model lookup: folders, hub ids in a fake Hugging Face cache (snapshots that
// are symlinks into blobs/, refs/main), the bundled resource folder and the
// model list.
#include <ATen/ATen.h>
#include <QtTest>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/common/resources.h"
#include "core/io/model_locator.h"
#include "core/io/tensor_source.h"
#include "test_paths.h"

namespace fs = std::filesystem;

namespace {

fs::path fixtureDir(const char* variant) {
  return gpupoor::test::dataDir() / "tiny-gpt2" / variant;
}

void writeText(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

// Adds `source` to a cached repository the way huggingface_hub does: the
// bytes go to blobs/<blobName>, and the snapshot gets a relative symlink.
void addCachedFile(const fs::path& repo, const std::string& revision, const std::string& name,
                   const fs::path& source, const std::string& blobName) {
  fs::create_directories(repo / "blobs");
  if (!fs::exists(repo / "blobs" / blobName)) fs::copy_file(source, repo / "blobs" / blobName);
  fs::create_directories(repo / "snapshots" / revision);
  fs::create_symlink(fs::path("..") / ".." / "blobs" / blobName,
                     repo / "snapshots" / revision / name);
}

void addCachedModel(const fs::path& repo, const std::string& revision) {
  addCachedFile(repo, revision, "config.json", fixtureDir("f32-plain") / "config.json",
                "config-blob");
  addCachedFile(repo, revision, "model.safetensors", fixtureDir("f32-plain") / "model.safetensors",
                "weights-blob");
}

void setModificationTime(const fs::path& path, std::chrono::hours age) {
  fs::last_write_time(path, fs::file_time_type::clock::now() - age);
}

QString resolveError(const std::string& arg) {
  try {
    gpupoor::resolveModelDir(arg);
  } catch (const gpupoor::InvalidArgument& error) {
    return QString::fromUtf8(error.what());
  }
  return {};
}

const gpupoor::ModelEntry* findEntry(const std::vector<gpupoor::ModelEntry>& models,
                                     const std::string& name) {
  for (const auto& model : models) {
    if (model.name == name) return &model;
  }
  return nullptr;
}

}  // namespace

class TestModelLocator : public QObject {
  Q_OBJECT

 private slots:
  void init();
  void cleanup();

  void existingFolderReturnedAsIs();
  void hubIdResolves_data();
  void hubIdResolves();
  void refsMainPreferredOverNewer();
  void newestSnapshotWithoutRefs();
  void resolvedSnapshotLoads();
  void hfHomeUsedWithoutHubCache();
  void notFoundListsPlacesSearched();
  void resourceDirOverride();
  void resourceDirOverrideMissing();
  void listModelsFindsAllSources();
  void listModelsSkipsOtherModelTypes();
  void listModelsRejectsMissingFolder();
  void modelsCommandPrintsJson();
  void modelsCommandRejectsMissingFolder();

 private:
  std::unique_ptr<QTemporaryDir> m_dir;
  fs::path m_cache;
};

void TestModelLocator::init() {
  m_dir = std::make_unique<QTemporaryDir>();
  QVERIFY(m_dir->isValid());
  m_cache = fs::path(m_dir->path().toStdString()) / "hub";
  fs::create_directories(m_cache);
  qputenv("HF_HUB_CACHE", QByteArray::fromStdString(m_cache.string()));
  // The bundled folder of the test: an empty resource tree, so the machine's
  // real resources never leak into the lists.
  const fs::path resources = fs::path(m_dir->path().toStdString()) / "resources";
  fs::create_directories(resources);
  qputenv("GPUPOOR_RESOURCE_DIR", QByteArray::fromStdString(resources.string()));
}

void TestModelLocator::cleanup() {
  qunsetenv("HF_HUB_CACHE");
  qunsetenv("HF_HOME");
  qunsetenv("GPUPOOR_RESOURCE_DIR");
  m_dir.reset();
}

void TestModelLocator::existingFolderReturnedAsIs() {
  const fs::path folder = fixtureDir("bf16-prefixed");
  QCOMPARE(gpupoor::resolveModelDir(folder.string()), folder);
}

void TestModelLocator::hubIdResolves_data() {
  QTest::addColumn<QString>("cacheFolder");
  QTest::addColumn<QString>("argument");
  QTest::newRow("bare name, new cache id") << "models--openai-community--gpt2-large"
                                           << "gpt2-large";
  QTest::newRow("full id, new cache id") << "models--openai-community--gpt2-large"
                                         << "openai-community/gpt2-large";
  QTest::newRow("full id, old cache id") << "models--gpt2-large"
                                         << "openai-community/gpt2-large";
  QTest::newRow("bare name, old cache id") << "models--gpt2-large"
                                           << "gpt2-large";
  QTest::newRow("distilgpt2 under distilbert") << "models--distilbert--distilgpt2"
                                               << "distilgpt2";
  QTest::newRow("distilbert id, old cache id") << "models--distilgpt2"
                                               << "distilbert/distilgpt2";
  QTest::newRow("other organisation") << "models--someone--tiny-gpt2"
                                      << "someone/tiny-gpt2";
}

void TestModelLocator::hubIdResolves() {
  QFETCH(QString, cacheFolder);
  QFETCH(QString, argument);
  const fs::path repo = m_cache / cacheFolder.toStdString();
  addCachedModel(repo, "abc123");
  writeText(repo / "refs" / "main", "abc123");

  QCOMPARE(gpupoor::resolveModelDir(argument.toStdString()), repo / "snapshots" / "abc123");
}

void TestModelLocator::refsMainPreferredOverNewer() {
  const fs::path repo = m_cache / "models--openai-community--gpt2";
  addCachedModel(repo, "main-revision");
  addCachedModel(repo, "newer-revision");
  setModificationTime(repo / "snapshots" / "main-revision", std::chrono::hours(48));
  writeText(repo / "refs" / "main", "main-revision\n");

  QCOMPARE(gpupoor::resolveModelDir("gpt2"), repo / "snapshots" / "main-revision");
}

void TestModelLocator::newestSnapshotWithoutRefs() {
  const fs::path repo = m_cache / "models--openai-community--gpt2";
  addCachedModel(repo, "old-revision");
  addCachedModel(repo, "new-revision");
  // Newest of all, but without a config.json (an interrupted download).
  fs::create_directories(repo / "snapshots" / "partial-revision");
  setModificationTime(repo / "snapshots" / "old-revision", std::chrono::hours(48));
  setModificationTime(repo / "snapshots" / "new-revision", std::chrono::hours(24));

  QCOMPARE(gpupoor::resolveModelDir("gpt2"), repo / "snapshots" / "new-revision");

  // A refs/main naming a snapshot that is not there falls back the same way.
  writeText(repo / "refs" / "main", "vanished-revision");
  QCOMPARE(gpupoor::resolveModelDir("gpt2"), repo / "snapshots" / "new-revision");
}

void TestModelLocator::resolvedSnapshotLoads() {
  const fs::path repo = m_cache / "models--openai-community--gpt2";
  addCachedModel(repo, "abc123");
  const auto source = gpupoor::openCheckpoint(gpupoor::resolveModelDir("gpt2"));
  const auto plain = gpupoor::openCheckpoint(fixtureDir("f32-plain"));
  QCOMPARE(source->tensors().size(), plain->tensors().size());
  QVERIFY(at::equal(source->loadFloat32("wte.weight"), plain->loadFloat32("wte.weight")));
}

void TestModelLocator::hfHomeUsedWithoutHubCache() {
  const fs::path home = fs::path(m_dir->path().toStdString()) / "hf-home";
  addCachedModel(home / "hub" / "models--openai-community--gpt2", "abc123");
  qunsetenv("HF_HUB_CACHE");
  qputenv("HF_HOME", QByteArray::fromStdString(home.string()));

  QCOMPARE(gpupoor::huggingFaceHubCacheDir(), home / "hub");
  QCOMPARE(gpupoor::resolveModelDir("gpt2"),
           home / "hub" / "models--openai-community--gpt2" / "snapshots" / "abc123");
}

void TestModelLocator::notFoundListsPlacesSearched() {
  const QString message = resolveError("gpt2-xl");
  QVERIFY2(message.contains("'gpt2-xl' not found"), qPrintable(message));
  QVERIFY2(message.contains(QString::fromStdString((m_cache / "models--gpt2-xl").string())),
           qPrintable(message));
  QVERIFY2(message.contains(
               QString::fromStdString((m_cache / "models--openai-community--gpt2-xl").string())),
           qPrintable(message));
  QVERIFY2(message.contains("folder"), qPrintable(message));

  const QString empty = resolveError("");
  QVERIFY2(empty.contains("no model given"), qPrintable(empty));
}

void TestModelLocator::resourceDirOverride() {
  const fs::path resources = fs::path(m_dir->path().toStdString()) / "resources";
  QCOMPARE(gpupoor::resourceDir(), resources);
  QCOMPARE(gpupoor::bundledModelDir(), resources / "models" / "gpt2-demo");

  qunsetenv("GPUPOOR_RESOURCE_DIR");
  // Without the override the build tree's resources/ folder is used, since
  // the test binary is not installed.
  QCOMPARE(gpupoor::resourceDir(), gpupoor::test::sourceDir() / "resources");
}

void TestModelLocator::resourceDirOverrideMissing() {
  qputenv("GPUPOOR_RESOURCE_DIR", "/nonexistent/gpupoor-resources");
  QString message;
  try {
    gpupoor::resourceDir();
  } catch (const gpupoor::InvalidArgument& error) {
    message = error.what();
  }
  QVERIFY2(message.contains("GPUPOOR_RESOURCE_DIR"), qPrintable(message));
  QVERIFY2(message.contains("/nonexistent/gpupoor-resources"), qPrintable(message));
}

void TestModelLocator::listModelsFindsAllSources() {
  // Bundled: a copy of the bf16 fixture with tokenizer files.
  const fs::path bundled =
      fs::path(m_dir->path().toStdString()) / "resources" / "models" / "gpt2-demo";
  fs::create_directories(bundled);
  fs::copy_file(fixtureDir("bf16-prefixed") / "config.json", bundled / "config.json");
  fs::copy_file(fixtureDir("bf16-prefixed") / "model.safetensors", bundled / "model.safetensors");
  writeText(bundled / "vocab.json", "{}");
  writeText(bundled / "merges.txt", "#version: 0.2\n");

  addCachedModel(m_cache / "models--openai-community--gpt2", "abc123");

  // A folder holding two model folders.
  const fs::path extra = fs::path(m_dir->path().toStdString()) / "extra";
  fs::create_directories(extra);
  fs::copy(fixtureDir("f32-pytorch-bin"), extra / "bin-model");
  fs::copy(fixtureDir("f16-prefixed-lmhead"), extra / "f16-model");

  const auto models = gpupoor::listModels({extra, fixtureDir("f32-plain")});
  QCOMPARE(models.size(), std::size_t{5});

  const auto* demo = findEntry(models, "gpt2-demo");
  QVERIFY(demo != nullptr);
  QCOMPARE(demo->source, gpupoor::ModelSource::Bundled);
  QVERIFY(demo->hasTokenizer);

  const auto* cached = findEntry(models, "openai-community/gpt2");
  QVERIFY(cached != nullptr);
  QCOMPARE(cached->source, gpupoor::ModelSource::HfCache);
  QCOMPARE(cached->dir, m_cache / "models--openai-community--gpt2" / "snapshots" / "abc123");
  QVERIFY(!cached->hasTokenizer);
  QCOMPARE(cached->config.nLayer, 2);
  QCOMPARE(cached->config.nEmbd, 32);
  // Symlinks are followed: the size is the blob's.
  QCOMPARE(cached->weightsBytes, fs::file_size(fixtureDir("f32-plain") / "model.safetensors"));

  const auto* bin = findEntry(models, "bin-model");
  QVERIFY(bin != nullptr);
  QCOMPARE(bin->source, gpupoor::ModelSource::Folder);
  QCOMPARE(bin->weightsFile.filename().string(), std::string("pytorch_model.bin"));
  QVERIFY(findEntry(models, "f16-model") != nullptr);
  QVERIFY(findEntry(models, "f32-plain") != nullptr);

  // The parameter count matches the tensors of the .bin fixture, which contains
  // exactly the GPT-2 parameters (no buffers, tied head).
  const auto source = gpupoor::openCheckpoint(fixtureDir("f32-pytorch-bin"));
  long long storedParameters = 0;
  for (const auto& info : source->tensors()) storedParameters += info.numel();
  QCOMPARE(bin->config.parameters, storedParameters);
}

void TestModelLocator::listModelsSkipsOtherModelTypes() {
  const fs::path repo = m_cache / "models--google-bert--bert-base-uncased";
  writeText(repo / "blobs" / "bert-config", R"({"model_type": "bert", "hidden_size": 768})");
  fs::create_directories(repo / "snapshots" / "abc123");
  fs::create_symlink("../../blobs/bert-config", repo / "snapshots" / "abc123" / "config.json");
  addCachedModel(m_cache / "models--distilbert--distilgpt2", "def456");

  const auto models = gpupoor::listModels();
  QCOMPARE(models.size(), std::size_t{1});
  QCOMPARE(models.front().name, std::string("distilbert/distilgpt2"));
}

void TestModelLocator::listModelsRejectsMissingFolder() {
  QString message;
  try {
    gpupoor::listModels({"/nonexistent/models"});
  } catch (const gpupoor::InvalidArgument& error) {
    message = error.what();
  }
  QVERIFY2(message.contains("/nonexistent/models"), qPrintable(message));
}

namespace {

struct CommandResult {
  int exitCode = -1;
  QString standardOutput;
  QString standardError;
};

// Runs `gpupoor ARGS` with the test's HF_HUB_CACHE and GPUPOOR_RESOURCE_DIR.
CommandResult runGpupoor(const QStringList& args) {
  QProcess process;
  process.setProcessEnvironment(QProcessEnvironment::systemEnvironment());
  process.start(QString::fromStdString(gpupoor::test::gpupoorBinary().string()), args);
  CommandResult result;
  if (!process.waitForFinished(120'000)) return result;
  result.exitCode = process.exitCode();
  result.standardOutput = QString::fromUtf8(process.readAllStandardOutput());
  result.standardError = QString::fromUtf8(process.readAllStandardError());
  return result;
}

}  // namespace

void TestModelLocator::modelsCommandPrintsJson() {
  addCachedModel(m_cache / "models--openai-community--gpt2", "abc123");
  const auto result =
      runGpupoor({"models", "--folder",
                  QString::fromStdString(fixtureDir("bf16-prefixed").string()), "--json"});
  QCOMPARE(result.exitCode, 0);

  const auto list = nlohmann::json::parse(result.standardOutput.toStdString(), nullptr, false);
  QVERIFY2(list.is_array(), qPrintable(result.standardOutput));
  QCOMPARE(list.size(), std::size_t{2});
  QCOMPARE(list[0]["name"].get<std::string>(), std::string("openai-community/gpt2"));
  QCOMPARE(list[0]["source"].get<std::string>(), std::string("hf-cache"));
  QCOMPARE(list[1]["name"].get<std::string>(), std::string("bf16-prefixed"));
  QCOMPARE(list[1]["source"].get<std::string>(), std::string("folder"));
  QCOMPARE(list[1]["n_layer"].get<int>(), 2);
  QCOMPARE(list[1]["weights_bytes"].get<std::uint64_t>(),
           fs::file_size(fixtureDir("bf16-prefixed") / "model.safetensors"));

  const auto table = runGpupoor({"models"});
  QCOMPARE(table.exitCode, 0);
  QVERIFY2(table.standardOutput.contains("openai-community/gpt2"),
           qPrintable(table.standardOutput));
  QVERIFY2(table.standardOutput.contains("hf-cache"), qPrintable(table.standardOutput));
}

void TestModelLocator::modelsCommandRejectsMissingFolder() {
  const auto result = runGpupoor({"models", "--folder", "/nonexistent/models"});
  QCOMPARE(result.exitCode, 2);
  QVERIFY2(result.standardError.contains("/nonexistent/models"), qPrintable(result.standardError));

  const auto unknownOption = runGpupoor({"models", "--no-such-option"});
  QCOMPARE(unknownOption.exitCode, 2);
  QVERIFY2(unknownOption.standardError.contains("no-such-option"),
           qPrintable(unknownOption.standardError));
}

QTEST_GUILESS_MAIN(TestModelLocator)
#include "tst_model_locator.moc"
