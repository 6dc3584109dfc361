/* The copy of a results download for the tracer, written to its temporary file by a thread
 * of its own: the forwarding thread only copies the bytes into a bounded buffer, so the
 * disk's writes run beside the forwarding instead of in its way. It waits for the writer
 * only when the buffer is full (a disk slower than the download). A write that fails (a
 * full disk) drops the copy, never the client's bytes: the download is then not traced,
 * and says so. */
#ifndef BT_PROXY_TEE_H
#define BT_PROXY_TEE_H

#include <stdbool.h>
#include <stddef.h>

#include "source/source.h"

/* The bytes a tee holds between the forwarding thread and its writer. */
#define TEE_BUFFER_BYTES (4u << 20)

typedef struct tee_writer tee_writer;

/* A writer appending to file (a spool of source_spool_new, borrowed until
 * tee_writer_finish). NULL with reason when the thread cannot start. */
tee_writer *tee_writer_start(source_t *file, char *reason);
/* Hand len bytes to the writer (waiting for room when the buffer is full). false once a
 * write failed: the copy is incomplete from then on (tee_writer_finish says why). */
bool tee_writer_put(tee_writer *w, const void *bytes, size_t len);
/* Wait until everything handed over is written, stop the thread and free the writer
 * (NULL-safe). 0 when the copy is whole, -1 with reason. */
int tee_writer_finish(tee_writer *w, char *reason);

#endif
