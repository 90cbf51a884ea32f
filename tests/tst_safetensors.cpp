// Safetensors reading and writing: the reader on the tiny GPT-2 fixtures and
// on malformed files, mmap page release, and the writer's round trip and
// atomic replacement. The other checkpoint layouts are in
// tst_checkpoint_formats.
#include <ATen/ATen.h>
#include <QtTest>

#include <sys/resource.h>
#include <sys/stat.h>

#include <cmath>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "core/common/atomic_file.h"
#include "core/common/errors.h"
#include "core/io/mapped_file.h"
#include "core/io/safetensors_reader.h"
#include "core/io/safetensors_writer.h"
#include "core/io/tensor_source.h"
#include "helpers/malformed_safetensors.h"
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

// IEEE 754 binary16 to float, written out so the test does not trust the
// conversion it checks.
float halfBitsToFloat(std::uint16_t bits) {
  const int exponent = (bits >> 10) & 0x1f;
  const int mantissa = bits & 0x3ff;
  float magnitude = 0.0f;
  if (exponent == 0) {
    magnitude = std::ldexp(static_cast<float>(mantissa), -24);
  } else if (exponent == 31) {
    magnitude = mantissa != 0 ? NAN : INFINITY;
  } else {
    magnitude = std::ldexp(static_cast<float>(mantissa + 1024), exponent - 25);
  }
  return (bits & 0x8000) != 0 ? -magnitude : magnitude;
}

float bfloat16BitsToFloat(std::uint16_t bits) {
  const std::uint32_t wide = static_cast<std::uint32_t>(bits) << 16;
  float value = 0.0f;
  std::memcpy(&value, &wide, sizeof(value));
  return value;
}

std::vector<std::uint16_t> storedHalfWords(const gpupoor::SafetensorsReader& reader,
                                           const std::string& name) {
  const auto bytes = reader.tensorBytes(name);
  std::vector<std::uint16_t> words(bytes.size() / 2);
  std::memcpy(words.data(), bytes.data(), words.size() * 2);
  return words;
}

// Resident memory of file-backed pages (RssFile in /proc/self/status), in bytes.
std::int64_t residentFileBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("RssFile:", 0) == 0) return std::stoll(line.substr(8)) * 1024;
  }
  return -1;
}

}  // namespace

class TestSafetensors : public QObject {
  Q_OBJECT

 private slots:
  void fixtureLoads_data();
  void fixtureLoads();
  void float16WidensExactly();
  void bfloat16WidensExactly();
  void releaseKeepsTensorReadable();
  void releaseRangeDropsResidentPages();
  void malformedFileRejected_data();
  void malformedFileRejected();
  void missingTensorNamed();
  void emptyModelFolderRejected();
  void writerRoundTripIsBitIdentical();
  void writerRoundTripAllDtypes();
  void writerPadsHeaderToEightBytes();
  void writerRejectsUnsupportedDtype();
  void failedWriteKeepsOldFile();
  void abandonedWriterLeavesNoTemporary();
  void writtenFileModeFollowsUmask();
};

void TestSafetensors::fixtureLoads_data() {
  QTest::addColumn<QString>("variant");
  QTest::addColumn<QString>("wteName");
  QTest::addColumn<int>("tensorCount");
  // 2 layers x 12 parameters + wte, wpe, ln_f (2); f32-plain adds the two
  // attention buffers per layer, f16-prefixed-lmhead adds lm_head.weight.
  QTest::newRow("f32 plain keys") << "f32-plain"
                                  << "wte.weight" << 2 * 12 + 4 + 2 * 2;
  QTest::newRow("f16 prefixed with lm_head") << "f16-prefixed-lmhead"
                                             << "transformer.wte.weight" << 2 * 12 + 4 + 1;
  QTest::newRow("bf16 prefixed") << "bf16-prefixed"
                                 << "transformer.wte.weight" << 2 * 12 + 4;
}

void TestSafetensors::fixtureLoads() {
  QFETCH(QString, variant);
  QFETCH(QString, wteName);
  QFETCH(int, tensorCount);

  const auto source = gpupoor::openCheckpoint(fixtureDir(variant.toStdString().c_str()));
  QCOMPARE(static_cast<int>(source->tensors().size()), tensorCount);
  QVERIFY(source->contains(wteName.toStdString()));
  QCOMPARE(source->info(wteName.toStdString()).shape, (std::vector<std::int64_t>{512, 32}));

  for (const auto& info : source->tensors()) {
    const at::Tensor tensor = source->loadFloat32(info.name);
    QCOMPARE(tensor.scalar_type(), at::kFloat);
    QCOMPARE(tensor.sizes().vec(), info.shape);
    QVERIFY(tensor.is_contiguous());
    QVERIFY2(tensor.isfinite().all().item<bool>(), info.name.c_str());
  }
}

