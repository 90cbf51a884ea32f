// Bad checkpoints and bad input to the model: each must fail with a clear
// error naming the tensor, field or value. The broken files are built in a
// temporary folder from a valid random checkpoint.
#include <QtTest>

#include <ATen/ATen.h>

#include <fstream>
#include <functional>

#include "core/common/errors.h"
#include "core/model/model_loader.h"
#include "helpers/random_gpt2.h"
#include "helpers/tiny_checkpoint.h"

using gpupoor::test::configJson;
using gpupoor::test::randomCheckpointTensors;
using gpupoor::test::tinyGpt2Config;
using gpupoor::test::writeCheckpoint;

namespace {

// Returns the message of the exception of type E that `body` throws, or an
// empty string when it throws nothing.
template <typename E>
QString errorMessage(const std::function<void()>& body) {
  try {
    body();
  } catch (const E& error) {
    return QString::fromUtf8(error.what());
  }
  return {};
}

QString loadError(const std::filesystem::path& dir) {
  return errorMessage<gpupoor::InvalidCheckpoint>([&] { gpupoor::loadGpt2Model(dir); });
}

}  // namespace

class TestModelErrors : public QObject {
  Q_OBJECT

 private slots:
  void init() {
    QVERIFY(m_tempDir.isValid());
    m_modelDir =
        std::filesystem::path(m_tempDir.path().toStdString()) / QTest::currentTestFunction();
    if (QTest::currentDataTag() != nullptr) m_modelDir /= QTest::currentDataTag();
  }

  void validCheckpointLoads() {
    const auto config = tinyGpt2Config();
    writeCheckpoint(m_modelDir, configJson(config), randomCheckpointTensors(config, 1));
    QVERIFY(gpupoor::loadGpt2Model(m_modelDir) != nullptr);
  }

  void shapeMismatchNamed() {
    const auto config = tinyGpt2Config();
    auto tensors = randomCheckpointTensors(config, 1);
    tensors["h.1.mlp.c_fc.weight"] = at::zeros({16, 60});
    writeCheckpoint(m_modelDir, configJson(config), tensors);

    const QString message = loadError(m_modelDir);
    QVERIFY2(!message.isEmpty(), "no InvalidCheckpoint thrown");
    QVERIFY2(message.contains("model.safetensors"), qPrintable(message));
    QVERIFY2(message.contains("h.1.mlp.c_fc.weight"), qPrintable(message));
    QVERIFY2(message.contains("[16, 60]"), qPrintable(message));
    QVERIFY2(message.contains("[16, 64]"), qPrintable(message));
  }

  void configDisagreeingWithWeights() {
    const auto config = tinyGpt2Config();
    auto json = configJson(config);
    json["vocab_size"] = 100;
    writeCheckpoint(m_modelDir, json, randomCheckpointTensors(config, 1));

    const QString message = loadError(m_modelDir);
    QVERIFY2(!message.isEmpty(), "no InvalidCheckpoint thrown");
    QVERIFY2(message.contains("wte.weight"), qPrintable(message));
    QVERIFY2(message.contains("[100, 16]"), qPrintable(message));
    QVERIFY2(message.contains("[64, 16]"), qPrintable(message));
  }

  void missingTensorNamed() {
    const auto config = tinyGpt2Config();
    auto tensors = randomCheckpointTensors(config, 1);
    tensors.erase("h.0.ln_2.bias");
    writeCheckpoint(m_modelDir, configJson(config), tensors);

    const QString message = loadError(m_modelDir);
    QVERIFY2(!message.isEmpty(), "no InvalidCheckpoint thrown");
    QVERIFY2(message.contains("'h.0.ln_2.bias'"), qPrintable(message));
    QVERIFY2(message.contains("missing"), qPrintable(message));
  }

  void lmHeadShapeChecked() {
    const auto config = tinyGpt2Config();
    auto tensors = randomCheckpointTensors(config, 1);
    tensors["lm_head.weight"] = at::zeros({63, 16});
    writeCheckpoint(m_modelDir, configJson(config), tensors);

    const QString message = loadError(m_modelDir);
    QVERIFY2(!message.isEmpty(), "no InvalidCheckpoint thrown");
    QVERIFY2(message.contains("lm_head.weight"), qPrintable(message));
    QVERIFY2(message.contains("[63, 16]"), qPrintable(message));
  }

  void wrongDtypeNamed_data() {
    QTest::addColumn<int>("scalarType");
    QTest::addColumn<QString>("dtypeName");
    QTest::newRow("float64") << static_cast<int>(at::kDouble) << "F64";
    QTest::newRow("int32") << static_cast<int>(at::kInt) << "I32";
    QTest::newRow("int8") << static_cast<int>(at::kChar) << "I8";
  }

  void wrongDtypeNamed() {
    QFETCH(int, scalarType);
    QFETCH(QString, dtypeName);
    const auto config = tinyGpt2Config();
    auto tensors = randomCheckpointTensors(config, 1);
    auto& weight = tensors["h.0.attn.c_attn.weight"];
    weight = weight.to(static_cast<at::ScalarType>(scalarType));
    writeCheckpoint(m_modelDir, configJson(config), tensors);

    const QString message = loadError(m_modelDir);
    QVERIFY2(!message.isEmpty(), "no InvalidCheckpoint thrown");
    QVERIFY2(message.contains("h.0.attn.c_attn.weight"), qPrintable(message));
    QVERIFY2(message.contains(dtypeName), qPrintable(message));
    QVERIFY2(message.contains("F32, F16 or BF16"), qPrintable(message));
  }

