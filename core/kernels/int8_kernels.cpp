// Kernel dispatch: picks the ISA once per process from the CPU features and
// the GPUPOOR_KERNELS environment variable, and logs the choice.

#include "core/kernels/int8_kernels.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <string>

#include "core/common/errors.h"
#include "core/kernels/int8_kernels_isa.h"

namespace gpupoor::kernels {
namespace {

bool cpuHasAvx512Vnni() { return __builtin_cpu_supports("avx512vnni"); }

const KernelTable& chooseKernels() {
  const char* requested = std::getenv("GPUPOOR_KERNELS");
  KernelIsa isa = KernelIsa::Scalar;
  if (requested != nullptr && *requested != '\0') {
    try {
      isa = parseIsa(requested);
    } catch (const InvalidArgument& error) {
      throw InvalidArgument(fmt::format("GPUPOOR_KERNELS: {}", error.what()));
    }
    if (!isaSupported(isa)) {
      throw InvalidArgument(fmt::format(
          "GPUPOOR_KERNELS={} requests {} kernels, but this CPU does not support {}; unset "
          "GPUPOOR_KERNELS or set it to scalar{}",
          requested, isaName(isa), isaName(isa), isaSupported(KernelIsa::Avx2) ? " or avx2" : ""));
    }
  } else if (isaSupported(KernelIsa::Avx512)) {
    isa = KernelIsa::Avx512;
  } else if (isaSupported(KernelIsa::Avx2)) {
    isa = KernelIsa::Avx2;
  }
  const KernelTable& table = kernelsFor(isa);
  spdlog::info("INT8 kernels: {}{}{}", isaName(isa),
               isa == KernelIsa::Avx512 && cpuHasAvx512Vnni() ? " with VNNI" : "",
               requested != nullptr && *requested != '\0' ? " (set by GPUPOOR_KERNELS)" : "");
  return table;
}

}  // namespace

std::string_view isaName(KernelIsa isa) {
  switch (isa) {
    case KernelIsa::Scalar:
      return "scalar";
    case KernelIsa::Avx2:
      return "avx2";
    case KernelIsa::Avx512:
      return "avx512";
  }
  return "unknown";
}

KernelIsa parseIsa(std::string_view name) {
  if (name == "scalar") return KernelIsa::Scalar;
  if (name == "avx2") return KernelIsa::Avx2;
  if (name == "avx512") return KernelIsa::Avx512;
  throw InvalidArgument(
      fmt::format("unknown INT8 kernel ISA '{}'; use scalar, avx2 or avx512", name));
}

bool isaSupported(KernelIsa isa) {
  switch (isa) {
    case KernelIsa::Scalar:
      return true;
    case KernelIsa::Avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
             __builtin_cpu_supports("f16c");
    case KernelIsa::Avx512:
      // The AVX-512 file is built with F, BW, VL and DQ, and reuses AVX2 code.
      return isaSupported(KernelIsa::Avx2) && __builtin_cpu_supports("avx512f") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx512dq");
  }
  return false;
}

const KernelTable& kernelsFor(KernelIsa isa) {
  if (!isaSupported(isa)) {
    throw InvalidArgument(fmt::format(
        "the {} INT8 kernels need CPU features this machine lacks; use scalar or a supported ISA",
        isaName(isa)));
  }
  switch (isa) {
    case KernelIsa::Scalar:
      return scalarKernelTable();
    case KernelIsa::Avx2:
      return avx2KernelTable();
    case KernelIsa::Avx512:
      return avx512KernelTable(cpuHasAvx512Vnni());
  }
  return scalarKernelTable();
}

const KernelTable& activeKernels() {
  static const KernelTable& table = chooseKernels();
  return table;
}

KernelIsa activeIsa() { return activeKernels().isa; }

}  // namespace gpupoor::kernels