void TestSafetensors::float16WidensExactly() {
  const auto dir = fixtureDir("f16-prefixed-lmhead");
  const gpupoor::SafetensorsReader reader(dir / "model.safetensors");
  const auto source = gpupoor::openCheckpoint(dir);
  const std::string name = "transformer.h.1.mlp.c_fc.weight";
  QCOMPARE(source->info(name).dtype, gpupoor::DType::F16);

  const auto words = storedHalfWords(reader, name);
  const at::Tensor widened = source->loadFloat32(name).flatten();
  QCOMPARE(widened.numel(), static_cast<std::int64_t>(words.size()));
  const float* values = widened.data_ptr<float>();
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (values[i] != halfBitsToFloat(words[i])) {
      QFAIL(qPrintable(
          QString("element %1: %2 != %3").arg(i).arg(values[i]).arg(halfBitsToFloat(words[i]))));
    }
  }
  QCOMPARE(source->load(name).scalar_type(), at::kHalf);
}

void TestSafetensors::bfloat16WidensExactly() {
  const auto dir = fixtureDir("bf16-prefixed");
  const gpupoor::SafetensorsReader reader(dir / "model.safetensors");
  const auto source = gpupoor::openCheckpoint(dir);
  const std::string name = "transformer.wte.weight";
  QCOMPARE(source->info(name).dtype, gpupoor::DType::BF16);

  const auto words = storedHalfWords(reader, name);
  const at::Tensor widened = source->loadFloat32(name).flatten();
  QCOMPARE(widened.numel(), static_cast<std::int64_t>(words.size()));
  const float* values = widened.data_ptr<float>();
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (values[i] != bfloat16BitsToFloat(words[i])) {
      QFAIL(qPrintable(QString("element %1 differs").arg(i)));
    }
  }
}

void TestSafetensors::releaseKeepsTensorReadable() {
  const auto source = gpupoor::openCheckpoint(fixtureDir("f32-plain"));
  const at::Tensor before = source->loadFloat32("wte.weight");
  source->release("wte.weight");
  const at::Tensor after = source->loadFloat32("wte.weight");
  QVERIFY(at::equal(before, after));
}

void TestSafetensors::releaseRangeDropsResidentPages() {
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  const std::filesystem::path path = dir.filePath("big.bin").toStdString();
  constexpr std::size_t kFileBytes = 64 * 1024 * 1024;
  writeBytes(path, std::string(kFileBytes, '\x01'));

  const gpupoor::MappedFile file(path);
  QCOMPARE(file.sizeBytes(), kFileBytes);
  const std::int64_t before = residentFileBytes();
  QVERIFY(before >= 0);

  // Touch one byte per page so every page is mapped in.
  unsigned sum = 0;
  for (std::size_t offset = 0; offset < kFileBytes; offset += 4096) {
    sum += static_cast<unsigned>(file.bytes()[offset]);
  }
  QCOMPARE(sum, static_cast<unsigned>(kFileBytes / 4096));
  const std::int64_t touched = residentFileBytes();
  QVERIFY2(touched - before > static_cast<std::int64_t>(kFileBytes) * 9 / 10,
           qPrintable(QString("resident grew by %1 bytes").arg(touched - before)));

  // Unaligned range: the pages it covers go, the last page stays readable.
  file.releaseRange(1, kFileBytes - 2);
  const std::int64_t released = residentFileBytes();
  QVERIFY2(touched - released > static_cast<std::int64_t>(kFileBytes) * 9 / 10,
           qPrintable(QString("resident shrank by %1 bytes").arg(touched - released)));
  QCOMPARE(static_cast<int>(file.bytes()[kFileBytes - 1]), 1);
  QCOMPARE(static_cast<int>(file.bytes()[0]), 1);

  // Ranges past the end are clipped instead of failing.
  file.releaseRange(kFileBytes - 10, 1000);
  file.releaseRange(kFileBytes + 10, 10);
}

void TestSafetensors::malformedFileRejected_data() {
  QTest::addColumn<QByteArray>("fileBytes");
  QTest::addColumn<QString>("tensor");
  QTest::addColumn<QString>("messagePart");
  for (const auto& testCase : gpupoor::test::malformedSafetensorsCases()) {
    QTest::newRow(testCase.name.c_str())
        << QByteArray::fromStdString(testCase.fileBytes) << QString::fromStdString(testCase.tensor)
        << QString::fromStdString(testCase.messagePart);
  }
}

