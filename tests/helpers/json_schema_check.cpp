// Recursive JSON Schema subset validator (see json_schema_check.h).

#include "json_schema_check.h"

#include <string>

namespace gpupoor::test {
namespace {

bool matchesType(const std::string& type, const nlohmann::json& value) {
  if (type == "object") return value.is_object();
  if (type == "array") return value.is_array();
  if (type == "string") return value.is_string();
  if (type == "boolean") return value.is_boolean();
  if (type == "null") return value.is_null();
  if (type == "integer") return value.is_number_integer();
  if (type == "number") return value.is_number();
  return false;
}

class Validator {
 public:
  explicit Validator(const nlohmann::json& root) : m_root(root) {}

  void check(const nlohmann::json& schema, const nlohmann::json& value, const std::string& pointer) {
    if (schema.contains("$ref")) {
      const std::string reference = schema.at("$ref").get<std::string>();
      const std::string prefix = "#/$defs/";
      if (!reference.starts_with(prefix) || !m_root.contains("$defs") ||
          !m_root.at("$defs").contains(reference.substr(prefix.size()))) {
        m_errors.push_back(pointer + ": unresolved $ref " + reference);
        return;
      }
      check(m_root.at("$defs").at(reference.substr(prefix.size())), value, pointer);
      return;
    }

    if (schema.contains("type")) {
      const nlohmann::json& type = schema.at("type");
      bool matched = false;
      if (type.is_array()) {
        for (const auto& name : type) matched = matched || matchesType(name.get<std::string>(), value);
      } else {
        matched = matchesType(type.get<std::string>(), value);
      }
      if (!matched) {
        m_errors.push_back(pointer + ": expected type " + type.dump() + ", found " + value.type_name());
        return;
      }
    }

    if (schema.contains("enum")) {
      bool found = false;
      for (const auto& allowed : schema.at("enum")) found = found || allowed == value;
      if (!found) m_errors.push_back(pointer + ": value " + value.dump() + " not in " + schema.at("enum").dump());
    }

    if (schema.contains("minimum") && value.is_number() &&
        value.get<double>() < schema.at("minimum").get<double>()) {
      m_errors.push_back(pointer + ": value " + value.dump() + " is below the minimum " +
                         schema.at("minimum").dump());
    }

    if (value.is_object()) {
      if (schema.contains("required")) {
        for (const auto& name : schema.at("required")) {
          if (!value.contains(name.get<std::string>())) {
            m_errors.push_back(pointer + ": missing required property " + name.get<std::string>());
          }
        }
      }
      if (schema.contains("properties")) {
        for (const auto& [name, propertySchema] : schema.at("properties").items()) {
          if (value.contains(name)) check(propertySchema, value.at(name), pointer + "/" + name);
        }
      }
    }

    if (value.is_array() && schema.contains("items")) {
      for (std::size_t i = 0; i < value.size(); ++i) {
        check(schema.at("items"), value.at(i), pointer + "/" + std::to_string(i));
      }
    }
  }

  std::vector<std::string> errors() const { return m_errors; }

 private:
  const nlohmann::json& m_root;
  std::vector<std::string> m_errors;
};

}  // namespace

std::vector<std::string> validateJsonSchema(const nlohmann::json& schema, const nlohmann::json& document) {
  Validator validator(schema);
  validator.check(schema, document, "");
  return validator.errors();
}

}  // namespace gpupoor::test
