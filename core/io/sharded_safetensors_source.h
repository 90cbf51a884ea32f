#pragma once

// TensorSource over a sharded safetensors checkpoint: an index file
// (model.safetensors.index.json) whose "weight_map" names, for every tensor,
// the shard file in the same folder that contains it.

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/io/safetensors_reader.h"
#include "core/io/tensor_source.h"

namespace gpupoor {

class ShardedSafetensorsSource final : public TensorSource {
 public:
  // Reads the index and maps every shard. Throws InvalidCheckpoint naming
  // the index file and the shard when a shard is missing, malformed or lacks
  // a tensor the index assigns to it.
  explicit ShardedSafetensorsSource(const std::filesystem::path& indexFile);

  // Tensors in shard order (shard file names sorted), file order within a shard.
  const std::vector<TensorInfo>& tensors() const override { return m_infos; }
  at::Tensor loadFloat32(std::string_view name) const override;
  at::Tensor load(std::string_view name) const override;
  void release(std::string_view name) const override;
  // The first shard's "__metadata__"; the index's own "metadata" contains
  // numbers (total_size), not strings, so it is not returned.
  std::map<std::string, std::string> metadata() const override;
  std::string description() const override { return m_indexFile.string(); }

  std::size_t shardCount() const { return m_shards.size(); }

 private:
  const SafetensorsReader& shardOf(std::string_view name) const;

  std::filesystem::path m_indexFile;
  std::vector<std::unique_ptr<SafetensorsReader>> m_shards;
  std::map<std::string, std::size_t, std::less<>> m_shardByTensor;
  std::vector<TensorInfo> m_infos;
};

}  // namespace gpupoor
