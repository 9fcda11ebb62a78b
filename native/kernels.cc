// trimer's native compute kernels (N-API, no dependencies): a cache-blocked, register-tiled SGEMM with packing
// (one micro-kernel serves the NN, NT and TN products of forward and backward), causal attention forward/backward
// with recomputation from the log-sum-exp (FlashAttention-2 style: nothing T x T is stored), single-query decode
// attention over a KV cache, and a persistent pool of worker threads (default 2: this machine class has 2 cores).
//
// Every function mirrors one in src/model/kernels-js.ts, which is the reference the tests compare against.
// Float32 throughout with float32 accumulation, like PyTorch on CPU; -ffast-math only reorders sums (FMA, vector
// reductions), which stays far inside the 1e-4 relative parity tolerance.

#include <node_api.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

// ------------------------------------------------------------------------------------------------ thread pool
// A fixed pool: the calling thread plus (n - 1) workers, sharing each job as numbered chunks claimed from an
// atomic counter. The caller works on chunks too and never waits for a worker that has not started: on a machine
// shared with other processes a worker may be descheduled for a whole time slice, and a static split (each
// thread owns half) then stalls the caller for milliseconds (measured: 2 threads 2x slower than 1 under load).
// Workers spin briefly before sleeping, because decoding issues many small jobs back to back.
namespace pool {

struct Job {
  const std::function<void(int, int)>* fn = nullptr;
  int n = 0;
  std::atomic<int> next{0};
  std::atomic<int> done{0};
};

static int g_threads = 1;
static std::vector<std::thread> g_workers;
static std::mutex g_mu;
static std::condition_variable g_cv;
static std::atomic<uint64_t> g_gen{0};
static std::atomic<Job*> g_job{nullptr};
static std::atomic<int> g_inside{0};
static std::atomic<int> g_sleeping{0};
static std::atomic<bool> g_stop{false};

static inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

static void work(Job* j, int id) {
  for (int c; (c = j->next.fetch_add(1)) < j->n;) {
    (*j->fn)(c, id);
    j->done.fetch_add(1);
  }
}

static void worker_main(int id) {
  uint64_t seen = 0;
  for (;;) {
    int spins = 0;
    while (g_gen.load() == seen && !g_stop.load()) {
      if (++spins < 4000) {
        cpu_relax();
        continue;
      }
      std::unique_lock<std::mutex> lk(g_mu);
      g_sleeping.fetch_add(1);
      g_cv.wait(lk, [&] { return g_gen.load() != seen || g_stop.load(); });
      g_sleeping.fetch_sub(1);
    }
    if (g_stop.load()) return;
    seen = g_gen.load();
    g_inside.fetch_add(1);
    if (Job* j = g_job.load()) work(j, id);
    g_inside.fetch_sub(1);
  }
}

static void stop() {
  if (g_workers.empty()) return;
  {
    std::lock_guard<std::mutex> lk(g_mu);
    g_stop = true;
  }
  g_cv.notify_all();
  for (auto& t : g_workers) t.join();
  g_workers.clear();
  g_stop = false;
}

static std::mutex g_setup_mu;

static void set_threads(int n) {
  // The addon is shared by every thread of the process (trimer serve's engine worker and the main thread each load
  // it): two first calls at once must not both build the pool.
  std::lock_guard<std::mutex> setup(g_setup_mu);
  n = std::max(1, std::min(n, 64));
  if (n == g_threads && (int)g_workers.size() == n - 1) return;
  stop();
  g_threads = n;
  for (int i = 1; i < n; i++) g_workers.emplace_back(worker_main, i);
}

// Runs fn(chunk, thread id) for chunk = 0..n-1 across the pool and returns when all are done.
static void chunks(int n, const std::function<void(int, int)>& fn, bool parallel = true) {
  if (!parallel || g_threads == 1 || n <= 1) {
    for (int c = 0; c < n; c++) fn(c, 0);
    return;
  }
  Job job;
  job.fn = &fn;
  job.n = n;
  g_job.store(&job);
  g_gen.fetch_add(1);
  if (g_sleeping.load() > 0) {
    std::lock_guard<std::mutex> lk(g_mu);
    g_cv.notify_all();
  }
  work(&job, 0);
  for (int spins = 0; job.done.load() < n;) {
    if (++spins < 2000) cpu_relax();
    else std::this_thread::yield();
  }
  // No worker may still hold a pointer to this job (on the caller's stack) once we return.
  g_job.store(nullptr);
  for (int spins = 0; g_inside.load() > 0;) {
    if (++spins < 2000) cpu_relax();
    else std::this_thread::yield();
  }
}

}  // namespace pool

// ------------------------------------------------------------------------------------------------ SGEMM
// C[M,N] = (accumulate ? C : 0) + op(A)[M,K] * op(B)[K,N], row-major with leading dimensions.
// BLIS-style: B is packed into KC x NR panels, A into MR x KC panels, and a 6 x 16 micro-kernel keeps 12 vector
// accumulators in registers. GCC vector extensions (not intrinsics) so the same source builds for AVX2/AVX-512
// (-march=native) and degrades to plain code elsewhere.
// The register tile is MR x NR with NR = 2 vectors: 12 x 32 with AVX-512 (24 of the 32 zmm registers hold C),
// 6 x 16 with AVX2 (12 of 16 ymm). The micro-kernel is written once over the vector type.
#if defined(__AVX512F__)
typedef float vf __attribute__((vector_size(64)));
typedef float vfu __attribute__((vector_size(64), aligned(4)));
static constexpr int VL = 16, MR = 12;
#else
typedef float vf __attribute__((vector_size(32)));
typedef float vfu __attribute__((vector_size(32), aligned(4)));
static constexpr int VL = 8, MR = 6;
#endif
static constexpr int NR = 2 * VL, KC = 256, MC = 8 * MR, NC = 3072;
// K block of the small-M path (row-major B read in place, and pre-packed panels): an unpacked B panel (128 x NR)
// plus an A panel stay within L1 (with 256, measured 2x slower).
static constexpr int KCD = 128;

static void pack_a(const float* A, int lda, bool tA, int i0, int mc, int k0, int kc, float* out) {
  if (tA) {
    // A stored [K, M] (the weight-gradient products dW = dYᵀ X): row k of the block holds all mc values of every
    // panel, so one pass over the rows fills every panel (panel by panel, each row was revisited mc / MR times at
    // a 4 KiB stride: packing took ~35% of a TN product with K = 4096).
    int full = mc / MR * MR;
    for (int k = 0; k < kc; k++) {
      const float* src = A + (size_t)(k0 + k) * lda + i0;
      for (int ip = 0; ip < full; ip += MR) std::memcpy(out + (size_t)ip * kc + (size_t)k * MR, src + ip, sizeof(float) * MR);
      if (full < mc) {
        float* o = out + (size_t)full * kc + (size_t)k * MR;
        for (int r = 0; r < MR; r++) o[r] = full + r < mc ? src[full + r] : 0.f;
      }
    }
    return;
  }
  for (int ip = 0; ip < mc; ip += MR) {
    int mr = std::min(MR, mc - ip);
    if (!tA) {
      // k outer: the packed panel is written sequentially while MR row streams are read (measured faster than
      // row by row, whose writes stride by MR floats).
      const float* rows[MR];
      for (int r = 0; r < MR; r++) rows[r] = A + (size_t)(i0 + ip + std::min(r, mr - 1)) * lda + k0;
      if (mr == MR) {
        for (int k = 0; k < kc; k++)
#pragma GCC unroll 16
          for (int r = 0; r < MR; r++) out[k * MR + r] = rows[r][k];
      } else {
        for (int k = 0; k < kc; k++)
          for (int r = 0; r < MR; r++) out[k * MR + r] = r < mr ? rows[r][k] : 0.f;
      }
    } else {
      for (int k = 0; k < kc; k++) {
        const float* src = A + (size_t)(k0 + k) * lda + i0 + ip;
        for (int r = 0; r < MR; r++) out[k * MR + r] = r < mr ? src[r] : 0.f;
      }
    }
    out += (size_t)MR * kc;
  }
}

static void pack_b(const float* B, int ldb, bool tB, int k0, int kc, int j0, int nc, float* out) {
  for (int jp = 0; jp < nc; jp += NR) {
    int nr = std::min(NR, nc - jp);
    if (!tB) {
      for (int k = 0; k < kc; k++) {
        const float* src = B + (size_t)(k0 + k) * ldb + j0 + jp;
        float* o = out + k * NR;
        if (nr == NR) {
          std::memcpy(o, src, NR * sizeof(float));
        } else {
          for (int c = 0; c < NR; c++) o[c] = c < nr ? src[c] : 0.f;
        }
      }
    } else {
      for (int c = 0; c < NR; c++) {
        if (c < nr) {
          const float* src = B + (size_t)(j0 + jp + c) * ldb + k0;
          for (int k = 0; k < kc; k++) out[k * NR + c] = src[k];
        } else {
          for (int k = 0; k < kc; k++) out[k * NR + c] = 0.f;
        }
      }
    }
    out += (size_t)NR * kc;
  }
}

// An R x NR tile of C = A·B over kc (R = MR, or 4 / 8 for decode's last rows): one FMA chain per element over k,
// in k order, so a row of C is computed the same whatever tile or path it falls in. acc: add into C (else
// overwrite); mr/nr < R/NR at the edges go through a small buffer. b advances by bs floats per k: NR for a packed
// panel, ldb when reading a row-major B in place. pf, when set, is the start of the panel block the caller reads
// next: one k-row of it (NR floats, two cache lines) is prefetched per k (decode; see gemm_panels_block).
template <int R>
static inline void micro_tile(int kc, const float* __restrict a, const float* __restrict b, int bs, float* c, int ldc, int mr,
                              int nr, bool acc, const float* pf) {
  vf c0[R], c1[R];
#pragma GCC unroll 16
  for (int i = 0; i < R; i++) c0[i] = c1[i] = (vf){};
  for (int k = 0; k < kc; k++) {
    if (pf) {
      __builtin_prefetch(pf + (size_t)k * NR, 0, 2);
      __builtin_prefetch(pf + (size_t)k * NR + 16, 0, 2);
    }
    vf b0 = *(const vfu*)(b);
    vf b1 = *(const vfu*)(b + VL);
#pragma GCC unroll 16
    for (int i = 0; i < R; i++) {
      float ai = a[i];
      c0[i] += ai * b0;
      c1[i] += ai * b1;
    }
    a += R;
    b += bs;
  }
  if (mr == R && nr == NR) {
#pragma GCC unroll 16
    for (int i = 0; i < R; i++) {
      vfu* p0 = (vfu*)(c + (size_t)i * ldc);
      vfu* p1 = (vfu*)(c + (size_t)i * ldc + VL);
      if (acc) {
        *p0 = *p0 + c0[i];
        *p1 = *p1 + c1[i];
      } else {
        *p0 = c0[i];
        *p1 = c1[i];
      }
    }
  } else {
    alignas(64) float tmp[R * NR];
    for (int i = 0; i < R; i++) {
      *(vf*)(tmp + i * NR) = c0[i];
      *(vf*)(tmp + i * NR + VL) = c1[i];
    }
    for (int i = 0; i < mr; i++)
      for (int j = 0; j < nr; j++) {
        float* p = c + (size_t)i * ldc + j;
        *p = acc ? *p + tmp[i * NR + j] : tmp[i * NR + j];
      }
  }
}

