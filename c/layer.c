/*
 * layer.c -- the tables that find a trunk layer's operations by kind and its activation by name. A new layer
 * kind is a new file with its operations and one entry in `kinds` below.
 */
#include <stddef.h>
#include "nm_internal.h"

/* tanh: the kernel set's vectorised loops (simd.c) */
static void tanh_forward(const nm_kernels *k, size_t n, const float *g, float *pre, float *post)
{
    k->gain_tanh(n, g, pre, post);
}
static void tanh_backward(const nm_kernels *k, size_t n, const float *post, const float *g, float *dh)
{
    k->tanh_backward(n, post, g, dh);
}

/* ReLU: its derivative is read from the output, post > 0 exactly when pre > 0 (NaN and -0 included) */
static void relu_forward(const nm_kernels *k, size_t n, const float *g, float *pre, float *post)
{
    size_t i;
    (void)k;
    for (i = 0; i < n; i++) pre[i] *= g[i];
    for (i = 0; i < n; i++) post[i] = pre[i] > 0.0f ? pre[i] : 0.0f;
}
static void relu_backward(const nm_kernels *k, size_t n, const float *post, const float *g, float *dh)
{
    size_t i;
    (void)k;
    for (i = 0; i < n; i++) dh[i] *= (post[i] > 0.0f ? 1.0f : 0.0f) * g[i];
}

static const nm_activation_ops activations[] = {
    { NM_TANH, tanh_forward, tanh_backward },
    { NM_RELU, relu_forward, relu_backward },
};

const nm_activation_ops *nm_activation_find(nm_activation id)
{
    size_t i;
    for (i = 0; i < sizeof activations / sizeof activations[0]; i++)
        if (activations[i].id == id) return &activations[i];
    return NULL;
}

static const nm_layer_ops *const kinds[NM_N_LAYER_KINDS] = {
    &nm_layer_dense,    /* NM_LAYER_DENSE */
};

const nm_layer_ops *nm_layer_ops_find(nm_layer_kind kind)
{
    return (unsigned)kind < NM_N_LAYER_KINDS ? kinds[kind] : NULL;
}
