#pragma once

// The A/B view of one prompt: the FP32 and INT8 outputs side by side as they
// stream, the first generated token where they differ highlighted in both,
// and the prompt's BLEU once both copies finished.

#include <nlohmann/json_fwd.hpp>

#include <QString>
#include <QWidget>

#include <cstdint>
#include <optional>
#include <vector>

class QLabel;
class QTextEdit;

namespace gpupoor::gui {

struct GeneratedPiece {
  std::int64_t id = 0;
  QString text;  // decoded text this token adds (may be empty mid UTF-8 sequence)
};

// Everything shown for one (model, INT8 scheme, prompt).
struct PromptOutputs {
  int modelIndex = 0;
  QString modelName;
  QString scheme;  // the INT8 copy's scheme
  int promptIndex = 0;
  QString prompt;
  std::vector<GeneratedPiece> fp32;
  std::vector<GeneratedPiece> int8;
  bool finished = false;       // PromptFinishedEvent arrived
  std::optional<double> bleu;  // set when finished
  // Whole texts, for outputs read from a report: it stores ids and texts but
  // not the text of each token, so the panes show these and no highlight.
  QString fp32Text;
  QString int8Text;
};

// The outputs stored in a "gpupoor-report" JSON document, in report order.
// Entries without "fp32"/"int8" objects are skipped.
std::vector<PromptOutputs> promptOutputsFromReport(const nlohmann::json& report);

// Index of the first generated token whose id differs, counting a sequence
// that ended while the other went on as differing at its end. nullopt while
// one is a prefix of the other, unless `bothFinished` (then a length
// difference counts).
std::optional<std::size_t> firstDivergence(const std::vector<GeneratedPiece>& fp32,
                                           const std::vector<GeneratedPiece>& int8,
                                           bool bothFinished);

class OutputPanes : public QWidget {
  Q_OBJECT

 public:
  explicit OutputPanes(QWidget* parent = nullptr);

  // Re-renders both panes from `outputs`.
  void showOutputs(const PromptOutputs& outputs);
  void clear();

  // The divergence currently highlighted, for tests.
  std::optional<std::size_t> markedDivergence() const { return m_marked; }
  QTextEdit* fp32Pane() const { return m_fp32Pane; }
  QTextEdit* int8Pane() const { return m_int8Pane; }
  // Background of the highlighted token.
  QColor divergenceColor() const;

 protected:
  void changeEvent(QEvent* event) override;

 private:
  void render(QTextEdit& pane, const PromptOutputs& outputs,
              const std::vector<GeneratedPiece>& pieces, const QString& wholeText);

  QLabel* m_fp32Header = nullptr;
  QLabel* m_int8Header = nullptr;
  QTextEdit* m_fp32Pane = nullptr;
  QTextEdit* m_int8Pane = nullptr;
  QLabel* m_status = nullptr;
  std::optional<std::size_t> m_marked;
  std::optional<PromptOutputs> m_last;
};

}  // namespace gpupoor::gui
