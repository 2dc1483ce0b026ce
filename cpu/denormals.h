// Flush-to-zero for subnormal floats. Arithmetic on subnormals (|x| < 1.2e-38)
// takes a slow microcode path on x86; late in training, tiny gradients and
// momentum values reach that range and can halve a step's speed. Training
// commands turn flushing on; tests that check exact float behaviour do not.
#pragma once

namespace nanossl::cpu {

// Sets FTZ and DAZ in MXCSR on the calling thread and on every OpenMP thread.
void set_flush_denormals(bool enabled);

}  // namespace nanossl::cpu
