/* batchtrace-bench-index-cost: what the input index costs per item. Indexes an input file
 * exactly as collect does (inputs_index), then adds up the index's allocations from its
 * documented layout (src/batch/index.h): the entry array (capacity x entry size), the hash
 * slots (slot count x 4 bytes) and the custom_id pool (its allocated size).
 *
 *   batchtrace-bench-index-cost INPUT_FILE
 *
 * Prints one line of "name value" pairs: items, custom_id_bytes (the ids themselves),
 * entry_bytes, slot_bytes, pool_bytes, and per_item_beyond_custom_id: (entries + slots +
 * unused pool) / items, the figure the issue bounds at 64 bytes. */
#include <stdio.h>

#include "batch/diag.h"
#include "batch/index.h"
#include "batch/inputs.h"
#include "source/source.h"
#include "util/reason.h"

/* Index the file named on the command line and print the index's cost. */
int main(int argc, char **argv) {
    if (argc != 2) {
        fputs("usage: batchtrace-bench-index-cost INPUT_FILE\n", stderr);
        return 2;
    }
    custom_id_index index = CUSTOM_ID_INDEX_INIT;
    diag_sink diags = {{NULL, 0, 0}, {NULL, 0, 0}, NULL, NULL};
    source_t src;
    input_file input;
    char reason[REASON_MAX];
    int status = 1;
    if (source_open(&src, argv[1], reason) != 0 ||
        inputs_index(&input, &src, NULL, &index, &diags, reason) != 0) {
        fprintf(stderr, "batchtrace-bench-index-cost: %s\n", reason);
        goto done;
    }
    if (index.count == 0) {
        fprintf(stderr, "batchtrace-bench-index-cost: %s: no records\n", argv[1]);
        goto done;
    }
    size_t entry_bytes = index.capacity * sizeof *index.entries;
    size_t slot_bytes = index.slot_count * sizeof *index.slots;
    size_t beyond_ids = entry_bytes + slot_bytes + (index.pool_cap - index.pool_len);
    printf("items %zu rejected %llu custom_id_bytes %zu entry_bytes %zu slot_bytes %zu "
           "pool_bytes %zu per_item_beyond_custom_id %.1f\n",
           index.count, (unsigned long long)diags.rejected.total, index.pool_len, entry_bytes,
           slot_bytes, index.pool_cap, (double)beyond_ids / (double)index.count);
    status = 0;
done:
    source_close(&src);
    index_free(&index);
    diag_sink_free(&diags);
    return status;
}
