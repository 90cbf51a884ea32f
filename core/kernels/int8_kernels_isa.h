#pragma once

// The per-ISA kernel tables, each defined in its own int8_kernels_<isa>.cpp.
// Only int8_kernels.cpp (the dispatcher) includes this header.
//
// The ISA files include no ATen, spdlog or other header with inline
// functions: an inline function compiled with -mavx2 in one file could be the
// copy the linker keeps for every caller, and then crash older CPUs.

#include "core/kernels/int8_kernels.h"

namespace gpupoor::kernels {

const KernelTable& scalarKernelTable();
const KernelTable& avx2KernelTable();
// The w8a8 entry uses VNNI (vpdpbusd) when the CPU has it and otherwise the
// AVX2 kernel; `hasVnni` picks which.
const KernelTable& avx512KernelTable(bool hasVnni);

}  // namespace gpupoor::kernels
