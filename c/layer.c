/*
 * layer.c -- the table that finds a trunk layer's operations by kind and activation. A new layer kind is a
 * new file with its operations and its entries here.
 */
#include <stddef.h>
#include "nm_internal.h"

static const nm_layer_ops *const table[] = {
    &nm_layer_dense_tanh,
    &nm_layer_dense_relu,
    &nm_layer_recurrent_tanh,
    &nm_layer_recurrent_relu,
    &nm_layer_integrator_tanh,
    &nm_layer_integrator_relu,
};

const nm_layer_ops *nm_layer_ops_find(nm_layer_kind kind, nm_activation activation)
{
    size_t i;
    for (i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i]->kind == kind && table[i]->activation == activation) return table[i];
    return NULL;
}