// The SGEMM's MR x NR tile (no prefetch: its packed blocks are reused from L2).
static inline void micro_kernel(int kc, const float* __restrict a, const float* __restrict b, int bs, float* c, int ldc, int mr,
                                int nr, bool acc) {
  micro_tile<MR>(kc, a, b, bs, c, ldc, mr, nr, acc, nullptr);
}

struct GemmArgs {
  bool tA, tB;
  int M, N, K;
  const float* A;
  int lda;
  const float* B;
  int ldb;
  float* C;
  int ldc;
  bool acc;
};

// One thread's share: rows [m0, m1) x columns [n0, n1) of C.
static void gemm_block(const GemmArgs& g, int m0, int m1, int n0, int n1) {
  if (m1 <= m0 || n1 <= n0) return;
  thread_local std::vector<float> bufA, bufB;
  size_t needA = (size_t)MC * KC, needB = (size_t)KC * (NC + NR);
  if (bufA.size() < needA + 16) bufA.resize(needA + 16);
  if (bufB.size() < needB + 16) bufB.resize(needB + 16);
  float* pa = (float*)(((uintptr_t)bufA.data() + 63) & ~(uintptr_t)63);
  float* pb = (float*)(((uintptr_t)bufB.data() + 63) & ~(uintptr_t)63);
  // Few rows (decoding: one per sequence) and a row-major B: each B element is used only (m1 - m0) times, so
  // packing B would cost as much as the product. Full-width panels are then read in place; a ragged last panel
  // is still packed (reading it in place would run past the end of B's rows).
  if (!g.tB && m1 - m0 <= MC) {
    for (int pc = 0; pc < g.K; pc += KCD) {
      int kc = std::min(KCD, g.K - pc);
      bool acc = g.acc || pc > 0;
      int mc = m1 - m0;
      pack_a(g.A, g.lda, g.tA, m0, mc, pc, kc, pa);
      for (int jr = n0; jr < n1; jr += NR) {
        int nr = std::min(NR, n1 - jr);
        const float* bp;
        int bs;
        if (nr == NR) {
          bp = g.B + (size_t)pc * g.ldb + jr;
          bs = g.ldb;
        } else {
          pack_b(g.B, g.ldb, false, pc, kc, jr, nr, pb);
          bp = pb;
          bs = NR;
        }
        for (int ir = 0; ir < mc; ir += MR) {
          int mr = std::min(MR, mc - ir);
          micro_kernel(kc, pa + (size_t)(ir / MR) * MR * kc, bp, bs, g.C + (size_t)(m0 + ir) * g.ldc + jr, g.ldc, mr, nr, acc);
        }
      }
    }
    if (g.K == 0 && !g.acc)
      for (int i = m0; i < m1; i++) std::memset(g.C + (size_t)i * g.ldc + n0, 0, sizeof(float) * (n1 - n0));
    return;
  }
  for (int jc = n0; jc < n1; jc += NC) {
    int nc = std::min(NC, n1 - jc);
    for (int pc = 0; pc < g.K; pc += KC) {
      int kc = std::min(KC, g.K - pc);
      bool acc = g.acc || pc > 0;
      pack_b(g.B, g.ldb, g.tB, pc, kc, jc, nc, pb);
      for (int ic = m0; ic < m1; ic += MC) {
        int mc = std::min(MC, m1 - ic);
        pack_a(g.A, g.lda, g.tA, ic, mc, pc, kc, pa);
        for (int jr = 0; jr < nc; jr += NR) {
          int nr = std::min(NR, nc - jr);
          const float* bp = pb + (size_t)(jr / NR) * NR * kc;
          for (int ir = 0; ir < mc; ir += MR) {
            int mr = std::min(MR, mc - ir);
            micro_kernel(kc, pa + (size_t)(ir / MR) * MR * kc, bp, NR, g.C + (size_t)(ic + ir) * g.ldc + jc + jr, g.ldc, mr, nr, acc);
          }
        }
      }
    }
  }
  if (g.K == 0 && !g.acc)
    for (int i = m0; i < m1; i++) std::memset(g.C + (size_t)i * g.ldc + n0, 0, sizeof(float) * (n1 - n0));
}

// Runs block(g, m0, m1, n0, n1) over C split by rows (byRows) or by columns into chunks of whole micro-tiles (twice
// as many as threads, so that the caller can take over a descheduled worker's share); every chunk packs its own
// blocks and writes its own part of C. Column chunks start on NR boundaries, i.e. on pre-packed panel boundaries.
template <class Block>
static void gemm_split(const GemmArgs& g, bool byRows, Block block) {
  double flops = 2.0 * g.M * g.N * g.K;
  bool par = flops > 3e6 && pool::g_threads > 1; // below ~15 us of work a hand-off costs more than it saves
  int tiles = byRows ? (g.M + MR - 1) / MR : (g.N + NR - 1) / NR;
  int n = par ? std::min(tiles, 2 * pool::g_threads) : 1;
  pool::chunks(
      n,
      [&](int c, int) {
        int step = byRows ? MR : NR, len = byRows ? g.M : g.N;
        int a = (int)((long)tiles * c / n) * step, b = std::min(len, (int)((long)tiles * (c + 1) / n) * step);
        if (byRows) block(g, a, b, 0, g.N);
        else block(g, 0, g.M, a, b);
      },
      par);
}

static void gemm(const GemmArgs& g) { gemm_split(g, g.M >= g.N, gemm_block); }

// ------------------------------------------------------------------------------------------------ pre-packed B
// Decoding multiplies a few rows by the same weights thousands of times. Read in place from a row-major [K, N]
// matrix, a B panel is K rows of NR floats N floats apart: with N = 1024 every row starts a new 4 KiB page, where
// the hardware prefetcher stops, so each cache line of the weights is a full-latency miss once they no longer fit
// in L2 (measured: 32 x 1024 x 256 ran at ~15 GFLOP/s vs ~135 for 32 x 256 x 256, whose weights stay in L2).
// packPanels lays B out once as the micro-kernel reads it: panel p (columns p*NR ..) is K x NR contiguous floats,
// zero-padded past N. gemm_panels then streams each panel sequentially. The summation order is the small-M path's
// (K blocks of KCD, the same micro-kernel), so every row of C is computed the same whatever M is.
static size_t panels_size(int K, int N) { return (size_t)((N + NR - 1) / NR) * NR * K; }

// src is [K, N] row-major (tB false) or [N, K] (tB true: a weight stored [out, in]).
static void pack_panels(const float* src, int K, int N, bool tB, float* out) {
  for (int jp = 0; jp < N; jp += NR) pack_b(src, tB ? K : N, tB, 0, K, jp, std::min(NR, N - jp), out + (size_t)(jp / NR) * NR * K);
}

// Decode micro-kernel over pre-packed panels: an R x NR tile (R = 4, 8 or MR rows), the same per-element
// arithmetic as micro_kernel (one FMA chain per element over k, in k order), so a row of C is computed the same
// whatever tile it falls in. pf, when set, is the start of the panel block the caller reads next: the kernel
// prefetches one k-row of it (NR floats, two cache lines) per k. Without it, a cold panel block (the weights stream
// from L3/DRAM every step: 25 MB on config B) arrives at ~4.5 GB/s, because each 16 KB block is 4 fresh pages the
// hardware prefetcher restarts on; with it, ~7-8 GB/s at 32 rows and ~20 GB/s at 1-8 rows (measured, one thread).
template <int R>
static inline void dk_micro(int kc, const float* __restrict a, const float* __restrict b, float* c, int ldc, int mr, int nr, bool acc,
                            const float* pf) {
  micro_tile<R>(kc, a, b, NR, c, ldc, mr, nr, acc, pf);
}

// Rows [i0, i0 + mr) of A, columns [k0, k0 + kc), packed k-major for an R-row tile (rows past mr read as 0).
static void dk_pack_a(const float* A, int lda, int i0, int mr, int R, int k0, int kc, float* out) {
  for (int k = 0; k < kc; k++)
    for (int r = 0; r < R; r++) out[k * R + r] = r < mr ? A[(size_t)(i0 + r) * lda + k0 + k] : 0.f;
}

static void gemm_panels_block(const GemmArgs& g, int m0, int m1, int n0, int n1) {
  if (m1 <= m0 || n1 <= n0) return;
  thread_local std::vector<float> bufA;
  size_t needA = (size_t)(MC + MR) * KCD;
  if (bufA.size() < needA + 16) bufA.resize(needA + 16);
  float* pa = (float*)(((uintptr_t)bufA.data() + 63) & ~(uintptr_t)63);
  // Row tiles: MR rows each, the last one 4, 8 or MR rows (the smallest that holds the rest): at 32 rows 12 + 12 + 8,
  // not 3 x 12 with 4 rows of zeros.
  for (int pc = 0; pc < g.K; pc += KCD) {
    int kc = std::min(KCD, g.K - pc);
    bool acc = g.acc || pc > 0;
    for (int ic = m0; ic < m1; ic += MC) {
      int mc = std::min(MC, m1 - ic);
      int full = mc / MR, rest = mc - full * MR;
      int tailR = rest == 0 ? 0 : (rest <= 4 && MR > 4) ? 4 : (rest <= 8 && MR > 8) ? 8 : MR;
      if (full) pack_a(g.A, g.lda, false, ic, full * MR, pc, kc, pa);
      float* pt = pa + (size_t)full * MR * kc;
      if (rest) dk_pack_a(g.A, g.lda, ic + full * MR, rest, tailR, pc, kc, pt);
      bool lastIc = ic + MC >= m1;
      for (int jr = n0; jr < n1; jr += NR) {
        int nr = std::min(NR, n1 - jr);
        const float* bp = g.B + (size_t)(jr / NR) * NR * g.K + (size_t)pc * NR;
        // The panel block read next: the following panel of this K block, else (after the last row block) the
        // first panel of the next K block.
        const float* nx = nullptr;
        if (jr + NR < n1) nx = bp + (size_t)NR * g.K;
        else if (lastIc && pc + KCD < g.K) nx = g.B + (size_t)(n0 / NR) * NR * g.K + (size_t)(pc + KCD) * NR;
        float* cb = g.C + (size_t)ic * g.ldc + jr;
        for (int t = 0; t < full; t++)
          dk_micro<MR>(kc, pa + (size_t)t * MR * kc, bp, cb + (size_t)t * MR * g.ldc, g.ldc, MR, nr, acc, t == 0 ? nx : nullptr);
        if (rest) {
          float* ct = cb + (size_t)full * MR * g.ldc;
          const float* pft = full == 0 ? nx : nullptr;
          if (tailR == 4) dk_micro<4>(kc, pt, bp, ct, g.ldc, rest, nr, acc, pft);
          else if (tailR == 8) dk_micro<8>(kc, pt, bp, ct, g.ldc, rest, nr, acc, pft);
          else dk_micro<MR>(kc, pt, bp, ct, g.ldc, rest, nr, acc, pft);
        }
      }
    }
  }
  if (g.K == 0 && !g.acc)
    for (int i = m0; i < m1; i++) std::memset(g.C + (size_t)i * g.ldc + n0, 0, sizeof(float) * (n1 - n0));
}

// C[M,N] (+)= A[M,K] * B with B as pack_panels laid it out (g.B, g.ldb unused). Split like gemm(), but by columns
// unless C is much taller than wide: each column chunk then streams only its own panels.
static void gemm_panels(const GemmArgs& g) { gemm_split(g, g.M >= 4 * g.N, gemm_panels_block); }

