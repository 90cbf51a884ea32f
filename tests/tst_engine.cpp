// The comparison engine end to end on a tiny GPT-2 (2 layers, 512-token
// vocabulary, with a matching 512-token BPE tokenizer made by
// scripts/make_tiny_tokenizer.py): events, report contents, the JSON file
// against resources/schema/report.schema.json, cancel and failure.
#include <QtTest>

#include <ATen/Parallel.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <mutex>
#include <thread>

#include "core/common/errors.h"
#include "core/engine/comparison_engine.h"
#include "core/engine/prompt_file.h"
#include "core/engine/thread_budget.h"
#include "helpers/json_schema_check.h"
#include "test_paths.h"

namespace {

std::filesystem::path engineData() { return gpupoor::test::dataDir() / "engine"; }
std::filesystem::path tinyModel() { return engineData() / "tiny-gpt2-tokenized"; }

nlohmann::json readJson(const std::filesystem::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

nlohmann::json reportSchema() {
  return readJson(gpupoor::test::sourceDir() / "resources" / "schema" / "report.schema.json");
}

std::string joinErrors(const std::vector<std::string>& errors) {
  std::string text;
  for (const std::string& error : errors) text += error + "\n";
  return text;
}

// Collects events from the engine's threads.
class EventLog {
 public:
  gpupoor::EventSink sink() {
    return [this](const gpupoor::EngineEvent& event) {
      std::lock_guard lock(m_mutex);
      m_events.push_back(event);
      if (m_onEvent) m_onEvent(event);
    };
  }
  void setOnEvent(std::function<void(const gpupoor::EngineEvent&)> onEvent) { m_onEvent = std::move(onEvent); }

  template <typename T>
  std::vector<T> all() const {
    std::lock_guard lock(m_mutex);
    std::vector<T> found;
    for (const auto& event : m_events) {
      if (const T* typed = std::get_if<T>(&event)) found.push_back(*typed);
    }
    return found;
  }
  std::vector<gpupoor::EngineEvent> events() const {
    std::lock_guard lock(m_mutex);
    return m_events;
  }

 private:
  mutable std::mutex m_mutex;
  std::vector<gpupoor::EngineEvent> m_events;
  std::function<void(const gpupoor::EngineEvent&)> m_onEvent;
};

gpupoor::ComparisonSettings tinySettings(const std::filesystem::path& reportPath) {
  gpupoor::ComparisonSettings settings;
  settings.models = {tinyModel().string()};
  settings.prompts = gpupoor::readPromptFile(engineData() / "prompts.txt");
  settings.maxNewTokens = 8;
  settings.stopAtEos = false;
  settings.threads = 2;
  gpupoor::PerplexitySettings perplexity;
  perplexity.file = engineData() / "eval.txt";
  perplexity.maxLength = 32;
  perplexity.stride = 16;
  settings.perplexity = perplexity;
  settings.reportPath = reportPath;
  return settings;
}

std::filesystem::path temporaryReport(const char* name) {
  const std::filesystem::path path = std::filesystem::temp_directory_path() / (std::string("gpupoor_tst_engine_") + name);
  std::filesystem::remove(path);
  return path;
}

}  // namespace

class TestEngine : public QObject {
  Q_OBJECT

 private slots:
  void ompThreadsArePerThread() {
    // The engine relies on this: a worker's count does not change the
    // caller's, once each thread has run ATen's lazy per-thread set-up
    // (any at::get_num_threads() call) before setting its own count.
    at::get_num_threads();
    at::set_num_threads(2);
    int workerThreads = 0;
    std::thread worker([&] {
      at::get_num_threads();
      at::set_num_threads(1);
      workerThreads = at::get_num_threads();
    });
    worker.join();
    QCOMPARE(workerThreads, 1);
    QCOMPARE(at::get_num_threads(), 2);
  }

  void threadBudgetSplit() {
    QCOMPARE(gpupoor::threadsPerWorker(2, 2), 1);
    QCOMPARE(gpupoor::threadsPerWorker(8, 2), 4);
    QCOMPARE(gpupoor::threadsPerWorker(1, 2), 1);
  }

  void promptFileFormats() {
    const std::vector<std::string> text = gpupoor::readPromptFile(engineData() / "prompts.txt");
    QCOMPARE(text.size(), std::size_t{3});
    QCOMPARE(text.front(), std::string("The quick brown fox"));
    const std::vector<std::string> jsonLines = gpupoor::readPromptFile(engineData() / "prompts.jsonl");
    QCOMPARE(jsonLines.size(), std::size_t{2});
    QCOMPARE(jsonLines.back(), std::string("Once upon a time"));
  }

