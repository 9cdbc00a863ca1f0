// emulate.h: runs src/Runtime/Cuda/kernels.cu on the CPU (g++ -std=c++20 -pthread -include emulate.h), so that every
// kernel's logic is checked in CI against the C# CPU kernels (tests/NetGen.Runtime.Tests/CudaHostEmulationTests.cs).
// A launch runs the blocks one after another; within a block, one host thread per GPU thread, threadIdx/blockIdx
// thread-local, __syncthreads a std::barrier over the block's threads, __shared__ a static (one block at a time).
// Math: libm's exp2f/log2f/sqrtf stand in for the PTX ex2.approx/lg2.approx/sqrt.rn of prelude.h.
#pragma once
#include <barrier>
#include <cmath>
#include <thread>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __shared__ static

struct ng_dim3
{
    unsigned x = 1, y = 1, z = 1;
};

inline thread_local ng_dim3 threadIdx{0, 0, 0};
inline thread_local ng_dim3 blockIdx{0, 0, 0};
inline ng_dim3 blockDim;
inline ng_dim3 gridDim;
inline std::barrier<>* ng_block_barrier = nullptr;

#define __syncthreads() ng_block_barrier->arrive_and_wait()

static inline float ng_exp2(float x) { return exp2f(x); }
static inline float ng_log2(float x) { return log2f(x); }
static inline float ng_sqrt(float x) { return sqrtf(x); }

// kernel<<<grid, block>>>(args...) as ng_launch(grid, block, kernel, args...).
template <class Kernel, class... Args>
void ng_launch(ng_dim3 grid, ng_dim3 block, Kernel kernel, Args... args)
{
    gridDim = grid;
    blockDim = block;
    for (unsigned by = 0; by < grid.y; by++)
        for (unsigned bx = 0; bx < grid.x; bx++)
        {
            std::barrier<> barrier((std::ptrdiff_t)(block.x * block.y));
            ng_block_barrier = &barrier;
            std::vector<std::thread> threads;
            for (unsigned ty = 0; ty < block.y; ty++)
                for (unsigned tx = 0; tx < block.x; tx++)
                    threads.emplace_back([=] {
                        blockIdx = ng_dim3{bx, by, 0};
                        threadIdx = ng_dim3{tx, ty, 0};
                        kernel(args...);
                    });
            for (std::thread& t : threads)
                t.join();
        }
}
