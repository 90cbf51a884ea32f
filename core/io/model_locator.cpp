// Model lookup in folders, the bundled resources and the Hugging Face hub
// cache (layout: models--ORG--NAME/{refs/main, snapshots/REVISION/, blobs/}).
#include "core/io/model_locator.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <system_error>

#include "core/common/errors.h"
#include "core/common/resources.h"

namespace gpupoor {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kBundledModelName = "gpt2-demo";

// Hub ids that name the same model: the canonical GPT-2 checkpoints moved
// from bare names to the openai-community/ and distilbert/ organisations, and
// a cache may hold either.
constexpr std::array<std::array<std::string_view, 2>, 5> kHubIdAliases{{
    {"gpt2", "openai-community/gpt2"},
    {"gpt2-medium", "openai-community/gpt2-medium"},
    {"gpt2-large", "openai-community/gpt2-large"},
    {"gpt2-xl", "openai-community/gpt2-xl"},
    {"distilgpt2", "distilbert/distilgpt2"},
}};

bool isFolder(const fs::path& path) {
  std::error_code error;
  return fs::is_directory(path, error);
}

bool isFile(const fs::path& path) {
  std::error_code error;
  return fs::is_regular_file(path, error);  // follows the snapshot symlinks into blobs/
}

std::uint64_t fileBytes(const fs::path& path) {
  std::error_code error;
  const auto size = fs::file_size(path, error);
  return error ? 0 : size;
}

std::string readText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The ids to try for `id`: itself first, then its aliases.
std::vector<std::string> hubIdCandidates(const std::string& id) {
  std::vector<std::string> candidates{id};
  for (const auto& group : kHubIdAliases) {
    if (std::find(group.begin(), group.end(), id) == group.end()) continue;
    for (const auto alias : group) {
      if (alias != id) candidates.emplace_back(alias);
    }
  }
  return candidates;
}

// "openai-community/gpt2" -> "models--openai-community--gpt2".
std::string cacheFolderName(const std::string& id) {
  std::string name = "models--";
  for (const char c : id) name += c == '/' ? std::string("--") : std::string(1, c);
  return name;
}

// "models--openai-community--gpt2" -> "openai-community/gpt2".
std::string hubIdFromCacheFolder(const std::string& folder) {
  const std::string id = folder.substr(std::string_view("models--").size());
  const auto separator = id.find("--");
  if (separator == std::string::npos) return id;
  return id.substr(0, separator) + "/" + id.substr(separator + 2);
}

// The snapshot of one cached repository: refs/main's revision when that
// snapshot has a config.json, else the most recently written snapshot with one.
std::optional<fs::path> pickSnapshot(const fs::path& repoDir) {
  const fs::path snapshots = repoDir / "snapshots";
  if (!isFolder(snapshots)) return std::nullopt;

  std::string revision = readText(repoDir / "refs" / "main");
  revision.erase(revision.find_last_not_of(" \t\r\n") + 1);
  if (!revision.empty() && revision.find('/') == std::string::npos &&
      isFile(snapshots / revision / "config.json")) {
    return snapshots / revision;
  }

  std::optional<fs::path> newest;
  fs::file_time_type newestTime{};
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(snapshots, error)) {
    if (!isFile(entry.path() / "config.json")) continue;
    const auto time = fs::last_write_time(entry.path(), error);
    if (!newest || time > newestTime) {
      newest = entry.path();
      newestTime = time;
    }
  }
  return newest;
}

// Parameter count of the GPT-2 layout with a tied LM head: embeddings, per
// block two LayerNorms, c_attn, attn.c_proj, c_fc, mlp.c_proj (with biases),
// and the final LayerNorm.
long long gpt2ParameterCount(long long vocab, long long positions, long long embd, long long layers,
                             long long inner) {
  const long long perBlock = 2 * (2 * embd)                // ln_1, ln_2
                             + embd * 3 * embd + 3 * embd  // c_attn
                             + embd * embd + embd          // attn.c_proj
                             + embd * inner + inner        // c_fc
                             + inner * embd + embd;        // mlp.c_proj
  return vocab * embd + positions * embd + layers * perBlock + 2 * embd;
}

