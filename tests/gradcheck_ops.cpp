// The f64 gradient check of every op-table case on the CPU: the analytic backward
// against central differences (autograd/gradcheck.h), one test per case, named
// GradcheckOps/Table.MatchesFiniteDifferences/<op>_<case>.
#include <gtest/gtest.h>

#include <set>

#include "autograd/gradcheck.h"
#include "op_table.h"

using namespace nanossl;
using nanossl::testing::TableCase;

namespace {

class Table : public ::testing::TestWithParam<TableCase> {};

TEST_P(Table, MatchesFiniteDifferences) {
  const nanossl::testing::OpCase& c = *GetParam().op_case;
  const std::vector<Tensor> inputs = nanossl::testing::make_inputs(c, DType::f64);
  std::int64_t differentiable = 0;
  for (const Tensor& t : inputs) differentiable += t.requires_grad() ? t.numel() : 0;

  GradcheckOptions options;
  options.eps = c.gradcheck_eps;
  options.atol = c.gradcheck_tol.atol;
  options.rtol = c.gradcheck_tol.rtol;
  const GradcheckResult r = gradcheck(c.fn, inputs, options);
  EXPECT_TRUE(r.ok) << r.message;
  // Inputs are generated away from kinks, so every element must be compared.
  EXPECT_EQ(r.skipped, 0) << "elements skipped as kinks: the case's inputs sit on one";
  EXPECT_EQ(r.checked, differentiable);
}

INSTANTIATE_TEST_SUITE_P(GradcheckOps, Table, ::testing::ValuesIn(nanossl::testing::table_cases(true)),
                         [](const ::testing::TestParamInfo<TableCase>& info) {
                           return nanossl::testing::test_name(info.param);
                         });

// Every entry keeps at least one case the gradient check can afford, and every
// case has a differentiable input.
TEST(GradcheckOpTable, EveryEntryIsGradientChecked) {
  std::set<std::string> checked;
  for (const TableCase& c : nanossl::testing::table_cases(true)) checked.insert(c.entry->name);
  for (const auto& entry : nanossl::testing::op_table()) {
    EXPECT_TRUE(checked.count(entry.name)) << entry.name << " has no case small enough for gradcheck";
    for (const auto& c : entry.cases) {
      bool any = false;
      for (const auto& spec : c.inputs) any = any || spec.requires_grad;
      EXPECT_TRUE(any) << entry.name << " " << c.label << " has no input requiring grad";
    }
  }
}

}  // namespace
