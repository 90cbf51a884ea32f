// Resource folder lookup. No Qt: QCoreApplication::applicationDirPath would
// need an application object, and core/ must work without one.
#include "core/common/resources.h"

#include <fmt/format.h>

#include <cstdlib>
#include <system_error>

#include "core/common/build_info.h"
#include "core/common/errors.h"

namespace gpupoor {

namespace {

bool isFolder(const std::filesystem::path& path) {
  std::error_code error;
  return std::filesystem::is_directory(path, error);
}

// Empty when /proc/self/exe cannot be read (not Linux, or procfs missing).
std::filesystem::path installedResourceDir() {
  std::error_code error;
  const auto executable = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return {};
  return (executable.parent_path() / ".." / "share" / "gpupoor").lexically_normal();
}

}  // namespace

std::filesystem::path resourceDir() {
  if (const char* overridden = std::getenv("GPUPOOR_RESOURCE_DIR");
      overridden != nullptr && *overridden != '\0') {
    if (!isFolder(overridden)) {
      throw InvalidArgument(
          fmt::format("GPUPOOR_RESOURCE_DIR is set to '{}', which is not a "
                      "folder. Point it at the gpupoor resource folder or "
                      "unset it.",
                      overridden));
    }
    return overridden;
  }

  const auto installed = installedResourceDir();
  if (!installed.empty() && isFolder(installed)) return installed;

  const std::filesystem::path sourceTree = build::kResourceSourceDir;
  if (isFolder(sourceTree)) return sourceTree;

  throw InvalidArgument(fmt::format(
      "the gpupoor resource folder was not found; looked in '{}' (next to the executable) and "
      "'{}' (source tree). Reinstall the package or set GPUPOOR_RESOURCE_DIR.",
      installed.string(), sourceTree.string()));
}

std::filesystem::path bundledModelDir() { return resourceDir() / "models" / "gpt2-demo"; }

}  // namespace gpupoor
