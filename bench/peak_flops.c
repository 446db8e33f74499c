// The cores' peak single-precision rate: independent fused multiply-adds on registers,
// no memory traffic, one chain set per OpenMP thread. What no kernel can exceed, so the
// physical limit that bench/train_limit.py divides a training step's work by.
// build: cc -O3 -march=native -ffp-contract=fast -fopenmp peak_flops.c
// usage: peak_flops THREADS   -> prints `peak_gflops R` (best of 5)
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#ifdef __AVX512F__
#define LANES 16
#else
#define LANES 8
#endif
// Enough independent chains to cover the FMA latency on every pipe (4 cycles x 2 pipes on
// current x86 cores); -O3 unrolls the loop over them, so that they live in registers.
#define CHAINS 12
typedef float vec __attribute__((vector_size(LANES * sizeof(float))));

int main(int argc, char **argv) {
    char *end = NULL;
    long threads = argc == 2 ? strtol(argv[1], &end, 10) : 0;
    if (argc != 2 || *end != '\0' || threads < 1 || threads > 1024) {
        fprintf(stderr, "usage: peak_flops THREADS (1 to 1024)\n");
        return 2;
    }
    omp_set_dynamic(0);
    omp_set_num_threads((int)threads);
    const long iters = 50000000;
    double best = 0;
    float sink = 0;
    for (int rep = 0; rep < 5; rep++) {
        int ran = 0;
        double start = omp_get_wtime();
#pragma omp parallel reduction(+ : sink)
        {
#pragma omp single
            ran = omp_get_num_threads();
            vec a[CHAINS], m, c;
            for (int l = 0; l < LANES; l++) m[l] = 0.999999f, c[l] = 1e-7f * (l + 1);
            for (int i = 0; i < CHAINS; i++)
                for (int l = 0; l < LANES; l++) a[i][l] = (float)(i + l);
            for (long k = 0; k < iters; k++)
                for (int i = 0; i < CHAINS; i++) a[i] = a[i] * m + c;
            // Every lane of every chain reaches the result, so none can be optimised away.
            for (int i = 0; i < CHAINS; i++)
                for (int l = 0; l < LANES; l++) sink += a[i][l];
        }
        double rate = 2.0 * LANES * CHAINS * iters * ran / (omp_get_wtime() - start);
        if (rate > best) best = rate;
    }
    fprintf(stderr, "checksum %g\n", sink);
    printf("peak_gflops %.1f\n", best / 1e9);
    return 0;
}
