// `nanossl info`: what this build and machine offer.
#include <omp.h>

#include <cstdio>

#include "cpu/gemm.h"
#include "cuda/runtime.h"
#include "commands/commands.h"

namespace nanossl {

int run_info() {
  std::printf("nanossl version:      %s\n", NANOSSL_VERSION);  // the project's, from CMakeLists.txt
  std::printf("CPU threads (OpenMP): %d\n", omp_get_max_threads());
  std::printf("GEMM micro-kernel:    %s\n", cpu::gemm_kernel_name());
  std::printf("CUDA backend built:   %s\n", cuda::built_with_cuda() ? "yes" : "no");
  std::printf("CUDA devices:         %d\n", cuda::available() ? cuda::device_count() : 0);
  return 0;
}

}  // namespace nanossl