// ------------------------------------------------------------------------------------------------ fast exp
// exp(x) = 2^n * e^f with n = round(x / ln 2), f = x - n ln 2 (Cody-Waite split), e^f by its degree-6 Taylor
// polynomial (|f| <= 0.35: relative error ~1e-7, like expf). Branch-free and call-free, so the compiler vectorises
// the softmax and SiLU loops around it (glibc's expf is a scalar call here). Inputs are clamped to [-87, 88].
static inline float fast_exp(float x) {
  x = std::min(std::max(x, -87.0f), 88.0f);
  float n = std::floor(x * 1.44269504f + 0.5f);
  float f = x - n * 0.693145752f - n * 1.42860677e-6f;
  float p = 1.f + f * (1.f + f * (0.5f + f * (0.166666672f + f * (0.0416666418f + f * (0.00833336823f + f * 0.00138888889f)))));
  int32_t e = ((int32_t)n + 127) << 23;
  float sc;
  std::memcpy(&sc, &e, sizeof sc);
  return p * sc;
}

// ------------------------------------------------------------------------------------------------ attention
// Packed rows: row r occupies tokens [start[r], start[r] + len[r]) of Q [N, qs], K/V [N, ks]; Y like Q;
// LSE [N, H]. Head h reads K/V head h / (H / KV) (grouped-query attention). Causal within each row.
static inline float dot(const float* __restrict a, const float* __restrict b, int n) {
  float s = 0.f;
  for (int i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

struct AttnDims {
  int rows, H, KV, hd, qs, ks;
  const int32_t* start;
  const int32_t* len;
};

// Attention of one (row, kv group) through the serial SGEMM, by blocks of BQ queries: for queries [q0, q1) only
// keys [0, q1) are computed (causal), so the waste above the diagonal is at most one BQ x BQ triangle per block.
static constexpr int BQ = 64;

static GemmArgs ga(bool tA, bool tB, int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C, int ldc, bool acc) {
  GemmArgs g;
  g.tA = tA; g.tB = tB; g.M = M; g.N = N; g.K = K; g.A = A; g.lda = lda; g.B = B; g.ldb = ldb; g.C = C; g.ldc = ldc; g.acc = acc;
  return g;
}
static inline void serial_gemm(const GemmArgs& g) { gemm_block(g, 0, g.M, 0, g.N); }

static void attn_forward_unit(const AttnDims& d, const float* Q, const float* K, const float* V, float* Y, float* LSE, int r, int g,
                              std::vector<float>& sc) {
  int T = d.len[r], s0 = d.start[r], group = d.H / d.KV;
  float scale = 1.f / std::sqrt((float)d.hd);
  if ((int)sc.size() < BQ * T) sc.resize((size_t)BQ * T);
  float* S = sc.data();
  const float* Kg = K + (size_t)s0 * d.ks + g * d.hd;
  const float* Vg = V + (size_t)s0 * d.ks + g * d.hd;
  for (int h = g * group; h < (g + 1) * group; h++) {
    for (int q0 = 0; q0 < T; q0 += BQ) {
      int bq = std::min(BQ, T - q0), kend = q0 + bq;
      const float* Qb = Q + (size_t)(s0 + q0) * d.qs + h * d.hd;
      serial_gemm(ga(false, true, bq, kend, d.hd, Qb, d.qs, Kg, d.ks, S, kend, false));
      for (int i = 0; i < bq; i++) {
        int t = q0 + i;
        float* row = S + (size_t)i * kend;
        float mx = -INFINITY;
        for (int j = 0; j <= t; j++) {
          row[j] *= scale;
          mx = std::max(mx, row[j]);
        }
        float sum = 0.f;
        for (int j = 0; j <= t; j++) {
          float e = fast_exp(row[j] - mx);
          row[j] = e;
          sum += e;
        }
        float inv = 1.f / sum;
        for (int j = 0; j <= t; j++) row[j] *= inv;
        for (int j = t + 1; j < kend; j++) row[j] = 0.f;
        LSE[(size_t)(s0 + t) * d.H + h] = mx + std::log(sum);
      }
      serial_gemm(ga(false, false, bq, d.hd, kend, S, kend, Vg, d.ks, Y + (size_t)(s0 + q0) * d.qs + h * d.hd, d.qs, false));
    }
  }
}

// dQ is overwritten; dK and dV are accumulated (+=) so that callers may zero them once.
static void attn_backward_unit(const AttnDims& d, const float* Q, const float* K, const float* V, const float* Y, const float* LSE,
                               const float* dY, float* dQ, float* dK, float* dV, int r, int g, std::vector<float>& sc) {
  int T = d.len[r], s0 = d.start[r], group = d.H / d.KV;
  float scale = 1.f / std::sqrt((float)d.hd);
  if ((int)sc.size() < 2 * BQ * T) sc.resize((size_t)2 * BQ * T);
  float* P = sc.data();
  float* dS = sc.data() + (size_t)BQ * T;
  const float* Kg = K + (size_t)s0 * d.ks + g * d.hd;
  const float* Vg = V + (size_t)s0 * d.ks + g * d.hd;
  float* dKg = dK + (size_t)s0 * d.ks + g * d.hd;
  float* dVg = dV + (size_t)s0 * d.ks + g * d.hd;
  for (int h = g * group; h < (g + 1) * group; h++) {
    for (int q0 = 0; q0 < T; q0 += BQ) {
      int bq = std::min(BQ, T - q0), kend = q0 + bq;
      size_t qo = (size_t)(s0 + q0) * d.qs + h * d.hd;
      serial_gemm(ga(false, true, bq, kend, d.hd, Q + qo, d.qs, Kg, d.ks, P, kend, false));
      serial_gemm(ga(false, true, bq, kend, d.hd, dY + qo, d.qs, Vg, d.ks, dS, kend, false));
      for (int i = 0; i < bq; i++) {
        int t = q0 + i;
        float* p = P + (size_t)i * kend;
        float* ds = dS + (size_t)i * kend;
        float Dt = dot(dY + qo + (size_t)i * d.qs, Y + qo + (size_t)i * d.qs, d.hd);
        float lse = LSE[(size_t)(s0 + t) * d.H + h];
        for (int j = 0; j <= t; j++) {
          float pj = fast_exp(p[j] * scale - lse);
          p[j] = pj;
          ds[j] = pj * (ds[j] - Dt) * scale;
        }
        for (int j = t + 1; j < kend; j++) p[j] = ds[j] = 0.f;
      }
      serial_gemm(ga(false, false, bq, d.hd, kend, dS, kend, Kg, d.ks, dQ + qo, d.qs, false));
      serial_gemm(ga(true, false, kend, d.hd, bq, dS, kend, Q + qo, d.qs, dKg, d.ks, true));
      serial_gemm(ga(true, false, kend, d.hd, bq, P, kend, dY + qo, d.qs, dVg, d.ks, true));
    }
  }
}

// ------------------------------------------------------------------------------------------------ small-head attention
// Training attention for head sizes up to 4 vectors (the mini student's 24, configs A/B's 32, C's 64): the path
// above runs four serial SGEMMs per 64-query block whose inner dimension is the head size, so packing A and B costs
// as much as the product, a head size of 24 pads every panel to 32, and the T x T blocks of scores round-trip
// through memory (profile at config B, one thread: attention ~17% of a training step at ~30 GFLOP/s). Here one
// (row, kv group) unit lays its keys and values out once, per unit, in the two shapes the products read:
// transposed [hd, Tp] (scores and dP vectorise over key positions, as decode attention does) and padded [T, HP]
// rows (outputs and dQ/dK/dV vectorise over the head dimension, HP = NV vectors). Blocks of SQB queries then keep
// their scores in registers/L1 and never form more than SQB x T of them. Summation order: every dot product over
// the head dimension in order c = 0..hd-1, every sum over keys in order j = 0..t (the TypeScript kernels' order;
// results match them to float32 rounding).
static constexpr int SQB = VL == 16 ? 8 : 4;
// TRIMER_ATTN_GEMM=1 keeps the SGEMM path above for every head size (to measure one against the other).
static const bool g_attn_gemm = [] { const char* e = std::getenv("TRIMER_ATTN_GEMM"); return e && e[0] == '1'; }(); // queries per block (AVX-512: 8 x 2 accumulator vectors)

static inline float* aligned_buf(std::vector<float>& v, size_t n) {
  if (v.size() < n + 16) v.resize(n + 16);
  return (float*)(((uintptr_t)v.data() + 63) & ~(uintptr_t)63);
}

// S[q][j] = sum_c X_q[c] * T[c][j] for q < SQB, j < jend (a multiple of VL); X_q = xrow[q], T [hd, Tp].
static inline void sa_scores(const float* const* xrow, const float* __restrict t, int Tp, int hd, int jend, float* __restrict S) {
  int j = 0;
  for (; j + 2 * VL <= jend; j += 2 * VL) {
    vf a0[SQB], a1[SQB];
#pragma GCC unroll 8
    for (int q = 0; q < SQB; q++) a0[q] = a1[q] = (vf){};
    for (int c = 0; c < hd; c++) {
      vf k0 = *(const vf*)(t + (size_t)c * Tp + j), k1 = *(const vf*)(t + (size_t)c * Tp + j + VL);
#pragma GCC unroll 8
      for (int q = 0; q < SQB; q++) {
        float x = xrow[q][c];
        a0[q] += x * k0;
        a1[q] += x * k1;
      }
    }
#pragma GCC unroll 8
    for (int q = 0; q < SQB; q++) {
      *(vf*)(S + (size_t)q * Tp + j) = a0[q];
      *(vf*)(S + (size_t)q * Tp + j + VL) = a1[q];
    }
  }
  for (; j < jend; j += VL) {
    vf a0[SQB];
#pragma GCC unroll 8
    for (int q = 0; q < SQB; q++) a0[q] = (vf){};
    for (int c = 0; c < hd; c++) {
      vf k0 = *(const vf*)(t + (size_t)c * Tp + j);
#pragma GCC unroll 8
      for (int q = 0; q < SQB; q++) a0[q] += xrow[q][c] * k0;
    }
#pragma GCC unroll 8
    for (int q = 0; q < SQB; q++) *(vf*)(S + (size_t)q * Tp + j) = a0[q];
  }
}

// out[q] = sum_{j < jn} W[q][j] * R[j] for q < SQB: W [SQB, ldw], R [jn, NV * VL] padded rows; out [SQB, NV * VL].
template <int NV>
static inline void sa_combine(const float* __restrict W, int ldw, int jn, const float* __restrict R, float* __restrict out) {
  vf acc[SQB][NV];
#pragma GCC unroll 8
  for (int q = 0; q < SQB; q++)
#pragma GCC unroll 4
    for (int n = 0; n < NV; n++) acc[q][n] = (vf){};
  for (int j = 0; j < jn; j++) {
    vf r[NV];
#pragma GCC unroll 4
    for (int n = 0; n < NV; n++) r[n] = *(const vf*)(R + (size_t)j * NV * VL + n * VL);
#pragma GCC unroll 8
    for (int q = 0; q < SQB; q++) {
      float w = W[(size_t)q * ldw + j];
#pragma GCC unroll 4
      for (int n = 0; n < NV; n++) acc[q][n] += w * r[n];
    }
  }
#pragma GCC unroll 8
  for (int q = 0; q < SQB; q++)
#pragma GCC unroll 4
    for (int n = 0; n < NV; n++) *(vf*)(out + ((size_t)q * NV + n) * VL) = acc[q][n];
}

// A[j] += sum_q W[q][j] * X[q] for j < jn: W [SQB, ldw], X [SQB, NV * VL] padded rows, A [jn, NV * VL].
template <int NV>
static inline void sa_scatter(const float* __restrict W, int ldw, int jn, const float* __restrict X, float* __restrict A) {
  vf x[SQB][NV];
#pragma GCC unroll 8
  for (int q = 0; q < SQB; q++)
#pragma GCC unroll 4
    for (int n = 0; n < NV; n++) x[q][n] = *(const vf*)(X + ((size_t)q * NV + n) * VL);
  for (int j = 0; j < jn; j++) {
    vf a[NV];
#pragma GCC unroll 4
    for (int n = 0; n < NV; n++) a[n] = *(const vf*)(A + (size_t)j * NV * VL + n * VL);
#pragma GCC unroll 8
    for (int q = 0; q < SQB; q++) {
      float w = W[(size_t)q * ldw + j];
#pragma GCC unroll 4
      for (int n = 0; n < NV; n++) a[n] += w * x[q][n];
    }
#pragma GCC unroll 4
    for (int n = 0; n < NV; n++) *(vf*)(A + (size_t)j * NV * VL + n * VL) = a[n];
  }
}

// max(x[0..n)), n >= 1. Written with vectors: the scalar max loop does not vectorise under -fno-finite-math-only
// (NaN semantics) and, as a 4-cycle dependency chain, took ~45% of the forward kernel's time.
static inline float sa_max(const float* x, int n) {
  float m = x[0];
  int j = 0;
  if (n >= VL) {
    vf mv = *(const vfu*)x;
    for (j = VL; j + VL <= n; j += VL) {
      vf v = *(const vfu*)(x + j);
      mv = v > mv ? v : mv;
    }
    for (int i = 0; i < VL; i++) m = std::max(m, mv[i]);
  }
  for (; j < n; j++) m = std::max(m, x[j]);
  return m;
}

struct SmallAttnBufs {
  std::vector<float> kt, vt, kp, vp, s, dp, dkp, dvp, xp, dyp, out;
};

// One unit's keys/values: transposed (zero past T) and/or padded rows (zero past hd).
static void sa_layout(const float* X, int ks, int T, int hd, int Tp, int HP, float* xt, float* xp) {
  if (xt) {
    for (int c = 0; c < hd; c++) {
      float* o = xt + (size_t)c * Tp;
      for (int j = 0; j < T; j++) o[j] = X[(size_t)j * ks + c];
      for (int j = T; j < Tp; j++) o[j] = 0.f;
    }
  }
  if (xp) {
    for (int j = 0; j < T; j++) {
      float* o = xp + (size_t)j * HP;
      std::memcpy(o, X + (size_t)j * ks, sizeof(float) * hd);
      for (int c = hd; c < HP; c++) o[c] = 0.f;
    }
  }
}

template <int NV>
static void sa_forward_unit(const AttnDims& d, const float* Q, const float* K, const float* V, float* Y, float* LSE, int r, int g,
                            SmallAttnBufs& b) {
  constexpr int HP = NV * VL;
  int T = d.len[r], s0 = d.start[r], group = d.H / d.KV, hd = d.hd;
  int Tp = (T + VL - 1) / VL * VL;
  float scale = 1.f / std::sqrt((float)hd);
  float* kt = aligned_buf(b.kt, (size_t)hd * Tp);
  float* vp = aligned_buf(b.vp, (size_t)T * HP);
  float* S = aligned_buf(b.s, (size_t)SQB * Tp);
  float* out = aligned_buf(b.out, (size_t)SQB * HP);
  sa_layout(K + (size_t)s0 * d.ks + g * hd, d.ks, T, hd, Tp, HP, kt, nullptr);
  sa_layout(V + (size_t)s0 * d.ks + g * hd, d.ks, T, hd, Tp, HP, nullptr, vp);
  for (int h = g * group; h < (g + 1) * group; h++) {
    for (int i0 = 0; i0 < T; i0 += SQB) {
      int nq = std::min(SQB, T - i0), kend = i0 + nq, jend = (kend + VL - 1) / VL * VL;
      const float* xrow[SQB];
      for (int q = 0; q < SQB; q++) xrow[q] = Q + (size_t)(s0 + i0 + std::min(q, nq - 1)) * d.qs + h * hd;
      sa_scores(xrow, kt, Tp, hd, jend, S);
      float inv[SQB];
      for (int q = 0; q < SQB; q++) {
        float* row = S + (size_t)q * Tp;
        if (q >= nq) {
          for (int j = 0; j < kend; j++) row[j] = 0.f;
          inv[q] = 0.f;
          continue;
        }
        int t = i0 + q;
        float mx = sa_max(row, t + 1) * scale; // scale > 0: the max of the scaled scores, bit for bit
        float sum = 0.f;
        for (int j = 0; j <= t; j++) {
          float e = fast_exp(row[j] * scale - mx);
          row[j] = e;
          sum += e;
        }
        for (int j = t + 1; j < kend; j++) row[j] = 0.f;
        inv[q] = 1.f / sum;
        LSE[(size_t)(s0 + t) * d.H + h] = mx + std::log(sum);
      }
      sa_combine<NV>(S, Tp, kend, vp, out);
      for (int q = 0; q < nq; q++) {
        float* y = Y + (size_t)(s0 + i0 + q) * d.qs + h * hd;
        for (int c = 0; c < hd; c++) y[c] = out[(size_t)q * HP + c] * inv[q];
      }
    }
  }
}

template <int NV>
static void sa_backward_unit(const AttnDims& d, const float* Q, const float* K, const float* V, const float* Y, const float* LSE,
                             const float* dY, float* dQ, float* dK, float* dV, int r, int g, SmallAttnBufs& b) {
  constexpr int HP = NV * VL;
  int T = d.len[r], s0 = d.start[r], group = d.H / d.KV, hd = d.hd;
  int Tp = (T + VL - 1) / VL * VL;
  float scale = 1.f / std::sqrt((float)hd);
  float* kt = aligned_buf(b.kt, (size_t)hd * Tp);
  float* vt = aligned_buf(b.vt, (size_t)hd * Tp);
  float* kp = aligned_buf(b.kp, (size_t)T * HP);
  float* P = aligned_buf(b.s, (size_t)SQB * Tp);
  float* dS = aligned_buf(b.dp, (size_t)SQB * Tp);
  float* dkp = aligned_buf(b.dkp, (size_t)T * HP);
  float* dvp = aligned_buf(b.dvp, (size_t)T * HP);
  float* xp = aligned_buf(b.xp, (size_t)SQB * HP);
  float* dyp = aligned_buf(b.dyp, (size_t)SQB * HP);
  float* out = aligned_buf(b.out, (size_t)SQB * HP);
  const float* Kg = K + (size_t)s0 * d.ks + g * hd;
  const float* Vg = V + (size_t)s0 * d.ks + g * hd;
  sa_layout(Kg, d.ks, T, hd, Tp, HP, kt, kp);
  sa_layout(Vg, d.ks, T, hd, Tp, HP, vt, nullptr);
  std::memset(dkp, 0, sizeof(float) * (size_t)T * HP);
  std::memset(dvp, 0, sizeof(float) * (size_t)T * HP);
  for (int h = g * group; h < (g + 1) * group; h++) {
    for (int i0 = 0; i0 < T; i0 += SQB) {
      int nq = std::min(SQB, T - i0), kend = i0 + nq, jend = (kend + VL - 1) / VL * VL;
      const float* qrow[SQB];
      const float* dyrow[SQB];
      for (int q = 0; q < SQB; q++) {
        size_t o = (size_t)(s0 + i0 + std::min(q, nq - 1)) * d.qs + h * hd;
        qrow[q] = Q + o;
        dyrow[q] = dY + o;
        // Padded copies for the dK / dV updates (rows past nq are zero: they add nothing).
        for (int c = 0; c < HP; c++) {
          xp[(size_t)q * HP + c] = q < nq && c < hd ? Q[o + c] : 0.f;
          dyp[(size_t)q * HP + c] = q < nq && c < hd ? dY[o + c] : 0.f;
        }
      }
      sa_scores(qrow, kt, Tp, hd, jend, P);
      sa_scores(dyrow, vt, Tp, hd, jend, dS);
      for (int q = 0; q < SQB; q++) {
        float* p = P + (size_t)q * Tp;
        float* ds = dS + (size_t)q * Tp;
        if (q >= nq) {
          for (int j = 0; j < kend; j++) p[j] = ds[j] = 0.f;
          continue;
        }
        int t = i0 + q;
        size_t o = (size_t)(s0 + t) * d.qs + h * hd;
        float Dt = dot(dY + o, Y + o, hd);
        float lse = LSE[(size_t)(s0 + t) * d.H + h];
        for (int j = 0; j <= t; j++) {
          float pj = fast_exp(p[j] * scale - lse);
          p[j] = pj;
          ds[j] = pj * (ds[j] - Dt) * scale;
        }
        for (int j = t + 1; j < kend; j++) p[j] = ds[j] = 0.f;
      }
      sa_combine<NV>(dS, Tp, kend, kp, out);
      for (int q = 0; q < nq; q++) std::memcpy(dQ + (size_t)(s0 + i0 + q) * d.qs + h * hd, out + (size_t)q * HP, sizeof(float) * hd);
      sa_scatter<NV>(dS, Tp, kend, xp, dkp);
      sa_scatter<NV>(P, Tp, kend, dyp, dvp);
    }
  }
  float* dKg = dK + (size_t)s0 * d.ks + g * hd;
  float* dVg = dV + (size_t)s0 * d.ks + g * hd;
  for (int j = 0; j < T; j++)
    for (int c = 0; c < hd; c++) {
      dKg[(size_t)j * d.ks + c] += dkp[(size_t)j * HP + c];
      dVg[(size_t)j * d.ks + c] += dvp[(size_t)j * HP + c];
    }
}

// Vectors per head (1..4) when the small-head kernels apply, else 0.
static int sa_vectors(int hd) { return hd >= 1 && hd <= 4 * VL ? (hd + VL - 1) / VL : 0; }

template <class F>
static void sa_dispatch(int nv, F f) {
  switch (nv) {
    case 1: f(std::integral_constant<int, 1>{}); break;
    case 2: f(std::integral_constant<int, 2>{}); break;
    case 3: f(std::integral_constant<int, 3>{}); break;
    default: f(std::integral_constant<int, 4>{}); break;
  }
}

// Work units (row, kv-group) are chunks of the pool (claimed dynamically: rows differ in length, cost ~ T^2).
template <class F>
static void for_units(int units, double cost, F f) {
  pool::chunks(
      units,
      [&](int u, int) {
        thread_local std::vector<float> sc;
        f(u, sc);
      },
      cost > 1e5);
}

// ------------------------------------------------------------------------------------------------ KV-cache writes
// n tokens' keys and values k, v [n, KV * hd] into cache slot slot[t] at position pos[t]: keys transposed
// [slots, KV, hd, cap] (hd scattered floats per token and head), values [slots, KV, cap, hd]. At batch 32-128 the
// cache outgrows the CPU caches and the scattered key writes are cache misses: done in JS they took ~14% of a
// config-B decode step (12 ns per float); here tokens are split over the pool, which keeps more misses in flight.
// Each token writes its own (slot, position), so the split never races.
static void cache_write(int n, int KV, int hd, int cap, const int32_t* slot, const int32_t* pos, const float* k, const float* v,
                        float* kc, float* vc) {
  pool::chunks(
      n,
      [&](int t, int) {
        size_t s = (size_t)slot[t], p = (size_t)pos[t];
        for (int j = 0; j < KV; j++) {
          const float* ks = k + ((size_t)t * KV + j) * hd;
          const float* vs = v + ((size_t)t * KV + j) * hd;
          std::memcpy(vc + ((s * KV + j) * cap + p) * hd, vs, sizeof(float) * hd);
          float* ko = kc + (s * KV + j) * hd * cap + p;
          for (int i = 0; i < hd; i++) ko[(size_t)i * cap] = ks[i];
        }
      },
      (double)n * KV * hd > 4096);
}

// ------------------------------------------------------------------------------------------------ decode attention
// B queries over a KV cache: query b reads cache slot s = slot[b] (s = b without a slot array) at positions
// 0..len[b]-1; key cache [slots, KV, hd, cap] (transposed), value cache [slots, KV, cap, hd]; q/y [B, H * hd].
// Several queries may read the same slot: a prompt admitted inside a decode step has one query per position,
// each seeing its own causal prefix (its keys were written before the call). Each query's result depends only on
// its own inputs, not on the other queries of the call.
// wrow (optional): query b first writes its own key and value (rows wrow[b] of wk, wv [*, KV * hd], wrow[b] >= 0)
// into its slot at position len[b] - 1, then attends: the decoding rows' cache write fused into the pass that reads
// those cache lines anyway (a separate write pass missed in cache on every transposed key float: ~9% of a config-B
// step). Only for a query that is the only token of its slot in the step; the caller writes the others first.
static void attn_decode(int B, int H, int KV, int hd, int cap, const int32_t* len, const int32_t* slot, const float* q, const float* kc,
                        const float* vc, float* y, const int32_t* wrow = nullptr, const float* wk = nullptr, const float* wv = nullptr) {
  int group = H / KV;
  float scale = 1.f / std::sqrt((float)hd);
  double cost = 0;
  for (int b = 0; b < B; b++) cost += (double)len[b] * H * hd * 4;
  pool::chunks(
      B,
      [&](int b, int) {
        thread_local std::vector<float> scv;
        if (scv.size() < (size_t)cap + 4 * VL + hd) scv.resize((size_t)cap + 4 * VL + hd);
        float* __restrict sc = scv.data();
        {
          int S = len[b];
          size_t s = slot ? (size_t)slot[b] : (size_t)b;
          for (int h = 0; h < H; h++) {
            int g = h / group;
            const float* qh = q + (size_t)b * H * hd + h * hd;
            // Keys are cached transposed ([hd, cap] per sequence and head) so that the scores of all cached
            // positions accumulate as contiguous vector AXPYs instead of one short dot product per key.
            const float* kt = kc + (s * KV + g) * cap * hd;
            const float* vb = vc + (s * KV + g) * cap * hd;
            if (h % group == 0) {
              if (wrow && wrow[b] >= 0) {
                size_t p = (size_t)(S - 1);
                const float* ks = wk + ((size_t)wrow[b] * KV + g) * hd;
                std::memcpy((float*)vb + p * hd, wv + ((size_t)wrow[b] * KV + g) * hd, sizeof(float) * hd);
                for (int i = 0; i < hd; i++) ((float*)kt)[(size_t)i * cap + p] = ks[i];
              }
            }
            // Scores in register blocks of 4 vectors of positions (a loop over i inside), so the accumulators
            // never round-trip through memory (a store-to-load chain per i measured 4x slower).
            int j0 = 0;
            for (; j0 + 4 * VL <= S; j0 += 4 * VL) {
              vf s0 = {}, s1 = {}, s2 = {}, s3 = {};
              for (int i = 0; i < hd; i++) {
                float qi = qh[i];
                const float* kr = kt + (size_t)i * cap + j0;
                s0 += qi * *(const vfu*)(kr);
                s1 += qi * *(const vfu*)(kr + VL);
                s2 += qi * *(const vfu*)(kr + 2 * VL);
                s3 += qi * *(const vfu*)(kr + 3 * VL);
              }
              *(vfu*)(sc + j0) = s0 * scale;
              *(vfu*)(sc + j0 + VL) = s1 * scale;
              *(vfu*)(sc + j0 + 2 * VL) = s2 * scale;
              *(vfu*)(sc + j0 + 3 * VL) = s3 * scale;
            }
            for (; j0 + VL <= S; j0 += VL) {
              vf s0 = {};
              for (int i = 0; i < hd; i++) s0 += qh[i] * *(const vfu*)(kt + (size_t)i * cap + j0);
              *(vfu*)(sc + j0) = s0 * scale;
            }
            for (; j0 < S; j0++) {
              float a = 0.f;
              for (int i = 0; i < hd; i++) a += qh[i] * kt[(size_t)i * cap + j0];
              sc[j0] = a * scale;
            }
            float mx = -INFINITY;
            for (int j = 0; j < S; j++) mx = std::max(mx, sc[j]);
            float sum = 0.f;
            for (int j = 0; j < S; j++) {
              float e = fast_exp(sc[j] - mx);
              sc[j] = e;
              sum += e;
            }
            float inv = 1.f / sum;
            float* yh = y + (size_t)b * H * hd + h * hd;
            int i0 = 0;
            for (; i0 + 2 * VL <= hd; i0 += 2 * VL) {
              // Two positions per iteration into separate accumulators: the FMA latency chain is then half as long.
              vf a0 = {}, a1 = {}, b0 = {}, b1 = {};
              int j = 0;
              for (; j + 2 <= S; j += 2) {
                const float* v = vb + (size_t)j * hd + i0;
                float p = sc[j], q2 = sc[j + 1];
                a0 += p * *(const vfu*)(v);
                a1 += p * *(const vfu*)(v + VL);
                b0 += q2 * *(const vfu*)(v + hd);
                b1 += q2 * *(const vfu*)(v + hd + VL);
              }
              for (; j < S; j++) {
                const float* v = vb + (size_t)j * hd + i0;
                a0 += sc[j] * *(const vfu*)(v);
                a1 += sc[j] * *(const vfu*)(v + VL);
              }
              *(vfu*)(yh + i0) = (a0 + b0) * inv;
              *(vfu*)(yh + i0 + VL) = (a1 + b1) * inv;
            }
            if (i0 < hd) {
              // Head sizes that are not a multiple of 2 vectors (the mini student's 24): the remaining columns as
              // one AXPY per position over a small accumulator the compiler vectorises (one strided scalar dot per
              // column measured ~3x slower at hd 24).
              int w = hd - i0;
              float* a = sc + cap + 2 * VL;
              for (int i = 0; i < w; i++) a[i] = 0.f;
              for (int j = 0; j < S; j++) {
                const float* v = vb + (size_t)j * hd + i0;
                float p = sc[j];
                for (int i = 0; i < w; i++) a[i] += p * v[i];
              }
              for (int i = 0; i < w; i++) yh[i0 + i] = a[i] * inv;
            }
          }
        }
      },
      cost > 1e5);
}

// ------------------------------------------------------------------------------------------------ elementwise layers
// Split [0, n) into contiguous chunks, two per thread (only when the work is large enough to pay for the wake-up).
// f(a, b, chunk): the chunk index (not the thread) keys any partial sums, so results do not depend on scheduling.
static int range_chunks(int n, double cost) { return cost > 5e5 && pool::g_threads > 1 ? std::min(n, 2 * pool::g_threads) : 1; }
template <class F>
static void parallel_range(int n, double cost, F f) {
  int nc = range_chunks(n, cost);
  bool par = nc > 1;
  pool::chunks(
      nc,
      [&](int c, int) {
        int a = (int)((long)n * c / nc), b = (int)((long)n * (c + 1) / nc);
        if (b > a) f(a, b, c);
      },
      par);
}

static void rmsnorm_fwd(const float* x, const float* w, float* y, float* r, int N, int d, float eps) {
  parallel_range(N, (double)N * d, [&](int a, int b, int) {
    for (int t = a; t < b; t++) {
      const float* xr = x + (size_t)t * d;
      float* yr = y + (size_t)t * d;
      float ss = 0.f;
      for (int i = 0; i < d; i++) ss += xr[i] * xr[i];
      float rr = 1.f / std::sqrt(ss / d + eps);
      r[t] = rr;
      for (int i = 0; i < d; i++) yr[i] = xr[i] * rr * w[i];
    }
  });
}

// dx += r * (dy*w - xhat * mean(dy*w*xhat)); dw += sum_t dy * xhat (per-chunk partial sums, then reduced).
static void rmsnorm_bwd(const float* x, const float* w, const float* r, const float* dy, float* dx, float* dw, int N, int d) {
  // One partial dw per chunk, summed in chunk order: deterministic for a given thread count.
  std::vector<std::vector<float>> part(range_chunks(N, (double)N * d * 2), std::vector<float>(d, 0.f));
  parallel_range(N, (double)N * d * 2, [&](int a, int b, int chunk) {
    float* pw = part[chunk].data();
    for (int t = a; t < b; t++) {
      const float* xr = x + (size_t)t * d;
      const float* gr = dy + (size_t)t * d;
      float* dr = dx + (size_t)t * d;
      float rr = r[t], dotv = 0.f;
      for (int i = 0; i < d; i++) {
        float xh = xr[i] * rr;
        dotv += gr[i] * w[i] * xh;
        pw[i] += gr[i] * xh;
      }
      float c = dotv / d;
      for (int i = 0; i < d; i++) dr[i] += rr * (gr[i] * w[i] - xr[i] * rr * c);
    }
  });
  for (auto& p : part)
    for (int i = 0; i < d; i++) dw[i] += p[i];
}

static void swiglu_fwd(const float* g, const float* u, float* m, int n) {
  parallel_range(n, (double)n * 4, [&](int a, int b, int) {
    // Written as x * s * u with s = 1 / (1 + e^-x), as the backward: the form x / (1 + e^-x) * u ran ~6 ns per
    // element here (~0.4 ns now; the compiler's code for it was not the vectorised loop), which made SwiGLU ~12% of
    // a training step's kernel time and ~10% of a decode step at config B.
    for (int i = a; i < b; i++) {
      float x = g[i], s = 1.f / (1.f + fast_exp(-x));
      m[i] = x * s * u[i];
    }
  });
}

static void swiglu_bwd(const float* g, const float* u, const float* dm, float* dg, float* du, int n) {
  parallel_range(n, (double)n * 6, [&](int a, int b, int) {
    for (int i = a; i < b; i++) {
      float x = g[i], s = 1.f / (1.f + fast_exp(-x));
      du[i] = dm[i] * x * s;
      dg[i] = dm[i] * u[i] * s * (1.f + x * (1.f - s));
    }
  });
}

// Rotate-half RoPE in place over x [N, heads * hd] at positions pos; tables [P, hd/2]; inverse = transpose.
static void rope(float* x, const int32_t* pos, int N, int heads, int hd, const float* cosT, const float* sinT, bool inverse) {
  int half = hd / 2, stride = heads * hd;
  float sgn = inverse ? -1.f : 1.f;
  parallel_range(N, (double)N * stride * 2, [&](int a, int b, int) {
    for (int t = a; t < b; t++) {
      const float* c = cosT + (size_t)pos[t] * half;
      const float* sn = sinT + (size_t)pos[t] * half;
      for (int h = 0; h < heads; h++) {
        float* v = x + (size_t)t * stride + h * hd;
        for (int i = 0; i < half; i++) {
          float s = sgn * sn[i], x1 = v[i], x2 = v[i + half];
          v[i] = x1 * c[i] - x2 * s;
          v[i + half] = x2 * c[i] + x1 * s;
        }
      }
    }
  });
}

// ------------------------------------------------------------------------------------------------ optimizer
// AdamW on one tensor, per element in double as the TypeScript kernel (model/optim.ts documents the update).
static void adamw(float* w, float* g, float* m, float* v, size_t n, double clip, double b1, double b2, double stepSize, double sqrtBc2,
                  double eps, double decay) {
  parallel_range((int)n, (double)n * 8, [&](int a, int b, int) {
    for (int i = a; i < b; i++) {
      double gi = (double)g[i] * clip;
      double mi = b1 * m[i] + (1 - b1) * gi;
      double vi = b2 * v[i] + (1 - b2) * gi * gi;
      m[i] = (float)mi;
      v[i] = (float)vi;
      w[i] = (float)(w[i] * decay - (stepSize * mi) / (std::sqrt(vi) / sqrtBc2 + eps));
      g[i] = 0.f;
    }
  });
}

// Sum of squares in double, by fixed blocks summed in block order: the same result whatever the thread count.
static double sum_squares(const float* x, size_t n) {
  constexpr size_t BLK = 1 << 16;
  int nb = (int)((n + BLK - 1) / BLK);
  std::vector<double> part(nb, 0.0);
  pool::chunks(nb, [&](int c, int) {
    size_t a = (size_t)c * BLK, b = std::min(n, a + BLK);
    double s = 0;
    for (size_t i = a; i < b; i++) s += (double)x[i] * x[i];
    part[c] = s;
  }, nb > 1);
  double s = 0;
  for (double p : part) s += p;
  return s;
}

// ------------------------------------------------------------------------------------------------ token losses
// The softmax over the vocabulary behind cross-entropy and the policy-gradient loss (model/losses.ts), in double as
// the TypeScript loop: in JS each logit cost ~11 ns (a table exp per entry, three passes), ~10% of a mini GRPO
// training step. exp_nonpos is branch-free so the compiler vectorises the passes: exp(x) = 2^n e^r, n = round(x /
// ln 2), r = x - n ln 2 (hi/lo split), e^r by its degree-11 Taylor polynomial (|r| <= 0.347: relative error below
// 1e-14); below -700 (e^-700 ~ 1e-304, nothing next to the row's maximum's 1) it returns 0.
static constexpr double LOG2E = 1.4426950408889634, LN2HI = 0.693147180369123816490, LN2LO = 1.90821492927058770002e-10;
// n = trunc(x log2 e - 0.5) rounds x log2 e to nearest for x <= 0 (the only range used), without a floor call.
static inline double exp_nonpos(double x) {
  double xc = std::max(x, -700.0);
  int64_t ni = (int64_t)(xc * LOG2E - 0.5);
  double n = (double)ni;
  double r = (xc - n * LN2HI) - n * LN2LO;
  double p = 1.0 + r * (1.0 + r * (0.5 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (1.0 / 720 + r * (1.0 / 5040 +
             r * (1.0 / 40320 + r * (1.0 / 362880 + r * (1.0 / 3628800 + r * (1.0 / 39916800)))))))))));
  int64_t e = (ni + 1023) << 52;
  double sc;
  std::memcpy(&sc, &e, sizeof sc);
  return x < -700.0 ? 0.0 : p * sc;
}

