// Sharded safetensors: index parsing and validation, then lookups that
// forward to the shard holding each tensor.
#include "core/io/sharded_safetensors_source.h"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <system_error>

#include "core/common/errors.h"
#include "core/io/tensor_convert.h"

namespace gpupoor {

namespace {

[[noreturn]] void failIndex(const std::filesystem::path& indexFile, const std::string& detail) {
  throw InvalidCheckpoint(
      fmt::format("invalid sharded checkpoint index '{}': {}. Re-download "
                  "the checkpoint or re-save it as one model.safetensors.",
                  indexFile.string(), detail));
}

nlohmann::json readIndexJson(const std::filesystem::path& indexFile) {
  std::ifstream in(indexFile, std::ios::binary);
  if (!in) failIndex(indexFile, "the file cannot be opened");
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  auto json = nlohmann::json::parse(text, /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) failIndex(indexFile, "the file is not valid JSON");
  if (!json.is_object()) failIndex(indexFile, "the file is not a JSON object");
  return json;
}

// A shard must be a plain file name inside the model folder, so an index
// cannot point the loader at arbitrary files.
bool isPlainFileName(const std::string& shard) {
  const std::filesystem::path path(shard);
  return !shard.empty() && !path.has_parent_path() && shard != "." && shard != "..";
}

}  // namespace

ShardedSafetensorsSource::ShardedSafetensorsSource(const std::filesystem::path& indexFile)
    : m_indexFile(indexFile) {
  const nlohmann::json index = readIndexJson(indexFile);
  const auto weightMap = index.find("weight_map");
  if (weightMap == index.end() || !weightMap->is_object() || weightMap->empty()) {
    failIndex(indexFile, "\"weight_map\" is missing, empty or not an object");
  }

  // tensor -> shard file name, validated.
  std::map<std::string, std::vector<std::string>> tensorsByShard;
  for (const auto& [tensor, shardValue] : weightMap->items()) {
    if (!shardValue.is_string()) {
      failIndex(indexFile, fmt::format("tensor '{}' maps to a JSON {}, expected a shard file name",
                                       tensor, shardValue.type_name()));
    }
    const auto shard = shardValue.get<std::string>();
    if (!isPlainFileName(shard)) {
      failIndex(indexFile, fmt::format("tensor '{}' maps to '{}', expected a file name in the "
                                       "same folder",
                                       tensor, shard));
    }
    tensorsByShard[shard].push_back(tensor);
  }

  // Open every shard and check that it contains the tensors the index assigns to it.
  const auto folder = indexFile.parent_path();
  for (const auto& [shard, shardTensors] : tensorsByShard) {
    const auto shardPath = folder / shard;
    std::error_code error;
    if (!std::filesystem::is_regular_file(shardPath, error)) {
      failIndex(indexFile,
                fmt::format("shard '{}' (holding {} tensors, e.g. '{}') is missing",
                            shardPath.string(), shardTensors.size(), shardTensors.front()));
    }
    auto reader = std::make_unique<SafetensorsReader>(shardPath);
    for (const auto& tensor : shardTensors) {
      if (reader->find(tensor) == nullptr) {
        failIndex(indexFile, fmt::format("the index assigns tensor '{}' to shard '{}', but that "
                                         "shard does not contain it",
                                         tensor, shardPath.string()));
      }
    }
    const std::size_t shardIndex = m_shards.size();
    for (const auto& info : reader->tensors()) {
      const auto mapped = weightMap->find(info.name);
      if (mapped == weightMap->end() || mapped->get<std::string>() != shard) continue;
      m_shardByTensor.emplace(info.name, shardIndex);
      m_infos.push_back(info);
    }
    spdlog::debug("shard {}: {} tensors", shardPath.string(), shardTensors.size());
    m_shards.push_back(std::move(reader));
  }
  spdlog::debug("opened {}: {} shards, {} tensors", indexFile.string(), m_shards.size(),
                m_infos.size());
}

const SafetensorsReader& ShardedSafetensorsSource::shardOf(std::string_view name) const {
  info(name);  // throws InvalidCheckpoint naming the tensor when absent
  return *m_shards[m_shardByTensor.find(name)->second];
}

at::Tensor ShardedSafetensorsSource::load(std::string_view name) const {
  const TensorInfo& tensorInfo = info(name);
  return tensorFromBytes(tensorInfo, shardOf(name).tensorBytes(name));
}

at::Tensor ShardedSafetensorsSource::loadFloat32(std::string_view name) const {
  const TensorInfo& tensorInfo = info(name);
  return toFloat32(load(name), tensorInfo, description());
}

void ShardedSafetensorsSource::release(std::string_view name) const { shardOf(name).release(name); }

std::map<std::string, std::string> ShardedSafetensorsSource::metadata() const {
  return m_shards.empty() ? std::map<std::string, std::string>{} : m_shards.front()->metadata();
}

}  // namespace gpupoor
