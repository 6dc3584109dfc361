/* Item marks (src/store/marks.h): rows packed and read back, owners as rows decide them,
 * a run's row without ids, damaged rows, many ids. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/marks.h"
#include "test.h"

TEST(rows_decide_owners_in_order) {
    mark_views views = {NULL, 0};
    mark_view *view = mark_views_get(&views, "00000000000000000000000000000001");
    CHECK(mark_views_get(&views, "00000000000000000000000000000001") == view);
    CHECK_INT(mark_view_cursor(view), 0);
    char long_id[300];
    memset(long_id, 'x', sizeof long_id); /* a length of two varint bytes */
    bt_str ids[4] = {STR_LIT("a"), {"n\0ul", 4}, {long_id, sizeof long_id}, STR_LIT("")};
    buf_t row = BUF_INIT;
    marks_pack(&row, ids, 4);
    CHECK_INT(row.len, 1 + 1 + 1 + 4 + 2 + 300 + 1 + 0);
    CHECK_INT(mark_view_apply(view, 5, 7, row.data, row.len), 0); /* run 7 claims all four */
    CHECK_INT(mark_view_cursor(view), 5);
    for (int i = 0; i < 4; i++) CHECK_INT(mark_view_owner(view, ids[i]), 7);
    CHECK_INT(mark_view_owner(view, STR_LIT("b")), MARK_FREE);
    buf_clear(&row);
    marks_pack(&row, ids, 1);
    CHECK_INT(mark_view_apply(view, 6, MARK_DELIVERED, row.data, row.len), 0); /* a delivered */
    CHECK_INT(mark_view_apply(view, 8, 9, row.data, row.len), 0); /* a later claim: no matter */
    CHECK_INT(mark_view_owner(view, ids[0]), MARK_DELIVERED);
    CHECK_INT(mark_view_apply(view, 9, 7, NULL, 0), 0); /* run 7 gave back what it held */
    CHECK_INT(mark_view_owner(view, ids[0]), MARK_DELIVERED);
    CHECK_INT(mark_view_owner(view, ids[1]), MARK_FREE);
    CHECK_INT(mark_view_owner(view, ids[2]), MARK_FREE);
    mark_view_set(view, ids[1], 11);
    CHECK_INT(mark_view_owner(view, ids[1]), 11);
    mark_view_advance(view, 4); /* never backwards */
    CHECK_INT(mark_view_cursor(view), 9);
    buf_free(&row);
    mark_views_forget(&views, "00000000000000000000000000000001");
    view = mark_views_get(&views, "00000000000000000000000000000001"); /* read afresh */
    CHECK_INT(mark_view_cursor(view), 0);
    CHECK_INT(mark_view_owner(view, ids[0]), MARK_FREE);
    mark_views_free(&views);
}

TEST(a_damaged_row_is_refused) {
    mark_views views = {NULL, 0};
    mark_view *view = mark_views_get(&views, "00000000000000000000000000000002");
    static const unsigned char cut[] = {3, 'a', 'b'};           /* says 3 bytes, has 2 */
    static const unsigned char endless[] = {0x80, 0x80, 0x80};  /* a varint never ending */
    CHECK_INT(mark_view_apply(view, 1, 4, cut, sizeof cut), -1);
    CHECK_INT(mark_view_apply(view, 1, 4, endless, sizeof endless), -1);
    CHECK_INT(mark_view_cursor(view), 0);
    mark_views_free(&views);
}

TEST(many_ids_in_many_batches) {
    mark_views views = {NULL, 0};
    mark_view *first = mark_views_get(&views, "00000000000000000000000000000003");
    mark_view *second = mark_views_get(&views, "00000000000000000000000000000004");
    char id[32];
    for (int i = 0; i < 100000; i++) {
        int n = snprintf(id, sizeof id, "req-%d", i);
        mark_view_set(first, (bt_str){id, (size_t)n}, i % 2 ? MARK_DELIVERED : 3);
    }
    int wrong = 0;
    for (int i = 0; i < 100000; i++) {
        int n = snprintf(id, sizeof id, "req-%d", i);
        if (mark_view_owner(first, (bt_str){id, (size_t)n}) != (i % 2 ? MARK_DELIVERED : 3))
            wrong++;
        if (mark_view_owner(second, (bt_str){id, (size_t)n}) != MARK_FREE) wrong++;
    }
    CHECK_INT(wrong, 0);
    mark_views_free(&views);
}

int main(void) {
    RUN(rows_decide_owners_in_order);
    RUN(a_damaged_row_is_refused);
    RUN(many_ids_in_many_batches);
    TEST_MAIN_END();
}
