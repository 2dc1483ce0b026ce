// A study directory's report: report.md (the findings of every study with their
// verdicts, and with the scale trend their verdicts at half the budget; then each
// study's tables and plots, the half-budget ones, and every run linked to its
// configuration) and report.html, the same as one self-contained page
// (studies/html_report.h). Written by `nanossl study` after its runs and by
// `nanossl report` from the finished ones.
#pragma once
#include <string>
#include <vector>

#include "studies/report.h"
#include "studies/runner.h"

namespace nanossl {

// `study` and `half_study`: the full and half-budget passes whose run counts the
// header gives; `half` empty without the scale trend.
void write_report(const std::string& out, const Json& record, const std::vector<StudyReport>& reports,
                  const std::vector<StudyReport>& half, const Study& study, const Study& half_study);

}  // namespace nanossl
