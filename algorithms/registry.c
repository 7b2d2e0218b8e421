/* flowsim — the registry: the only place that lists the algorithms.
 * Adding an algorithm = one file in algorithms/ and one line here.
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later. */
#include <string.h>
#include "algo.h"

extern const fs_algo fs_algo_netflow;
extern const fs_algo fs_algo_sampled_netflow;
extern const fs_algo fs_algo_flow_slices;
extern const fs_algo fs_algo_sample_and_hold;
extern const fs_algo fs_algo_adaptive_netflow;

static const fs_algo *const registry[] = {
    &fs_algo_netflow,
    &fs_algo_sampled_netflow,
    &fs_algo_sample_and_hold,
    &fs_algo_adaptive_netflow,
    &fs_algo_flow_slices,
};

size_t fs_algo_count(void)
{
    return sizeof registry / sizeof registry[0];
}

const fs_algo *fs_algo_at(size_t i)
{
    return i < fs_algo_count() ? registry[i] : NULL;
}

const fs_algo *fs_algo_find(const char *name)
{
    for (size_t i = 0; i < fs_algo_count(); i++)
        if (!strcmp(registry[i]->name, name))
            return registry[i];
    return NULL;
}

extern const fs_stage fs_stage_uniform;
extern const fs_stage fs_stage_hash;
extern const fs_stage fs_stage_filter;
extern const fs_stage fs_stage_smart;

/* Record stages (flow sampling, smart sampling, record filters). */
static const fs_stage *const stages[] = {
    &fs_stage_uniform,
    &fs_stage_hash,
    &fs_stage_filter,
    &fs_stage_smart,
};

size_t fs_stage_count(void)
{
    return sizeof stages / sizeof stages[0];
}

const fs_stage *fs_stage_at(size_t i)
{
    return i < fs_stage_count() ? stages[i] : NULL;
}

const fs_stage *fs_stage_find(const char *name)
{
    for (size_t i = 0; i < fs_stage_count(); i++)
        if (!strcmp(stages[i]->name, name))
            return stages[i];
    return NULL;
}
