// Parsing and validation of a Hugging Face GPT-2 config.json. Fields that only
// matter for training (dropout, summary heads, initializer range) are ignored.

#include "core/model/config.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <limits>
#include <sstream>

#include "core/common/errors.h"

namespace gpupoor {

namespace {

using nlohmann::json;

std::string describeJsonType(const json& value) { return value.type_name(); }

// Reads a required positive integer field.
int readPositiveInt(const json& root, const std::string& field, const std::string& origin) {
  const auto it = root.find(field);
  if (it == root.end() || it->is_null()) {
    throw InvalidCheckpoint(
        fmt::format("{}: required field '{}' is missing; a GPT-2 config.json "
                    "must set it to a positive integer",
                    origin, field));
  }
  if (!it->is_number_integer()) {
    throw InvalidCheckpoint(fmt::format("{}: field '{}' must be a positive integer, found {} {}",
                                        origin, field, describeJsonType(*it), it->dump()));
  }
  const auto value = it->get<long long>();
  if (value <= 0 || value > std::numeric_limits<int>::max()) {
    throw InvalidCheckpoint(
        fmt::format("{}: field '{}' must be a positive integer, found {}", origin, field, value));
  }
  return static_cast<int>(value);
}

bool readBool(const json& root, const std::string& field, bool fallback,
              const std::string& origin) {
  const auto it = root.find(field);
  if (it == root.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) {
    throw InvalidCheckpoint(
        fmt::format("{}: field '{}' must be true or false, found {}", origin, field, it->dump()));
  }
  return it->get<bool>();
}

// Token ids such as eos_token_id may be null or absent; the GPT-2 value stays then.
int readOptionalTokenId(const json& root, const std::string& field, int fallback,
                        const std::string& origin) {
  const auto it = root.find(field);
  if (it == root.end() || it->is_null()) return fallback;
  if (!it->is_number_integer() || it->get<long long>() < 0 ||
      it->get<long long>() > std::numeric_limits<int>::max()) {
    throw InvalidCheckpoint(fmt::format("{}: field '{}' must be a non-negative token id, found {}",
                                        origin, field, it->dump()));
  }
  return static_cast<int>(it->get<long long>());
}

Activation parseActivation(const json& root, const std::string& origin) {
  const auto it = root.find("activation_function");
  // Hugging Face's GPT2Config defaults to gelu_new.
  if (it == root.end() || it->is_null()) return Activation::GeluNew;
  if (!it->is_string()) {
    throw InvalidCheckpoint(fmt::format(
        "{}: field 'activation_function' must be a string, found {}", origin, it->dump()));
  }
  const auto name = it->get<std::string>();
  if (name == "gelu_new" || name == "gelu_pytorch_tanh") return Activation::GeluNew;
  if (name == "gelu") return Activation::GeluExact;
  if (name == "relu") return Activation::Relu;
  throw InvalidCheckpoint(fmt::format(
      "{}: field 'activation_function' has unsupported value '{}'; supported values are "
      "gelu_new, gelu_pytorch_tanh, gelu and relu",
      origin, name));
}

}  // namespace

long long Gpt2Config::parameterCount() const {
  const long long c = nEmbd;
  const long long inner = nInner;
  const long long layerNorm = 2 * c;
  const long long attention = (c * 3 * c + 3 * c) + (c * c + c);
  const long long mlp = (c * inner + inner) + (inner * c + c);
  const long long block = layerNorm + attention + layerNorm + mlp;
  const long long embeddings = static_cast<long long>(vocabSize) * c + nPositions * c;
  return embeddings + nLayer * block + layerNorm;
}

Gpt2Config Gpt2Config::fromFile(const std::filesystem::path& configJson) {
  std::filesystem::path path = configJson;
  if (std::filesystem::is_directory(path)) path /= "config.json";

  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw InvalidCheckpoint(fmt::format(
        "{}: config file not found or not readable; a Hugging Face GPT-2 folder needs config.json",
        path.string()));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return fromJson(text.str(), path.string());
}

Gpt2Config Gpt2Config::fromJson(const std::string& jsonText, const std::string& origin) {
  json root;
  try {
    root = json::parse(jsonText);
  } catch (const json::parse_error& error) {
    throw InvalidCheckpoint(fmt::format("{}: invalid JSON: {}", origin, error.what()));
  }
  if (!root.is_object()) {
    throw InvalidCheckpoint(
        fmt::format("{}: expected a JSON object, found {}", origin, describeJsonType(root)));
  }

  Gpt2Config config;

  const auto modelType = root.find("model_type");
  if (modelType != root.end() && !modelType->is_null()) {
    if (!modelType->is_string() || modelType->get<std::string>() != "gpt2") {
      throw InvalidCheckpoint(
          fmt::format("{}: field 'model_type' is {}, but only \"gpt2\" checkpoints are supported",
                      origin, modelType->dump()));
    }
  }
  config.modelType = "gpt2";

  config.vocabSize = readPositiveInt(root, "vocab_size", origin);
  // Older configs name the context length n_ctx; n_positions wins when both are present.
  const bool useNCtx = (!root.contains("n_positions") || root["n_positions"].is_null()) &&
                       root.contains("n_ctx") && !root["n_ctx"].is_null();
  config.nPositions = readPositiveInt(root, useNCtx ? "n_ctx" : "n_positions", origin);
  config.nEmbd = readPositiveInt(root, "n_embd", origin);
  config.nLayer = readPositiveInt(root, "n_layer", origin);
  config.nHead = readPositiveInt(root, "n_head", origin);
  if (config.nEmbd % config.nHead != 0) {
    throw InvalidCheckpoint(fmt::format(
        "{}: n_embd ({}) must be divisible by n_head ({}) so that every head has the same width",
        origin, config.nEmbd, config.nHead));
  }

  const auto inner = root.find("n_inner");
  config.nInner = (inner == root.end() || inner->is_null())
                      ? 4 * config.nEmbd
                      : readPositiveInt(root, "n_inner", origin);

  const auto epsilon = root.find("layer_norm_epsilon");
  if (epsilon != root.end() && !epsilon->is_null()) {
    if (!epsilon->is_number() || epsilon->get<double>() <= 0.0) {
      throw InvalidCheckpoint(
          fmt::format("{}: field 'layer_norm_epsilon' must be a positive number, found {}", origin,
                      epsilon->dump()));
    }
    config.layerNormEpsilon = epsilon->get<double>();
  }

  config.activation = parseActivation(root, origin);
  config.scaleAttnWeights = readBool(root, "scale_attn_weights", true, origin);
  config.scaleAttnByInverseLayerIdx =
      readBool(root, "scale_attn_by_inverse_layer_idx", false, origin);
  config.reorderAndUpcastAttn = readBool(root, "reorder_and_upcast_attn", false, origin);
  config.bosTokenId = readOptionalTokenId(root, "bos_token_id", config.bosTokenId, origin);
  config.eosTokenId = readOptionalTokenId(root, "eos_token_id", config.eosTokenId, origin);
  return config;
}

}  // namespace gpupoor
