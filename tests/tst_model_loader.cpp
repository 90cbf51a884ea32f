// Model loading paths other than the reference fixtures: key prefixes, tied
// and separate LM heads, extra tensors, progress reports, cancellation and
// what a LayerFactory receives.
#include <QtTest>

#include <ATen/ATen.h>

#include <set>

#include "core/common/cancel.h"
#include "core/common/errors.h"
#include "core/model/fp32_layers.h"
#include "core/model/model_loader.h"
#include "helpers/random_gpt2.h"
#include "helpers/tiny_checkpoint.h"

using gpupoor::test::configJson;
using gpupoor::test::randomCheckpointTensors;
using gpupoor::test::tinyGpt2Config;
using gpupoor::test::writeCheckpoint;

namespace {

// Records what the loader hands over, then builds ordinary FP32 layers.
class RecordingFactory final : public gpupoor::LayerFactory {
 public:
  struct Call {
    std::string name;
    std::vector<std::int64_t> shape;
    bool contiguous = false;
  };

  std::unique_ptr<gpupoor::LinearLayer> makeLinear(const std::string& name, at::Tensor weight,
                                                   at::Tensor bias) override {
    linearCalls.push_back({name, weight.sizes().vec(), weight.is_contiguous()});
    return m_fp32->makeLinear(name, std::move(weight), std::move(bias));
  }

  std::unique_ptr<gpupoor::EmbeddingTable> makeEmbedding(const std::string& name,
                                                         at::Tensor table) override {
    embeddingCalls.push_back({name, table.sizes().vec(), table.is_contiguous()});
    return m_fp32->makeEmbedding(name, std::move(table));
  }

  std::string scheme() const override { return "fp32"; }

  std::vector<Call> linearCalls;
  std::vector<Call> embeddingCalls;

 private:
  std::unique_ptr<gpupoor::LayerFactory> m_fp32 = gpupoor::makeFp32LayerFactory();
};

const at::Tensor kIds = at::tensor({3, 14, 15, 9, 26, 5}, at::kLong).unsqueeze(0);

double maxAbsDifference(const at::Tensor& a, const at::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

}  // namespace

class TestModelLoader : public QObject {
  Q_OBJECT

 private slots:
  void init() {
    QVERIFY(m_tempDir.isValid());
    m_modelDir =
        std::filesystem::path(m_tempDir.path().toStdString()) / QTest::currentTestFunction();
  }

  void prefixedKeysLoadTheSame() {
    const auto config = tinyGpt2Config();
    const auto tensors = randomCheckpointTensors(config, 2);
    std::map<std::string, at::Tensor> prefixed;
    for (const auto& [name, tensor] : tensors) prefixed["transformer." + name] = tensor;
    writeCheckpoint(m_modelDir / "plain", configJson(config), tensors);
    writeCheckpoint(m_modelDir / "prefixed", configJson(config), prefixed);

    const at::Tensor plain = gpupoor::loadGpt2Model(m_modelDir / "plain")->forward(kIds);
    const at::Tensor fromPrefixed = gpupoor::loadGpt2Model(m_modelDir / "prefixed")->forward(kIds);
    QCOMPARE(maxAbsDifference(plain, fromPrefixed), 0.0);
  }

  void conv1dWeightsTransposed() {
    // A model built directly from the transposed tensors must give the same logits.
    const auto config = tinyGpt2Config();
    const auto tensors = randomCheckpointTensors(config, 3);
    writeCheckpoint(m_modelDir, configJson(config), tensors);

    gpupoor::Gpt2Weights weights;
    weights.tokenEmbedding = std::make_unique<gpupoor::Fp32Embedding>(tensors.at("wte.weight"));
    weights.positionEmbedding = std::make_unique<gpupoor::Fp32Embedding>(tensors.at("wpe.weight"));
    const auto linear = [&](const std::string& name) {
      return std::make_unique<gpupoor::Fp32Linear>(tensors.at(name + ".weight").t().contiguous(),
                                                   tensors.at(name + ".bias"));
    };
    for (int i = 0; i < config.nLayer; ++i) {
      const std::string h = "h." + std::to_string(i) + ".";
      gpupoor::Gpt2BlockWeights block;
      block.ln1Weight = tensors.at(h + "ln_1.weight");
      block.ln1Bias = tensors.at(h + "ln_1.bias");
      block.attnQkv = linear(h + "attn.c_attn");
      block.attnProj = linear(h + "attn.c_proj");
      block.ln2Weight = tensors.at(h + "ln_2.weight");
      block.ln2Bias = tensors.at(h + "ln_2.bias");
      block.mlpFc = linear(h + "mlp.c_fc");
      block.mlpProj = linear(h + "mlp.c_proj");
      weights.blocks.push_back(std::move(block));
    }
    weights.lnFWeight = tensors.at("ln_f.weight");
    weights.lnFBias = tensors.at("ln_f.bias");
    const gpupoor::Gpt2Model direct(config, std::move(weights));

    QCOMPARE(
        maxAbsDifference(gpupoor::loadGpt2Model(m_modelDir)->forward(kIds), direct.forward(kIds)),
        0.0);
  }