// The same on a vector of doubles (the scalar loops did not vectorise: ~3 ns per logit).
static constexpr int VD = VL / 2;
typedef double vd __attribute__((vector_size(VD * 8)));
typedef int64_t vi64 __attribute__((vector_size(VD * 8)));
typedef float vfh __attribute__((vector_size(VD * 4), aligned(4)));
static inline vd exp_nonpos_v(vd x) {
  const vd lo = (vd){} - 700.0;
  vd xc = x < lo ? lo : x;
  vi64 ni = __builtin_convertvector(xc * LOG2E - 0.5, vi64);
  vd n = __builtin_convertvector(ni, vd);
  vd r = (xc - n * LN2HI) - n * LN2LO;
  vd p = 1.0 + r * (1.0 + r * (0.5 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (1.0 / 720 + r * (1.0 / 5040 +
         r * (1.0 / 40320 + r * (1.0 / 362880 + r * (1.0 / 3628800 + r * (1.0 / 39916800)))))))))));
  vd sc = (vd)((ni + 1023) << 52);
  return x < lo ? (vd){} : p * sc;
}
static inline vd load_vd(const float* x) { return __builtin_convertvector(*(const vfh*)x, vd); }

// Per row r (V logits at z + off[r]): lse[r] = log sum_j exp(z_j invT), amax[r] = the first maximum's index (-1: a
// NaN, -2: +Infinity, -3: every logit -Infinity; lse and pz are then undefined), pz[r] = sum_j p_j z_j.
static void softmax_stats(const float* z, const int32_t* off, int n, int V, double invT, double* lse, int32_t* amax, double* pz) {
  parallel_range(n, (double)n * V * 12, [&](int a, int b, int) {
    for (int r = a; r < b; r++) {
      const float* x = z + off[r];
      int bad = 0;
      for (int j = 0; j < V; j++) bad += x[j] != x[j];
      if (bad) { amax[r] = -1; continue; }
      float mx = sa_max(x, V);
      if (mx == INFINITY) { amax[r] = -2; continue; }
      if (mx == -INFINITY) { amax[r] = -3; continue; }
      int am = 0;
      while (x[am] != mx) am++;
      vd vsum = {}, vsz = {};
      int j = 0;
      for (; j + VD <= V; j += VD) {
        vd xv = load_vd(x + j);
        vd e = exp_nonpos_v((xv - (double)mx) * invT);
        vsum += e;
        vsz += e > 0 ? e * xv : (vd){}; // 0 * -Infinity would be NaN
      }
      double sum = 0, sz = 0;
      for (int i = 0; i < VD; i++) {
        sum += vsum[i];
        sz += vsz[i];
      }
      for (; j < V; j++) {
        double e = exp_nonpos(((double)x[j] - mx) * invT);
        sum += e;
        sz += e > 0 ? e * x[j] : 0.0;
      }
      amax[r] = am;
      lse[r] = mx * invT + std::log(sum);
      pz[r] = sz / sum;
    }
  });
}

