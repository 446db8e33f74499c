// ATen operators behind a C interface for Rust, where tch's generated binding drops an
// argument (tch's `leaky_relu` has no slope: it always uses 0.01).
//
// A tensor crosses as tch holds it: a pointer to a heap `at::Tensor`, which the caller
// owns (tch frees it with `delete`). Every call goes through ATen's dispatcher, so
// autograd records it and CUDA tensors run on the GPU. Every function catches C++
// exceptions and returns 1 with the message (without libtorch's backtrace) in `err`.
#include <ATen/core/Tensor.h>
#include <ATen/ops/leaky_relu.h>

#include <cstdio>
#include <exception>

extern "C" int dcgan_leaky_relu(const at::Tensor* x, double slope, at::Tensor** out, char* err, size_t len) {
    try {
        *out = new at::Tensor(at::leaky_relu(*x, slope));
        return 0;
    } catch (const c10::Error& e) {
        std::snprintf(err, len, "%s", e.what_without_backtrace());
    } catch (const std::exception& e) {
        std::snprintf(err, len, "%s", e.what());
    } catch (...) {
        std::snprintf(err, len, "unknown C++ exception");
    }
    return 1;
}
