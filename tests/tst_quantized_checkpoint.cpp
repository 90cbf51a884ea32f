// Saving and reloading INT8 models: the file layout and metadata, copied
// side files, bit-identical logits after reload, and rejection of damaged or
// foreign files.
#include <QTemporaryDir>
#include <QtTest>

#include <ATen/ATen.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>

#include "core/common/errors.h"
#include "core/io/safetensors_writer.h"
#include "core/io/tensor_source.h"
#include "core/model/fp32_layers.h"
#include "core/model/gpt2_model.h"
#include "core/quant/int8_layers.h"
#include "core/quant/quantized_checkpoint.h"

namespace fs = std::filesystem;
using gpupoor::QuantScheme;

namespace {

gpupoor::Gpt2Config tinyConfig() {
  gpupoor::Gpt2Config config;
  config.vocabSize = 64;
  config.nPositions = 16;
  config.nEmbd = 32;
  config.nLayer = 2;
  config.nHead = 4;
  config.nInner = 128;
  return config;
}

void writeConfig(const gpupoor::Gpt2Config& config, const fs::path& dir) {
  const nlohmann::json json = {{"model_type", "gpt2"},
                               {"vocab_size", config.vocabSize},
                               {"n_positions", config.nPositions},
                               {"n_embd", config.nEmbd},
                               {"n_layer", config.nLayer},
                               {"n_head", config.nHead}};
  std::ofstream(dir / "config.json") << json.dump();
}

// Builds a model with random weights through `factory`, as the loader would.
std::unique_ptr<gpupoor::Gpt2Model> buildModel(gpupoor::LayerFactory& factory, bool untiedHead) {
  const gpupoor::Gpt2Config config = tinyConfig();
  at::manual_seed(41);
  const std::int64_t c = config.nEmbd;
  const auto random = [](std::int64_t rows, std::int64_t cols) {
    return at::randn({rows, cols}, at::kFloat) * 0.2;
  };
  gpupoor::Gpt2Weights weights;
  weights.tokenEmbedding = factory.makeEmbedding("wte", random(config.vocabSize, c));
  weights.positionEmbedding = factory.makeEmbedding("wpe", random(config.nPositions, c));
  for (int layer = 0; layer < config.nLayer; ++layer) {
    const std::string prefix = "h." + std::to_string(layer) + ".";
    gpupoor::Gpt2BlockWeights block;
    block.ln1Weight = at::rand({c}) + 0.5;
    block.ln1Bias = at::randn({c}) * 0.1;
    block.attnQkv =
        factory.makeLinear(prefix + "attn.c_attn", random(3 * c, c), at::randn({3 * c}));
    block.attnProj = factory.makeLinear(prefix + "attn.c_proj", random(c, c), at::randn({c}));
    block.ln2Weight = at::rand({c}) + 0.5;
    block.ln2Bias = at::randn({c}) * 0.1;
    block.mlpFc = factory.makeLinear(prefix + "mlp.c_fc", random(config.nInner, c),
                                     at::randn({config.nInner}));
    block.mlpProj =
        factory.makeLinear(prefix + "mlp.c_proj", random(c, config.nInner), at::randn({c}));
    weights.blocks.push_back(std::move(block));
  }
  weights.lnFWeight = at::rand({c}) + 0.5;
  weights.lnFBias = at::randn({c}) * 0.1;
  if (untiedHead) weights.lmHead = factory.makeEmbedding("lm_head", random(config.vocabSize, c));
  return std::make_unique<gpupoor::Gpt2Model>(config, std::move(weights));
}

at::Tensor sampleIds() {
  return at::tensor(std::vector<std::int64_t>{1, 5, 63, 0, 17, 17, 42}, at::kLong).unsqueeze(0);
}

}  // namespace

class TestQuantizedCheckpoint : public QObject {
  Q_OBJECT

 private slots:
  void init() {
    QVERIFY(m_temp.isValid());
    m_source = fs::path(m_temp.path().toStdString()) / "source";
    m_out = fs::path(m_temp.path().toStdString()) / "int8";
    fs::remove_all(m_source);
    fs::remove_all(m_out);
    fs::create_directories(m_source);
    writeConfig(tinyConfig(), m_source);
    std::ofstream(m_source / "vocab.json") << "{}";
    std::ofstream(m_source / "merges.txt") << "#version: 0.2\n";
  }

  void reloadIsBitIdentical_data() {
    QTest::addColumn<int>("scheme");
    QTest::addColumn<bool>("untiedHead");
    QTest::newRow("w8a32 tied") << static_cast<int>(QuantScheme::W8A32) << false;
    QTest::newRow("w8a8 tied") << static_cast<int>(QuantScheme::W8A8) << false;
    QTest::newRow("w8a32 lm_head") << static_cast<int>(QuantScheme::W8A32) << true;
  }

  void reloadIsBitIdentical() {
    QFETCH(int, scheme);
    QFETCH(bool, untiedHead);
    gpupoor::Int8LayerFactory factory(static_cast<QuantScheme>(scheme));
    const auto model = buildModel(factory, untiedHead);
    gpupoor::saveQuantizedModel(*model, m_source, m_out);

    const auto reloaded = gpupoor::loadQuantizedModel(m_out);
    QCOMPARE(reloaded->scheme(), gpupoor::schemeName(static_cast<QuantScheme>(scheme)));
    QCOMPARE(static_cast<bool>(reloaded->weights().lmHead), untiedHead);
    QVERIFY(at::equal(model->forward(sampleIds()), reloaded->forward(sampleIds())));
    QCOMPARE(reloaded->memory().total(), model->memory().total());
  }

