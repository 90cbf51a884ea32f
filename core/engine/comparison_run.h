#pragma once

// The body of one comparison run, executed on the engine's orchestrating
// thread, which ComparisonEngine owns. The steps are: load, generate on both
// copies, score perplexity. The report is updated after every finished
// prompt, so a cancel leaves a consistent report.

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/common/cancel.h"
#include "core/engine/events.h"
#include "core/engine/report.h"
#include "core/engine/settings.h"

namespace gpupoor {

class Gpt2Model;
class Gpt2Tokenizer;

// A report shared between the run and callers of ComparisonEngine::report().
class ReportStore {
 public:
  template <typename Function>
  void update(Function&& change) {
    std::lock_guard lock(m_mutex);
    change(m_report);
  }
  Report snapshot() const {
    std::lock_guard lock(m_mutex);
    return m_report;
  }

 private:
  mutable std::mutex m_mutex;
  Report m_report;
};

class ComparisonRun {
 public:
  // `beforeFinished` runs after the report is final and before
  // RunFinishedEvent is sent, so the engine can mark itself idle first.
  ComparisonRun(ComparisonSettings settings, EventSink sink, const CancelToken& cancel, ReportStore& store,
                std::function<void()> beforeFinished);

  // Runs every step, then writes the report file when one was requested and
  // sends RunFinishedEvent. Catches every std::exception, so failures end up
  // in the report.
  void execute();

 private:
  struct LoadedCopy;

  void runModel(int modelIndex);
  std::unique_ptr<Gpt2Model> loadCopy(int modelIndex, const std::string& modelDir, QuantScheme scheme);
  void runPrompts(int modelIndex, QuantScheme scheme, const Gpt2Model& fp32, const Gpt2Model& int8,
                  const std::shared_ptr<const Gpt2Tokenizer>& tokenizer);
  void runPerplexity(int modelIndex, QuantScheme scheme, const Gpt2Model& fp32, const Gpt2Model& int8,
                     const std::vector<std::int64_t>& textIds);
  void updateCorpusBleu(int modelIndex, QuantScheme scheme);
  void finish(RunStatus status, const std::string& stage, const std::string& message);
  void emit(const EngineEvent& event) const;

  ComparisonSettings m_settings;
  EventSink m_sink;
  std::function<void()> m_beforeFinished;
  const CancelToken& m_cancel;
  ReportStore& m_store;
  std::chrono::steady_clock::time_point m_start;
  int m_threadBudget = 1;
  std::string m_stage = "setup";
  std::string m_evaluationText;
};

}  // namespace gpupoor