// Per row r: g_j = a[r] exp(z_j invT - lse[r]) for every j, plus b[r] at j = y[r]. g may be z (in place).
static void softmax_grad(const float* z, float* g, const int32_t* off, int n, int V, double invT, const double* lse, const double* a,
                         const int32_t* y, const double* b) {
  parallel_range(n, (double)n * V * 8, [&](int lo, int hi, int) {
    thread_local std::vector<float> tmpv;
    if ((int)tmpv.size() < V) tmpv.resize(V);
    float* __restrict tmp = tmpv.data();
    for (int r = lo; r < hi; r++) {
      const float* x = z + off[r];
      double ar = a[r], l = lse[r];
      int j = 0;
      for (; j + VD <= V; j += VD) {
        vd e = ar * exp_nonpos_v(load_vd(x + j) * invT - l);
        *(vfh*)(tmp + j) = __builtin_convertvector(e, vfh);
      }
      for (; j < V; j++) tmp[j] = (float)(ar * exp_nonpos((double)x[j] * invT - l));
      tmp[y[r]] = (float)(ar * exp_nonpos((double)x[y[r]] * invT - l) + b[r]); // one rounding, as the TypeScript loop
      std::memcpy(g + off[r], tmp, sizeof(float) * V);
    }
  });
}

// ------------------------------------------------------------------------------------------------ N-API glue
#define CHECK(expr)                                                      \
  do {                                                                   \
    if ((expr) != napi_ok) {                                             \
      napi_throw_error(env, nullptr, "trimer native: N-API call failed"); \
      return nullptr;                                                    \
    }                                                                    \
  } while (0)

