// Safetensors header parsing and validation. Every check runs before any
// tensor data is touched, and every failure is an InvalidCheckpoint whose
// message names the file, the tensor and the offending value.
#include "core/io/safetensors_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/common/errors.h"

namespace gpupoor {

namespace {

static_assert(std::endian::native == std::endian::little,
              "safetensors stores little-endian data; big-endian hosts need byte swapping");

constexpr std::string_view kMetadataKey = "__metadata__";
constexpr std::string_view kFixHint = "re-download or re-save the checkpoint";

[[noreturn]] void failFile(const std::filesystem::path& file, const std::string& detail) {
  throw InvalidCheckpoint(
      fmt::format("invalid safetensors file '{}': {}. The file is damaged or "
                  "not safetensors; {}.",
                  file.string(), detail, kFixHint));
}

[[noreturn]] void failTensor(const std::filesystem::path& file, std::string_view tensor,
                             const std::string& detail) {
  throw InvalidCheckpoint(
      fmt::format("invalid safetensors file '{}': tensor '{}': {}. The file "
                  "is damaged or was written by a faulty tool; {}.",
                  file.string(), tensor, detail, kFixHint));
}

std::uint64_t readLittleEndian64(std::span<const std::byte> bytes) {
  std::uint64_t value = 0;
  std::memcpy(&value, bytes.data(), sizeof(value));
  return value;
}

// Returns a JSON value as a non-negative integer, or fails naming `field`.
std::uint64_t nonNegativeInteger(const nlohmann::json& value, const std::filesystem::path& file,
                                 std::string_view tensor, std::string_view field) {
  if (value.is_number_unsigned()) return value.get<std::uint64_t>();
  if (value.is_number_integer()) {
    failTensor(file, tensor,
               fmt::format("{} is {}, expected a non-negative integer", field, value.dump()));
  }
  failTensor(file, tensor, fmt::format("{} is {}, expected an integer", field, value.dump()));
}

std::map<std::string, std::string> parseMetadata(const nlohmann::json& value,
                                                 const std::filesystem::path& file) {
  if (!value.is_object()) {
    failFile(file, fmt::format("\"__metadata__\" is a JSON {}, expected an object of strings",
                               value.type_name()));
  }
  std::map<std::string, std::string> metadata;
  for (const auto& [key, text] : value.items()) {
    if (!text.is_string()) {
      failFile(file, fmt::format("\"__metadata__\" entry '{}' is a JSON {}, expected a string", key,
                                 text.type_name()));
    }
    metadata.emplace(key, text.get<std::string>());
  }
  return metadata;
}

SafetensorsEntry parseEntry(const std::string& name, const nlohmann::json& value,
                            const std::filesystem::path& file, std::uint64_t dataBytes) {
  if (!value.is_object()) {
    failTensor(file, name,
               fmt::format("entry is a JSON {}, expected an object with dtype, "
                           "shape and data_offsets",
                           value.type_name()));
  }
  SafetensorsEntry entry;
  entry.info.name = name;
  entry.info.file = file;

  // dtype
  const auto dtypeIt = value.find("dtype");
  if (dtypeIt == value.end() || !dtypeIt->is_string()) {
    failTensor(file, name, "\"dtype\" is missing or not a string");
  }
  const auto dtypeText = dtypeIt->get<std::string>();
  if (!dtypeFromName(dtypeText, entry.info.dtype)) {
    failTensor(file, name,
               fmt::format("unknown dtype \"{}\", expected one of F64 F32 F16 BF16 I64 I32 I16 "
                           "I8 U8 BOOL",
                           dtypeText));
  }

  // shape, with an overflow-checked element count
  const auto shapeIt = value.find("shape");
  if (shapeIt == value.end() || !shapeIt->is_array()) {
    failTensor(file, name, "\"shape\" is missing or not an array");
  }
  std::uint64_t elementCount = 1;
  bool overflow = false;
  for (const auto& dimValue : *shapeIt) {
    const std::uint64_t dim = nonNegativeInteger(dimValue, file, name, "a shape entry");
    if (dim > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      failTensor(file, name, fmt::format("shape entry {} is too large", dim));
    }
    entry.info.shape.push_back(static_cast<std::int64_t>(dim));
    overflow = overflow || __builtin_mul_overflow(elementCount, dim, &elementCount);
  }
  std::uint64_t expectedBytes = 0;
  overflow =
      overflow || __builtin_mul_overflow(elementCount, dtypeSize(entry.info.dtype), &expectedBytes);
  if (overflow) {
    failTensor(file, name,
               fmt::format("shape {} is too large to address", formatShape(entry.info.shape)));
  }

  // data_offsets: [begin, end) inside the data section
  const auto offsetsIt = value.find("data_offsets");
  if (offsetsIt == value.end() || !offsetsIt->is_array() || offsetsIt->size() != 2) {
    failTensor(file, name, "\"data_offsets\" is missing or not an array of two integers");
  }
  entry.beginBytes = nonNegativeInteger((*offsetsIt)[0], file, name, "data_offsets[0]");
  entry.endBytes = nonNegativeInteger((*offsetsIt)[1], file, name, "data_offsets[1]");
  if (entry.beginBytes > entry.endBytes) {
    failTensor(file, name,
               fmt::format("data_offsets [{}, {}] begin after end, expected begin <= end",
                           entry.beginBytes, entry.endBytes));
  }
  if (entry.endBytes > dataBytes) {
    failTensor(file, name,
               fmt::format("data_offsets [{}, {}] reach past the data section of {} bytes; the "
                           "file is probably truncated",
                           entry.beginBytes, entry.endBytes, dataBytes));
  }
  const std::uint64_t actualBytes = entry.endBytes - entry.beginBytes;
  if (actualBytes != expectedBytes) {
    failTensor(file, name,
               fmt::format("data_offsets [{}, {}] span {} bytes, but shape {} of {} needs {} bytes",
                           entry.beginBytes, entry.endBytes, actualBytes,
                           formatShape(entry.info.shape), dtypeText, expectedBytes));
  }
  return entry;
}

// Rejects two tensors that share bytes. Entries must already be sorted by
// begin offset; empty tensors occupy no bytes and never overlap.
void checkNoOverlap(const std::vector<SafetensorsEntry>& entries,
                    const std::filesystem::path& file) {
  const SafetensorsEntry* previous = nullptr;
  for (const auto& entry : entries) {
    if (entry.beginBytes == entry.endBytes) continue;
    if (previous != nullptr && entry.beginBytes < previous->endBytes) {
      failTensor(file, entry.info.name,
                 fmt::format("data_offsets [{}, {}] overlap tensor '{}' at [{}, {}]",
                             entry.beginBytes, entry.endBytes, previous->info.name,
                             previous->beginBytes, previous->endBytes));
    }
    previous = &entry;
  }
}

}  // namespace

SafetensorsHeader parseSafetensorsHeader(std::span<const std::byte> fileBytes,
                                         const std::filesystem::path& file) {
  SafetensorsHeader header;

  // Length prefix
  if (fileBytes.size() < sizeof(std::uint64_t)) {
    failFile(file, fmt::format("the file is {} bytes, shorter than the 8-byte header length",
                               fileBytes.size()));
  }
  header.headerBytes = readLittleEndian64(fileBytes.first(sizeof(std::uint64_t)));
  const std::uint64_t availableBytes = fileBytes.size() - sizeof(std::uint64_t);
  if (header.headerBytes > availableBytes) {
    failFile(file, fmt::format("the header length field says {} bytes, but only {} bytes follow "
                               "it; the file is truncated or not safetensors",
                               header.headerBytes, availableBytes));
  }
  if (header.headerBytes > kSafetensorsMaxHeaderBytes) {
    failFile(file, fmt::format("the header length field says {} bytes, more than the {} bytes "
                               "the format allows",
                               header.headerBytes, kSafetensorsMaxHeaderBytes));
  }
  header.dataOffsetBytes = sizeof(std::uint64_t) + header.headerBytes;
  const std::uint64_t dataBytes = fileBytes.size() - header.dataOffsetBytes;

  // JSON header
  const auto* textBegin = reinterpret_cast<const char*>(fileBytes.data()) + sizeof(std::uint64_t);
  const auto* textEnd = textBegin + header.headerBytes;
  const auto json = nlohmann::json::parse(textBegin, textEnd, /*cb=*/nullptr,
                                          /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    failFile(file, fmt::format("the {}-byte header is not valid JSON", header.headerBytes));
  }
  if (!json.is_object()) {
    failFile(file, fmt::format("the header is a JSON {}, expected an object", json.type_name()));
  }

  // Entries
  for (const auto& [name, value] : json.items()) {
    if (name == kMetadataKey) {
      header.metadata = parseMetadata(value, file);
      continue;
    }
    header.entries.push_back(parseEntry(name, value, file, dataBytes));
  }
  std::stable_sort(header.entries.begin(), header.entries.end(),
                   [](const SafetensorsEntry& a, const SafetensorsEntry& b) {
                     return a.beginBytes < b.beginBytes;
                   });
  checkNoOverlap(header.entries, file);
  return header;
}

SafetensorsReader::SafetensorsReader(const std::filesystem::path& path)
    : m_file(path), m_header(parseSafetensorsHeader(m_file.bytes(), path)) {
  m_infos.reserve(m_header.entries.size());
  for (std::size_t i = 0; i < m_header.entries.size(); ++i) {
    m_infos.push_back(m_header.entries[i].info);
    m_indexByName.emplace(m_header.entries[i].info.name, i);
  }
}

const SafetensorsEntry* SafetensorsReader::find(std::string_view name) const {
  const auto it = m_indexByName.find(name);
  return it == m_indexByName.end() ? nullptr : &m_header.entries[it->second];
}

const SafetensorsEntry& SafetensorsReader::entry(std::string_view name) const {
  const SafetensorsEntry* found = find(name);
  if (found == nullptr) {
    throw InvalidCheckpoint(
        fmt::format("'{}' has no tensor '{}' (it contains {} tensors). The "
                    "checkpoint is incomplete or not a GPT-2 model.",
                    path().string(), name, m_infos.size()));
  }
  return *found;
}

std::span<const std::byte> SafetensorsReader::tensorBytes(std::string_view name) const {
  const SafetensorsEntry& found = entry(name);
  return m_file.bytes().subspan(m_header.dataOffsetBytes + found.beginBytes,
                                found.endBytes - found.beginBytes);
}

void SafetensorsReader::release(std::string_view name) const {
  const SafetensorsEntry& found = entry(name);
  m_file.releaseRange(m_header.dataOffsetBytes + found.beginBytes,
                      found.endBytes - found.beginBytes);
}

}  // namespace gpupoor
