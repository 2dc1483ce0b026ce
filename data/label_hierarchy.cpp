// Label hierarchies: the level accessors and the checks every dataset runs on its
// hierarchy before it is used (see dataset.h).
#include <map>
#include <set>
#include <stdexcept>

#include "data/dataset.h"

namespace nanossl::data {

const LabelLevel& LabelHierarchy::coarse() const {
  if (levels.empty()) throw std::logic_error("[hierarchy] no coarse level: the fine classes are the only level");
  return levels.front();
}

std::vector<std::string> LabelHierarchy::level_names() const {
  std::vector<std::string> names;
  for (const LabelLevel& level : levels) names.push_back(level.name);
  names.emplace_back("fine");
  return names;
}

std::int64_t LabelHierarchy::num_classes(const std::string& level) const {
  if (level == "fine") return num_fine();
  for (const LabelLevel& l : levels) {
    if (l.name == level) return l.num_classes();
  }
  throw std::invalid_argument("[hierarchy] no level '" + level + "'");
}

namespace {

void check_level(const LabelHierarchy& h, std::size_t index, const std::string& owner) {
  const LabelLevel& level = h.levels[index];
  const std::string where = "[" + owner + "] hierarchy level '" + level.name + "'";
  if (level.name.empty() || level.name == "fine") {
    throw std::invalid_argument("[" + owner + "] hierarchy level " + std::to_string(index) + " is named '" +
                                level.name + "'; levels need a name other than 'fine'");
  }
  if (index == 0 && level.name != "coarse") {
    throw std::invalid_argument(where + " is the coarsest level, which must be named 'coarse'");
  }
  if (level.class_names.empty()) throw std::invalid_argument(where + " has no classes");
  if (level.of_fine.size() != h.fine_names.size()) {
    throw std::invalid_argument(where + " maps " + std::to_string(level.of_fine.size()) + " fine classes, expected " +
                                std::to_string(h.fine_names.size()));
  }
  for (std::size_t f = 0; f < level.of_fine.size(); ++f) {
    if (level.of_fine[f] < 0 || level.of_fine[f] >= level.num_classes()) {
      throw std::invalid_argument(where + ": fine class '" + h.fine_names[f] + "' maps to class " +
                                  std::to_string(level.of_fine[f]) + ", outside [0, " +
                                  std::to_string(level.num_classes()) + ")");
    }
  }
}

// Every class of `finer` lies inside one class of `coarser`.
void check_nested(const LabelHierarchy& h, const LabelLevel& coarser, const LabelLevel& finer,
                  const std::string& owner) {
  std::map<std::int64_t, std::size_t> first_fine;  // class of `finer` -> its first fine class
  for (std::size_t f = 0; f < h.fine_names.size(); ++f) {
    const auto [it, inserted] = first_fine.emplace(finer.of_fine[f], f);
    const std::size_t g = it->second;
    if (!inserted && coarser.of_fine[f] != coarser.of_fine[g]) {
      throw std::invalid_argument(
          "[" + owner + "] hierarchy level '" + finer.name + "' is not nested in '" + coarser.name +
          "': its class '" + finer.class_names[static_cast<std::size_t>(finer.of_fine[f])] + "' holds fine classes '" +
          h.fine_names[g] + "' (in '" + coarser.class_names[static_cast<std::size_t>(coarser.of_fine[g])] +
          "') and '" + h.fine_names[f] + "' (in '" +
          coarser.class_names[static_cast<std::size_t>(coarser.of_fine[f])] + "')");
    }
  }
}

}  // namespace

void LabelHierarchy::validate(const std::string& owner) const {
  std::set<std::string> seen;
  for (std::size_t l = 0; l < levels.size(); ++l) {
    check_level(*this, l, owner);
    if (!seen.insert(levels[l].name).second) {
      throw std::invalid_argument("[" + owner + "] hierarchy level '" + levels[l].name + "' appears twice");
    }
    if (l > 0) check_nested(*this, levels[l - 1], levels[l], owner);
  }
}

}  // namespace nanossl::data
