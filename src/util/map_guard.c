/* The mapping guard (see map_guard.h). The guards live in a fixed table the SIGBUS handler
 * reads without locking: a guard's size and path are written before its start is published
 * (atomically), and a start is cleared before the mapping goes. The handler is installed
 * with the first guard and the previous disposition put back with the last. */
#include "util/map_guard.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

enum { GUARDS_MAX = 32 }; /* mappings guarded at once (a run maps one per file) */

static _Atomic uintptr_t guard_start[GUARDS_MAX]; /* 0: the guard is free */
static size_t guard_size[GUARDS_MAX];
static const char *guard_path[GUARDS_MAX];
static pthread_mutex_t guard_lock = PTHREAD_MUTEX_INITIALIZER; /* add and remove */
static int guards_in_use;                                      /* under guard_lock */
static struct sigaction previous_action;                       /* before the first guard */
static atomic_flag reporting = ATOMIC_FLAG_INIT;                /* a fault is being reported */

/* Write text to stderr, as much as goes (async-signal-safe). */
static void say(const char *text) {
    size_t len = strlen(text);
    while (len > 0) {
        ssize_t n = write(STDERR_FILENO, text, len);
        if (n <= 0) return;
        text += n;
        len -= (size_t)n;
    }
}

/* The SIGBUS handler: a fault in a guarded mapping is reported and ends the process; any
 * other goes to the previous disposition (the default one: the fault repeats on return
 * and the default action ends the process as it would have). */
static void on_sigbus(int sig, siginfo_t *info, void *context) {
    uintptr_t address = (uintptr_t)info->si_addr;
    for (int i = 0; i < GUARDS_MAX; i++) {
        uintptr_t start = atomic_load(&guard_start[i]);
        if (start && address - start < guard_size[i]) {
            /* Several threads may fault at once: the first reports and ends the process,
             * the others wait for that (returning would only fault again). */
            if (atomic_flag_test_and_set(&reporting))
                for (;;) pause();
            say("batchtrace: error: ");
            say(guard_path[i]);
            say(": the file was cut shorter while it was being read; run again once "
                "nothing writes to it\n");
            _exit(1);
        }
    }
    if ((previous_action.sa_flags & SA_SIGINFO) && previous_action.sa_sigaction) {
        previous_action.sa_sigaction(sig, info, context);
    } else if (previous_action.sa_handler != SIG_DFL && previous_action.sa_handler != SIG_IGN &&
               !(previous_action.sa_flags & SA_SIGINFO)) {
        previous_action.sa_handler(sig);
    } else {
        struct sigaction fallback;
        memset(&fallback, 0, sizeof fallback);
        fallback.sa_handler = SIG_DFL;
        sigaction(SIGBUS, &fallback, NULL);
    }
}

/* See map_guard.h. */
int map_guard_add(const void *start, size_t size, const char *path) {
    int handle = -1;
    pthread_mutex_lock(&guard_lock);
    for (int i = 0; i < GUARDS_MAX && handle < 0; i++)
        if (!atomic_load(&guard_start[i])) handle = i;
    if (handle >= 0) {
        guard_size[handle] = size;
        guard_path[handle] = path;
        atomic_store(&guard_start[handle], (uintptr_t)start);
        if (guards_in_use++ == 0) {
            struct sigaction action;
            memset(&action, 0, sizeof action);
            action.sa_sigaction = on_sigbus;
            action.sa_flags = SA_SIGINFO;
            sigemptyset(&action.sa_mask);
            sigaction(SIGBUS, &action, &previous_action);
        }
    }
    pthread_mutex_unlock(&guard_lock);
    return handle;
}

/* See map_guard.h. */
void map_guard_remove(int handle) {
    if (handle < 0 || handle >= GUARDS_MAX) return;
    pthread_mutex_lock(&guard_lock);
    atomic_store(&guard_start[handle], 0);
    if (--guards_in_use == 0) sigaction(SIGBUS, &previous_action, NULL);
    pthread_mutex_unlock(&guard_lock);
}
