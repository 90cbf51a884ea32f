#pragma once

// Finding models on disk: a folder given by the user, the bundled demo model,
// or a Hugging Face hub cache entry named by its hub id.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace gpupoor {

enum class ModelSource { Bundled, HfCache, Folder };

// "bundled", "hf-cache" or "folder".
std::string_view modelSourceName(ModelSource source);

// The config.json fields that tell models apart in a list.
struct ModelConfigSummary {
  std::string modelType;  // "gpt2" for every model listModels() returns
  int nLayer = 0;
  int nEmbd = 0;
  int nHead = 0;
  int vocabSize = 0;
  int nPositions = 0;
  long long parameters = 0;  // GPT-2 layout with the LM head tied to wte
};

struct ModelEntry {
  std::string name;  // hub id ("openai-community/gpt2") or folder name
  std::filesystem::path dir;
  ModelSource source = ModelSource::Folder;
  ModelConfigSummary config;
  bool hasTokenizer = false;          // vocab.json and merges.txt present
  std::filesystem::path weightsFile;  // what openCheckpoint() would open; empty when none
  std::uint64_t weightsBytes = 0;     // all weight files, shards included
};

// The hub cache folder: $HF_HUB_CACHE, else $HF_HOME/hub, else
// $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub, as
// huggingface_hub resolves it. The folder may not exist.
std::filesystem::path huggingFaceHubCacheDir();

// Resolves a command-line model argument to a model folder. An existing
// folder is returned as is, and "gpt2-demo" names the bundled model. Anything
// else is a hub id ("gpt2-large", "openai-community/gpt2-large",
// "distilgpt2") looked up in the hub cache. There the snapshot named by
// refs/main wins, else the newest snapshot with a config.json. Bare GPT-2
// family names also match their openai-community/ and distilbert/ ids, and
// the other way round. Throws InvalidArgument listing the places searched
// when nothing matches.
std::filesystem::path resolveModelDir(const std::string& arg);

// Lists the GPT-2 models found: the bundled model, every GPT-2 snapshot in the
// hub cache, and each of `extraFolders` (a model folder itself, or a folder
// whose subfolders are model folders). Models whose config.json sets another
// model_type are skipped and logged at debug level. Unreadable configs in
// `extraFolders` throw InvalidCheckpoint; elsewhere they are skipped with a
// warning.
std::vector<ModelEntry> listModels(const std::vector<std::filesystem::path>& extraFolders = {});

// Reads `modelDir`/config.json and the weight files into an entry with
// the given name and source. Throws InvalidCheckpoint for a missing or
// malformed config.json.
ModelEntry describeModel(const std::filesystem::path& modelDir, std::string name,
                         ModelSource source);

}  // namespace gpupoor
