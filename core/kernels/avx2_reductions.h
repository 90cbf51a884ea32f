#pragma once

// Horizontal reductions of one AVX register, for the files built with
// -mavx2 (int8_kernels_avx2.cpp and the *_avx2.cpp attention files). Only
// those files may include this header. The functions have internal linkage
// (unnamed namespace), so no copy built with AVX2 can be picked by the linker
// for code that runs on older CPUs.

#include <immintrin.h>

namespace gpupoor::kernels {
namespace {

// Sum of the eight lanes.
inline float horizontalSum(__m256 v) {
  const __m128 sum4 = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 sum2 = _mm_add_ps(sum4, _mm_movehl_ps(sum4, sum4));
  const __m128 sum1 = _mm_add_ss(sum2, _mm_shuffle_ps(sum2, sum2, 0x55));
  return _mm_cvtss_f32(sum1);
}

// Maximum of the eight lanes.
inline float horizontalMax(__m256 v) {
  const __m128 max4 = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 max2 = _mm_max_ps(max4, _mm_movehl_ps(max4, max4));
  const __m128 max1 = _mm_max_ss(max2, _mm_shuffle_ps(max2, max2, 0x55));
  return _mm_cvtss_f32(max1);
}

}  // namespace
}  // namespace gpupoor::kernels