int intField(const nlohmann::json& config, const char* key, const fs::path& file) {
  const auto it = config.find(key);
  if (it == config.end() || !it->is_number_integer() || it->get<long long>() <= 0) {
    throw InvalidCheckpoint(
        fmt::format("'{}': \"{}\" is missing or not a positive integer. "
                    "Fix config.json or re-download the model.",
                    file.string(), key));
  }
  return it->get<int>();
}

ModelConfigSummary summarizeConfig(const fs::path& configFile) {
  if (!isFile(configFile)) {
    throw InvalidCheckpoint(
        fmt::format("'{}' is missing. A model folder needs the config.json "
                    "of its checkpoint.",
                    configFile.string()));
  }
  const auto config = nlohmann::json::parse(readText(configFile), nullptr, false);
  if (config.is_discarded() || !config.is_object()) {
    throw InvalidCheckpoint(fmt::format("'{}' is not a valid JSON object. Re-download the model.",
                                        configFile.string()));
  }

  ModelConfigSummary summary;
  summary.modelType = config.value("model_type", std::string());
  if (summary.modelType != "gpt2") return summary;  // the caller skips it

  summary.nLayer = intField(config, "n_layer", configFile);
  summary.nEmbd = intField(config, "n_embd", configFile);
  summary.nHead = intField(config, "n_head", configFile);
  summary.vocabSize = intField(config, "vocab_size", configFile);
  summary.nPositions = intField(config, "n_positions", configFile);
  const auto inner = config.find("n_inner");
  const long long nInner = inner != config.end() && inner->is_number_integer()
                               ? inner->get<long long>()
                               : 4LL * summary.nEmbd;
  summary.parameters = gpt2ParameterCount(summary.vocabSize, summary.nPositions, summary.nEmbd,
                                          summary.nLayer, nInner);
  return summary;
}

// Shard files listed in a sharded index, for the size total.
std::set<std::string> shardNames(const fs::path& indexFile) {
  std::set<std::string> shards;
  const auto index = nlohmann::json::parse(readText(indexFile), nullptr, false);
  if (index.is_discarded() || !index.is_object()) return shards;
  const auto weightMap = index.find("weight_map");
  if (weightMap == index.end() || !weightMap->is_object()) return shards;
  for (const auto& shard : *weightMap) {
    if (shard.is_string()) shards.insert(shard.get<std::string>());
  }
  return shards;
}

void appendIfGpt2(std::vector<ModelEntry>& models, ModelEntry entry) {
  if (entry.config.modelType != "gpt2") {
    spdlog::debug("skipping {} at {}: model_type '{}' is not gpt2", entry.name, entry.dir.string(),
                  entry.config.modelType);
    return;
  }
  models.push_back(std::move(entry));
}

void appendHubCacheModels(std::vector<ModelEntry>& models) {
  const fs::path cache = huggingFaceHubCacheDir();
  if (!isFolder(cache)) {
    spdlog::debug("no Hugging Face hub cache at {}", cache.string());
    return;
  }
  std::vector<fs::path> repos;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(cache, error)) {
    if (entry.path().filename().string().starts_with("models--")) repos.push_back(entry.path());
  }
  std::sort(repos.begin(), repos.end());

  for (const auto& repo : repos) {
    const auto snapshot = pickSnapshot(repo);
    const auto name = hubIdFromCacheFolder(repo.filename().string());
    if (!snapshot) {
      spdlog::debug("skipping {}: no snapshot with a config.json", repo.string());
      continue;
    }
    try {
      appendIfGpt2(models, describeModel(*snapshot, name, ModelSource::HfCache));
    } catch (const InvalidCheckpoint& skipped) {
      spdlog::warn("skipping hub cache entry {}: {}", name, skipped.what());
    }
  }
}

void appendFolderModels(std::vector<ModelEntry>& models, const fs::path& folder) {
  if (!isFolder(folder)) {
    throw InvalidArgument(
        fmt::format("'{}' is not a folder. Pass a model folder or a folder "
                    "that contains model folders.",
                    folder.string()));
  }
  if (isFile(folder / "config.json")) {
    const auto name = fs::absolute(folder).lexically_normal().filename().string();
    appendIfGpt2(models,
                 describeModel(folder, name.empty() ? folder.string() : name, ModelSource::Folder));
    return;
  }
  std::vector<fs::path> children;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(folder, error)) {
    if (isFile(entry.path() / "config.json")) children.push_back(entry.path());
  }
  std::sort(children.begin(), children.end());
  for (const auto& child : children) {
    appendIfGpt2(models, describeModel(child, child.filename().string(), ModelSource::Folder));
  }
}

}  // namespace