  void fileLayoutAndMetadata() {
    gpupoor::Int8LayerFactory factory(QuantScheme::W8A8);
    gpupoor::saveQuantizedModel(*buildModel(factory, false), m_source, m_out);

    QVERIFY(fs::exists(m_out / "config.json"));
    QVERIFY(fs::exists(m_out / "vocab.json"));
    QVERIFY(fs::exists(m_out / "merges.txt"));
    const auto source = gpupoor::openCheckpoint(m_out);
    const auto metadata = source->metadata();
    QCOMPARE(metadata.at("gpupoor.format"), std::string("int8-per-channel"));
    QCOMPARE(metadata.at("gpupoor.format_version"), std::string("1"));
    QCOMPARE(metadata.at("gpupoor.scheme"), std::string("w8a8"));
    QVERIFY(metadata.count("gpupoor.source") == 1);
    QCOMPARE(source->info("h.1.mlp.c_fc.weight").dtype, gpupoor::DType::I8);
    QCOMPARE(source->info("h.1.mlp.c_fc.weight").shape, (std::vector<std::int64_t>{128, 32}));
    QCOMPARE(source->info("h.1.mlp.c_fc.weight_scale").dtype, gpupoor::DType::F32);
    QCOMPARE(source->info("h.1.mlp.c_fc.bias").dtype, gpupoor::DType::F32);
    QCOMPARE(source->info("wte.weight").dtype, gpupoor::DType::I8);
    QCOMPARE(source->info("h.0.ln_1.weight").dtype, gpupoor::DType::F32);
    QVERIFY(!source->contains("lm_head.weight"));
  }

  void detectsQuantizedFolders() {
    gpupoor::Int8LayerFactory factory(QuantScheme::W8A32);
    gpupoor::saveQuantizedModel(*buildModel(factory, false), m_source, m_out);
    QVERIFY(gpupoor::isQuantizedCheckpoint(m_out));
    QVERIFY(!gpupoor::isQuantizedCheckpoint(m_source));
    QVERIFY(!gpupoor::isQuantizedCheckpoint(m_out / "missing"));
  }

  void schemeOverrideApplies() {
    gpupoor::Int8LayerFactory factory(QuantScheme::W8A32);
    gpupoor::saveQuantizedModel(*buildModel(factory, false), m_source, m_out);
    const auto reloaded = gpupoor::loadQuantizedModel(m_out, QuantScheme::W8A8);
    QCOMPARE(reloaded->scheme(), std::string("w8a8"));
  }

  void fp32ModelIsRejected() {
    const auto factory = gpupoor::makeFp32LayerFactory();
    const auto model = buildModel(*factory, false);
    QVERIFY_THROWS_EXCEPTION(gpupoor::InvalidArgument,
                             gpupoor::saveQuantizedModel(*model, m_source, m_out));
  }

  void saveIntoSourceIsRejected() {
    gpupoor::Int8LayerFactory factory(QuantScheme::W8A32);
    QVERIFY_THROWS_EXCEPTION(
        gpupoor::InvalidArgument,
        gpupoor::saveQuantizedModel(*buildModel(factory, false), m_source, m_source));
  }

  // The quantize command checks --out before it quantizes anything.
  void unusableOutputRejectedEarly() {
    QVERIFY_THROWS_EXCEPTION(gpupoor::InvalidArgument,
                             gpupoor::prepareQuantizedOutputDir(m_source, m_source));

    const fs::path file = m_source.parent_path() / "a-file";
    std::ofstream(file) << "x";
    QVERIFY_THROWS_EXCEPTION(gpupoor::InvalidArgument,
                             gpupoor::prepareQuantizedOutputDir(m_source, file));
    QVERIFY_THROWS_EXCEPTION(gpupoor::InvalidArgument,
                             gpupoor::prepareQuantizedOutputDir(m_source, file / "inside"));

    gpupoor::prepareQuantizedOutputDir(m_source, m_out / "nested");
    QVERIFY(fs::is_directory(m_out / "nested"));
  }

  void damagedFilesAreRejected_data() {
    QTest::addColumn<QString>("damage");
    QTest::newRow("other version") << "version";
    QTest::newRow("no format key") << "format";
    QTest::newRow("missing scale") << "scale";
    QTest::newRow("wrong shape") << "shape";
  }

  void damagedFilesAreRejected() {
    QFETCH(QString, damage);
    gpupoor::Int8LayerFactory factory(QuantScheme::W8A32);
    gpupoor::saveQuantizedModel(*buildModel(factory, false), m_source, m_out);

    std::map<std::string, at::Tensor> tensors;
    std::map<std::string, std::string> metadata;
    {
      const auto source = gpupoor::openCheckpoint(m_out);
      metadata = source->metadata();
      for (const auto& info : source->tensors()) tensors[info.name] = source->load(info.name);
    }
    if (damage == "version") metadata["gpupoor.format_version"] = "2";
    if (damage == "format") metadata.erase("gpupoor.format");
    if (damage == "scale") tensors.erase("h.1.attn.c_proj.weight_scale");
    if (damage == "shape") tensors["wpe.weight"] = at::zeros({15, 32}, at::kChar);
    gpupoor::writeSafetensors(m_out / "model.safetensors", tensors, metadata);

    QVERIFY_THROWS_EXCEPTION(gpupoor::InvalidCheckpoint, gpupoor::loadQuantizedModel(m_out));
  }

 private:
  QTemporaryDir m_temp;
  fs::path m_source;
  fs::path m_out;
};

QTEST_GUILESS_MAIN(TestQuantizedCheckpoint)
#include "tst_quantized_checkpoint.moc"
