// Machine description for reports, read from /proc, /etc/os-release, uname
// and the LibTorch version macros.
#include <QtTest>

#include <ATen/ATen.h>
#include <torch/csrc/api/include/torch/version.h>

#include "core/env/machine_info.h"

class TestMachineInfo : public QObject {
  Q_OBJECT

 private slots:
  void cpuFieldsPresent() {
    const gpupoor::MachineInfo info = gpupoor::collectMachineInfo();
    QVERIFY(!info.cpuModel.empty());
    QVERIFY(info.physicalCores >= 1);
    QVERIFY(info.logicalCpus >= info.physicalCores);
    QVERIFY(info.threadsInUse >= 1);
    QVERIFY(info.totalMemoryBytes > 0);
  }

  void avx512VnniImpliesAvx512f() {
    const gpupoor::MachineInfo info = gpupoor::collectMachineInfo();
    QVERIFY(!info.avx512Vnni || info.avx512f);
  }

  void systemFieldsPresent() {
    const gpupoor::MachineInfo info = gpupoor::collectMachineInfo();
    QVERIFY(!info.osName.empty());
    QVERIFY(info.kernel.starts_with("Linux "));
    QVERIFY(!info.appVersion.empty());
    QVERIFY(!info.gitCommit.empty());
  }

  void torchVersionFromHeaders() {
    const gpupoor::MachineInfo info = gpupoor::collectMachineInfo();
    QCOMPARE(QString::fromStdString(info.torchVersion),
             QString("%1.%2.%3").arg(TORCH_VERSION_MAJOR).arg(TORCH_VERSION_MINOR).arg(TORCH_VERSION_PATCH));
  }

  void blasLibraryIsMapped() {
    // LibTorch links libblas.so.3, so once ATen has run a matrix product the
    // BLAS file is mapped into the process.
    const at::Tensor product = at::ones({4, 4}).mm(at::ones({4, 4}));
    QCOMPARE(product[0][0].item<float>(), 4.0f);
    const gpupoor::MachineInfo info = gpupoor::collectMachineInfo();
    QVERIFY2(info.blasLibrary.find("blas") != std::string::npos, info.blasLibrary.c_str());
  }
};

QTEST_GUILESS_MAIN(TestMachineInfo)
#include "tst_machine_info.moc"
