#include "cli/print_options.h"

#include <string>

namespace nanossl {

void add_print_options(CLI::App* cmd, bool& print) {
  cmd->option_defaults()->always_capture_default();
  cmd->add_flag("--print-config", print, "print the resolved options (JSON) and exit");
}

namespace {

// One value as CLI11 holds it (text), typed by the option's declared type.
Json typed(const std::string& text, const std::string& type) {
  // A check appends to the name ("INT:POSITIVE"), so compare the start.
  bool is_number = false;
  for (const char* prefix : {"INT", "UINT", "FLOAT", "NUMBER"}) is_number = is_number || type.rfind(prefix, 0) == 0;
  if (is_number) {
    const Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_number()) return parsed;
  }
  return text;
}

}  // namespace

Json resolved_options(const CLI::App& cmd) {
  Json out = Json::object();
  for (const CLI::Option* opt : cmd.get_options()) {
    const std::string name = opt->get_single_name();
    if (opt == cmd.get_help_ptr() || name == "print-config") continue;
    if (opt->get_expected_max() == 0) {  // a flag
      out[name] = opt->count() > 0;
      continue;
    }
    std::vector<std::string> values = opt->results();
    if (values.empty() && !opt->get_default_str().empty()) values = {opt->get_default_str()};
    const std::string type = opt->get_type_name();
    if (opt->get_items_expected_max() > 1) {
      Json list = Json::array();
      for (const std::string& value : values) list.push_back(typed(value, type));
      out[name] = list;
    } else {
      out[name] = values.empty() ? Json(nullptr) : typed(values.back(), type);
    }
  }
  return out;
}

}  // namespace nanossl