  void separateLmHeadKept() {
    const auto config = tinyGpt2Config();
    auto tensors = randomCheckpointTensors(config, 4);
    writeCheckpoint(m_modelDir / "tied", configJson(config), tensors);
    tensors["lm_head.weight"] = tensors.at("wte.weight") * 0.5;
    writeCheckpoint(m_modelDir / "separate", configJson(config), tensors);

    const auto tied = gpupoor::loadGpt2Model(m_modelDir / "tied");
    const auto separate = gpupoor::loadGpt2Model(m_modelDir / "separate");
    QVERIFY(separate->weights().lmHead != nullptr);
    const std::int64_t headBytes = std::int64_t{config.vocabSize} * config.nEmbd * 4;
    QCOMPARE(separate->memory().lmHead, headBytes);
    QCOMPARE(separate->memory().total(), tied->memory().total() + headBytes);

    // Halving the head halves the logits of the same hidden states.
    const at::Tensor tiedLogits = tied->forward(kIds);
    const at::Tensor separateLogits = separate->forward(kIds);
    QVERIFY(maxAbsDifference(separateLogits, tiedLogits * 0.5) < 1e-5);
  }

  void equalLmHeadTied() {
    const auto config = tinyGpt2Config();
    auto tensors = randomCheckpointTensors(config, 4);
    tensors["lm_head.weight"] = tensors.at("wte.weight").clone();
    writeCheckpoint(m_modelDir, configJson(config), tensors);
    const auto model = gpupoor::loadGpt2Model(m_modelDir);
    QVERIFY(model->weights().lmHead == nullptr);
    QCOMPARE(model->memory().lmHead, std::int64_t{0});
  }

  void extraTensorsIgnored() {
    const auto config = tinyGpt2Config();
    auto tensors = randomCheckpointTensors(config, 5);
    writeCheckpoint(m_modelDir / "clean", configJson(config), tensors);
    tensors["h.0.attn.bias"] = at::ones({1, 1, 16, 16});
    tensors["h.1.attn.masked_bias"] = at::full({}, -1e4);
    tensors["score.weight"] = at::zeros({2, 16});
    writeCheckpoint(m_modelDir / "extra", configJson(config), tensors);

    const at::Tensor clean = gpupoor::loadGpt2Model(m_modelDir / "clean")->forward(kIds);
    const at::Tensor extra = gpupoor::loadGpt2Model(m_modelDir / "extra")->forward(kIds);
    QCOMPARE(maxAbsDifference(clean, extra), 0.0);
  }

  void factoryGetsCanonicalNamesAndShapes() {
    const auto config = tinyGpt2Config();
    std::map<std::string, at::Tensor> prefixed;
    for (const auto& [name, tensor] : randomCheckpointTensors(config, 6)) {
      prefixed["transformer." + name] = tensor;
    }
    writeCheckpoint(m_modelDir, configJson(config), prefixed);

    RecordingFactory factory;
    gpupoor::LoadOptions options;
    options.factory = &factory;
    gpupoor::loadGpt2Model(m_modelDir, options);

    QCOMPARE(factory.linearCalls.size(), std::size_t{8});
    QCOMPARE(factory.linearCalls[0].name, std::string("h.0.attn.c_attn"));
    QCOMPARE(factory.linearCalls[0].shape, (std::vector<std::int64_t>{48, 16}));
    QCOMPARE(factory.linearCalls[2].name, std::string("h.0.mlp.c_fc"));
    QCOMPARE(factory.linearCalls[2].shape, (std::vector<std::int64_t>{64, 16}));
    QCOMPARE(factory.linearCalls[3].name, std::string("h.0.mlp.c_proj"));
    QCOMPARE(factory.linearCalls[3].shape, (std::vector<std::int64_t>{16, 64}));
    for (const auto& call : factory.linearCalls) QVERIFY2(call.contiguous, call.name.c_str());

    QCOMPARE(factory.embeddingCalls.size(), std::size_t{2});
    QCOMPARE(factory.embeddingCalls[0].name, std::string("wte"));
    QCOMPARE(factory.embeddingCalls[1].name, std::string("wpe"));
    QCOMPARE(factory.embeddingCalls[1].shape, (std::vector<std::int64_t>{16, 16}));
  }