  void missingConfigFieldNamed() {
    const auto config = tinyGpt2Config();
    auto json = configJson(config);
    json.erase("n_head");
    writeCheckpoint(m_modelDir, json, randomCheckpointTensors(config, 1));

    const QString message = loadError(m_modelDir);
    QVERIFY2(!message.isEmpty(), "no InvalidCheckpoint thrown");
    QVERIFY2(message.contains("config.json"), qPrintable(message));
    QVERIFY2(message.contains("'n_head'"), qPrintable(message));
  }

  void unsupportedActivationNamed() {
    const auto config = tinyGpt2Config();
    auto json = configJson(config);
    json["activation_function"] = "swish";
    writeCheckpoint(m_modelDir, json, randomCheckpointTensors(config, 1));

    const QString message = loadError(m_modelDir);
    QVERIFY2(!message.isEmpty(), "no InvalidCheckpoint thrown");
    QVERIFY2(message.contains("config.json"), qPrintable(message));
    QVERIFY2(message.contains("activation_function"), qPrintable(message));
    QVERIFY2(message.contains("'swish'"), qPrintable(message));
    QVERIFY2(message.contains("gelu_new"), qPrintable(message));
  }

  void missingConfigFileNamed() {
    const auto config = tinyGpt2Config();
    writeCheckpoint(m_modelDir, configJson(config), randomCheckpointTensors(config, 1));
    std::filesystem::remove(m_modelDir / "config.json");

    const QString message = loadError(m_modelDir);
    QVERIFY2(!message.isEmpty(), "no InvalidCheckpoint thrown");
    QVERIFY2(message.contains("config.json"), qPrintable(message));
  }

  void missingWeightsFileNamed() {
    const auto config = tinyGpt2Config();
    writeCheckpoint(m_modelDir, configJson(config), randomCheckpointTensors(config, 1));
    std::filesystem::remove(m_modelDir / "model.safetensors");

    const QString message = loadError(m_modelDir);
    QVERIFY2(!message.isEmpty(), "no InvalidCheckpoint thrown");
    QVERIFY2(message.contains("model.safetensors"), qPrintable(message));
  }

  void missingFolderRejected() {
    const QString message = errorMessage<gpupoor::InvalidArgument>(
        [&] { gpupoor::loadGpt2Model(m_modelDir / "does-not-exist"); });
    QVERIFY2(!message.isEmpty(), "no InvalidArgument thrown");
    QVERIFY2(message.contains("does-not-exist"), qPrintable(message));
  }

  void badIdsRejected_data() {
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("expectedText");
    QTest::newRow("id equal to vocabulary size") << "too large"
                                                 << "64";
    QTest::newRow("negative id") << "negative"
                                 << "-1";
    QTest::newRow("int32 ids") << "int32"
                               << "int64";
    QTest::newRow("one-dimensional ids") << "1d"
                                         << "2 dimensions";
    QTest::newRow("empty batch") << "empty"
                                 << "empty";
    QTest::newRow("longer than the context") << "too long"
                                             << "16 positions";
  }

  void badIdsRejected() {
    QFETCH(QString, kind);
    QFETCH(QString, expectedText);
    const auto model = gpupoor::test::makeRandomGpt2(tinyGpt2Config(16), 1);
    at::Tensor ids = at::ones({1, 4}, at::kLong);
    if (kind == "too large") ids[0][2] = 64;
    if (kind == "negative") ids[0][1] = -1;
    if (kind == "int32") ids = ids.to(at::kInt);
    if (kind == "1d") ids = ids[0];
    if (kind == "empty") ids = at::ones({1, 0}, at::kLong);
    if (kind == "too long") ids = at::ones({1, 17}, at::kLong);

    const QString message = errorMessage<gpupoor::InvalidArgument>([&] { model->forward(ids); });
    QVERIFY2(!message.isEmpty(), "no InvalidArgument thrown");
    QVERIFY2(message.contains(expectedText), qPrintable(message));
  }

  void cacheOverflowRejected() {
    const auto model = gpupoor::test::makeRandomGpt2(tinyGpt2Config(16), 1);
    gpupoor::KvCache cache = model->newCache();
    model->forwardIncremental(at::ones({12}, at::kLong), cache);
    const QString message = errorMessage<gpupoor::InvalidArgument>(
        [&] { model->forwardIncremental(at::ones({5}, at::kLong), cache); });
    QVERIFY2(!message.isEmpty(), "no InvalidArgument thrown");
    QVERIFY2(message.contains("16 positions"), qPrintable(message));
    QCOMPARE(cache.length, std::int64_t{12});
  }

  void foreignCacheRejected() {
    const auto model = gpupoor::test::makeRandomGpt2(tinyGpt2Config(16), 1);
    const auto other = gpupoor::test::makeRandomGpt2(tinyGpt2Config(32), 1);
    gpupoor::KvCache cache = other->newCache();
    QVERIFY_THROWS_EXCEPTION(gpupoor::InvalidArgument,
                             model->forwardIncremental(at::ones({1}, at::kLong), cache));
  }

 private:
  QTemporaryDir m_tempDir;
  std::filesystem::path m_modelDir;
};

QTEST_GUILESS_MAIN(TestModelErrors)
#include "tst_model_errors.moc"