std::string_view modelSourceName(ModelSource source) {
  switch (source) {
    case ModelSource::Bundled:
      return "bundled";
    case ModelSource::HfCache:
      return "hf-cache";
    case ModelSource::Folder:
      return "folder";
  }
  return "folder";
}

fs::path huggingFaceHubCacheDir() {
  const auto env = [](const char* name) -> std::string {
    const char* value = std::getenv(name);
    return value == nullptr ? std::string() : std::string(value);
  };
  if (const auto hubCache = env("HF_HUB_CACHE"); !hubCache.empty()) return hubCache;
  if (const auto home = env("HF_HOME"); !home.empty()) return fs::path(home) / "hub";
  if (const auto xdg = env("XDG_CACHE_HOME"); !xdg.empty()) {
    return fs::path(xdg) / "huggingface" / "hub";
  }
  return fs::path(env("HOME")) / ".cache" / "huggingface" / "hub";
}

fs::path resolveModelDir(const std::string& arg) {
  if (arg.empty()) {
    throw InvalidArgument("no model given. Pass a model folder or a hub id such as gpt2.");
  }
  if (isFolder(arg)) return arg;

  std::vector<std::string> searched;
  if (arg == kBundledModelName) {
    const fs::path bundled = bundledModelDir();
    if (isFolder(bundled)) return bundled;
    searched.push_back(bundled.string() + " (bundled model)");
  }

  const fs::path cache = huggingFaceHubCacheDir();
  for (const auto& id : hubIdCandidates(arg)) {
    const fs::path repo = cache / cacheFolderName(id);
    if (const auto snapshot = pickSnapshot(repo)) {
      spdlog::debug("model '{}' resolved to {}", arg, snapshot->string());
      return *snapshot;
    }
    searched.push_back(repo.string());
  }

  std::string places;
  for (const auto& place : searched) places += "\n  " + place;
  throw InvalidArgument(fmt::format(
      "model '{}' not found: it is not a folder, and no snapshot with a config.json exists in:{}\n"
      "Pass the folder that contains config.json and the weights, or download the model into the "
      "Hugging Face cache (set HF_HUB_CACHE or HF_HOME if it lives elsewhere).",
      arg, places));
}

ModelEntry describeModel(const fs::path& modelDir, std::string name, ModelSource source) {
  ModelEntry entry;
  entry.name = std::move(name);
  entry.dir = modelDir;
  entry.source = source;
  entry.config = summarizeConfig(modelDir / "config.json");
  entry.hasTokenizer = isFile(modelDir / "vocab.json") && isFile(modelDir / "merges.txt");

  if (const auto single = modelDir / "model.safetensors"; isFile(single)) {
    entry.weightsFile = single;
    entry.weightsBytes = fileBytes(single);
  } else if (const auto index = modelDir / "model.safetensors.index.json"; isFile(index)) {
    entry.weightsFile = index;
    for (const auto& shard : shardNames(index)) entry.weightsBytes += fileBytes(modelDir / shard);
  } else if (const auto bin = modelDir / "pytorch_model.bin"; isFile(bin)) {
    entry.weightsFile = bin;
    entry.weightsBytes = fileBytes(bin);
  }
  return entry;
}

std::vector<ModelEntry> listModels(const std::vector<fs::path>& extraFolders) {
  std::vector<ModelEntry> models;

  try {
    const fs::path bundled = bundledModelDir();
    if (isFile(bundled / "config.json")) {
      appendIfGpt2(models,
                   describeModel(bundled, std::string(kBundledModelName), ModelSource::Bundled));
    } else {
      spdlog::debug("no bundled model at {}", bundled.string());
    }
  } catch (const Error& skipped) {
    spdlog::warn("skipping the bundled model: {}", skipped.what());
  }

  appendHubCacheModels(models);
  for (const auto& folder : extraFolders) appendFolderModels(models, folder);
  return models;
}

}  // namespace gpupoor
