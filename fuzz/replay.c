/* Replays inputs through a fuzz target without fuzzing: the regression test of every target
 * in every build (gcc, clang, the sanitizer build). Usage:
 *   fuzz_NAME_replay [--lines | --whole] PATH...
 * A PATH that is a directory is walked recursively (sorted); every regular file is fed whole,
 * and after --lines each of its lines (without the LF) is fed too, so that JSONL fixtures
 * seed per-record targets. A missing path is an error, so a typo cannot pass silently. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_target.h"
#include "util/alloc.h"
#include "util/buf.h"

/* Counters for the closing line. */
typedef struct replay_stats {
    unsigned long files;   /* files read */
    unsigned long inputs;  /* calls into the target */
} replay_stats;

/* Feed size bytes to the target from a buffer of exactly that size (so that ASan sees any
 * read past the end, as under libFuzzer). */
static void feed(const char *bytes, size_t size, replay_stats *stats) {
    uint8_t *copy = xmalloc(size ? size : 1);
    memcpy(copy, bytes, size);
    LLVMFuzzerTestOneInput(copy, size);
    free(copy);
    stats->inputs++;
}

/* Read the whole file at path into out. -1 (reported) when it cannot be read. */
static int read_file(const char *path, buf_t *out) {
    FILE *file = fopen(path, "rb");
    if (!file) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char block[65536];
    size_t n;
    while ((n = fread(block, 1, sizeof block, file)) > 0) buf_append(out, block, n);
    int rc = ferror(file) ? -1 : 0;
    if (rc) fprintf(stderr, "replay: %s: read error\n", path);
    fclose(file);
    return rc;
}

/* Feed one file whole and, with by_line, line by line. */
static int replay_file(const char *path, bool by_line, replay_stats *stats) {
    buf_t text = BUF_INIT;
    if (read_file(path, &text) != 0) {
        buf_free(&text);
        return -1;
    }
    stats->files++;
    feed(text.data ? text.data : "", text.len, stats);
    for (size_t start = 0; by_line && start < text.len;) {
        const char *nl = memchr(text.data + start, '\n', text.len - start);
        size_t end = nl ? (size_t)(nl - text.data) : text.len;
        feed(text.data + start, end - start, stats);
        start = end + 1;
    }
    buf_free(&text);
    return 0;
}

/* Sort directory entries by name, for a stable order. */
static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replay a file, or every file under a directory. -1 when something could not be read. */
static int replay_path(const char *path, bool by_line, replay_stats *stats) {
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) return replay_file(path, by_line, stats);
    DIR *dir = opendir(path);
    if (!dir) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (entry->d_name[0] == '.') continue; /* ., .. and hidden files such as .gitkeep */
        names = xreallocarray(names, count + 1, sizeof *names);
        size_t len = strlen(path) + strlen(entry->d_name) + 2;
        names[count] = xmalloc(len);
        snprintf(names[count], len, "%s/%s", path, entry->d_name);
        count++;
    }
    closedir(dir);
    if (count) qsort(names, count, sizeof *names, by_name);
    int rc = 0;
    for (size_t i = 0; i < count; i++) {
        if (replay_path(names[i], by_line, stats) != 0) rc = -1;
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv) {
    replay_stats stats = {0, 0};
    bool by_line = false;
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--lines") == 0) by_line = true;
        else if (strcmp(argv[i], "--whole") == 0) by_line = false;
        else if (replay_path(argv[i], by_line, &stats) != 0) rc = 1;
    }
    printf("replayed %lu inputs from %lu files\n", stats.inputs, stats.files);
    return rc;
}
