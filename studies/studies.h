// The four studies of the paper (docs/protocol.md). Each plans its runs through
// the Study runner, collects their results into tables, and returns what it adds
// to report.md: its tables and plots (studies/report.h) and its findings.
#pragma once
#include "studies/report.h"
#include "studies/runner.h"

namespace nanossl {

StudyReport run_quantity_study(Study& study);
StudyReport run_domain_study(Study& study);
StudyReport run_quality_study(Study& study);
StudyReport run_granularity_study(Study& study);

}  // namespace nanossl
