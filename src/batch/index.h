/* The custom_id index: maps each custom_id to where its request record sits in the input
 * file (offset and length, not a parsed copy) and what has been seen of it since. Entries
 * are 32 bytes in a dense array grown by half (at most 48 bytes per item), found through a
 * hash table of 4-byte entry numbers kept between 3/8 and 3/4 full (at most 11 bytes per
 * item), plus the custom_id bytes in one pool: under 64 bytes per item plus the custom_id.
 * The index owns its arrays and pool. */
#ifndef BT_BATCH_INDEX_H
#define BT_BATCH_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/hash.h"
#include "util/str.h"

/* An input record's offset fits 48 bits (inputs under 256 TiB), which leaves 16 for the
 * results file: an entry stays 32 bytes however many results files a run reads. */
#define INDEX_OFFSET_LIMIT ((uint64_t)1 << 48)
#define INDEX_RESULT_FILES_MAX ((size_t)1 << 16)

/* What the index knows about one custom_id. */
typedef struct index_entry {
    uint64_t record_offset : 48; /* byte offset of the request record in the inputs
                                    (below INDEX_OFFSET_LIMIT) */
    uint64_t result_file : 16;   /* which results file held the first result (below
                                    INDEX_RESULT_FILES_MAX) */
    uint32_t record_len;     /* its length; 0 when there is no input record */
    uint32_t record_line;    /* its 1-based line in the input file (0 when none) */
    uint32_t id_offset;      /* where the custom_id starts in the pool */
    uint16_t id_len;         /* custom_id length (custom_ids are at most 64 KiB) */
    uint8_t flags;           /* INDEX_* bits below */
    uint32_t result_line;    /* the line of the first result (0: none yet) */
    uint32_t hash;           /* the custom_id's hash, to skip most comparisons */
} index_entry;
_Static_assert(sizeof(index_entry) == 32, "an index entry is 32 bytes (docs/design.md)");

enum {
    INDEX_HAS_INPUT = 1,     /* an input record was indexed */
    INDEX_HAS_RESULT = 2,    /* a result was exported for it */
    INDEX_CLAIM_ASKED = 4,   /* with a context: its claim was asked of the store */
    INDEX_CLAIMED = 8,       /* with a context: this run won its claim (exports it) */
    INDEX_HELD = 16,         /* with a context: another live run holds its claim */
};

typedef struct custom_id_index {
    index_entry *entries;    /* dense, in insertion order */
    size_t count;            /* entries in use */
    size_t capacity;         /* entries allocated */
    uint32_t *slots;         /* open addressing, linear probing: entry number + 1, 0 = empty */
    size_t slot_count;       /* a power of two */
    char *pool;              /* custom_id bytes, back to back */
    size_t pool_len;
    size_t pool_cap;
} custom_id_index;

#define CUSTOM_ID_INDEX_INIT {NULL, 0, 0, NULL, 0, NULL, 0, 0}

/* The entry for custom_id, or NULL. Borrowed: valid until the next index_insert. */
index_entry *index_find(const custom_id_index *index, bt_str custom_id);
/* Insert custom_id (which must not be empty nor over 65535 bytes) and return its entry,
 * zeroed but for the id; *existed says whether it was already there (then the entry is
 * the existing one, untouched). NULL when the index is full (4 GiB of custom_ids or 2^32
 * entries). Borrowed: valid until the next index_insert. */
index_entry *index_insert(custom_id_index *index, bt_str custom_id, bool *existed);
/* The custom_id of an entry. */
bt_str index_custom_id(const custom_id_index *index, const index_entry *entry);
/* SHA-256 over the sorted custom_ids, each followed by '\n' (docs/design.md). */
void index_digest(const custom_id_index *index, uint8_t out[SHA256_LEN]);
/* Entries in custom_id order (a new array of borrowed pointers; the caller frees it). */
index_entry **index_sorted(const custom_id_index *index);
/* The entries whose flags have every bit of set and none of clear, in custom_id order, as
 * index_sorted; *count says how many. Sorting only those is what keeps a complete batch's
 * end cheap (no unmatched entries, nothing to sort). */
index_entry **index_sorted_where(const custom_id_index *index, uint8_t set, uint8_t clear,
                                 size_t *count);
/* Release everything. */
void index_free(custom_id_index *index);

#endif
