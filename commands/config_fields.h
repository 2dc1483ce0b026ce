// How a typed configuration meets JSON. A config struct lists its fields once, in
// a member template `fields(f)` that calls `f(key, member, help)` for each; the
// three walkers here read it from JSON (refusing unknown keys and wrong types,
// naming the key), write it to JSON, and list its keys for the documentation. A
// nested struct (one with its own `fields`) is a JSON object; a struct spliced in
// with `part.fields(f)` adds its keys at the same level.
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

namespace nanossl {

using Json = nlohmann::json;

[[noreturn]] inline void config_error(const std::string& message) { throw std::invalid_argument("[config] " + message); }

// The values a numeric key accepts, given as a fourth argument of f(...): a value
// outside is refused when read, naming the key, the value and the range, so a
// batch size of 0 fails at start and not as a division by zero an hour in.
struct Range {
  double min = -std::numeric_limits<double>::infinity(), max = std::numeric_limits<double>::infinity();
  bool min_open = false;  // (min, max] rather than [min, max]
  bool contains(double v) const { return (min_open ? v > min : v >= min) && v <= max; }
  bool limited() const { return std::isfinite(min) || std::isfinite(max); }
  std::string text() const {
    auto number = [](double v) {
      std::string s = std::to_string(v);
      s.erase(s.find_last_not_of('0') + 1);
      if (s.back() == '.') s.pop_back();
      return s;
    };
    // Appended rather than prefixed: `"literal" + string` trips a false -Wrestrict in GCC 12.
    std::string text;
    if (!std::isfinite(max)) {
      text = min_open ? "above " : "at least ";
      return text += number(min);
    }
    if (!std::isfinite(min)) return (text = "at most ") += number(max);
    text = min_open ? "(" : "[";
    return text += number(min) + ", " + number(max) + "]";
  }
};
inline Range at_least(double min) { return {min}; }
inline Range positive() { return {0.0, std::numeric_limits<double>::infinity(), true}; }
inline Range between(double min, double max) { return {min, max}; }

// Reads the fields present in one JSON object; keys it does not know are an error
// (a typo must not silently fall back to a default). Missing keys keep the member's
// default.
class ConfigReader {
 public:
  ConfigReader(const Json& object, std::string path) : object_(object), path_(std::move(path)) {
    if (!object_.is_object()) config_error(where() + "expected an object, got " + object_.dump());
  }

  template <class T>
  void operator()(const char* key, T& member, const char* /*help*/, Range range = {}) {
    seen_.insert(key);
    if (!object_.contains(key)) return;
    read(object_.at(key), path_ + key, member);
    if constexpr (std::is_same_v<T, std::int64_t> || std::is_same_v<T, double>) {
      check_range(path_ + key, static_cast<double>(member), range);
    } else if constexpr (std::is_same_v<T, std::vector<std::int64_t>>) {
      for (std::int64_t item : member) check_range(path_ + key, static_cast<double>(item), range);
    }
  }

  // After the struct's fields: every key of the object must have been one of them.
  void finish() const {
    for (const auto& [key, value] : object_.items()) {
      if (seen_.count(key)) continue;
      std::string known;
      for (const auto& k : seen_) known += (known.empty() ? "" : ", ") + k;
      config_error(path_ + key + ": unknown key (" + (path_.empty() ? "known keys" : "keys of " + path_.substr(0, path_.size() - 1)) +
                   ": " + known + ")");
    }
  }

 private:
  std::string where() const { return path_.empty() ? "" : path_.substr(0, path_.size() - 1) + ": "; }

  static void check_range(const std::string& key, double value, const Range& range) {
    if (range.contains(value)) return;
    Json shown = value;
    if (value == std::floor(value) && std::fabs(value) < 1e15) shown = static_cast<std::int64_t>(value);
    config_error(key + ": " + shown.dump() + " is out of range (" + range.text() + ")");
  }

