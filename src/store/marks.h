/* Item marks (docs/design.md, "Item marks"): what the store knows of a batch's custom_ids,
 * as one store handle has read it. Both backends keep a batch's marks as rows of many ids
 * (item_marks: one row per claim transaction, one per delivered transaction), appended in
 * order under the batch's lock, so a claim of a thousand ids writes one row, not a thousand
 * scattered index entries. A handle reads the rows of a batch once and then only the rows
 * appended since (its cursor), into a map of custom_id -> owner: a run id (claimed by that
 * run), MARK_DELIVERED, or nothing (MARK_FREE). The backend decides claims on that map
 * while it holds the batch's lock, so the map is exact for the length of the transaction.
 * A transaction that fails leaves the map ahead of the store: the backend then forgets the
 * batch's view (mark_views_forget), and the next call reads it whole again. */
#ifndef BT_STORE_MARKS_H
#define BT_STORE_MARKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/buf.h"
#include "util/str.h"

/* An id's owner in a view: a run id (> 0) claimed it, or one of these. */
#define MARK_DELIVERED INT64_C(0)
#define MARK_FREE INT64_C(-1)

/* One batch's marks as this handle read them. */
typedef struct mark_view mark_view;

/* The views of one store handle, one per batch it touched (owned by the handle). */
typedef struct mark_views {
    mark_view **items;        /* owned */
    size_t count;
} mark_views;

/* The view of nonce's batch: the one views holds, or a new empty one (cursor 0, nothing
 * read yet) that views owns. */
mark_view *mark_views_get(mark_views *views, const char *nonce);
/* Drop nonce's view (after a transaction that failed): the next get starts empty. */
void mark_views_forget(mark_views *views, const char *nonce);
/* Drop every view and the array. */
void mark_views_free(mark_views *views);

/* The seq of the last row applied (0: none; the backend reads the rows after it). */
int64_t mark_view_cursor(const mark_view *view);
/* Whether the rows of the per-id table of stores made before item_marks were read. */
bool mark_view_legacy_read(const mark_view *view);
void mark_view_set_legacy_read(mark_view *view);
/* Apply one item_marks row: seq (becomes the cursor), owner (a run id, or MARK_DELIVERED for
 * a delivered row), ids as marks_pack wrote them. A run's row without ids says the run gave
 * back what it held of the batch (store_run_release): its ids become free. A delivered id
 * stays delivered whatever a later row says. 0, or -1 when the ids are not marks_pack's
 * form (nothing after the bad part applied). */
int mark_view_apply(mark_view *view, int64_t seq, int64_t owner, const void *ids, size_t len);
/* Move the cursor past seq, a row this handle appended and has applied already. */
void mark_view_advance(mark_view *view, int64_t seq);
/* Set one id's owner (a legacy per-id row, or what a transaction decided); a delivered id
 * stays delivered. */
void mark_view_set(mark_view *view, bt_str id, int64_t owner);
/* id's owner: a run id, MARK_DELIVERED or MARK_FREE. */
int64_t mark_view_owner(const mark_view *view, bt_str id);

/* Whether the run run_id is dead (the backend reads its runs): 0 with *dead, or -1 with
 * reason. */
typedef int (*mark_run_dead_fn)(void *ctx, int64_t run_id, bool *dead, char *reason);

/* Decide a claim of ids (count of them) by run on view, which must be up to date under the
 * batch's lock: outcomes[i] is delivered, won (this run's already, or taken: free, or its
 * holder dead by is_dead) or held (a live run's). The ids taken are set to run in view and
 * listed in take (room for count), their number in *take_count: the caller appends them as
 * one row. 0, or -1 with reason (is_dead failed). */
int marks_decide_claim(mark_view *view, int64_t run, const bt_str *ids, size_t count,
                       mark_run_dead_fn is_dead, void *ctx, claim_outcome *outcomes,
                       bt_str *take, size_t *take_count, char *reason);
/* The ids (count of them) not delivered before, set delivered in view and listed in fresh
 * (room for count; an id given twice once): their number. */
size_t marks_decide_delivered(mark_view *view, const bt_str *ids, size_t count, bt_str *fresh);

/* Append ids to out in item_marks' form: each a varint length then its bytes. */
void marks_pack(buf_t *out, const bt_str *ids, size_t count);

#endif
