// CPU kernels behind the shape ops: permuted copy, row gather / scatter-add, and
// the strided block copy that concatenation is made of.
//   permute:   out[i_0..i_{d-1}] = in[i at source order], up to kMaxDims dims
//   gather:    out[r, :] = in[index[r], :]          in (rows_in, D), out (rows_out, D)
//   scatter:   out[index[r], :] += in[r, :]         (the gradient of gather)
//   block copy: `outer` blocks of `width` bytes from src (pitch src_pitch) to dst (pitch dst_pitch)
#pragma once
#include <cstdint>
#include <cstring>

namespace nanossl::cpu {

constexpr int kMaxDims = 8;

// in_strides[k]: stride in `in` (elements) of output dimension k.
template <class T>
void permute_copy(const T* in, T* out, int ndim, const std::int64_t* out_shape,
                  const std::int64_t* in_strides, std::int64_t numel) {
#pragma omp parallel for if (numel > (1 << 15))
  for (std::int64_t linear = 0; linear < numel; ++linear) {
    std::int64_t rest = linear, source = 0;
    for (int k = ndim - 1; k >= 0; --k) {
      source += (rest % out_shape[k]) * in_strides[k];
      rest /= out_shape[k];
    }
    out[linear] = in[source];
  }
}

template <class T>
void gather_rows(const T* in, const std::int64_t* index, T* out, std::int64_t rows_out, std::int64_t row_size) {
#pragma omp parallel for if (rows_out * row_size > (1 << 15))
  for (std::int64_t r = 0; r < rows_out; ++r) {
    std::memcpy(out + r * row_size, in + index[r] * row_size, sizeof(T) * static_cast<std::size_t>(row_size));
  }
}

// Serial over rows (indices may repeat), parallel over each row's columns.
template <class T>
void scatter_add_rows(const T* in, const std::int64_t* index, T* out, std::int64_t rows_in, std::int64_t row_size) {
  for (std::int64_t r = 0; r < rows_in; ++r) {
    T* dst = out + index[r] * row_size;
    const T* src = in + r * row_size;
#pragma omp parallel for if (row_size > (1 << 15))
    for (std::int64_t c = 0; c < row_size; ++c) dst[c] += src[c];
  }
}

inline void copy_blocks(const void* src, std::int64_t src_pitch, void* dst, std::int64_t dst_pitch,
                        std::int64_t width, std::int64_t outer) {
  const auto* s = static_cast<const char*>(src);
  auto* d = static_cast<char*>(dst);
  for (std::int64_t o = 0; o < outer; ++o) {
    std::memcpy(d + o * dst_pitch, s + o * src_pitch, static_cast<std::size_t>(width));
  }
}

}  // namespace nanossl::cpu
