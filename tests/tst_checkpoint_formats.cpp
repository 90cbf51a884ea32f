// openCheckpoint() on the layouts besides a single model.safetensors:
// pytorch_model.bin (plain dict, OrderedDict with _metadata, legacy, damaged,
// disallowed pickle globals) and sharded safetensors indexes.
#include <ATen/ATen.h>
#include <QtTest>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/io/safetensors_writer.h"
#include "core/io/tensor_source.h"
#include "test_paths.h"

namespace {

std::filesystem::path fixtureDir(const char* variant) {
  return gpupoor::test::dataDir() / "tiny-gpt2" / variant;
}

void writeBytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string readBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Copies a pytorch-bin variant into `modelDir` as pytorch_model.bin.
void installBinVariant(const char* variant, const std::filesystem::path& modelDir) {
  std::filesystem::copy_file(gpupoor::test::dataDir() / "pytorch-bin" / variant,
                             modelDir / "pytorch_model.bin");
}

QString openCheckpointError(const std::filesystem::path& modelDir) {
  try {
    gpupoor::openCheckpoint(modelDir);
  } catch (const gpupoor::InvalidCheckpoint& error) {
    return QString::fromUtf8(error.what());
  }
  return {};
}

}  // namespace

class TestCheckpointFormats : public QObject {
  Q_OBJECT

 private slots:
  void pytorchBinMatchesSafetensors();
  void pytorchBinOrderedDictLoads();
  void pytorchBinDisallowedGlobalRejected();
  void legacyPytorchBinRejected();
  void corruptPytorchBinRejected();
  void shardedIndexLoads();
  void shardedIndexMissingShardNamed();
  void shardedIndexTensorNotInShard();
  void shardedIndexPathOutsideFolderRejected();
};

// The fixture's pytorch_model.bin and f32-plain model.safetensors come from
// the same weights; the .bin keys carry the "transformer." prefix and it has
// no attention-mask buffers.
void TestCheckpointFormats::pytorchBinMatchesSafetensors() {
  const auto bin = gpupoor::openCheckpoint(fixtureDir("f32-pytorch-bin"));
  const auto plain = gpupoor::openCheckpoint(fixtureDir("f32-plain"));
  QCOMPARE(bin->tensors().size(), std::size_t{2 * 12 + 4});
  QVERIFY(bin->tensors().front().file.filename() == "pytorch_model.bin");

  const std::string prefix = "transformer.";
  for (const auto& info : bin->tensors()) {
    QVERIFY2(info.name.starts_with(prefix), info.name.c_str());
    const std::string plainName = info.name.substr(prefix.size());
    QVERIFY2(plain->contains(plainName), plainName.c_str());
    QCOMPARE(info.dtype, gpupoor::DType::F32);
    QVERIFY2(at::equal(bin->loadFloat32(info.name), plain->loadFloat32(plainName)),
             info.name.c_str());
  }

  // load() hands out copies: writing into one leaves the source unchanged.
  at::Tensor copy = bin->load("transformer.wte.weight");
  copy.zero_();
  QVERIFY(!at::equal(bin->load("transformer.wte.weight"), copy));
}

// torch.save(model.state_dict()) stores an OrderedDict with a _metadata
// attribute; this variant also ties lm_head.weight to the wte storage.
void TestCheckpointFormats::pytorchBinOrderedDictLoads() {
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  const std::filesystem::path modelDir = dir.path().toStdString();
  installBinVariant("ordered-dict-metadata.bin", modelDir);

  const auto bin = gpupoor::openCheckpoint(modelDir);
  const auto plain = gpupoor::openCheckpoint(fixtureDir("f32-plain"));
  QCOMPARE(bin->tensors().size(), std::size_t{2 * 12 + 4 + 1});
  for (const auto& info : bin->tensors()) {
    if (info.name == "lm_head.weight") continue;
    const std::string plainName = info.name.substr(std::string("transformer.").size());
    QVERIFY2(at::equal(bin->loadFloat32(info.name), plain->loadFloat32(plainName)),
             info.name.c_str());
  }
  QVERIFY(at::equal(bin->loadFloat32("lm_head.weight"), plain->loadFloat32("wte.weight")));
}

void TestCheckpointFormats::pytorchBinDisallowedGlobalRejected() {
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  const std::filesystem::path modelDir = dir.path().toStdString();
  installBinVariant("disallowed-global.bin", modelDir);

  const QString message = openCheckpointError(modelDir);
  QVERIFY2(message.contains("pytorch_model.bin"), qPrintable(message));
  QVERIFY2(message.contains(".system'"), qPrintable(message));
  QVERIFY2(message.contains("not allowed"), qPrintable(message));
}

void TestCheckpointFormats::legacyPytorchBinRejected() {
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  const std::filesystem::path modelDir = dir.path().toStdString();
  // Legacy torch.save output starts with a pickled magic number (protocol 2).
  writeBytes(modelDir / "pytorch_model.bin",
             std::string("\x80\x02\x8a\x0a", 4) + "legacy pickle payload");
  QString message;
  try {
    gpupoor::openCheckpoint(modelDir);
  } catch (const gpupoor::InvalidCheckpoint& error) {
    message = error.what();
  }
  QVERIFY2(message.contains("pytorch_model.bin"), qPrintable(message));
  QVERIFY2(message.contains("legacy format"), qPrintable(message));
  QVERIFY2(message.contains("safetensors"), qPrintable(message));
}

