/*
 * config_io.c -- the config section of a checkpoint (format 4 and later), behind three functions declared in
 * nm_internal.h, so that checkpoint.c knows nothing of the config's fields.
 *
 * Today the section is the config's fields in a fixed order (the field list of format 3), field by field, never
 * the struct's bytes (padding and layout are the compiler's). All integers and floats little-endian.
 */
#include <string.h>
#include "nm_internal.h"
#include "ckpt_io.h"

#define CONF_BYTES (8 * (3 + NM_MAX_LAYERS) + 4 + 8 + 4 * 4 + 4 * NM_N_PARAMS + 4 + \
                    4 * (NM_N_PARAMS * NM_N_MODULATORS + NM_N_MODULATORS * NM_N_MODULATORS + 3 * NM_N_MODULATORS + 5) + 4)

size_t nm_config_section_size(const nm_agent_config *cfg)
{
    (void)cfg;
    return CONF_BYTES;
}

void nm_config_section_write(const nm_agent_config *g, unsigned char *buf)
{
    nm_wcur c;
    size_t l;
    c.p = buf; c.end = buf + CONF_BYTES; c.ok = 1;
    nm_put_u64(&c, g->n_obs);
    nm_put_u64(&c, g->n_actions);
    nm_put_u64(&c, g->n_layers);
    for (l = 0; l < NM_MAX_LAYERS; l++) nm_put_u64(&c, g->hidden[l]);
    nm_put_u32(&c, (uint32_t)g->activation);
    nm_put_u64(&c, g->seed);
    nm_put_f32(&c, g->init_scale);
    nm_put_f32(&c, g->critic_scale);
    nm_put_f32(&c, g->predictor_rate);
    nm_put_f32(&c, g->max_update);
    nm_put_floats(&c, g->base, NM_N_PARAMS);
    nm_put_u32(&c, g->modulators);
    nm_put_floats(&c, &g->mapping[0][0], NM_N_PARAMS * NM_N_MODULATORS);
    nm_put_floats(&c, &g->interaction[0][0], NM_N_MODULATORS * NM_N_MODULATORS);
    nm_put_floats(&c, g->tau_phasic, NM_N_MODULATORS);
    nm_put_floats(&c, g->tau_tonic, NM_N_MODULATORS);
    nm_put_floats(&c, g->scale, NM_N_MODULATORS);
    nm_put_f32(&c, g->na_threshold);
    nm_put_f32(&c, g->na_reset);
    nm_put_f32(&c, g->surprise_floor);
    nm_put_f32(&c, g->attention_set);
    nm_put_f32(&c, g->gain_focus);
    nm_put_u32(&c, (uint32_t)g->na_input);
}

nm_status nm_config_section_read(const unsigned char *buf, size_t len, nm_agent_config *g, char *msg, size_t msglen)
{
    nm_rcur c;
    size_t l;
    if (len != CONF_BYTES) {
        nm_write_msg(msg, msglen, "length field says %lu bytes, this version's config has %lu",
                     (unsigned long)len, (unsigned long)CONF_BYTES);
        return NM_ERR_FORMAT;
    }
    c.p = buf; c.end = buf + len; c.ok = 1;
    memset(g, 0, sizeof *g);
    g->n_obs = (size_t)nm_get_u64(&c);
    g->n_actions = (size_t)nm_get_u64(&c);
    g->n_layers = (size_t)nm_get_u64(&c);
    for (l = 0; l < NM_MAX_LAYERS; l++) g->hidden[l] = (size_t)nm_get_u64(&c);
    g->activation = (nm_activation)nm_get_u32(&c);
    g->seed = nm_get_u64(&c);
    g->init_scale = nm_get_f32(&c);
    g->critic_scale = nm_get_f32(&c);
    g->predictor_rate = nm_get_f32(&c);
    g->max_update = nm_get_f32(&c);
    nm_get_floats(&c, g->base, NM_N_PARAMS);
    g->modulators = nm_get_u32(&c);
    nm_get_floats(&c, &g->mapping[0][0], NM_N_PARAMS * NM_N_MODULATORS);
    nm_get_floats(&c, &g->interaction[0][0], NM_N_MODULATORS * NM_N_MODULATORS);
    nm_get_floats(&c, g->tau_phasic, NM_N_MODULATORS);
    nm_get_floats(&c, g->tau_tonic, NM_N_MODULATORS);
    nm_get_floats(&c, g->scale, NM_N_MODULATORS);
    g->na_threshold = nm_get_f32(&c);
    g->na_reset = nm_get_f32(&c);
    g->surprise_floor = nm_get_f32(&c);
    g->attention_set = nm_get_f32(&c);
    g->gain_focus = nm_get_f32(&c);
    g->na_input = (nm_na_input)nm_get_u32(&c);
    (void)msg; (void)msglen;
    return NM_OK;
}
