/* Fuzz target: item marks (src/store/marks.c), the rows of item_marks as a store file or a
 * PostgreSQL table holds them, which anyone with the file can damage. The input is a list
 * of rows, each a header byte (its low two bits: 0 a delivered row, 1 to 3 a run's row of
 * that run id; bit 2: the row is empty, a release) and a 2-byte little-endian length, then
 * that many bytes of ids; a row cut short takes what is left.
 *
 * Every row goes to mark_view_apply, and to a model: a plain list of (id, owner) pairs
 * decoded here by the form marks.h states (a varint length, then the bytes). The view must
 * accept exactly the rows the model decodes whole, and agree with the model on every id's
 * owner after every row: a delivered id stays delivered, a release frees what the run held,
 * a later claim takes the id. Then the decisions (marks_decide_claim with every other run
 * dead, marks_decide_delivered) run on the ids seen, and marks_pack's bytes of the ids of
 * a row apply again to the same owners. */
#include <string.h>

#include "fuzz_target.h"
#include "store/marks.h"
#include "util/buf.h"

/* One id the model knows, and its owner (MARK_DELIVERED, MARK_FREE or a run id). */
typedef struct model_id {
    const unsigned char *bytes;
    size_t len;
    int64_t owner;
} model_id;

/* The model: every id seen, in first-seen order (fuzz inputs are small: linear search). */
typedef struct model {
    model_id *ids;
    size_t count;
} model;

/* The model's entry of id, or NULL. */
static model_id *model_find(model *m, const unsigned char *bytes, size_t len) {
    for (size_t i = 0; i < m->count; i++)
        if (m->ids[i].len == len && (len == 0 || memcmp(m->ids[i].bytes, bytes, len) == 0))
            return &m->ids[i];
    return NULL;
}

/* Set id's owner in the model as mark_view_set does: a delivered id stays delivered. */
static void model_set(model *m, const unsigned char *bytes, size_t len, int64_t owner) {
    model_id *id = model_find(m, bytes, len);
    if (!id) {
        m->ids = realloc(m->ids, (m->count + 1) * sizeof *m->ids);
        FUZZ_CHECK(m->ids != NULL);
        id = &m->ids[m->count++];
        *id = (model_id){bytes, len, owner};
        return;
    }
    if (id->owner != MARK_DELIVERED) id->owner = owner;
}

/* Decode ids[0..len) as varint lengths and bytes: the number of whole ids, or -1 when the
 * bytes are not in that form. With apply, each id is also set to owner in the model. */
static long model_decode(model *m, const unsigned char *ids, size_t len, int64_t owner,
                         int apply) {
    size_t at = 0;
    long count = 0;
    while (at < len) {
        uint64_t id_len = 0;
        int shift = 0, done = 0;
        while (at < len && shift < 64) {
            unsigned char byte = ids[at++];
            id_len |= (uint64_t)(byte & 0x7f) << shift;
            shift += 7;
            if (!(byte & 0x80)) {
                done = 1;
                break;
            }
        }
        if (!done || id_len > len - at) return -1;
        if (apply) model_set(m, ids + at, (size_t)id_len, owner);
        at += (size_t)id_len;
        count++;
    }
    return count;
}

/* Every run other than the one claiming is dead: claims take what they hold. */
static int every_run_dead(void *ctx, int64_t run_id, bool *dead, char *reason) {
    (void)ctx;
    (void)run_id;
    (void)reason;
    *dead = true;
    return 0;
}

/* The view and the model agree on every id the model knows. */
static void check_agree(const mark_view *view, const model *m) {
    for (size_t i = 0; i < m->count; i++) {
        bt_str id = {(const char *)m->ids[i].bytes, m->ids[i].len};
        FUZZ_CHECK(mark_view_owner(view, id) == m->ids[i].owner);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    mark_views views = {0};
    mark_view *view = mark_views_get(&views, "fuzz");
    model m = {0};
    int64_t seq = 0;
    size_t at = 0;
    while (at + 3 <= size) {
        unsigned header = data[at];
        size_t len = (size_t)data[at + 1] | (size_t)data[at + 2] << 8;
        at += 3;
        if (len > size - at) len = size - at;
        const unsigned char *ids = data + at;
        at += len;
        int64_t owner = (header & 3) ? (int64_t)(header & 3) : MARK_DELIVERED;
        if ((header & 4) && owner != MARK_DELIVERED) len = 0; /* a release row */
        seq++;
        long whole = model_decode(&m, ids, len, owner, 0);
        int rc = mark_view_apply(view, seq, owner, ids, len);
        if (whole < 0) {
            FUZZ_CHECK(rc == -1);
            /* What the view applied before the bad part is now unknown to the model: start
             * both again from nothing, as a backend that forgets a failed view does. */
            mark_views_forget(&views, "fuzz");
            view = mark_views_get(&views, "fuzz");
            m.count = 0;
            continue;
        }
        FUZZ_CHECK(rc == 0);
        FUZZ_CHECK(mark_view_cursor(view) == seq);
        if (len == 0 && owner != MARK_DELIVERED) {
            for (size_t i = 0; i < m.count; i++)
                if (m.ids[i].owner == owner) m.ids[i].owner = MARK_FREE;
        }
        model_decode(&m, ids, len, owner, 1);
        check_agree(view, &m);
    }

    /* The decisions on every id seen: run 9 claims them all (others are dead), then all are
     * delivered; ids delivered before stay out of both lists. */
    size_t count = m.count;
    bt_str *ids = calloc(count + 1, sizeof *ids);
    bt_str *take = calloc(count + 1, sizeof *take);
    claim_outcome *outcomes = calloc(count + 1, sizeof *outcomes);
    FUZZ_CHECK(ids && take && outcomes);
    size_t delivered_before = 0;
    for (size_t i = 0; i < count; i++) {
        ids[i] = (bt_str){(const char *)m.ids[i].bytes, m.ids[i].len};
        delivered_before += m.ids[i].owner == MARK_DELIVERED;
    }
    size_t take_count = 0;
    char reason[REASON_MAX];
    FUZZ_CHECK(marks_decide_claim(view, 9, ids, count, every_run_dead, NULL, outcomes, take,
                                  &take_count, reason) == 0);
    for (size_t i = 0; i < count; i++) {
        FUZZ_CHECK(outcomes[i] == (m.ids[i].owner == MARK_DELIVERED ? CLAIM_DELIVERED
                                                                     : CLAIM_WON));
        FUZZ_CHECK(mark_view_owner(view, ids[i]) ==
                   (m.ids[i].owner == MARK_DELIVERED ? MARK_DELIVERED : 9));
    }
    FUZZ_CHECK(take_count == count - delivered_before);

    /* marks_pack's form of the ids taken applies again, to the same owner. */
    buf_t packed = BUF_INIT;
    marks_pack(&packed, take, take_count);
    FUZZ_CHECK(model_decode(&m, (const unsigned char *)packed.data, packed.len, 9, 0) ==
               (long)take_count);
    FUZZ_CHECK(mark_view_apply(view, seq + 1, 9, packed.data, packed.len) == 0);
    for (size_t i = 0; i < take_count; i++) FUZZ_CHECK(mark_view_owner(view, take[i]) == 9);

    FUZZ_CHECK(marks_decide_delivered(view, ids, count, take) == count - delivered_before);
    for (size_t i = 0; i < count; i++) FUZZ_CHECK(mark_view_owner(view, ids[i]) == MARK_DELIVERED);

    buf_free(&packed);
    free(ids);
    free(take);
    free(outcomes);
    free(m.ids);
    mark_views_free(&views);
    return 0;
}
