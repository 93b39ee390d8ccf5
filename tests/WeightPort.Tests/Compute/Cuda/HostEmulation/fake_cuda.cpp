// A host-only stand-in for libcuda.so.1, libcublas.so.12 and libnvrtc.so.12, for tests on machines without a GPU.
//
// It implements exactly the entry points WeightPort binds, with the C signatures of the CUDA 12 headers, so that the
// real C# stack (library search, bindings, CudaBackend, CudaDeviceOps argument packing, CudaKernelModule) runs end
// to end. The kernels are the shipped kernels.cu itself, compiled by g++ with CUDA's keywords defined away, and
// cuLaunchKernel unpacks its void** parameter array against each kernel's real prototype, as the driver does. Every
// (block, thread) of the launch grid runs, one after another: the kernels have no inter-thread communication.
// "Device" memory is malloc'ed and filled with NaN bytes; cuBLAS is a column-major loop with cuBLAS's argument checks.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <type_traits>
#include <utility>

struct wp_dim3 { unsigned x, y, z; };
static wp_dim3 blockIdx, threadIdx, blockDim, gridDim;
#define __global__
#define __device__
#define __forceinline__ inline
#define __restrict__ __restrict

#include "kernels.cu"

#define EXPORT extern "C" __attribute__((visibility("default")))
typedef unsigned long long devptr;

// ---------------------------------------------------------------- driver
static std::set<void*> g_live;
static int g_primary_retains = 0;

EXPORT int fake_live_allocations() { return (int)g_live.size(); }
EXPORT int fake_primary_retains() { return g_primary_retains; }

EXPORT int cuInit(unsigned flags) { return flags == 0 ? 0 : 1; }
EXPORT int cuDriverGetVersion(int* v) { *v = 12040; return 0; }
EXPORT int cuDeviceGetCount(int* n) { *n = 1; return 0; }
EXPORT int cuDeviceGet(int* dev, int ordinal) { if (ordinal != 0) return 101; *dev = ordinal; return 0; }
EXPORT int cuDeviceGetName(char* name, int len, int) { std::strncpy(name, "WeightPort host emulator", len); name[len - 1] = 0; return 0; }
EXPORT int cuDeviceGetAttribute(int* v, int attr, int)
{
    switch (attr) { case 75: *v = 9; return 0; case 76: *v = 0; return 0; case 16: *v = 4; return 0; default: return 1; }
}
EXPORT int cuDeviceTotalMem_v2(size_t* bytes, int) { *bytes = (size_t)1 << 30; return 0; }
EXPORT int cuDevicePrimaryCtxRetain(void** ctx, int) { *ctx = (void*)0xC0; ++g_primary_retains; return 0; }
EXPORT int cuDevicePrimaryCtxRelease_v2(int) { if (g_primary_retains <= 0) return 201; --g_primary_retains; return 0; }
EXPORT int cuCtxSetCurrent(void* ctx) { return ctx == (void*)0xC0 ? 0 : 201; }
EXPORT int cuCtxSynchronize() { return 0; }
EXPORT int cuMemAlloc_v2(devptr* p, size_t bytes)
{
    if (bytes == 0) return 1;
    void* m = std::malloc(bytes);
    if (!m) return 2;
    std::memset(m, 0xFF, bytes);  // all-ones floats are NaN: reading memory nobody wrote poisons the result
    g_live.insert(m);
    *p = (devptr)(uintptr_t)m;
    return 0;
}
EXPORT int cuMemFree_v2(devptr p) { return g_live.erase((void*)(uintptr_t)p) == 1 ? (std::free((void*)(uintptr_t)p), 0) : 1; }
EXPORT int cuMemcpyHtoDAsync_v2(devptr dst, const void* src, size_t n, void*) { std::memcpy((void*)(uintptr_t)dst, src, n); return 0; }
EXPORT int cuMemcpyDtoHAsync_v2(void* dst, devptr src, size_t n, void*) { std::memcpy(dst, (void*)(uintptr_t)src, n); return 0; }
EXPORT int cuMemcpyDtoDAsync_v2(devptr dst, devptr src, size_t n, void*) { std::memmove((void*)(uintptr_t)dst, (void*)(uintptr_t)src, n); return 0; }
EXPORT int cuMemsetD32Async(devptr dst, unsigned v, size_t n, void*)
{
    unsigned* p = (unsigned*)(uintptr_t)dst;
    for (size_t i = 0; i < n; ++i) p[i] = v;
    return 0;
}

static const char kCubin[] = "WPFAKE-CUBIN";
static const char kPtx[] = "WPFAKE-PTX";
EXPORT int cuModuleLoadData(void** module, const void* image)
{
    if (std::strcmp((const char*)image, kCubin) != 0 && std::strcmp((const char*)image, kPtx) != 0) return 200;
    *module = (void*)0xD0;
    return 0;
}
EXPORT int cuModuleUnload(void* module) { return module == (void*)0xD0 ? 0 : 400; }