  void promptFileErrors_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("content");
    QTest::newRow("not json") << "bad.jsonl" << "{\"prompt\": \n";
    QTest::newRow("no prompt field") << "field.jsonl" << "{\"text\": \"a\"}\n";
    QTest::newRow("prompt not a string") << "type.jsonl" << "{\"prompt\": 3}\n";
    QTest::newRow("only blank lines") << "blank.txt" << "\n  \n\n";
  }

  void promptFileErrors() {
    QFETCH(QString, name);
    QFETCH(QString, content);
    const std::filesystem::path path = std::filesystem::temp_directory_path() / ("gpupoor_tst_" + name.toStdString());
    std::ofstream(path) << content.toStdString();
    QVERIFY_THROWS_EXCEPTION(gpupoor::InvalidArgument, gpupoor::readPromptFile(path));
    std::filesystem::remove(path);
  }

  void invalidSettingsRejected() {
    gpupoor::ComparisonEngine engine;
    gpupoor::ComparisonSettings noModel = tinySettings(temporaryReport("unused.json"));
    noModel.models.clear();
    QVERIFY_THROWS_EXCEPTION(gpupoor::InvalidArgument, engine.start(noModel, {}));
    gpupoor::ComparisonSettings fp32Scheme = tinySettings(temporaryReport("unused.json"));
    fp32Scheme.schemes = {gpupoor::QuantScheme::Fp32};
    QVERIFY_THROWS_EXCEPTION(gpupoor::InvalidArgument, engine.start(fp32Scheme, {}));
    gpupoor::ComparisonSettings badStride = tinySettings(temporaryReport("unused.json"));
    badStride.perplexity->stride = 64;
    QVERIFY_THROWS_EXCEPTION(gpupoor::InvalidArgument, engine.start(badStride, {}));
    QVERIFY(!engine.running());
  }

  void schemaCheckFindsErrors() {
    // The validator must reject a report that lacks a required field.
    nlohmann::json report = gpupoor::reportToJson(gpupoor::Report{});
    QVERIFY2(gpupoor::test::validateJsonSchema(reportSchema(), report).empty(),
             joinErrors(gpupoor::test::validateJsonSchema(reportSchema(), report)).c_str());
    report.erase("environment");
    report["schema_version"] = 2;
    QCOMPARE(gpupoor::test::validateJsonSchema(reportSchema(), report).size(), std::size_t{2});
  }

  void concurrentRunCompletes() {
    const std::filesystem::path reportPath = temporaryReport("concurrent.json");
    gpupoor::ComparisonEngine engine;
    EventLog log;
    engine.start(tinySettings(reportPath), log.sink());
    engine.wait();
    QVERIFY(!engine.running());

    const gpupoor::Report report = engine.report();
    QVERIFY2(report.status == gpupoor::RunStatus::Completed, report.error.c_str());
    QCOMPARE(report.models.size(), std::size_t{1});
    QCOMPARE(report.models[0].copies.size(), std::size_t{2});
    QVERIFY(report.models[0].copies[1].weightBytesTotal < report.models[0].copies[0].weightBytesTotal);
    QCOMPARE(report.prompts.size(), std::size_t{3});
    for (const gpupoor::PromptResult& prompt : report.prompts) {
      QCOMPARE(prompt.fp32Ids.size(), std::size_t{8});
      QCOMPARE(prompt.int8Ids.size(), std::size_t{8});
      QVERIFY(prompt.bleu >= 0.0 && prompt.bleu <= 1.0);
      QVERIFY(prompt.fp32Speed.decodeTokensPerSecond > 0.0);
      QVERIFY(prompt.fp32Speed.mode == gpupoor::SpeedMode::Concurrent);
    }
    QCOMPARE(report.corpusBleu.size(), std::size_t{1});
    QCOMPARE(report.corpusBleu[0].prompts, 3);
    QCOMPARE(report.perplexity.size(), std::size_t{1});
    const gpupoor::PerplexityComparison& perplexity = report.perplexity[0];
    QVERIFY(perplexity.fp32.perplexity > 1.0);
    QVERIFY(perplexity.kld.meanKld >= 0.0);
    QCOMPARE(perplexity.kld.positions, perplexity.fp32.tokensScored);
    QVERIFY(perplexity.kld.top1Agreement >= 0.0 && perplexity.kld.top1Agreement <= 1.0);

    // Events: every generated token was reported, and the run ended with RunFinished.
    std::size_t tokens = 0;
    for (const auto& prompt : report.prompts) tokens += prompt.fp32Ids.size() + prompt.int8Ids.size();
    QCOMPARE(log.all<gpupoor::TokenGeneratedEvent>().size(), tokens);
    QCOMPARE(log.all<gpupoor::ModelLoadedEvent>().size(), std::size_t{2});
    QVERIFY(!log.all<gpupoor::LoadProgressEvent>().empty());
    QCOMPARE(log.all<gpupoor::PromptFinishedEvent>().size(), std::size_t{3});
    QVERIFY(!log.all<gpupoor::PerplexityProgressEvent>().empty());
    QCOMPARE(log.all<gpupoor::PerplexityFinishedEvent>().size(), std::size_t{1});
    QVERIFY(std::holds_alternative<gpupoor::RunFinishedEvent>(log.events().back()));

    const nlohmann::json written = readJson(reportPath);
    const std::vector<std::string> errors = gpupoor::test::validateJsonSchema(reportSchema(), written);
    QVERIFY2(errors.empty(), joinErrors(errors).c_str());
    QCOMPARE(written.at("status").get<std::string>(), std::string("completed"));
    QCOMPARE(written.at("prompts").size(), std::size_t{3});
    std::filesystem::remove(reportPath);
  }

