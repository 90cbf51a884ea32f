// Thread-count set-up: Debian's LibTorch starts with one intra-op thread, so
// the app must set it explicitly.
#include <QtTest>

#include "core/common/threads.h"

class TestThreads : public QObject {
  Q_OBJECT

 private slots:
  void physicalCoresIsPositive() { QVERIFY(gpupoor::physicalCoreCount() >= 1); }

  void setComputeThreadsApplies() {
    gpupoor::setComputeThreads(2);
    QCOMPARE(gpupoor::computeThreads(), 2);
    gpupoor::setComputeThreads(0);
    QCOMPARE(gpupoor::computeThreads(), gpupoor::physicalCoreCount());
  }

  // The INT8 kernels split their rows with at::parallel_for. Compiled without
  // OpenMP it silently ran them on one thread while FP32 used every core.
  void parallelForUsesEveryThread() {
    gpupoor::setComputeThreads(2);
    QCOMPARE(gpupoor::parallelForThreads(), 2);
    gpupoor::setComputeThreads(1);
    QCOMPARE(gpupoor::parallelForThreads(), 1);
    gpupoor::setComputeThreads(0);
  }
};

QTEST_GUILESS_MAIN(TestThreads)
#include "tst_threads.moc"