void TestCheckpointFormats::corruptPytorchBinRejected() {
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  const std::filesystem::path modelDir = dir.path().toStdString();
  // A zip signature followed by garbage, like a download cut short.
  const std::string original = readBytes(fixtureDir("f32-pytorch-bin") / "pytorch_model.bin");
  writeBytes(modelDir / "pytorch_model.bin", original.substr(0, original.size() / 2));
  QString message;
  try {
    gpupoor::openCheckpoint(modelDir);
  } catch (const gpupoor::InvalidCheckpoint& error) {
    message = error.what();
  }
  QVERIFY2(message.contains("pytorch_model.bin"), qPrintable(message));
}

namespace {

// Splits f32-plain into two shards (layer 0 and the rest) plus an index in
// `modelDir`. Returns the weight_map it wrote.
nlohmann::json writeShardedCopy(const std::filesystem::path& modelDir) {
  const auto plain = gpupoor::openCheckpoint(fixtureDir("f32-plain"));
  std::map<std::string, at::Tensor> first;
  std::map<std::string, at::Tensor> second;
  nlohmann::json weightMap = nlohmann::json::object();
  for (const auto& info : plain->tensors()) {
    const bool inFirst = info.name.starts_with("h.0.");
    (inFirst ? first : second)[info.name] = plain->load(info.name);
    weightMap[info.name] =
        inFirst ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
  }
  gpupoor::writeSafetensors(modelDir / "model-00001-of-00002.safetensors", first,
                            {{"format", "pt"}});
  gpupoor::writeSafetensors(modelDir / "model-00002-of-00002.safetensors", second,
                            {{"format", "pt"}});
  const nlohmann::json index = {{"metadata", {{"total_size", 123}}}, {"weight_map", weightMap}};
  writeBytes(modelDir / "model.safetensors.index.json", index.dump(2));
  return weightMap;
}

}  // namespace

void TestCheckpointFormats::shardedIndexLoads() {
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  const std::filesystem::path modelDir = dir.path().toStdString();
  writeShardedCopy(modelDir);

  const auto sharded = gpupoor::openCheckpoint(modelDir);
  const auto plain = gpupoor::openCheckpoint(fixtureDir("f32-plain"));
  QCOMPARE(sharded->tensors().size(), plain->tensors().size());
  QCOMPARE(sharded->metadata().at("format"), std::string("pt"));
  for (const auto& info : plain->tensors()) {
    QVERIFY2(at::equal(sharded->loadFloat32(info.name), plain->loadFloat32(info.name)),
             info.name.c_str());
    sharded->release(info.name);
  }
  QCOMPARE(sharded->info("h.0.ln_1.weight").file.filename().string(),
           std::string("model-00001-of-00002.safetensors"));
  QCOMPARE(sharded->info("wte.weight").file.filename().string(),
           std::string("model-00002-of-00002.safetensors"));
}

void TestCheckpointFormats::shardedIndexMissingShardNamed() {
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  const std::filesystem::path modelDir = dir.path().toStdString();
  writeShardedCopy(modelDir);
  std::filesystem::remove(modelDir / "model-00002-of-00002.safetensors");

  const QString message = openCheckpointError(modelDir);
  QVERIFY2(message.contains("model.safetensors.index.json"), qPrintable(message));
  QVERIFY2(message.contains("model-00002-of-00002.safetensors"), qPrintable(message));
  QVERIFY2(message.contains("missing"), qPrintable(message));
}

void TestCheckpointFormats::shardedIndexTensorNotInShard() {
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  const std::filesystem::path modelDir = dir.path().toStdString();
  nlohmann::json weightMap = writeShardedCopy(modelDir);
  weightMap["wte.weight"] = "model-00001-of-00002.safetensors";
  writeBytes(modelDir / "model.safetensors.index.json",
             nlohmann::json{{"weight_map", weightMap}}.dump());

  const QString message = openCheckpointError(modelDir);
  QVERIFY2(message.contains("model.safetensors.index.json"), qPrintable(message));
  QVERIFY2(message.contains("'wte.weight'"), qPrintable(message));
  QVERIFY2(message.contains("model-00001-of-00002.safetensors"), qPrintable(message));
}

void TestCheckpointFormats::shardedIndexPathOutsideFolderRejected() {
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  const std::filesystem::path modelDir = dir.path().toStdString();
  nlohmann::json weightMap = writeShardedCopy(modelDir);
  weightMap["wte.weight"] = "../elsewhere.safetensors";
  writeBytes(modelDir / "model.safetensors.index.json",
             nlohmann::json{{"weight_map", weightMap}}.dump());

  const QString message = openCheckpointError(modelDir);
  QVERIFY2(message.contains("../elsewhere.safetensors"), qPrintable(message));
  QVERIFY2(message.contains("same folder"), qPrintable(message));
}

QTEST_GUILESS_MAIN(TestCheckpointFormats)
#include "tst_checkpoint_formats.moc"
