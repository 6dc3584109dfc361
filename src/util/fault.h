/* Fault injection, for the crash tests only (tests/cli/crash.sh; docs/design.md, "Crash
 * safety"). BATCHTRACE_FAULT=POINT:N makes the process kill itself with SIGKILL the Nth
 * time it passes the named point (N from 1), so a test can stop a run at an exact instant:
 * between a request's acceptance and its delivered mark, inside a claim transaction, and so
 * on. POINT:N:TERM (or INT, STOP) sends that signal instead: the process's own handling
 * of it is then what is tested (STOP lets a test change a file under a stopped run). Unset (the normal case) a point costs one load and a compare. It is compiled into
 * every build on purpose: the binary the crash tests prove is the binary users run. */
#ifndef BT_UTIL_FAULT_H
#define BT_UTIL_FAULT_H

/* Pass the point named name (a string literal, e.g. "store.mark"): the signal (SIGKILL
 * unless told) when BATCHTRACE_FAULT names it and this is the Nth pass. Thread-safe. */
void fault_point(const char *name);

#endif