void TestSafetensors::malformedFileRejected() {
  QFETCH(QByteArray, fileBytes);
  QFETCH(QString, tensor);
  QFETCH(QString, messagePart);

  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  const std::filesystem::path modelDir = dir.path().toStdString();
  writeBytes(modelDir / "model.safetensors", fileBytes.toStdString());

  QString message;
  try {
    gpupoor::openCheckpoint(modelDir);
  } catch (const gpupoor::InvalidCheckpoint& error) {
    message = QString::fromUtf8(error.what());
  }
  QVERIFY2(!message.isEmpty(), "no InvalidCheckpoint thrown");
  QVERIFY2(message.contains(QString::fromStdString((modelDir / "model.safetensors").string())),
           qPrintable(message));
  QVERIFY2(message.contains(messagePart), qPrintable(message));
  if (!tensor.isEmpty()) {
    QVERIFY2(message.contains("tensor '" + tensor + "'"), qPrintable(message));
  }
}

void TestSafetensors::missingTensorNamed() {
  const auto source = gpupoor::openCheckpoint(fixtureDir("f32-plain"));
  QVERIFY(!source->contains("lm_head.weight"));
  QString message;
  try {
    source->loadFloat32("lm_head.weight");
  } catch (const gpupoor::InvalidCheckpoint& error) {
    message = error.what();
  }
  QVERIFY2(message.contains("lm_head.weight"), qPrintable(message));
  QVERIFY2(message.contains("model.safetensors"), qPrintable(message));
}

void TestSafetensors::emptyModelFolderRejected() {
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  QString message;
  try {
    gpupoor::openCheckpoint(dir.path().toStdString());
  } catch (const gpupoor::InvalidCheckpoint& error) {
    message = error.what();
  }
  QVERIFY2(message.contains(dir.path()), qPrintable(message));
  QVERIFY2(message.contains("model.safetensors"), qPrintable(message));
  QVERIFY2(message.contains("pytorch_model.bin"), qPrintable(message));
}

void TestSafetensors::writerRoundTripIsBitIdentical() {
  const auto original = gpupoor::openCheckpoint(fixtureDir("f32-plain"));
  std::map<std::string, at::Tensor> tensors;
  for (const auto& info : original->tensors()) tensors[info.name] = original->load(info.name);
  const std::map<std::string, std::string> metadata{{"format", "pt"}, {"note", "round trip"}};

  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  const std::filesystem::path copyDir = dir.path().toStdString();
  gpupoor::writeSafetensors(copyDir / "model.safetensors", tensors, metadata);

  const auto copy = gpupoor::openCheckpoint(copyDir);
  QCOMPARE(copy->metadata(), metadata);
  QCOMPARE(copy->tensors().size(), original->tensors().size());
  const gpupoor::SafetensorsReader originalReader(fixtureDir("f32-plain") / "model.safetensors");
  const gpupoor::SafetensorsReader copyReader(copyDir / "model.safetensors");
  for (const auto& info : original->tensors()) {
    const auto before = originalReader.tensorBytes(info.name);
    const auto after = copyReader.tensorBytes(info.name);
    QCOMPARE(after.size(), before.size());
    QVERIFY2(std::memcmp(after.data(), before.data(), before.size()) == 0, info.name.c_str());
    QCOMPARE(copy->info(info.name).shape, info.shape);
  }

  // Stored in name order.
  std::vector<std::string> storedOrder;
  for (const auto& info : copy->tensors()) storedOrder.push_back(info.name);
  QVERIFY(std::is_sorted(storedOrder.begin(), storedOrder.end()));
}

void TestSafetensors::writerRoundTripAllDtypes() {
  at::manual_seed(7);
  const at::Tensor base = at::randn({3, 5});
  std::map<std::string, at::Tensor> tensors{
      {"f32", base},
      {"f32_transposed", base.t()},  // non-contiguous input
      {"f16", base.to(at::kHalf)},
      {"bf16", base.to(at::kBFloat16)},
      {"f64", base.to(at::kDouble)},
      {"i8", (base * 40).to(at::kChar)},
      {"u8", (base.abs() * 40).to(at::kByte)},
      {"i16", (base * 1000).to(at::kShort)},
      {"i32", (base * 1e6).to(at::kInt)},
      {"i64", (base * 1e12).to(at::kLong)},
      {"bool", base > 0},
      {"scalar", at::scalar_tensor(3.5)},
      {"empty", at::empty({0, 4})},
  };

  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  const std::filesystem::path modelDir = dir.path().toStdString();
  gpupoor::writeSafetensors(modelDir / "model.safetensors", tensors);

  const auto copy = gpupoor::openCheckpoint(modelDir);
  QVERIFY(copy->metadata().empty());
  for (const auto& [name, tensor] : tensors) {
    const at::Tensor loaded = copy->load(name);
    QCOMPARE(loaded.scalar_type(), tensor.scalar_type());
    QCOMPARE(loaded.sizes().vec(), tensor.sizes().vec());
    QVERIFY2(at::equal(loaded, tensor), name.c_str());
  }
}

