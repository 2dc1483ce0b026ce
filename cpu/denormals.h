// Flush-to-zero for subnormal floats. Arithmetic on subnormals (|x| < 1.2e-38)
// takes a slow microcode path on x86, and tiny gradients and momentum values can
// reach that range late in training; oneDNN, PyTorch's CPU backend, flushes them
// too. The nanossl command turns flushing on; the tests, which check exact float
// behaviour, do not.
#pragma once

namespace nanossl::cpu {

// Sets FTZ and DAZ in MXCSR on the calling thread and on every OpenMP thread.
void set_flush_denormals(bool enabled);

}  // namespace nanossl::cpu
