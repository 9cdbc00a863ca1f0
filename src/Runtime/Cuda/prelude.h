// prelude.h: what kernels.cu needs from CUDA, for a device-only compile by clang without the CUDA toolkit:
//   clang-14 -x cuda --cuda-device-only --cuda-gpu-arch=sm_80 -nocudainc -nocudalib -include prelude.h ...
// (build-ptx.sh). No libdevice: the few math functions map onto NVVM builtins (one PTX instruction each).
// The host emulation (tests/cuda-host/emulate.h) defines the same names for g++, so the same kernels.cu runs on the CPU.
#pragma once

#define __global__ __attribute__((global))
#define __device__ __attribute__((device))
#define __shared__ __attribute__((shared))
#define __host__ __attribute__((host))

// threadIdx, blockIdx, blockDim, gridDim (clang's own header: they read the PTX special registers).
#include <__clang_cuda_builtin_vars.h>

// bar.sync 0: every thread of the block waits here.
#define __syncthreads() __nvvm_bar_sync(0)

// 2^x and log2 x: ex2.approx.f32 and lg2.approx.f32 (relative error about 2^-22, no flush to zero).
__device__ static inline float ng_exp2(float x) { return __nvvm_ex2_approx_f(x); }
__device__ static inline float ng_log2(float x) { return __nvvm_lg2_approx_f(x); }
// √x correctly rounded (sqrt.rn.f32), as the CPU's.
__device__ static inline float ng_sqrt(float x) { return __nvvm_sqrt_rn_f(x); }