void TestSafetensors::writerPadsHeaderToEightBytes() {
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  const std::filesystem::path path = dir.filePath("model.safetensors").toStdString();
  gpupoor::writeSafetensors(path, {{"a", at::ones({3})}}, {{"k", "v"}});

  const std::string bytes = readBytes(path);
  std::uint64_t headerBytes = 0;
  std::memcpy(&headerBytes, bytes.data(), sizeof(headerBytes));
  QCOMPARE(headerBytes % 8, std::uint64_t{0});
  QCOMPARE(bytes.size(), 8 + headerBytes + 3 * sizeof(float));
  const std::string header = bytes.substr(8, headerBytes);
  QVERIFY(nlohmann::json::accept(header));
  QCOMPARE(header.substr(header.find_last_not_of(' ') + 1),
           std::string(header.size() - header.find_last_not_of(' ') - 1, ' '));
}

void TestSafetensors::writerRejectsUnsupportedDtype() {
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  const std::filesystem::path path = dir.filePath("model.safetensors").toStdString();
  QString message;
  try {
    gpupoor::writeSafetensors(path, {{"complex_weight", at::ones({2}, at::kComplexFloat)}});
  } catch (const gpupoor::InvalidArgument& error) {
    message = error.what();
  }
  QVERIFY2(message.contains("complex_weight"), qPrintable(message));
  QVERIFY(!std::filesystem::exists(path));
}

// A write that fails halfway (here: the file size limit is hit, as on a full
// disk) must leave the previous file as it was and no temporary file behind.
void TestSafetensors::failedWriteKeepsOldFile() {
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  const std::filesystem::path path = dir.filePath("model.safetensors").toStdString();
  gpupoor::writeSafetensors(path, {{"old", at::arange(16, at::kFloat)}});
  const std::string oldBytes = readBytes(path);

  // RLIMIT_FSIZE makes write() fail with EFBIG once the file passes the
  // limit; SIGXFSZ would kill the process, so it is ignored meanwhile.
  rlimit previousLimit{};
  QCOMPARE(getrlimit(RLIMIT_FSIZE, &previousLimit), 0);
  const auto previousHandler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit smallLimit = previousLimit;
  smallLimit.rlim_cur = 64 * 1024;
  QCOMPARE(setrlimit(RLIMIT_FSIZE, &smallLimit), 0);

  QString message;
  try {
    gpupoor::writeSafetensors(path, {{"new", at::zeros({1024, 1024})}});
  } catch (const gpupoor::Error& error) {
    message = error.what();
  }
  setrlimit(RLIMIT_FSIZE, &previousLimit);
  std::signal(SIGXFSZ, previousHandler);

  QVERIFY2(message.contains("failed"), qPrintable(message));
  QVERIFY(readBytes(path) == oldBytes);
  QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).size(), 1);
}

void TestSafetensors::abandonedWriterLeavesNoTemporary() {
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  const std::filesystem::path path = dir.filePath("report.json").toStdString();
  gpupoor::writeFileAtomically(path, "old");
  {
    gpupoor::AtomicFileWriter writer(path);
    writer.write(std::string_view("new content"));
    QVERIFY(std::filesystem::exists(writer.temporaryPath()));
  }
  QCOMPARE(readBytes(path), std::string("old"));
  QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).size(), 1);
}

void TestSafetensors::writtenFileModeFollowsUmask() {
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  const std::filesystem::path path = dir.filePath("report.json").toStdString();
  const mode_t previous = ::umask(027);
  gpupoor::writeFileAtomically(path, "{}");
  ::umask(previous);

  const auto permissions = std::filesystem::status(path).permissions();
  QCOMPARE(static_cast<unsigned>(permissions), 0640u);
}

QTEST_GUILESS_MAIN(TestSafetensors)
#include "tst_safetensors.moc"
