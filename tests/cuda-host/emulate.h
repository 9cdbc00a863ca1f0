// emulate.h: runs src/Runtime/Cuda/kernels.cu on the CPU (g++ -std=c++20 -pthread -include emulate.h), so that every
// kernel's logic is checked in CI against the C# CPU kernels (tests/NetGen.Runtime.Tests/CudaHostEmulationTests.cs) and
// the emulated driver (fakecuda.cpp, docs/adr/0037) runs the real launches.
// A launch runs the blocks one after another. Within a block every GPU thread is a fiber (x86-64: its own stack and a
// six-register switch; elsewhere a host thread each): the fibers run in turn, each until it reaches __syncthreads or
// returns; once every fiber has, the waiting ones resume. That is the barrier's semantics (no thread passes it before
// all have arrived), at the cost of a function call per switch instead of a thread per GPU thread. threadIdx/blockIdx
// are set before each switch; __shared__ is a static (one block at a time). One launch runs at a time in a process.
// Math: libm's exp2f/log2f/sqrtf stand in for the PTX ex2.approx/lg2.approx/sqrt.rn of prelude.h.
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __shared__ static

struct ng_dim3
{
    unsigned x = 1, y = 1, z = 1;
};

static inline float ng_exp2(float x) { return exp2f(x); }
static inline float ng_log2(float x) { return log2f(x); }
static inline float ng_sqrt(float x) { return sqrtf(x); }

#if defined(__x86_64__)

// One launch at a time per process (the emulated driver holds a lock): plain globals, no thread-local lookups.
inline ng_dim3 threadIdx{0, 0, 0};
inline ng_dim3 blockIdx{0, 0, 0};
inline ng_dim3 blockDim;
inline ng_dim3 gridDim;

// ng_fiber_switch(&from, to): saves the callee-saved registers on the current stack, stores its pointer in *from,
// continues on the stack `to` (saved the same way, or prepared by ng_fiber_start).
extern "C" void ng_fiber_switch(void** from, void* to);
asm(R"(
    .text
    .p2align 4
    .globl ng_fiber_switch
    .hidden ng_fiber_switch
    .type ng_fiber_switch, @function
ng_fiber_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size ng_fiber_switch, .-ng_fiber_switch
)");

struct ng_fiber
{
    void* sp = nullptr;
    char* stack = nullptr;
    bool done = false;
};

struct ng_scheduler
{
    void* sp = nullptr;                 // the scheduler's stack while a fiber runs
    ng_fiber* current = nullptr;
    void (*body)(void*) = nullptr;      // the kernel with its arguments
    void* arg = nullptr;
    std::vector<char*> freeStacks;      // stacks of fibers that returned, reused
    static constexpr std::size_t StackBytes = 128 * 1024;

    ~ng_scheduler()
    {
        for (char* s : freeStacks)
            delete[] s;
    }
};

inline ng_scheduler ng_sched;

[[noreturn]] static void ng_fiber_entry()
{
    ng_sched.body(ng_sched.arg);
    ng_fiber* self = ng_sched.current;
    self->done = true;
    ng_fiber_switch(&self->sp, ng_sched.sp);
    __builtin_unreachable();
}

// A fresh stack whose first switch "returns" into ng_fiber_entry with the stack aligned as after a call.
static inline void* ng_fiber_start(char* stack)
{
    auto top = reinterpret_cast<std::uintptr_t>(stack + ng_scheduler::StackBytes) & ~std::uintptr_t(15);
    void** sp = reinterpret_cast<void**>(top);
    *--sp = nullptr;                                    // ng_fiber_entry's (never used) return address
    *--sp = reinterpret_cast<void*>(&ng_fiber_entry);   // where ret goes
    for (int i = 0; i < 6; i++)
        *--sp = nullptr;                                // rbp rbx r12 r13 r14 r15
    return sp;
}

#define __syncthreads() ng_fiber_switch(&ng_sched.current->sp, ng_sched.sp)

// Runs one block: every fiber until it waits or returns, again until all have returned.
static inline void ng_run_block(unsigned bx, unsigned by, ng_dim3 block)
{
    std::vector<ng_fiber> fibers(block.x * block.y);
    std::size_t left = fibers.size();
    while (left > 0)
        for (std::size_t t = 0; t < fibers.size(); t++)
        {
            ng_fiber& f = fibers[t];
            if (f.done)
                continue;
            if (!f.stack)
            {
                if (ng_sched.freeStacks.empty())
                    ng_sched.freeStacks.push_back(new char[ng_scheduler::StackBytes]);
                f.stack = ng_sched.freeStacks.back();
                ng_sched.freeStacks.pop_back();
                f.sp = ng_fiber_start(f.stack);
            }
            blockIdx = ng_dim3{bx, by, 0};
            threadIdx = ng_dim3{(unsigned)(t % block.x), (unsigned)(t / block.x), 0};
            ng_sched.current = &f;
            ng_fiber_switch(&ng_sched.sp, f.sp);
            if (f.done)
            {
                ng_sched.freeStacks.push_back(f.stack);
                left--;
            }
        }
}

// kernel<<<grid, block>>>(args...) as ng_launch(grid, block, kernel, args...).
template <class Kernel, class... Args>
void ng_launch(ng_dim3 grid, ng_dim3 block, Kernel kernel, Args... args)
{
    gridDim = grid;
    blockDim = block;
    auto call = [&] { kernel(args...); };
    ng_sched.body = [](void* f) { (*static_cast<decltype(call)*>(f))(); };
    ng_sched.arg = &call;
    for (unsigned by = 0; by < grid.y; by++)
        for (unsigned bx = 0; bx < grid.x; bx++)
            ng_run_block(bx, by, block);
}

#else // one host thread per GPU thread, a std::barrier for __syncthreads

#include <barrier>
#include <thread>

inline thread_local ng_dim3 threadIdx{0, 0, 0};
inline thread_local ng_dim3 blockIdx{0, 0, 0};
inline thread_local ng_dim3 blockDim;
inline thread_local ng_dim3 gridDim;

inline std::barrier<>* ng_block_barrier = nullptr;

#define __syncthreads() ng_block_barrier->arrive_and_wait()

template <class Kernel, class... Args>
void ng_launch(ng_dim3 grid, ng_dim3 block, Kernel kernel, Args... args)
{
    for (unsigned by = 0; by < grid.y; by++)
        for (unsigned bx = 0; bx < grid.x; bx++)
        {
            std::barrier<> barrier((std::ptrdiff_t)(block.x * block.y));
            ng_block_barrier = &barrier;
            std::vector<std::thread> threads;
            for (unsigned ty = 0; ty < block.y; ty++)
                for (unsigned tx = 0; tx < block.x; tx++)
                    threads.emplace_back([=] {
                        gridDim = grid;
                        blockDim = block;
                        blockIdx = ng_dim3{bx, by, 0};
                        threadIdx = ng_dim3{tx, ty, 0};
                        kernel(args...);
                    });
            for (std::thread& t : threads)
                t.join();
        }
}

#endif
