// libtorch's CUDA graphs behind a C interface for Rust (tch has no binding for them).
//
// A capture makes a side stream current (capturing on the legacy default stream is not
// allowed), begins capturing on it, and leaves it current until the capture ends, so
// that every kernel the Rust code queues in between (forward, backward, optimiser) is
// recorded instead of run. Replay launches the whole graph on the current stream.
// Every function catches C++ exceptions and returns 1 with the message in `err`.
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include <cstdio>
#include <exception>
#include <optional>

struct DcganGraph {
    at::cuda::CUDAGraph graph;
    std::optional<c10::cuda::CUDAStreamGuard> side;
};

static int fail(const char* what, char* err, size_t len) {
    std::snprintf(err, len, "%s", what);
    return 1;
}

#define GUARDED(body)                                   \
    try {                                               \
        body;                                           \
        return 0;                                       \
    } catch (const std::exception& e) {                 \
        return fail(e.what(), err, len);                \
    } catch (...) {                                     \
        return fail("unknown C++ exception", err, len); \
    }

extern "C" {

int dcgan_graph_new(DcganGraph** out, char* err, size_t len) {
    GUARDED(*out = new DcganGraph())
}

int dcgan_graph_capture_begin(DcganGraph* g, int device, char* err, size_t len) {
    GUARDED({
        c10::cuda::set_device(static_cast<c10::DeviceIndex>(device));
        // Work queued before the capture (warm-up steps, static inputs) must be done.
        c10::cuda::device_synchronize();
        g->side.emplace(c10::cuda::getStreamFromPool(false, static_cast<c10::DeviceIndex>(device)));
        try {
            g->graph.capture_begin();
        } catch (...) {
            g->side.reset();
            throw;
        }
    })
}

int dcgan_graph_capture_end(DcganGraph* g, char* err, size_t len) {
    GUARDED({
        try {
            g->graph.capture_end();
        } catch (...) {
            g->side.reset();
            throw;
        }
        g->side.reset();
    })
}

int dcgan_graph_replay(DcganGraph* g, char* err, size_t len) {
    GUARDED(g->graph.replay())
}

void dcgan_graph_free(DcganGraph* g) {
    delete g;
}
}
