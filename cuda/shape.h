// CUDA twins of cpu/shape.h: permuted copy, row gather / scatter-add, block copy.
// Plain C++ declarations; the kernels are in cuda/shape.cu.
#pragma once
#include <cstdint>

#include "base/dtype.h"

namespace nanossl::cuda {

// dtype: any; ndim <= 8; in_strides[k] is the input stride of output dimension k.
void permute_copy(DType dtype, const void* in, void* out, int ndim, const std::int64_t* out_shape,
                  const std::int64_t* in_strides, std::int64_t numel);
// dtype: any (gather), f32/f64 (scatter_add: atomic adds, indices may repeat).
void gather_rows(DType dtype, const void* in, const std::int64_t* index, void* out,
                 std::int64_t rows_out, std::int64_t row_size);
void scatter_add_rows(DType dtype, const void* in, const std::int64_t* index, void* out,
                      std::int64_t rows_in, std::int64_t row_size);
// Pitches and width in bytes.
void copy_blocks(const void* src, std::int64_t src_pitch, void* dst, std::int64_t dst_pitch,
                 std::int64_t width, std::int64_t outer);

}  // namespace nanossl::cuda