  static void read(const Json& v, const std::string& key, std::int64_t& member) {
    if (!v.is_number_integer()) config_error(key + ": expected an integer, got " + v.dump());
    member = v.get<std::int64_t>();
  }
  static void read(const Json& v, const std::string& key, double& member) {
    if (!v.is_number()) config_error(key + ": expected a number, got " + v.dump());
    member = v.get<double>();
  }
  static void read(const Json& v, const std::string& key, bool& member) {
    if (!v.is_boolean()) config_error(key + ": expected true or false, got " + v.dump());
    member = v.get<bool>();
  }
  static void read(const Json& v, const std::string& key, std::string& member) {
    if (!v.is_string()) config_error(key + ": expected a string, got " + v.dump());
    member = v.get<std::string>();
  }
  static void read(const Json& v, const std::string& key, std::vector<std::int64_t>& member) {
    if (!v.is_array()) config_error(key + ": expected a list of integers, got " + v.dump());
    member.clear();
    for (const Json& item : v) {
      if (!item.is_number_integer()) config_error(key + ": expected a list of integers, got " + v.dump());
      member.push_back(item.get<std::int64_t>());
    }
  }
  static void read(const Json& v, const std::string& key, std::vector<std::string>& member) {
    if (!v.is_array()) config_error(key + ": expected a list of strings, got " + v.dump());
    member.clear();
    for (const Json& item : v) {
      if (!item.is_string()) config_error(key + ": expected a list of strings, got " + v.dump());
      member.push_back(item.get<std::string>());
    }
  }
  // A free-form object (a patch of another config's keys): kept as JSON.
  static void read(const Json& v, const std::string& key, Json& member) {
    if (!v.is_object()) config_error(key + ": expected an object, got " + v.dump());
    member = v;
  }
  template <class Section>
  static void read(const Json& v, const std::string& key, Section& member) {
    ConfigReader nested(v, key + ".");
    member.fields(nested);
    nested.finish();
  }
  template <class Section>
  static void read(const Json& v, const std::string& key, std::vector<Section>& member) {
    if (!v.is_array()) config_error(key + ": expected a list, got " + v.dump());
    member.assign(v.size(), Section{});
    for (std::size_t i = 0; i < v.size(); ++i) read(v[i], key + "[" + std::to_string(i) + "]", member[i]);
  }

  const Json& object_;
  std::string path_;  // "" or "model."
  std::set<std::string> seen_;
};

// Writes every field, defaults included: the fully resolved configuration.
class ConfigWriter {
 public:
  template <class T>
  void operator()(const char* key, T& member, const char* /*help*/, Range /*range*/ = {}) {
    object[key] = write(member);
  }
  Json object = Json::object();

 private:
  template <class T>
  static Json write(const T& member) {
    if constexpr (requires(T& section, ConfigWriter& writer) { section.fields(writer); }) {
      ConfigWriter nested;
      T copy = member;
      copy.fields(nested);
      return nested.object;
    } else if constexpr (requires { member.begin(); member.end(); } && !std::is_same_v<T, std::string> &&
                         !std::is_same_v<T, Json>) {
      Json list = Json::array();
      for (const auto& item : member) list.push_back(write(item));
      return list;
    } else {
      return Json(member);
    }
  }
};

// The JSON type a member is read as, in words.
template <class T>
std::string config_type_name() {
  if constexpr (std::is_same_v<T, std::int64_t>) return "integer";
  else if constexpr (std::is_same_v<T, double>) return "number";
  else if constexpr (std::is_same_v<T, bool>) return "boolean";
  else if constexpr (std::is_same_v<T, std::string>) return "string";
  else if constexpr (std::is_same_v<T, std::vector<std::int64_t>>) return "list of integers";
  else if constexpr (std::is_same_v<T, std::vector<std::string>>) return "list of strings";
  else if constexpr (std::is_same_v<T, Json>) return "object";
  else return "list of objects";
}

// Every key as a dotted path with its JSON type, default and help: the table of
// docs/config.md.
struct ConfigKey {
  std::string key, type, default_value, help;
  Range range;  // unlimited for keys that are not numbers
};
class ConfigLister {
 public:
  explicit ConfigLister(std::string path = "") : path_(std::move(path)) {}
  template <class T>
  void operator()(const char* key, T& member, const char* help, Range range = {}) {
    if constexpr (requires(T& section, ConfigLister& lister) { section.fields(lister); }) {
      ConfigLister nested(path_ + key + ".");
      member.fields(nested);
      keys.insert(keys.end(), nested.keys.begin(), nested.keys.end());
    } else {
      ConfigWriter writer;
      writer("value", member, help);
      keys.push_back({path_ + key, config_type_name<T>(), writer.object["value"].dump(), help, range});
    }
  }
  std::vector<ConfigKey> keys;

 private:
  std::string path_;
};

// A config from JSON (`what` names the source in errors), to JSON, and its keys.
template <class Config>
Config config_from_json(const Json& json, const std::string& what) {
  Config config;
  try {
    ConfigReader reader(json, "");
    config.fields(reader);
    reader.finish();
  } catch (const std::invalid_argument& error) {
    throw std::invalid_argument(std::string(error.what()) + (what.empty() ? "" : " (in " + what + ")"));
  }
  return config;
}
template <class Config>
Json config_to_json(const Config& config) {
  ConfigWriter writer;
  Config copy = config;
  copy.fields(writer);
  return writer.object;
}
template <class Config>
std::vector<ConfigKey> config_keys() {
  Config config;
  ConfigLister lister;
  config.fields(lister);
  return lister.keys;
}

}  // namespace nanossl