  void progressReportsEveryStep() {
    const auto config = tinyGpt2Config();
    writeCheckpoint(m_modelDir, configJson(config), randomCheckpointTensors(config, 7));

    std::vector<gpupoor::LoadProgress> reports;
    gpupoor::LoadOptions options;
    options.onProgress = [&](const gpupoor::LoadProgress& progress) {
      reports.push_back(progress);
    };
    gpupoor::loadGpt2Model(m_modelDir, options);

    const int expectedTotal = 2 + 6 * config.nLayer + 1;
    QCOMPARE(static_cast<int>(reports.size()), expectedTotal);
    std::set<std::string> names;
    for (std::size_t i = 0; i < reports.size(); ++i) {
      QCOMPARE(reports[i].index, static_cast<int>(i) + 1);
      QCOMPARE(reports[i].total, expectedTotal);
      QCOMPARE(reports[i].storedDtype, std::string("F32"));
      QVERIFY(reports[i].bytesBefore > 0);
      QCOMPARE(reports[i].bytesAfter, reports[i].bytesBefore);
      names.insert(reports[i].name);
    }
    QCOMPARE(static_cast<int>(names.size()), expectedTotal);
    QVERIFY(names.contains("h.1.mlp.c_proj"));
    QVERIFY(names.contains("ln_f"));
    QCOMPARE(reports.front().name, std::string("wte"));
    QCOMPARE(reports.front().shape, (std::vector<std::int64_t>{64, 16}));
  }

  void cancelStopsLoading() {
    const auto config = tinyGpt2Config();
    writeCheckpoint(m_modelDir, configJson(config), randomCheckpointTensors(config, 8));

    gpupoor::CancelToken cancel;
    int reportsSeen = 0;
    gpupoor::LoadOptions options;
    options.cancel = &cancel;
    options.onProgress = [&](const gpupoor::LoadProgress&) {
      if (++reportsSeen == 3) cancel.cancel();
    };
    QVERIFY_THROWS_EXCEPTION(gpupoor::Cancelled, gpupoor::loadGpt2Model(m_modelDir, options));
    QCOMPARE(reportsSeen, 3);
  }

  void inverseLayerScalingApplied() {
    // scale_attn_by_inverse_layer_idx divides layer i's scores by i + 1. With
    // two layers that equals halving the query projection of layer 1.
    const auto config = tinyGpt2Config();
    const auto tensors = randomCheckpointTensors(config, 9);
    auto json = configJson(config);
    json["scale_attn_by_inverse_layer_idx"] = true;
    writeCheckpoint(m_modelDir / "scaled", json, tensors);

    auto halvedQuery = tensors;
    const std::int64_t c = config.nEmbd;
    at::Tensor weight = tensors.at("h.1.attn.c_attn.weight").clone();  // [C, 3C], queries first
    at::Tensor bias = tensors.at("h.1.attn.c_attn.bias").clone();
    weight.narrow(1, 0, c).mul_(0.5);
    bias.narrow(0, 0, c).mul_(0.5);
    halvedQuery["h.1.attn.c_attn.weight"] = weight;
    halvedQuery["h.1.attn.c_attn.bias"] = bias;
    writeCheckpoint(m_modelDir / "halved", configJson(config), halvedQuery);
    writeCheckpoint(m_modelDir / "plain", configJson(config), tensors);

    const at::Tensor scaled = gpupoor::loadGpt2Model(m_modelDir / "scaled")->forward(kIds);
    const at::Tensor halved = gpupoor::loadGpt2Model(m_modelDir / "halved")->forward(kIds);
    const at::Tensor plain = gpupoor::loadGpt2Model(m_modelDir / "plain")->forward(kIds);
    QVERIFY(maxAbsDifference(scaled, halved) < 1e-5);
    QVERIFY(maxAbsDifference(scaled, plain) > 1e-4);
  }

 private:
  QTemporaryDir m_tempDir;
  std::filesystem::path m_modelDir;
};

QTEST_GUILESS_MAIN(TestModelLoader)
#include "tst_model_loader.moc"
