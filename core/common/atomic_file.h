#pragma once

// Atomic file replacement: data goes to a temporary file in the target's
// folder, is flushed to disk with fsync, and is then renamed over the target.
// Readers see either the old file or the complete new one, never a partial
// write, and a failure leaves the old file untouched.

#include <cstddef>
#include <filesystem>
#include <span>
#include <string_view>

namespace gpupoor {

// Streams data into a temporary file and installs it at `target` on commit().
// Destroying it without commit() removes the temporary file.
class AtomicFileWriter {
 public:
  // Creates the temporary file next to `target`. Throws InvalidArgument
  // naming the folder and the OS error when it cannot.
  explicit AtomicFileWriter(std::filesystem::path target);
  ~AtomicFileWriter();

  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  // Appends bytes. Throws gpupoor::Error naming the file and the OS error
  // (for example a full disk).
  void write(std::span<const std::byte> bytes);
  void write(std::string_view text);

  // Flushes, fsyncs, renames over the target and fsyncs the folder. Throws
  // gpupoor::Error on failure, in which case the target keeps its old content.
  void commit();

  const std::filesystem::path& target() const { return m_target; }
  const std::filesystem::path& temporaryPath() const { return m_temporaryPath; }
  std::size_t bytesWritten() const { return m_bytesWritten; }

 private:
  void discard() noexcept;

  std::filesystem::path m_target;
  std::filesystem::path m_temporaryPath;
  int m_fd = -1;
  std::size_t m_bytesWritten = 0;
  bool m_committed = false;
};

// Writes `bytes` to `target` atomically (see AtomicFileWriter).
void writeFileAtomically(const std::filesystem::path& target, std::string_view bytes);

}  // namespace gpupoor