// A typed array of the given element type: its data and length (false when v is anything else).
template <class T>
static bool get_typed(napi_env env, napi_value v, napi_typedarray_type want, T** out, size_t* n) {
  napi_typedarray_type t;
  size_t len;
  void* data;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &t, &len, &data, &ab, &off) != napi_ok || t != want) return false;
  *out = (T*)data;
  if (n) *n = len;
  return true;
}

static bool get_f32(napi_env env, napi_value v, float** out, size_t* n) { return get_typed(env, v, napi_float32_array, out, n); }
static bool get_i32arr(napi_env env, napi_value v, int32_t** out, size_t* n) { return get_typed(env, v, napi_int32_array, out, n); }
static bool get_f64arr(napi_env env, napi_value v, double** out, size_t* n) { return get_typed(env, v, napi_float64_array, out, n); }

static int get_int(napi_env env, napi_value v) {
  int32_t x = 0;
  napi_get_value_int32(env, v, &x);
  return x;
}

static bool get_bool(napi_env env, napi_value v) {
  bool b = false;
  if (napi_get_value_bool(env, v, &b) != napi_ok) {
    int32_t x = 0;
    napi_get_value_int32(env, v, &x);
    return x != 0;
  }
  return b;
}

static napi_value throw_err(napi_env env, const char* msg) {
  napi_throw_type_error(env, nullptr, msg);
  return nullptr;
}

// gemm(tA, tB, M, N, K, A, lda, B, ldb, C, ldc, accumulate)
static napi_value js_gemm(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value a[12];
  CHECK(napi_get_cb_info(env, info, &argc, a, nullptr, nullptr));
  if (argc < 12) return throw_err(env, "gemm: expected 12 arguments");
  GemmArgs g;
  g.tA = get_bool(env, a[0]);
  g.tB = get_bool(env, a[1]);
  g.M = get_int(env, a[2]);
  g.N = get_int(env, a[3]);
  g.K = get_int(env, a[4]);
  float *A, *B, *C;
  size_t nA, nB, nC;
  if (!get_f32(env, a[5], &A, &nA) || !get_f32(env, a[7], &B, &nB) || !get_f32(env, a[9], &C, &nC))
    return throw_err(env, "gemm: A, B and C must be Float32Arrays");
  g.A = A;
  g.lda = get_int(env, a[6]);
  g.B = B;
  g.ldb = get_int(env, a[8]);
  g.C = C;
  g.ldc = get_int(env, a[10]);
  g.acc = get_bool(env, a[11]);
  if (g.M < 0 || g.N < 0 || g.K < 0) return throw_err(env, "gemm: negative dimension");
  if (g.M == 0 || g.N == 0) return nullptr;
  // Bounds: the last element each operand touches must lie inside its array.
  size_t lastA = g.K == 0 ? 0 : (g.tA ? (size_t)(g.K - 1) * g.lda + g.M : (size_t)(g.M - 1) * g.lda + g.K);
  size_t lastB = g.K == 0 ? 0 : (g.tB ? (size_t)(g.N - 1) * g.ldb + g.K : (size_t)(g.K - 1) * g.ldb + g.N);
  size_t lastC = (size_t)(g.M - 1) * g.ldc + g.N;
  if (lastA > nA || lastB > nB || lastC > nC) return throw_err(env, "gemm: operand too small for the given dimensions");
  gemm(g);
  return nullptr;
}

// packPanels(src, K, N, tB, out): out (panelsSize(K, N) floats) = src laid out as panels for gemmPanels.
static napi_value js_pack_panels(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value a[5];
  CHECK(napi_get_cb_info(env, info, &argc, a, nullptr, nullptr));
  if (argc < 5) return throw_err(env, "packPanels: expected 5 arguments");
  int K = get_int(env, a[1]), N = get_int(env, a[2]);
  bool tB = get_bool(env, a[3]);
  float *src, *out;
  size_t ns, no;
  if (!get_f32(env, a[0], &src, &ns) || !get_f32(env, a[4], &out, &no)) return throw_err(env, "packPanels: src and out must be Float32Arrays");
  if (K < 0 || N < 0) return throw_err(env, "packPanels: negative dimension");
  if (ns < (size_t)K * N || no < panels_size(K, N)) return throw_err(env, "packPanels: array too small for the given dimensions");
  pack_panels(src, K, N, tB, out);
  return nullptr;
}

