// Gpt2Config parsing: the fields the forward pass reads, their defaults and
// aliases, the parameter count, and the errors for bad config.json files.
#include <QtTest>

#include <nlohmann/json.hpp>

#include <functional>

#include "core/common/errors.h"
#include "core/model/config.h"
#include "test_paths.h"

using gpupoor::Gpt2Config;
using nlohmann::json;

namespace {

json tinyConfigJson() {
  return {{"model_type", "gpt2"}, {"vocab_size", 512}, {"n_positions", 64}, {"n_embd", 32},
          {"n_layer", 2},         {"n_head", 4},       {"n_inner", nullptr}};
}

// Returns the message of the InvalidCheckpoint that `parse` throws, or an
// empty string when it throws nothing.
QString invalidCheckpointMessage(const std::function<void()>& parse) {
  try {
    parse();
  } catch (const gpupoor::InvalidCheckpoint& error) {
    return QString::fromUtf8(error.what());
  }
  return {};
}

QString parseError(const json& config) {
  return invalidCheckpointMessage([&] { Gpt2Config::fromJson(config.dump(), "test/config.json"); });
}

}  // namespace

class TestGpt2Config : public QObject {
  Q_OBJECT

 private slots:
  void fixtureConfigParses() {
    const auto config =
        Gpt2Config::fromFile(gpupoor::test::dataDir() / "tiny-gpt2/f32-plain/config.json");
    QCOMPARE(config.vocabSize, 512);
    QCOMPARE(config.nPositions, 64);
    QCOMPARE(config.nEmbd, 32);
    QCOMPARE(config.nLayer, 2);
    QCOMPARE(config.nHead, 4);
    QCOMPARE(config.nInner, 128);
    QCOMPARE(config.headDim(), 8);
    QCOMPARE(config.layerNormEpsilon, 1e-5);
    QCOMPARE(config.activation, gpupoor::Activation::GeluNew);
    QVERIFY(config.scaleAttnWeights);
    QVERIFY(!config.scaleAttnByInverseLayerIdx);
    QCOMPARE(config.eosTokenId, 50256);
  }

  void folderPathReadsConfigJson() {
    const auto config = Gpt2Config::fromFile(gpupoor::test::dataDir() / "tiny-gpt2/f32-plain");
    QCOMPARE(config.nEmbd, 32);
  }

  void nCtxUsedWithoutNPositions() {
    json config = tinyConfigJson();
    config.erase("n_positions");
    config["n_ctx"] = 128;
    QCOMPARE(Gpt2Config::fromJson(config.dump(), "test").nPositions, 128);
  }

  void explicitNInnerKept() {
    json config = tinyConfigJson();
    config["n_inner"] = 100;
    QCOMPARE(Gpt2Config::fromJson(config.dump(), "test").nInner, 100);
  }

  void optionalFieldsRead() {
    json config = tinyConfigJson();
    config["layer_norm_epsilon"] = 1e-6;
    config["scale_attn_by_inverse_layer_idx"] = true;
    config["reorder_and_upcast_attn"] = true;
    config["scale_attn_weights"] = false;
    config["eos_token_id"] = 7;
    const auto parsed = Gpt2Config::fromJson(config.dump(), "test");
    QCOMPARE(parsed.layerNormEpsilon, 1e-6);
    QVERIFY(parsed.scaleAttnByInverseLayerIdx);
    QVERIFY(parsed.reorderAndUpcastAttn);
    QVERIFY(!parsed.scaleAttnWeights);
    QCOMPARE(parsed.eosTokenId, 7);
  }