template <typename... A, size_t... I>
static void call_with(void (*kernel)(A...), void** args, std::index_sequence<I...>)
{
    kernel(*static_cast<std::remove_reference_t<A>*>(args[I])...);
}
template <typename... A>
static void invoke(void (*kernel)(A...), void** args) { call_with(kernel, args, std::index_sequence_for<A...>{}); }

struct Kernel { const char* name; void (*run)(void**); };
static const Kernel kKernels[] = {
    { "wp_embedding_gather", [](void** a) { invoke(wp_embedding_gather, a); } },
    { "wp_lstm_gates", [](void** a) { invoke(wp_lstm_gates, a); } },
    { "wp_add_row_bias", [](void** a) { invoke(wp_add_row_bias, a); } },
    { "wp_time_to_batch_major", [](void** a) { invoke(wp_time_to_batch_major, a); } },
    { "wp_resize_state", [](void** a) { invoke(wp_resize_state, a); } },
};
static const int kKernelCount = sizeof(kKernels) / sizeof(kKernels[0]);
static int g_launches = 0;
EXPORT int fake_kernel_launches() { return g_launches; }

EXPORT int cuModuleGetFunction(void** f, void* module, const char* name)
{
    if (module != (void*)0xD0) return 400;
    for (int i = 0; i < kKernelCount; ++i)
        if (std::strcmp(kKernels[i].name, name) == 0) { *f = (void*)(uintptr_t)(i + 1); return 0; }
    return 500;
}
EXPORT int cuLaunchKernel(void* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                          unsigned shared, void*, void** params, void** extra)
{
    uintptr_t index = (uintptr_t)f;
    if (index < 1 || index > (uintptr_t)kKernelCount || params == nullptr || extra != nullptr) return 1;
    if (gx == 0 || bx == 0 || gy != 1 || gz != 1 || by != 1 || bz != 1 || bx > 1024 || shared != 0) return 1;
    // The launch's real grid would be big; every (block, thread) still runs, but over a grid folded to at most 7
    // blocks of the requested block size, so that the grid-stride loops really stride.
    gridDim = { gx < 7 ? gx : 7, 1, 1 };
    blockDim = { bx, 1, 1 };
    for (unsigned b = 0; b < gridDim.x; ++b)
        for (unsigned t = 0; t < blockDim.x; ++t)
        {
            blockIdx = { b, 0, 0 };
            threadIdx = { t, 0, 0 };
            kKernels[index - 1].run(params);
        }
    ++g_launches;
    return 0;
}
EXPORT int cuStreamCreate(void** s, unsigned flags) { *s = (void*)0x5; return flags == 0 ? 0 : 1; }
EXPORT int cuStreamSynchronize(void* s) { return s == (void*)0x5 ? 0 : 400; }
EXPORT int cuStreamDestroy_v2(void* s) { return s == (void*)0x5 ? 0 : 400; }

struct FakeEvent { double ms; };
EXPORT int cuEventCreate(void** e, unsigned) { *e = new FakeEvent{ -1 }; return 0; }
EXPORT int cuEventRecord(void* e, void* s)
{
    if (s != (void*)0x5) return 400;
    static const auto start = std::chrono::steady_clock::now();
    ((FakeEvent*)e)->ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return 0;
}
EXPORT int cuEventSynchronize(void* e) { return ((FakeEvent*)e)->ms < 0 ? 600 : 0; }
EXPORT int cuEventElapsedTime(float* ms, void* a, void* b)
{
    if (((FakeEvent*)a)->ms < 0 || ((FakeEvent*)b)->ms < 0) return 600;
    *ms = (float)(((FakeEvent*)b)->ms - ((FakeEvent*)a)->ms);
    return 0;
}
EXPORT int cuEventDestroy_v2(void* e) { delete (FakeEvent*)e; return 0; }
EXPORT int cuGetErrorName(int status, const char** text)
{
    static thread_local std::string s;
    s = "CUDA_ERROR_FAKE_" + std::to_string(status);
    *text = s.c_str();
    return 0;
}
EXPORT int cuGetErrorString(int, const char** text) { *text = "fake driver error"; return 0; }

// ---------------------------------------------------------------- cuBLAS
static int g_math_mode = -1;
static int g_gemms = 0;
EXPORT int fake_last_math_mode() { return g_math_mode; }
EXPORT int fake_gemm_calls() { return g_gemms; }

EXPORT int cublasCreate_v2(void** h) { *h = (void*)0xB0; return 0; }
EXPORT int cublasDestroy_v2(void* h) { return h == (void*)0xB0 ? 0 : 1; }
EXPORT int cublasGetVersion_v2(void* h, int* v) { *v = 120405; return h == (void*)0xB0 ? 0 : 1; }
EXPORT int cublasSetStream_v2(void* h, void* s) { return h == (void*)0xB0 && s == (void*)0x5 ? 0 : 7; }
EXPORT int cublasSetMathMode(void* h, int mode) { if (h != (void*)0xB0 || (mode != 0 && mode != 2 && mode != 3)) return 7; g_math_mode = mode; return 0; }