// gemmPanels(M, N, K, A, lda, P, C, ldc, accumulate): C (+)= A[M,K] * B with B packed by packPanels(_, K, N).
static napi_value js_gemm_panels(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value a[9];
  CHECK(napi_get_cb_info(env, info, &argc, a, nullptr, nullptr));
  if (argc < 9) return throw_err(env, "gemmPanels: expected 9 arguments");
  GemmArgs g;
  g.tA = false;
  g.tB = false;
  g.M = get_int(env, a[0]);
  g.N = get_int(env, a[1]);
  g.K = get_int(env, a[2]);
  float *A, *P, *C;
  size_t nA, nP, nC;
  if (!get_f32(env, a[3], &A, &nA) || !get_f32(env, a[5], &P, &nP) || !get_f32(env, a[6], &C, &nC))
    return throw_err(env, "gemmPanels: A, P and C must be Float32Arrays");
  g.A = A;
  g.lda = get_int(env, a[4]);
  g.B = P;
  g.ldb = 0;
  g.C = C;
  g.ldc = get_int(env, a[7]);
  g.acc = get_bool(env, a[8]);
  if (g.M < 0 || g.N < 0 || g.K < 0) return throw_err(env, "gemmPanels: negative dimension");
  if (g.M == 0 || g.N == 0) return nullptr;
  size_t lastA = g.K == 0 ? 0 : (size_t)(g.M - 1) * g.lda + g.K;
  size_t lastC = (size_t)(g.M - 1) * g.ldc + g.N;
  if (g.lda < g.K || g.ldc < g.N || lastA > nA || nP < panels_size(g.K, g.N) || lastC > nC)
    return throw_err(env, "gemmPanels: operand too small for the given dimensions");
  gemm_panels(g);
  return nullptr;
}

// attnForward(rows, H, KV, hd, qs, ks, start, len, Q, K, V, Y, LSE)
static napi_value js_attn_forward(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value a[13];
  CHECK(napi_get_cb_info(env, info, &argc, a, nullptr, nullptr));
  if (argc < 13) return throw_err(env, "attnForward: expected 13 arguments");
  AttnDims d;
  d.rows = get_int(env, a[0]);
  d.H = get_int(env, a[1]);
  d.KV = get_int(env, a[2]);
  d.hd = get_int(env, a[3]);
  d.qs = get_int(env, a[4]);
  d.ks = get_int(env, a[5]);
  int32_t *st, *ln;
  float *Q, *K, *V, *Y, *L;
  if (!get_i32arr(env, a[6], &st, nullptr) || !get_i32arr(env, a[7], &ln, nullptr)) return throw_err(env, "attnForward: start/len must be Int32Arrays");
  if (!get_f32(env, a[8], &Q, nullptr) || !get_f32(env, a[9], &K, nullptr) || !get_f32(env, a[10], &V, nullptr) ||
      !get_f32(env, a[11], &Y, nullptr) || !get_f32(env, a[12], &L, nullptr))
    return throw_err(env, "attnForward: tensors must be Float32Arrays");
  d.start = st;
  d.len = ln;
  double cost = 0;
  for (int r = 0; r < d.rows; r++) cost += (double)ln[r] * ln[r] * d.H * d.hd * 2;
  if (int nv = sa_vectors(d.hd); nv > 0 && !g_attn_gemm) {
    sa_dispatch(nv, [&](auto NV) {
      pool::chunks(d.rows * d.KV, [&](int u, int) {
        thread_local SmallAttnBufs bufs;
        sa_forward_unit<decltype(NV)::value>(d, Q, K, V, Y, L, u / d.KV, u % d.KV, bufs);
      }, cost > 1e5);
    });
    return nullptr;
  }
  for_units(d.rows * d.KV, cost, [&](int u, std::vector<float>& sc) { attn_forward_unit(d, Q, K, V, Y, L, u / d.KV, u % d.KV, sc); });
  return nullptr;
}

// attnBackward(rows, H, KV, hd, qs, ks, start, len, Q, K, V, Y, LSE, dY, dQ, dK, dV)
static napi_value js_attn_backward(napi_env env, napi_callback_info info) {
  size_t argc = 17;
  napi_value a[17];
  CHECK(napi_get_cb_info(env, info, &argc, a, nullptr, nullptr));
  if (argc < 17) return throw_err(env, "attnBackward: expected 17 arguments");
  AttnDims d;
  d.rows = get_int(env, a[0]);
  d.H = get_int(env, a[1]);
  d.KV = get_int(env, a[2]);
  d.hd = get_int(env, a[3]);
  d.qs = get_int(env, a[4]);
  d.ks = get_int(env, a[5]);
  int32_t *st, *ln;
  float *Q, *K, *V, *Y, *L, *dY, *dQ, *dK, *dV;
  if (!get_i32arr(env, a[6], &st, nullptr) || !get_i32arr(env, a[7], &ln, nullptr)) return throw_err(env, "attnBackward: start/len must be Int32Arrays");
  if (!get_f32(env, a[8], &Q, nullptr) || !get_f32(env, a[9], &K, nullptr) || !get_f32(env, a[10], &V, nullptr) ||
      !get_f32(env, a[11], &Y, nullptr) || !get_f32(env, a[12], &L, nullptr) || !get_f32(env, a[13], &dY, nullptr) ||
      !get_f32(env, a[14], &dQ, nullptr) || !get_f32(env, a[15], &dK, nullptr) || !get_f32(env, a[16], &dV, nullptr))
    return throw_err(env, "attnBackward: tensors must be Float32Arrays");
  d.start = st;
  d.len = ln;
  double cost = 0;
  for (int r = 0; r < d.rows; r++) cost += (double)ln[r] * ln[r] * d.H * d.hd * 4;
  if (int nv = sa_vectors(d.hd); nv > 0 && !g_attn_gemm) {
    sa_dispatch(nv, [&](auto NV) {
      pool::chunks(d.rows * d.KV, [&](int u, int) {
        thread_local SmallAttnBufs bufs;
        sa_backward_unit<decltype(NV)::value>(d, Q, K, V, Y, L, dY, dQ, dK, dV, u / d.KV, u % d.KV, bufs);
      }, cost > 1e5);
    });
    return nullptr;
  }
  for_units(d.rows * d.KV, cost,
            [&](int u, std::vector<float>& sc) { attn_backward_unit(d, Q, K, V, Y, L, dY, dQ, dK, dV, u / d.KV, u % d.KV, sc); });
  return nullptr;
}

// attnDecode(B, H, KV, hd, cap, len, q, kcache, vcache, y[, slot[, wrow, k, v]])
static napi_value js_attn_decode(napi_env env, napi_callback_info info) {
  size_t argc = 14;
  napi_value a[14];
  CHECK(napi_get_cb_info(env, info, &argc, a, nullptr, nullptr));
  if (argc < 10) return throw_err(env, "attnDecode: expected 10 to 14 arguments");
  int B = get_int(env, a[0]), H = get_int(env, a[1]), KV = get_int(env, a[2]), hd = get_int(env, a[3]), cap = get_int(env, a[4]);
  if (B < 0 || H < 1 || KV < 1 || H % KV != 0 || hd < 1 || cap < 1) return throw_err(env, "attnDecode: bad dimensions");
  int32_t *ln, *sl = nullptr;
  size_t nln, nsl = 0, nq, nk, nv, ny;
  float *q, *kc, *vc, *y;
  if (!get_i32arr(env, a[5], &ln, &nln)) return throw_err(env, "attnDecode: len must be an Int32Array");
  if (!get_f32(env, a[6], &q, &nq) || !get_f32(env, a[7], &kc, &nk) || !get_f32(env, a[8], &vc, &nv) || !get_f32(env, a[9], &y, &ny))
    return throw_err(env, "attnDecode: tensors must be Float32Arrays");
  napi_valuetype st = napi_undefined;
  if (argc > 10) CHECK(napi_typeof(env, a[10], &st));
  if (st != napi_undefined && !get_i32arr(env, a[10], &sl, &nsl)) return throw_err(env, "attnDecode: slot must be an Int32Array");
  size_t per = (size_t)KV * hd * cap;
  if (nln < (size_t)B || (sl && nsl < (size_t)B)) return throw_err(env, "attnDecode: len/slot shorter than B");
  if (nq < (size_t)B * H * hd || ny < (size_t)B * H * hd) return throw_err(env, "attnDecode: q or y too small");
  for (int b = 0; b < B; b++) {
    if (ln[b] < 1 || ln[b] > cap) return throw_err(env, "attnDecode: length outside the cache");
    size_t s = sl ? (size_t)sl[b] : (size_t)b;
    if ((sl && sl[b] < 0) || (s + 1) * per > nk || (s + 1) * per > nv) return throw_err(env, "attnDecode: slot outside the cache");
  }
  // Fused cache writes (wrow): rows of k/v to write at (slot, len - 1) before attending; distinct slots.
  int32_t* wr = nullptr;
  float *wk = nullptr, *wv = nullptr;
  napi_valuetype wt = napi_undefined;
  if (argc > 11) CHECK(napi_typeof(env, a[11], &wt));
  if (wt != napi_undefined) {
    size_t nwr, nwk, nwv;
    if (argc < 14 || !get_i32arr(env, a[11], &wr, &nwr)) return throw_err(env, "attnDecode: wrow must be an Int32Array (with k and v)");
    if (!get_f32(env, a[12], &wk, &nwk) || !get_f32(env, a[13], &wv, &nwv)) return throw_err(env, "attnDecode: k and v must be Float32Arrays");
    if (nwr < (size_t)B) return throw_err(env, "attnDecode: wrow shorter than B");
    size_t kvd = (size_t)KV * hd, slots = std::min(nk, nv) / per;
    std::vector<char> seen(slots, 0);
    for (int b = 0; b < B; b++) {
      if (wr[b] < 0) continue;
      if (((size_t)wr[b] + 1) * kvd > nwk || ((size_t)wr[b] + 1) * kvd > nwv) return throw_err(env, "attnDecode: wrow names a row past k or v");
      size_t s = sl ? (size_t)sl[b] : (size_t)b;
      if (seen[s]) return throw_err(env, "attnDecode: two queries that write their key/value share a slot");
      seen[s] = 1;
    }
  }
  attn_decode(B, H, KV, hd, cap, ln, sl, q, kc, vc, y, wr, wk, wv);
  return nullptr;
}

static float get_float(napi_env env, napi_value v) {
  double x = 0;
  napi_get_value_double(env, v, &x);
  return (float)x;
}

