/* Runs (see backend.h): who this process is, and whether the process holding a claim is
 * alive. Shared by both backends; the rows themselves live in each backend's runs table. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/backend.h"
#include "util/alloc.h"

/* The start time of process pid in clock ticks since boot (/proc/PID/stat field 22): >= 0,
 * -1 when there is no such process, -2 when it cannot be told (no /proc, no permission). */
static int64_t process_start_ticks(int64_t pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%lld/stat", (long long)pid);
    FILE *file = fopen(path, "re");
    if (!file) return errno == ENOENT || errno == ESRCH ? -1 : -2;
    char text[1024];
    size_t len = fread(text, 1, sizeof text - 1, file);
    fclose(file);
    text[len] = '\0';
    /* Field 2, the command, is in parentheses and may hold anything: count from its end. */
    char *at = strrchr(text, ')');
    if (!at) return -2;
    at++;
    /* at is on the space before field 3; step to the one before field 22 */
    for (int field = 3; field < 22 && at; field++) at = strchr(at + 1, ' ');
    if (!at) return -2;
    char *end;
    long long ticks = strtoll(at + 1, &end, 10);
    return end == at + 1 || ticks < 0 ? -2 : (int64_t)ticks;
}

/* See backend.h. */
void run_identity_of_self(run_identity *identity) {
    memset(identity, 0, sizeof *identity);
    if (gethostname(identity->host, sizeof identity->host - 1) != 0) identity->host[0] = '\0';
    FILE *file = fopen("/proc/sys/kernel/random/boot_id", "re");
    if (file) {
        if (!fgets(identity->boot_id, sizeof identity->boot_id, file)) identity->boot_id[0] = '\0';
        identity->boot_id[strcspn(identity->boot_id, "\n")] = '\0';
        fclose(file);
    }
    identity->pid = (int64_t)getpid();
    identity->start_ticks = process_start_ticks(identity->pid);
}

/* See backend.h. */
bool run_row_dead(const run_identity *me, const run_row *row, int64_t now_ns) {
    bool same_host = row->host && strcmp(row->host, me->host) == 0 && me->boot_id[0];
    int64_t ticks = same_host ? process_start_ticks(row->pid) : -2;
    if (same_host && row->boot_id && strcmp(row->boot_id, me->boot_id) != 0)
        return true; /* the machine restarted since */
    if (ticks != -2) /* this host: the process tells, whatever the lease */
        return ticks == -1 || ticks != row->start_ticks;
    return row->lease_until_ns <= now_ns; /* another host, or a process hidden from us */
}

/* See backend.h. */
void claimed_batches_note(claimed_batches *claimed, const char *nonce) {
    for (size_t i = 0; i < claimed->count; i++)
        if (strcmp(claimed->nonces[i], nonce) == 0) return;
    claimed->nonces = xreallocarray(claimed->nonces, claimed->count + 1, sizeof *claimed->nonces);
    snprintf(claimed->nonces[claimed->count++], sizeof *claimed->nonces, "%s", nonce);
}

/* See backend.h. */
int run_cache_lookup(const run_cache *cache, int64_t run_id, int64_t now_ns, bool *dead) {
    for (size_t i = 0; i < cache->count; i++) {
        const run_seen *seen = &cache->seen[i];
        if (seen->id == run_id && (seen->dead || now_ns - seen->checked_ns < RUN_CHECK_TTL_NS)) {
            *dead = seen->dead;
            return 1;
        }
    }
    return 0;
}

/* See backend.h. */
void run_cache_note(run_cache *cache, int64_t run_id, bool dead, int64_t now_ns) {
    size_t slot = cache->count;
    for (size_t i = 0; i < cache->count; i++)
        if (cache->seen[i].id == run_id) slot = i;
    if (slot == RUN_CACHE_MAX) slot = (size_t)(run_id % RUN_CACHE_MAX);
    else if (slot == cache->count) cache->count++;
    cache->seen[slot] = (run_seen){run_id, dead, now_ns};
}
