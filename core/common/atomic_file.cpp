// Temporary file + fsync + rename, with POSIX calls because std::ofstream
// cannot fsync.
#include "core/common/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "core/common/errors.h"

namespace gpupoor {

namespace {

std::string osError(int errorNumber) { return std::strerror(errorNumber); }

// Makes the rename itself durable. Failure only weakens crash safety, so it
// is not reported.
void syncFolder(const std::filesystem::path& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

// Reads the umask from /proc/self/status (Linux 4.7 and later), because
// umask() can only read it by changing it, which races with other threads
// creating files. Falls back to the common default 022.
mode_t currentUmask() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Umask:", 0) == 0) {
      return static_cast<mode_t>(std::stoul(line.substr(6), nullptr, 8));
    }
  }
  return 022;
}

}  // namespace

AtomicFileWriter::AtomicFileWriter(std::filesystem::path target) : m_target(std::move(target)) {
  std::filesystem::path folder = m_target.parent_path();
  if (folder.empty()) folder = ".";
  std::string pattern = (folder / ("." + m_target.filename().string() + ".tmp-XXXXXX")).string();
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');

  m_fd = ::mkstemp(buffer.data());
  if (m_fd < 0) {
    const int errorNumber = errno;
    throw InvalidArgument("cannot write '" + m_target.string() +
                          "': creating a temporary file in '" + folder.string() + "' failed: " +
                          osError(errorNumber) + ". Check that the folder exists and is writable.");
  }
  m_temporaryPath = buffer.data();
  // mkstemp creates the file with mode 0600; give it the mode a plain
  // open(O_CREAT, 0666) would get.
  ::fchmod(m_fd, 0666 & ~currentUmask());
}

AtomicFileWriter::~AtomicFileWriter() {
  if (!m_committed) discard();
}

void AtomicFileWriter::write(std::span<const std::byte> bytes) {
  if (m_fd < 0) throw Error("cannot write '" + m_target.string() + "': writer already closed");
  const auto* data = reinterpret_cast<const char*>(bytes.data());
  std::size_t remaining = bytes.size();
  while (remaining > 0) {
    const ssize_t written = ::write(m_fd, data, remaining);
    if (written < 0) {
      if (errno == EINTR) continue;
      const int errorNumber = errno;
      throw Error("writing '" + m_temporaryPath.string() + "' (for '" + m_target.string() +
                  "') failed after " + std::to_string(m_bytesWritten) + " bytes: " +
                  osError(errorNumber) + ". Free disk space or choose another folder.");
    }
    data += written;
    remaining -= static_cast<std::size_t>(written);
    m_bytesWritten += static_cast<std::size_t>(written);
  }
}

void AtomicFileWriter::write(std::string_view text) {
  write(std::as_bytes(std::span<const char>(text.data(), text.size())));
}

void AtomicFileWriter::commit() {
  if (m_fd < 0) throw Error("cannot commit '" + m_target.string() + "': writer already closed");
  if (::fsync(m_fd) != 0) {
    const int errorNumber = errno;
    throw Error("flushing '" + m_temporaryPath.string() +
                "' to disk failed: " + osError(errorNumber));
  }
  const int fd = m_fd;
  m_fd = -1;
  if (::close(fd) != 0) {
    const int errorNumber = errno;
    throw Error("closing '" + m_temporaryPath.string() + "' failed: " + osError(errorNumber));
  }
  if (::rename(m_temporaryPath.c_str(), m_target.c_str()) != 0) {
    const int errorNumber = errno;
    throw Error("renaming '" + m_temporaryPath.string() + "' to '" + m_target.string() +
                "' failed: " + osError(errorNumber) + ". The old file, if any, is unchanged.");
  }
  m_committed = true;
  std::filesystem::path folder = m_target.parent_path();
  syncFolder(folder.empty() ? std::filesystem::path(".") : folder);
}

void AtomicFileWriter::discard() noexcept {
  if (m_fd >= 0) {
    ::close(m_fd);
    m_fd = -1;
  }
  if (!m_temporaryPath.empty()) ::unlink(m_temporaryPath.c_str());
}

void writeFileAtomically(const std::filesystem::path& target, std::string_view bytes) {
  AtomicFileWriter writer(target);
  writer.write(bytes);
  writer.commit();
}

}  // namespace gpupoor
