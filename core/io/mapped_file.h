#pragma once

// A read-only memory map of a whole file. Pages are read on first touch, and
// releaseRange() hands them back, so a model can be read tensor by tensor
// without the whole file staying resident. Not thread-safe to move while
// other threads read from it.

#include <cstddef>
#include <filesystem>
#include <span>

namespace gpupoor {

class MappedFile {
 public:
  // Maps `path` read-only. Throws InvalidCheckpoint naming the file and the
  // OS error when it cannot be opened, examined or mapped, and when it is
  // empty.
  explicit MappedFile(const std::filesystem::path& path);
  ~MappedFile();

  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;

  std::span<const std::byte> bytes() const { return {m_data, m_sizeBytes}; }
  std::size_t sizeBytes() const { return m_sizeBytes; }
  const std::filesystem::path& path() const { return m_path; }

  // Advises the kernel (MADV_DONTNEED) that the pages fully or partly inside
  // [offsetBytes, offsetBytes + lengthBytes) are no longer needed. The range
  // is widened to page boundaries, so neighbouring bytes on the same pages
  // are released too. A later read faults them back in from the file.
  // Ranges past the end are clipped.
  void releaseRange(std::size_t offsetBytes, std::size_t lengthBytes) const;

 private:
  void unmap() noexcept;

  std::filesystem::path m_path;
  const std::byte* m_data = nullptr;
  std::size_t m_sizeBytes = 0;
};

}  // namespace gpupoor
