/* error.c -- status names and the per-agent message. */
#include <stdarg.h>
#include <stdio.h>
#include "nm_internal.h"

const char *nm_strerror(nm_status status)
{
    switch (status) {
    case NM_OK: return "ok";
    case NM_ERR_ARG: return "invalid argument";
    case NM_ERR_NOMEM: return "out of memory";
    case NM_ERR_IO: return "input/output error";
    case NM_ERR_FORMAT: return "not a valid neuromod checkpoint";
    case NM_ERR_VERSION: return "unsupported checkpoint version";
    case NM_ERR_STATE: return "call out of order";
    case NM_ERR_NUMERIC: return "non-finite value";
    }
    return "unknown status";
}

const char *nm_version(void) { return NM_VERSION_STRING; }

void nm_write_msg(char *msg, size_t msglen, const char *fmt, ...)
{
    va_list ap;
    if (!msg || msglen == 0) return;
    va_start(ap, fmt);
    vsnprintf(msg, msglen, fmt, ap);
    va_end(ap);
}

nm_status nm_fail(nm_agent *a, nm_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->msg, sizeof a->msg, fmt, ap);
    va_end(ap);
    return st;
}

const char *nm_agent_error(const nm_agent *agent) { return agent ? agent->msg : "no agent"; }