static int sgemm(int ta, int tb, int m, int n, int k, const float* alpha, const float* A, int lda,
                 const float* B, int ldb, const float* beta, float* C, int ldc)
{
    if ((ta != 0 && ta != 1) || (tb != 0 && tb != 1) || m < 0 || n < 0 || k < 0) return 7;
    if (lda < std::max(1, ta == 0 ? m : k) || ldb < std::max(1, tb == 0 ? k : n) || ldc < std::max(1, m)) return 7;
    for (int j = 0; j < n; ++j)
        for (int i = 0; i < m; ++i)
        {
            float sum = 0;
            for (int p = 0; p < k; ++p)
                sum += (ta == 0 ? A[i + (long long)p * lda] : A[p + (long long)i * lda]) * (tb == 0 ? B[p + (long long)j * ldb] : B[j + (long long)p * ldb]);
            float* c = &C[i + (long long)j * ldc];
            *c = *beta == 0 ? *alpha * sum : *alpha * sum + *beta * *c;  // beta = 0: C is not read (it may be NaN)
        }
    return 0;
}
EXPORT int cublasSgemm_v2(void* h, int ta, int tb, int m, int n, int k, const float* alpha, const float* A, int lda,
                          const float* B, int ldb, const float* beta, float* C, int ldc)
{
    if (h != (void*)0xB0) return 1;
    ++g_gemms;
    return sgemm(ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}
EXPORT int cublasSgemmStridedBatched(void* h, int ta, int tb, int m, int n, int k, const float* alpha,
                                     const float* A, int lda, long long sa, const float* B, int ldb, long long sb,
                                     const float* beta, float* C, int ldc, long long sc, int count)
{
    if (h != (void*)0xB0 || count < 0) return 7;
    ++g_gemms;
    for (int i = 0; i < count; ++i)
    {
        int status = sgemm(ta, tb, m, n, k, alpha, A + i * sa, lda, B + i * sb, ldb, beta, C + i * sc, ldc);
        if (status != 0) return status;
    }
    return 0;
}
EXPORT const char* cublasGetStatusName(int) { return "CUBLAS_STATUS_FAKE"; }

// ---------------------------------------------------------------- NVRTC
struct FakeProgram { std::string source, arch; };
static int g_no_sm = 0;
EXPORT void fake_set_nvrtc_no_sm(int value) { g_no_sm = value; }
EXPORT int nvrtcVersion(int* major, int* minor) { *major = 12; *minor = 4; return 0; }
EXPORT int nvrtcCreateProgram(void** prog, const char* src, const char* name, int headers, const char* const*, const char* const*)
{
    if (std::strcmp(name, "kernels.cu") != 0 || headers != 0) return 3;
    *prog = new FakeProgram{ src, "" };
    return 0;
}
EXPORT int nvrtcCompileProgram(void* prog, int count, const char* const* options)
{
    auto* p = (FakeProgram*)prog;
    for (int i = 0; i < count; ++i)
    {
        if (std::strstr(options[i], "fast_math") || std::strstr(options[i], "fast-math")) return 5;
        if (std::strncmp(options[i], "--gpu-architecture=", 19) == 0) p->arch = options[i] + 19;
    }
    // fake_set_nvrtc_no_sm(1) plays an NVRTC too old for the device: it rejects sm_90 and compute_90 (→ PTX fallback).
    if (g_no_sm && (p->arch == "sm_90" || p->arch == "compute_90")) return 5;
    if (p->arch.rfind("sm_", 0) != 0 && p->arch.rfind("compute_", 0) != 0) return 5;
    for (int i = 0; i < kKernelCount; ++i)
        if (p->source.find(std::string("extern \"C\" __global__ void ") + kKernels[i].name + "(") == std::string::npos) return 6;
    return 0;
}
EXPORT int nvrtcGetCUBINSize(void* prog, size_t* n) { if (((FakeProgram*)prog)->arch.rfind("sm_", 0) != 0) return 3; *n = sizeof kCubin; return 0; }
EXPORT int nvrtcGetCUBIN(void*, char* out) { std::memcpy(out, kCubin, sizeof kCubin); return 0; }
EXPORT int nvrtcGetPTXSize(void*, size_t* n) { *n = sizeof kPtx; return 0; }
EXPORT int nvrtcGetPTX(void*, char* out) { std::memcpy(out, kPtx, sizeof kPtx); return 0; }
EXPORT int nvrtcGetProgramLogSize(void*, size_t* n) { *n = 1; return 0; }
EXPORT int nvrtcGetProgramLog(void*, char* out) { out[0] = 0; return 0; }
EXPORT int nvrtcDestroyProgram(void** prog) { delete (FakeProgram*)*prog; *prog = nullptr; return 0; }
EXPORT const char* nvrtcGetErrorString(int status) { return status == 0 ? "NVRTC_SUCCESS" : "NVRTC_ERROR_FAKE"; }
