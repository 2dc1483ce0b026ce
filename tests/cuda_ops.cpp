// CUDA parity of every op-table case: the output on the GPU against the CPU
// reference on the same inputs, then every input's gradient after back-propagating
// the same random output gradient, and any input the op updates in place (batch
// norm's running statistics). In f32 with the case's tolerances, and in f64 with
// one tight tolerance. Fresh device memory is poisoned (NaN), so an output element
// a kernel forgets to write fails. Skips where no CUDA device is present.
#include <gtest/gtest.h>

#include <string>

#include "autograd/engine.h"
#include "op_table.h"
#include "test_util.h"

using namespace nanossl;
using nanossl::testing::all_close;
using nanossl::testing::OpCase;
using nanossl::testing::TableCase;
using nanossl::testing::Tolerance;

namespace {

// f64 on both devices differs only in summation order: about 1e-16 per term.
constexpr Tolerance kDouble{1e-9, 1e-9};

void expect_parity(const OpCase& c, DType dtype, Tolerance forward_tol, Tolerance backward_tol) {
  const std::vector<Tensor> cpu = nanossl::testing::make_inputs(c, dtype);
  std::vector<Tensor> gpu;
  for (const Tensor& t : cpu) {
    Tensor g = t.to(Device::cuda());
    if (t.requires_grad()) g.set_requires_grad();
    gpu.push_back(g);
  }
  const Tensor out_cpu = c.fn(cpu);
  const Tensor out_gpu = c.fn(gpu);
  ASSERT_TRUE(out_gpu.device().is_cuda()) << "the output left the GPU";
  EXPECT_TRUE(all_close(out_gpu, out_cpu, forward_tol.atol, forward_tol.rtol)) << "forward";

  const Tensor grad = nanossl::testing::uniform(out_cpu.shape(), -1.0, 1.0, dtype, 99);
  backward(out_cpu, grad);
  backward(out_gpu, grad.to(Device::cuda()));
  for (std::size_t i = 0; i < cpu.size(); ++i) {
    if (cpu[i].requires_grad()) {
      ASSERT_TRUE(gpu[i].grad().defined()) << "no gradient for input " << i;
      EXPECT_TRUE(gpu[i].grad().device().is_cuda()) << "gradient of input " << i;
      EXPECT_TRUE(all_close(gpu[i].grad(), cpu[i].grad(), backward_tol.atol, backward_tol.rtol))
          << "gradient of input " << i;
    } else {
      // Constants must be unchanged alike; state updated in place must agree.
      EXPECT_TRUE(all_close(gpu[i], cpu[i], forward_tol.atol, forward_tol.rtol)) << "input " << i << " after the call";
    }
  }
}

class Table : public ::testing::TestWithParam<TableCase> {
 protected:
  void SetUp() override {
    const auto& entry = *GetParam().entry;
    if (!entry.has_cuda) GTEST_SKIP() << entry.name << " has no CUDA kernel (marked in tests/op_table)";
    if (!cuda::available()) GTEST_SKIP() << "no CUDA device";
    cuda::set_debug_poison(true);
  }
  void TearDown() override {
    if (cuda::available()) cuda::set_debug_poison(false);
  }
};

TEST_P(Table, MatchesCpuInFloat) {
  const OpCase& c = *GetParam().op_case;
  expect_parity(c, DType::f32, c.forward, c.backward);
}

TEST_P(Table, MatchesCpuInDouble) { expect_parity(*GetParam().op_case, DType::f64, kDouble, kDouble); }

INSTANTIATE_TEST_SUITE_P(CudaOps, Table, ::testing::ValuesIn(nanossl::testing::table_cases(false)),
                         [](const ::testing::TestParamInfo<TableCase>& info) {
                           return nanossl::testing::test_name(info.param);
                         });

}  // namespace