  void activation_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<gpupoor::Activation>("expected");
    QTest::newRow("gelu_new") << "gelu_new" << gpupoor::Activation::GeluNew;
    QTest::newRow("gelu_pytorch_tanh") << "gelu_pytorch_tanh" << gpupoor::Activation::GeluNew;
    QTest::newRow("gelu") << "gelu" << gpupoor::Activation::GeluExact;
    QTest::newRow("relu") << "relu" << gpupoor::Activation::Relu;
  }

  void activation() {
    QFETCH(QString, name);
    QFETCH(gpupoor::Activation, expected);
    json config = tinyConfigJson();
    config["activation_function"] = name.toStdString();
    QCOMPARE(Gpt2Config::fromJson(config.dump(), "test").activation, expected);
  }

  void parameterCount_data() {
    QTest::addColumn<int>("vocab");
    QTest::addColumn<int>("positions");
    QTest::addColumn<int>("embd");
    QTest::addColumn<int>("layers");
    QTest::addColumn<long long>("expected");
    // Published counts: GPT-2 small 124,439,808; the bundled demo model 7,291,776.
    QTest::newRow("gpt2 small") << 50257 << 1024 << 768 << 12 << 124439808LL;
    QTest::newRow("gpt2-demo") << 50257 << 512 << 128 << 4 << 7291776LL;
  }

  void parameterCount() {
    QFETCH(int, vocab);
    QFETCH(int, positions);
    QFETCH(int, embd);
    QFETCH(int, layers);
    QFETCH(long long, expected);
    Gpt2Config config;
    config.vocabSize = vocab;
    config.nPositions = positions;
    config.nEmbd = embd;
    config.nInner = 4 * embd;
    config.nLayer = layers;
    QCOMPARE(config.parameterCount(), expected);
  }

  void missingRequiredField_data() {
    QTest::addColumn<QString>("field");
    for (const char* field : {"vocab_size", "n_positions", "n_embd", "n_layer", "n_head"}) {
      QTest::newRow(field) << field;
    }
  }

  void missingRequiredField() {
    QFETCH(QString, field);
    json config = tinyConfigJson();
    config.erase(field.toStdString());
    const QString message = parseError(config);
    QVERIFY2(!message.isEmpty(), "no InvalidCheckpoint thrown");
    QVERIFY2(message.contains("test/config.json"), qPrintable(message));
    QVERIFY2(message.contains("'" + field + "'"), qPrintable(message));
    QVERIFY2(message.contains("missing"), qPrintable(message));
  }

  void missingFileNamed() {
    const QString message = invalidCheckpointMessage(
        [] { Gpt2Config::fromFile(gpupoor::test::dataDir() / "no-such-model/config.json"); });
    QVERIFY2(!message.isEmpty(), "no InvalidCheckpoint thrown");
    QVERIFY2(message.contains("no-such-model/config.json"), qPrintable(message));
  }

  void unsupportedActivationNamed() {
    json config = tinyConfigJson();
    config["activation_function"] = "swish";
    const QString message = parseError(config);
    QVERIFY2(!message.isEmpty(), "no InvalidCheckpoint thrown");
    QVERIFY2(message.contains("test/config.json"), qPrintable(message));
    QVERIFY2(message.contains("activation_function"), qPrintable(message));
    QVERIFY2(message.contains("swish"), qPrintable(message));
    QVERIFY2(message.contains("gelu_new"), qPrintable(message));
    QVERIFY2(message.contains("relu"), qPrintable(message));
  }

  void badValues_data() {
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("value");
    QTest::newRow("model type bert") << "model_type"
                                     << "\"bert\"";
    QTest::newRow("n_embd not divisible by n_head") << "n_head"
                                                    << "5";
    QTest::newRow("negative n_layer") << "n_layer"
                                      << "-2";
    QTest::newRow("zero vocab_size") << "vocab_size"
                                     << "0";
    QTest::newRow("n_embd as string") << "n_embd"
                                      << "\"32\"";
    QTest::newRow("fractional n_head") << "n_head"
                                       << "2.5";
    QTest::newRow("negative epsilon") << "layer_norm_epsilon"
                                      << "-1e-5";
    QTest::newRow("scale flag as number") << "scale_attn_weights"
                                          << "1";
  }

  void badValues() {
    QFETCH(QString, field);
    QFETCH(QString, value);
    json config = tinyConfigJson();
    config[field.toStdString()] = json::parse(value.toStdString());
    const QString message = parseError(config);
    QVERIFY2(!message.isEmpty(), "no InvalidCheckpoint thrown");
    QVERIFY2(message.contains(field), qPrintable(message));
  }

  void invalidJsonNamed() {
    const QString message =
        invalidCheckpointMessage([] { Gpt2Config::fromJson("{\"n_embd\": 32,", "broken.json"); });
    QVERIFY2(!message.isEmpty(), "no InvalidCheckpoint thrown");
    QVERIFY2(message.contains("broken.json"), qPrintable(message));
  }
};

QTEST_GUILESS_MAIN(TestGpt2Config)
#include "tst_gpt2_config.moc"
