// Checkpoint I/O timings on the bundled gpt2-demo model (F16 safetensors):
// opening (header validation), loading every tensor as float32 with and
// without releasing the mapped pages, and writing an F32 copy. Prints the
// median of kRepeats runs and the resident file-backed memory after a load.
#include <ATen/ATen.h>
#include <QtTest>

#include <algorithm>
#include <chrono>
#include <fstream>

#include "core/common/resources.h"
#include "core/env/machine_info.h"
#include "core/io/safetensors_writer.h"
#include "core/io/tensor_source.h"

namespace {

// Runs per measurement; the median is reported.
constexpr int kRepeats = 7;

double medianMs(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

template <typename Body>
double timeMs(Body body) {
  const auto start = std::chrono::steady_clock::now();
  body();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

// Resident memory of file-backed pages (RssFile in /proc/self/status), in MiB.
double residentFileMiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("RssFile:", 0) == 0) return std::stod(line.substr(8)) / 1024.0;
  }
  return -1.0;
}

}  // namespace

class BenchCheckpoint : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase();
  void openAndLoad();
  void writeCopy();

 private:
  std::filesystem::path m_modelDir;
};

void BenchCheckpoint::initTestCase() {
  m_modelDir = gpupoor::bundledModelDir();
  QVERIFY2(std::filesystem::exists(m_modelDir / "model.safetensors"), m_modelDir.c_str());
  const auto machine = gpupoor::collectMachineInfo();
  qInfo("machine: %s, %d physical cores, %s; %d repeats, median", machine.cpuModel.c_str(),
        machine.physicalCores, machine.osName.c_str(), kRepeats);
}

void BenchCheckpoint::openAndLoad() {
  const auto fileBytes = std::filesystem::file_size(m_modelDir / "model.safetensors");
  std::vector<double> openMs;
  std::vector<double> loadMs;
  std::vector<double> loadReleaseMs;
  double residentKeptMiB = 0.0;
  double residentReleasedMiB = 0.0;

  for (int repeat = 0; repeat < kRepeats; ++repeat) {
    std::unique_ptr<gpupoor::TensorSource> source;
    openMs.push_back(timeMs([&] { source = gpupoor::openCheckpoint(m_modelDir); }));

    const double before = residentFileMiB();
    loadMs.push_back(timeMs([&] {
      for (const auto& info : source->tensors()) source->loadFloat32(info.name);
    }));
    residentKeptMiB = residentFileMiB() - before;

    for (const auto& info : source->tensors()) source->release(info.name);
    const double released = residentFileMiB();
    loadReleaseMs.push_back(timeMs([&] {
      for (const auto& info : source->tensors()) {
        source->loadFloat32(info.name);
        source->release(info.name);
      }
    }));
    residentReleasedMiB = residentFileMiB() - released;
  }

  const double fileMiB = static_cast<double>(fileBytes) / (1024.0 * 1024.0);
  qInfo("gpt2-demo model.safetensors: %.1f MiB", fileMiB);
  qInfo("open (mmap + header validation): %.3f ms", medianMs(openMs));
  qInfo(
      "loadFloat32 all tensors: %.1f ms (%.0f MiB/s of file), file pages resident after: "
      "%.1f MiB",
      medianMs(loadMs), fileMiB / (medianMs(loadMs) / 1000.0), residentKeptMiB);
  qInfo("loadFloat32 + release per tensor: %.1f ms, file pages resident after: %.1f MiB",
        medianMs(loadReleaseMs), residentReleasedMiB);
  QVERIFY(residentReleasedMiB < residentKeptMiB);
}

void BenchCheckpoint::writeCopy() {
  const auto source = gpupoor::openCheckpoint(m_modelDir);
  std::map<std::string, at::Tensor> tensors;
  for (const auto& info : source->tensors()) tensors[info.name] = source->loadFloat32(info.name);

  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  const std::filesystem::path path = dir.filePath("model.safetensors").toStdString();
  std::vector<double> writeMs;
  for (int repeat = 0; repeat < kRepeats; ++repeat) {
    writeMs.push_back(timeMs([&] { gpupoor::writeSafetensors(path, tensors); }));
  }
  const double fileMiB = static_cast<double>(std::filesystem::file_size(path)) / (1024.0 * 1024.0);
  qInfo("writeSafetensors F32 copy (%.1f MiB, fsync + rename): %.1f ms (%.0f MiB/s)", fileMiB,
        medianMs(writeMs), fileMiB / (medianMs(writeMs) / 1000.0));
}

QTEST_GUILESS_MAIN(BenchCheckpoint)
#include "tst_bench_checkpoint.moc"
