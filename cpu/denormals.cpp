// MXCSR bits 15 (flush to zero) and 6 (denormals are zero), per thread.
#include "cpu/denormals.h"

#include <omp.h>
#include <xmmintrin.h>

namespace nanossl::cpu {
namespace {

constexpr unsigned kFlushBits = 0x8040;

void apply(bool enabled) {
  const unsigned csr = _mm_getcsr();
  _mm_setcsr(enabled ? (csr | kFlushBits) : (csr & ~kFlushBits));
}

}  // namespace

void set_flush_denormals(bool enabled) {
  apply(enabled);
  // Each OpenMP thread has its own MXCSR; reach all of them (loader threads
  // created later copy the state of the thread that starts them).
#pragma omp parallel
  apply(enabled);
}

}  // namespace nanossl::cpu
