// `nanossl presets`: what each preset is for, grouped by the command that takes it,
// so a user can pick one without opening presets/.
#include <cstdio>
#include <string>

#include "commands/commands.h"
#include "commands/presets.h"

namespace nanossl {

int run_list_presets() {
  std::string command;
  bool first = true;
  for (const PresetInfo& preset : list_presets()) {
    if (preset.command != command) {
      command = preset.command;
      std::printf("%snanossl %s --preset NAME\n", first ? "" : "\n", command.c_str());
      first = false;
    }
    std::printf("  %-18s %s\n", preset.name.c_str(), preset.about.c_str());
  }
  // Which copy was read: the installed one or the source tree's (presets.h says why).
  std::printf("\nPresets read from %s.\n", preset_dir().c_str());
  std::printf("A preset holds only what it changes; `--print-config` prints the resolved whole, "
              "docs/config.md lists every key.\n");
  return 0;
}

}  // namespace nanossl
