#pragma once

// Where the bundled resources (demo model, tokenizer files, sample texts)
// live, for a build tree, an installed package and an unpacked package alike.

#include <filesystem>

namespace gpupoor {

// The bundled resource folder, the first that exists of:
// 1. $GPUPOOR_RESOURCE_DIR (an error when set to a missing folder),
// 2. <folder of the running executable>/../share/gpupoor (installed, also
//    when the package is unpacked into a temporary root),
// 3. the source tree's resources/ folder (build tree).
// Throws InvalidArgument listing the places it tried when none exists.
std::filesystem::path resourceDir();

// resourceDir()/models/gpt2-demo. The folder may be missing in a build that
// ships no demo model; callers check.
std::filesystem::path bundledModelDir();

}  // namespace gpupoor
