/* Fault injection (see fault.h): BATCHTRACE_FAULT is read once; passes of the named point
 * are counted atomically, so points on worker threads count too. */
#include "util/fault.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_once_t fault_once = PTHREAD_ONCE_INIT;
static char fault_name[64];           /* the point named by BATCHTRACE_FAULT; "" when none */
static unsigned long fault_at;        /* the pass that kills (from 1) */
static int fault_signal = SIGKILL;    /* what it sends */
static atomic_ulong fault_passes;     /* passes of that point so far */

/* Read BATCHTRACE_FAULT ("POINT:N" or "POINT:N:SIGNAL"); anything else leaves injection
 * off. */
static void fault_read(void) {
    const char *spec = getenv("BATCHTRACE_FAULT");
    const char *colon = spec ? strchr(spec, ':') : NULL;
    if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof fault_name) return;
    char *end;
    unsigned long at = strtoul(colon + 1, &end, 10);
    if (end == colon + 1 || at == 0) return;
    if (*end == ':') {
        static const struct { const char *name; int number; } signals[] = {
            {"KILL", SIGKILL}, {"TERM", SIGTERM}, {"INT", SIGINT}, {"STOP", SIGSTOP}};
        size_t i = 0;
        while (i < sizeof signals / sizeof signals[0] && strcmp(end + 1, signals[i].name) != 0) i++;
        if (i == sizeof signals / sizeof signals[0]) return;
        fault_signal = signals[i].number;
    } else if (*end != '\0') {
        return;
    }
    memcpy(fault_name, spec, (size_t)(colon - spec));
    fault_name[colon - spec] = '\0';
    fault_at = at;
}

/* See fault.h. */
void fault_point(const char *name) {
    pthread_once(&fault_once, fault_read);
    if (!fault_name[0] || strcmp(name, fault_name) != 0) return;
    if (atomic_fetch_add(&fault_passes, 1) + 1 == fault_at) kill(getpid(), fault_signal);
}