  void isolatedRunLabelsSpeed() {
    const std::filesystem::path reportPath = temporaryReport("isolated.json");
    gpupoor::ComparisonSettings settings = tinySettings(reportPath);
    settings.speedMode = gpupoor::SpeedMode::Isolated;
    settings.speedRepeats = 2;
    settings.perplexity.reset();
    settings.schemes = {gpupoor::QuantScheme::W8A8};
    gpupoor::ComparisonEngine engine;
    engine.start(settings, {});
    engine.wait();
    const gpupoor::Report report = engine.report();
    QVERIFY2(report.status == gpupoor::RunStatus::Completed, report.error.c_str());
    QCOMPARE(report.prompts.size(), std::size_t{3});
    QVERIFY(report.prompts[0].int8Speed.mode == gpupoor::SpeedMode::Isolated);
    QCOMPARE(report.prompts[0].int8Speed.repeats, 2);
    QVERIFY(report.prompts[0].scheme == gpupoor::QuantScheme::W8A8);
    const nlohmann::json written = readJson(reportPath);
    QCOMPARE(written.at("prompts").at(0).at("int8").at("speed").at("mode").get<std::string>(), std::string("isolated"));
    std::filesystem::remove(reportPath);
  }

  void cancelLeavesPartialReport() {
    const std::filesystem::path reportPath = temporaryReport("cancelled.json");
    gpupoor::ComparisonSettings settings = tinySettings(reportPath);
    settings.prompts = std::vector<std::string>(12, "The quick brown fox");
    settings.maxNewTokens = 40;
    gpupoor::ComparisonEngine engine;
    EventLog log;
    log.setOnEvent([&](const gpupoor::EngineEvent& event) {
      if (std::holds_alternative<gpupoor::PromptFinishedEvent>(event)) engine.cancel();
    });
    engine.start(settings, log.sink());
    engine.wait();

    const gpupoor::Report report = engine.report();
    QVERIFY(report.status == gpupoor::RunStatus::Cancelled);
    QVERIFY(!report.prompts.empty());
    QVERIFY(report.prompts.size() < 12);
    QCOMPARE(report.corpusBleu.at(0).prompts, static_cast<int>(report.prompts.size()));
    QVERIFY(report.perplexity.empty());

    const nlohmann::json written = readJson(reportPath);
    const std::vector<std::string> errors = gpupoor::test::validateJsonSchema(reportSchema(), written);
    QVERIFY2(errors.empty(), joinErrors(errors).c_str());
    QCOMPARE(written.at("status").get<std::string>(), std::string("cancelled"));
    QCOMPARE(written.at("prompts").size(), report.prompts.size());
    std::filesystem::remove(reportPath);
  }

  void missingModelFails() {
    const std::filesystem::path reportPath = temporaryReport("failed.json");
    gpupoor::ComparisonSettings settings = tinySettings(reportPath);
    settings.models = {(engineData() / "no-such-model").string()};
    gpupoor::ComparisonEngine engine;
    EventLog log;
    engine.start(settings, log.sink());
    engine.wait();

    const gpupoor::Report report = engine.report();
    QVERIFY(report.status == gpupoor::RunStatus::Failed);
    QCOMPARE(report.errorStage, std::string("load"));
    QVERIFY(report.error.find("no-such-model") != std::string::npos);
    QCOMPARE(log.all<gpupoor::EngineErrorEvent>().size(), std::size_t{1});
    const nlohmann::json written = readJson(reportPath);
    QVERIFY(gpupoor::test::validateJsonSchema(reportSchema(), written).empty());
    QCOMPARE(written.at("error").at("stage").get<std::string>(), std::string("load"));
    std::filesystem::remove(reportPath);
  }
};

QTEST_GUILESS_MAIN(TestEngine)
#include "tst_engine.moc"
