// POSIX mmap wrapper. The descriptor is closed right after mapping because
// the mapping keeps the file alive.
#include "core/io/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "core/common/errors.h"

namespace gpupoor {

namespace {

std::string osFailure(const std::string& what, const std::filesystem::path& path, int errorNumber) {
  return "cannot " + what + " '" + path.string() + "': " + std::strerror(errorNumber);
}

// Closes the descriptor on every path out of the constructor.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : m_fd(fd) {}
  ~FileDescriptor() {
    if (m_fd >= 0) ::close(m_fd);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return m_fd; }

 private:
  int m_fd;
};

}  // namespace

MappedFile::MappedFile(const std::filesystem::path& path) : m_path(path) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    throw InvalidCheckpoint(osFailure("open", path, errno) + ". Check the path and permissions.");
  }

  struct stat status {};
  if (::fstat(fd.get(), &status) != 0) {
    throw InvalidCheckpoint(osFailure("examine (fstat)", path, errno));
  }
  if (!S_ISREG(status.st_mode)) {
    throw InvalidCheckpoint("cannot map '" + path.string() +
                            "': not a regular file. Pass the weights file itself.");
  }
  if (status.st_size == 0) {
    throw InvalidCheckpoint("'" + path.string() +
                            "' is empty (0 bytes). The download or save was interrupted; "
                            "re-download or re-save the checkpoint.");
  }

  m_sizeBytes = static_cast<std::size_t>(status.st_size);
  void* address = ::mmap(nullptr, m_sizeBytes, PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (address == MAP_FAILED) {
    const int errorNumber = errno;
    m_sizeBytes = 0;
    throw InvalidCheckpoint(osFailure("memory-map", path, errorNumber) + " (file size " +
                            std::to_string(status.st_size) + " bytes)");
  }
  m_data = static_cast<const std::byte*>(address);
}

MappedFile::~MappedFile() { unmap(); }

MappedFile::MappedFile(MappedFile&& other) noexcept
    : m_path(std::move(other.m_path)),
      m_data(std::exchange(other.m_data, nullptr)),
      m_sizeBytes(std::exchange(other.m_sizeBytes, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    unmap();
    m_path = std::move(other.m_path);
    m_data = std::exchange(other.m_data, nullptr);
    m_sizeBytes = std::exchange(other.m_sizeBytes, 0);
  }
  return *this;
}

void MappedFile::releaseRange(std::size_t offsetBytes, std::size_t lengthBytes) const {
  if (m_data == nullptr || offsetBytes >= m_sizeBytes || lengthBytes == 0) return;
  const std::size_t endBytes = offsetBytes + std::min(lengthBytes, m_sizeBytes - offsetBytes);

  // madvise needs a page-aligned start; the mapping itself starts on a page.
  const auto pageBytes = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const std::size_t alignedBegin = offsetBytes / pageBytes * pageBytes;
  const std::size_t alignedEnd = std::min((endBytes + pageBytes - 1) / pageBytes * pageBytes,
                                          (m_sizeBytes + pageBytes - 1) / pageBytes * pageBytes);

  // The advice is only a hint, so a failure changes memory use, never results.
  ::madvise(const_cast<std::byte*>(m_data) + alignedBegin, alignedEnd - alignedBegin,
            MADV_DONTNEED);
}

void MappedFile::unmap() noexcept {
  if (m_data != nullptr) {
    ::munmap(const_cast<std::byte*>(m_data), m_sizeBytes);
    m_data = nullptr;
    m_sizeBytes = 0;
  }
}

}  // namespace gpupoor
