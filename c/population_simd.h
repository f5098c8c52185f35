/*
 * population_simd.h -- the interleaved population step (population_simd.c), internal to the library.
 *
 * Members whose config it covers (nm_popsimd_covers) keep their weights, traces, forward cache, modulator state,
 * gain and attention in groups of agents side by side, as many as the kernel set's register holds floats (4, 8
 * or 16), so that one vector instruction steps one float of each agent of a group; the rest of a member
 * (generator, trace bound, counters, messages) stays in its nm_agent. The population (population.c) decides when
 * the groups or the agents hold the current state and copies between them (scatter, gather) at the calls that
 * hand a member out.
 */
#ifndef NM_POPULATION_SIMD_H
#define NM_POPULATION_SIMD_H

#include "nm_internal.h"

#define NM_LANES 16   /* the most lanes of any kernel set (AVX-512's 16 floats) */

typedef struct nm_popsimd nm_popsimd;

/* Whether the interleaved step covers agent a: the rate learner, one dense or recurrent tanh layer, deterministic
 * kernels, no slow consolidation, attentional set, gain focus, entropy bonus or outcome bias; continual learning in
 * any state (a step the lanes cannot take goes to the group's members). */
int nm_popsimd_covers(const nm_agent *a);
/* The groups for the n members (all covered, one shape), holding their current weights, with scratch for `slots`
 * threads stepping groups at once; NULL if out of memory. */
nm_popsimd *nm_popsimd_new(nm_agent *const *member, size_t n, size_t slots);
void nm_popsimd_free(nm_popsimd *s);
size_t nm_popsimd_groups(const nm_popsimd *s);
size_t nm_popsimd_lanes(const nm_popsimd *s);   /* members per group: the kernel set's register width */
/* The widest layer the set's interleaved step is used for (a dense trunk's, or a recurrent one's): beyond it the
 * lone agent's own vectors over the units do as well and its state stays nearer the core (measured:
 * docs/results/population.md) */
size_t nm_popsimd_max_hidden(const nm_popsimd *s);
const char *nm_popsimd_kernels(const nm_popsimd *s);
/* y = nm_expf(x) through kernel set `set`'s lane expf ("generic", "avx2", "avx512"), n a multiple of its lanes:
 * its lanes, or 0 if this CPU does not run the set (or n is not such a multiple). For c/test/lane_expf_check.c. */
size_t nm_popsimd_expf(const char *set, size_t n, const float *x, float *y);
/* Group g's act or learn (the population's arguments, already checked for lengths) by the thread with scratch
 * slot `slot` (below the count given to nm_popsimd_new; no two threads at once with one slot); each member's status
 * into status[k]. A group with any member the fast step cannot take (a bad argument, a failing check, a
 * window finding the context) is stepped member by member through nm_agent_act/learn, so every result and message
 * is the lone agent's. A frozen member stays in the lanes: learn puts its weights back after the update. */
void nm_popsimd_act(nm_popsimd *s, nm_agent *const *member, size_t g, size_t slot, const float *obs, int *actions,
                    nm_status *status);
void nm_popsimd_learn(nm_popsimd *s, nm_agent *const *member, size_t g, size_t slot, const float *rewards,
                      const float *next_obs, const int *terminals, nm_status *status);
/* Group g's learn, then the act of each of its members whose learn succeeded (a failed one keeps learn's status) */
void nm_popsimd_learn_act(nm_popsimd *s, nm_agent *const *member, size_t g, size_t slot, const float *rewards,
                          const float *next_obs, const int *terminals, const float *obs, int *actions,
                          nm_status *status);
/* One member on its own in nm_population_step: its learn (when it has an act to learn from: none after a reset or
 * a replace), then its act when the learn succeeded; the status of the call that failed, or NM_OK. next_obs NULL:
 * a terminal step without one. */
nm_status nm_popsimd_member_learn_act(nm_agent *a, float reward, const float *next_obs, size_t d, int terminal,
                                      const float *obs, int *action);
/* groups -> members (scatter) and members -> groups (gather): weights, the live trace, the forward cache, the
 * modulator state, gain and attention */
void nm_popsimd_scatter(const nm_popsimd *s, nm_agent *const *member);
void nm_popsimd_gather(nm_popsimd *s, nm_agent *const *member);
/* the same for member k alone */
void nm_popsimd_scatter_one(const nm_popsimd *s, nm_agent *const *member, size_t k);
void nm_popsimd_gather_one(nm_popsimd *s, nm_agent *const *member, size_t k);

#endif
