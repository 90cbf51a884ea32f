#pragma once

// Reader for the safetensors format: an 8-byte little-endian header length,
// a JSON header mapping tensor names to dtype, shape and data_offsets, then
// the raw little-endian tensor data. The whole header is validated before any
// tensor byte is read. Free of LibTorch and Qt, so it builds alone with
// sanitizers; converting bytes to at::Tensor happens in safetensors_source.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/io/mapped_file.h"
#include "core/io/tensor_info.h"

namespace gpupoor {

// Largest header this reader accepts, as in the reference Rust implementation
// (100,000,000 bytes): a bigger length field means a corrupt file.
inline constexpr std::uint64_t kSafetensorsMaxHeaderBytes = 100'000'000;

struct SafetensorsEntry {
  TensorInfo info;
  std::uint64_t beginBytes = 0;  // offset into the data section
  std::uint64_t endBytes = 0;    // one past the last byte, relative to the data section
};

struct SafetensorsHeader {
  std::uint64_t headerBytes = 0;          // length of the JSON text
  std::uint64_t dataOffsetBytes = 0;      // 8 + headerBytes: where the data section starts
  std::vector<SafetensorsEntry> entries;  // sorted by beginBytes, i.e. file order
  std::map<std::string, std::string> metadata;
};

// Parses and validates the header of a complete safetensors file held in
// `fileBytes`. `file` names the file in messages and in each TensorInfo.
// Throws InvalidCheckpoint naming the file, the tensor, the expected and the
// actual value.
SafetensorsHeader parseSafetensorsHeader(std::span<const std::byte> fileBytes,
                                         const std::filesystem::path& file);

class SafetensorsReader {
 public:
  // Maps `path` and validates its header. Throws InvalidCheckpoint.
  explicit SafetensorsReader(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return m_file.path(); }
  // Every tensor, in file order.
  const std::vector<TensorInfo>& tensors() const { return m_infos; }
  const std::map<std::string, std::string>& metadata() const { return m_header.metadata; }
  const SafetensorsHeader& header() const { return m_header; }

  // Returns null when the file has no tensor of that name.
  const SafetensorsEntry* find(std::string_view name) const;
  // The stored bytes of `name`, valid while the reader lives. Throws
  // InvalidCheckpoint when the file has no such tensor.
  std::span<const std::byte> tensorBytes(std::string_view name) const;
  // Lets the OS drop the pages behind `name` (and any neighbour sharing a
  // page); a later tensorBytes() reads them from disk again.
  void release(std::string_view name) const;

 private:
  const SafetensorsEntry& entry(std::string_view name) const;

  MappedFile m_file;
  SafetensorsHeader m_header;
  std::vector<TensorInfo> m_infos;
  std::map<std::string, std::size_t, std::less<>> m_indexByName;
};

}  // namespace gpupoor
