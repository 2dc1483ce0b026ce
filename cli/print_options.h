// --print-config for the commands without a preset (demo, predict, report, plot,
// data ...): their options as resolved from the command line and the defaults, as
// one JSON object, so that every command answers --print-config (the preset
// commands print their whole resolved configuration instead).
#pragma once
#include <CLI/CLI.hpp>

#include "commands/config_fields.h"  // Json

namespace nanossl {

// Adds --print-config to `cmd`. Call it before the command's options are added:
// it makes them capture their defaults, which the printed object shows.
void add_print_options(CLI::App* cmd, bool& print);

// The resolved options of a parsed `cmd`: key = the option's long name (or the
// positional's name); flags as booleans, numbers as numbers, repeatable options as
// lists, an option with no value and no default as null.
Json resolved_options(const CLI::App& cmd);

}  // namespace nanossl
