// The CPU caching allocator. Freed buffers are kept in per-size-class free lists
// and handed out again, so a training loop that allocates the same activations
// every step stops mapping and unmapping pages after its first step (on these VMs
// page faults cost PyTorch about a fifth of its CPU time). 64-byte aligned.
#pragma once
#include <cstddef>

namespace nanossl::cpu {

void* host_malloc(std::size_t bytes);
void host_free(void* ptr);
std::size_t host_bytes_in_use();
std::size_t host_bytes_cached();
void host_empty_cache();
// Tensor memory is limited (default: 85% of the machine's or the cgroup's memory,
// or NANOSSL_CPU_MEMORY_LIMIT); a request beyond it throws, naming its size,
// instead of being overcommitted and killed later by the OOM killer.
std::size_t host_memory_limit();
void host_set_memory_limit(std::size_t bytes);
// Tests: fill every block handed out with 0xFF bytes (NaN for floats).
void host_set_debug_poison(bool enabled);

}  // namespace nanossl::cpu