#define ARGS(n, name)                                                          \
  size_t argc = n;                                                             \
  napi_value a[n];                                                             \
  CHECK(napi_get_cb_info(env, info, &argc, a, nullptr, nullptr));              \
  if (argc < n) return throw_err(env, name ": expected " #n " arguments");

#define F32(i, var, need)                                                               \
  float* var;                                                                           \
  {                                                                                     \
    size_t len_;                                                                        \
    if (!get_f32(env, a[i], &var, &len_)) return throw_err(env, "expected a Float32Array"); \
    if (len_ < (size_t)(need)) return throw_err(env, "Float32Array too small");          \
  }

// rmsNormForward(x, w, y, r, N, d, eps)
static napi_value js_rms_fwd(napi_env env, napi_callback_info info) {
  ARGS(7, "rmsNormForward");
  int N = get_int(env, a[4]), d = get_int(env, a[5]);
  F32(0, x, (size_t)N * d); F32(1, w, d); F32(2, y, (size_t)N * d); F32(3, r, N);
  rmsnorm_fwd(x, w, y, r, N, d, get_float(env, a[6]));
  return nullptr;
}

// rmsNormBackward(x, w, r, dy, dx, dw, N, d)
static napi_value js_rms_bwd(napi_env env, napi_callback_info info) {
  ARGS(8, "rmsNormBackward");
  int N = get_int(env, a[6]), d = get_int(env, a[7]);
  F32(0, x, (size_t)N * d); F32(1, w, d); F32(2, r, N); F32(3, dy, (size_t)N * d); F32(4, dx, (size_t)N * d); F32(5, dw, d);
  rmsnorm_bwd(x, w, r, dy, dx, dw, N, d);
  return nullptr;
}

// cacheWrite(n, KV, hd, cap, slot, pos, k, v, kcache, vcache)
static napi_value js_cache_write(napi_env env, napi_callback_info info) {
  ARGS(10, "cacheWrite");
  int n = get_int(env, a[0]), KV = get_int(env, a[1]), hd = get_int(env, a[2]), cap = get_int(env, a[3]);
  if (n < 0 || KV < 1 || hd < 1 || cap < 1) return throw_err(env, "cacheWrite: bad dimensions");
  int32_t *sl, *ps;
  size_t nsl, nps, nk, nv, nkc, nvc;
  float *k, *v, *kc, *vc;
  if (!get_i32arr(env, a[4], &sl, &nsl) || !get_i32arr(env, a[5], &ps, &nps)) return throw_err(env, "cacheWrite: slot/pos must be Int32Arrays");
  if (!get_f32(env, a[6], &k, &nk) || !get_f32(env, a[7], &v, &nv) || !get_f32(env, a[8], &kc, &nkc) || !get_f32(env, a[9], &vc, &nvc))
    return throw_err(env, "cacheWrite: tensors must be Float32Arrays");
  if (nsl < (size_t)n || nps < (size_t)n) return throw_err(env, "cacheWrite: slot/pos shorter than n");
  if (nk < (size_t)n * KV * hd || nv < (size_t)n * KV * hd) return throw_err(env, "cacheWrite: k or v too small");
  size_t per = (size_t)KV * hd * cap;
  for (int t = 0; t < n; t++) {
    if (ps[t] < 0 || ps[t] >= cap) return throw_err(env, "cacheWrite: position outside the cache");
    if (sl[t] < 0 || ((size_t)sl[t] + 1) * per > nkc || ((size_t)sl[t] + 1) * per > nvc) return throw_err(env, "cacheWrite: slot outside the cache");
  }
  cache_write(n, KV, hd, cap, sl, ps, k, v, kc, vc);
  return nullptr;
}

// swigluForward(g, u, m)
static napi_value js_swiglu_fwd(napi_env env, napi_callback_info info) {
  ARGS(3, "swigluForward");
  size_t n;
  float* g;
  if (!get_f32(env, a[0], &g, &n)) return throw_err(env, "expected a Float32Array");
  F32(1, u, n); F32(2, m, n);
  swiglu_fwd(g, u, m, (int)n);
  return nullptr;
}

// swigluBackward(g, u, dm, dg, du)
static napi_value js_swiglu_bwd(napi_env env, napi_callback_info info) {
  ARGS(5, "swigluBackward");
  size_t n;
  float* g;
  if (!get_f32(env, a[0], &g, &n)) return throw_err(env, "expected a Float32Array");
  F32(1, u, n); F32(2, dm, n); F32(3, dg, n); F32(4, du, n);
  swiglu_bwd(g, u, dm, dg, du, (int)n);
  return nullptr;
}

// rope(x, pos, N, heads, hd, cos, sin, inverse)
static napi_value js_rope(napi_env env, napi_callback_info info) {
  ARGS(8, "rope");
  int N = get_int(env, a[2]), heads = get_int(env, a[3]), hd = get_int(env, a[4]);
  F32(0, x, (size_t)N * heads * hd);
  int32_t* pos;
  size_t npos;
  if (!get_i32arr(env, a[1], &pos, &npos) || npos < (size_t)N) return throw_err(env, "rope: pos must be an Int32Array of length N");
  size_t tab;
  float *c, *sn;
  if (!get_f32(env, a[5], &c, &tab) || !get_f32(env, a[6], &sn, nullptr)) return throw_err(env, "rope: tables must be Float32Arrays");
  for (int t = 0; t < N; t++)
    if (pos[t] < 0 || (size_t)(pos[t] + 1) * (hd / 2) > tab) return throw_err(env, "rope: position outside the table");
  rope(x, pos, N, heads, hd, c, sn, get_bool(env, a[7]));
  return nullptr;
}

static double get_double(napi_env env, napi_value v) {
  double x = 0;
  napi_get_value_double(env, v, &x);
  return x;
}

// adamw(w, g, m, v, clipScale, b1, b2, stepSize, sqrtBc2, eps, decay)
static napi_value js_adamw(napi_env env, napi_callback_info info) {
  ARGS(11, "adamw");
  size_t n;
  float* w;
  if (!get_f32(env, a[0], &w, &n)) return throw_err(env, "adamw: w must be a Float32Array");
  F32(1, g, n); F32(2, m, n); F32(3, v, n);
  adamw(w, g, m, v, n, get_double(env, a[4]), get_double(env, a[5]), get_double(env, a[6]), get_double(env, a[7]), get_double(env, a[8]),
        get_double(env, a[9]), get_double(env, a[10]));
  return nullptr;
}

// sumSquares(x) -> number
static napi_value js_sum_squares(napi_env env, napi_callback_info info) {
  ARGS(1, "sumSquares");
  size_t n;
  float* x;
  if (!get_f32(env, a[0], &x, &n)) return throw_err(env, "sumSquares: x must be a Float32Array");
  napi_value r;
  napi_create_double(env, sum_squares(x, n), &r);
  return r;
}

// Checks n row offsets into a logits array of nz floats (V each); "" when fine.
static const char* check_rows(const int32_t* off, size_t noff, int n, int V, size_t nz) {
  if (n < 0 || V < 1) return "bad dimensions";
  if (noff < (size_t)n) return "offsets shorter than n";
  for (int r = 0; r < n; r++)
    if (off[r] < 0 || (size_t)off[r] + V > nz) return "a row lies outside the logits";
  return "";
}

// softmaxStats(z, off, n, V, invT, lse, amax, pz)
static napi_value js_softmax_stats(napi_env env, napi_callback_info info) {
  ARGS(8, "softmaxStats");
  float* z;
  int32_t *off, *am;
  double *lse, *pz;
  size_t nz, noff, nl, na, np;
  int n = get_int(env, a[2]), V = get_int(env, a[3]);
  if (!get_f32(env, a[0], &z, &nz) || !get_i32arr(env, a[1], &off, &noff) || !get_f64arr(env, a[5], &lse, &nl) || !get_i32arr(env, a[6], &am, &na) ||
      !get_f64arr(env, a[7], &pz, &np))
    return throw_err(env, "softmaxStats: expected (Float32Array, Int32Array, n, V, invT, Float64Array, Int32Array, Float64Array)");
  const char* e = check_rows(off, noff, n, V, nz);
  if (*e) return throw_err(env, (std::string("softmaxStats: ") + e).c_str());
  if (nl < (size_t)n || na < (size_t)n || np < (size_t)n) return throw_err(env, "softmaxStats: outputs shorter than n");
  softmax_stats(z, off, n, V, get_double(env, a[4]), lse, am, pz);
  return nullptr;
}

// softmaxGrad(z, g, off, n, V, invT, lse, a, y, b)
static napi_value js_softmax_grad(napi_env env, napi_callback_info info) {
  ARGS(10, "softmaxGrad");
  float *z, *g;
  int32_t *off, *y;
  double *lse, *ca, *cb;
  size_t nz, ng, noff, nl, nca, ny, ncb;
  int n = get_int(env, a[3]), V = get_int(env, a[4]);
  if (!get_f32(env, a[0], &z, &nz) || !get_f32(env, a[1], &g, &ng) || !get_i32arr(env, a[2], &off, &noff) || !get_f64arr(env, a[6], &lse, &nl) ||
      !get_f64arr(env, a[7], &ca, &nca) || !get_i32arr(env, a[8], &y, &ny) || !get_f64arr(env, a[9], &cb, &ncb))
    return throw_err(env, "softmaxGrad: expected (Float32Array, Float32Array, Int32Array, n, V, invT, Float64Array, Float64Array, Int32Array, Float64Array)");
  const char* e = check_rows(off, noff, n, V, std::min(nz, ng));
  if (*e) return throw_err(env, (std::string("softmaxGrad: ") + e).c_str());
  if (nl < (size_t)n || nca < (size_t)n || ny < (size_t)n || ncb < (size_t)n) return throw_err(env, "softmaxGrad: per-row arrays shorter than n");
  for (int r = 0; r < n; r++)
    if (y[r] < 0 || y[r] >= V) return throw_err(env, "softmaxGrad: a target id is outside the vocabulary");
  softmax_grad(z, g, off, n, V, get_double(env, a[5]), lse, ca, y, cb);
  return nullptr;
}

static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value a[1];
  CHECK(napi_get_cb_info(env, info, &argc, a, nullptr, nullptr));
  pool::set_threads(argc ? get_int(env, a[0]) : 1);
  napi_value r;
  napi_create_int32(env, pool::g_threads, &r);
  return r;
}

static void cleanup(void*) { pool::stop(); }

static napi_value init(napi_env env, napi_value exports) {
  struct {
    const char* name;
    napi_callback fn;
  } fns[] = {{"gemm", js_gemm},
             {"attnForward", js_attn_forward},
             {"attnBackward", js_attn_backward},
             {"attnDecode", js_attn_decode},
             {"cacheWrite", js_cache_write},
             {"rmsNormForward", js_rms_fwd},
             {"rmsNormBackward", js_rms_bwd},
             {"swigluForward", js_swiglu_fwd},
             {"swigluBackward", js_swiglu_bwd},
             {"rope", js_rope},
             {"setThreads", js_set_threads},
             {"packPanels", js_pack_panels},
             {"gemmPanels", js_gemm_panels},
             {"adamw", js_adamw},
             {"sumSquares", js_sum_squares},
             {"softmaxStats", js_softmax_stats},
             {"softmaxGrad", js_softmax_grad}};
  for (auto& f : fns) {
    napi_value v;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.fn, nullptr, &v);
    napi_set_named_property(env, exports, f.name, v);
  }
  // The most rows for which gemm computes a row-major-B product (tB false) row by row in the same order whatever M
  // is (the unpacked small-M path of gemm_block: K blocks of 128, vs 256 in the packed path). Decoding splits its
  // products into blocks of at most this many rows so that a row's logits do not depend on the rows beside it.
  napi_value rb;
  napi_create_int32(env, MC, &rb);
  napi_set_named_property(env, exports, "gemmRowBlock", rb);
  napi_value pw;
  napi_create_int32(env, NR, &pw);
  napi_set_named_property(env, exports, "panelWidth", pw);
  napi_add_env_cleanup_hook(env, cleanup, nullptr);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
