// Process memory reader: VmRSS and VmHWM follow a touched allocation, and the
// peak reset lets a later phase measure its own peak.
#include <QtTest>

#include <cstring>
#include <memory>

#include "core/common/process_memory.h"

namespace {

constexpr std::size_t kBlockBytes = 64u << 20;

}  // namespace

class TestProcessMemory : public QObject {
  Q_OBJECT

 private slots:
  void readsPositiveValues() {
    const gpupoor::ProcessMemory memory = gpupoor::readProcessMemory();
    QVERIFY(memory.rssBytes > 0);
    QVERIFY(memory.peakRssBytes >= memory.rssBytes);
  }

  void rssFollowsTouchedBlock() {
    const gpupoor::ProcessMemory before = gpupoor::readProcessMemory();
    auto block = std::make_unique<char[]>(kBlockBytes);
    std::memset(block.get(), 1, kBlockBytes);
    const gpupoor::ProcessMemory during = gpupoor::readProcessMemory();
    QVERIFY2(
        during.rssBytes - before.rssBytes >= static_cast<std::int64_t>(kBlockBytes * 9 / 10),
        qPrintable(QStringLiteral("RSS grew by %1 bytes").arg(during.rssBytes - before.rssBytes)));
    QVERIFY(block[kBlockBytes - 1] == 1);
  }

  void peakResetForgetsFreedBlock() {
    {
      auto block = std::make_unique<char[]>(kBlockBytes);
      std::memset(block.get(), 1, kBlockBytes);
      QVERIFY(block[kBlockBytes / 2] == 1);
    }
    if (!gpupoor::resetPeakRss()) QSKIP("/proc/self/clear_refs is not writable here");
    const gpupoor::ProcessMemory after = gpupoor::readProcessMemory();
    QVERIFY2(after.peakRssBytes - after.rssBytes < static_cast<std::int64_t>(kBlockBytes / 2),
             qPrintable(QStringLiteral("peak %1 vs RSS %2 after reset")
                            .arg(after.peakRssBytes)
                            .arg(after.rssBytes)));
  }
};

QTEST_GUILESS_MAIN(TestProcessMemory)
#include "tst_process_memory.moc"
