/* The custom_id index: insert, find, duplicates, growth, digest order. */
#include <stdio.h>
#include <stdlib.h>

#include "batch/index.h"
#include "test.h"

TEST(insert_find_and_duplicates) {
    custom_id_index index = CUSTOM_ID_INDEX_INIT;
    bool existed;
    index_entry *a = index_insert(&index, STR_LIT("request-1"), &existed);
    CHECK(!existed);
    a->record_offset = 42;
    a->record_line = 3;
    index_entry *again = index_insert(&index, STR_LIT("request-1"), &existed);
    CHECK(existed);
    CHECK_INT(again->record_offset, 42);
    CHECK_INT(index.count, 1);
    CHECK(index_find(&index, STR_LIT("request-2")) == NULL);
    index_entry *found = index_find(&index, STR_LIT("request-1"));
    CHECK(found != NULL);
    if (found) CHECK_BTSTR(index_custom_id(&index, found), "request-1");
    index_free(&index);
}

TEST(growth_keeps_every_entry) {
    custom_id_index index = CUSTOM_ID_INDEX_INIT;
    char id[32];
    for (int i = 0; i < 100000; i++) {
        int n = snprintf(id, sizeof id, "item-%d", i);
        bool existed;
        index_entry *e = index_insert(&index, (bt_str){id, (size_t)n}, &existed);
        CHECK(!existed);
        e->record_line = (uint32_t)i + 1;
    }
    CHECK_INT(index.count, 100000);
    int wrong = 0;
    for (int i = 0; i < 100000; i++) {
        int n = snprintf(id, sizeof id, "item-%d", i);
        index_entry *e = index_find(&index, (bt_str){id, (size_t)n});
        if (!e || e->record_line != (uint32_t)i + 1) wrong++;
    }
    CHECK_INT(wrong, 0);
    /* the memory bar of issue 6: at most 64 bytes per item besides the custom_id bytes */
    size_t bytes = index.capacity * sizeof(index_entry) + index.slot_count * sizeof(uint32_t);
    CHECK(bytes / index.count <= 64);
    CHECK_INT(sizeof(index_entry), 32);
    index_free(&index);
}

TEST(digest_is_over_sorted_ids_each_followed_by_newline) {
    custom_id_index index = CUSTOM_ID_INDEX_INIT;
    bool existed;
    index_insert(&index, STR_LIT("b"), &existed);
    index_insert(&index, STR_LIT("a"), &existed);
    index_insert(&index, STR_LIT("ab"), &existed);
    uint8_t digest[SHA256_LEN], expected[SHA256_LEN];
    index_digest(&index, digest);
    sha256("a\nab\nb\n", 7, expected);
    CHECK(memcmp(digest, expected, SHA256_LEN) == 0);
    index_free(&index);
}

int main(void) {
    RUN(insert_find_and_duplicates);
    RUN(growth_keeps_every_entry);
    RUN(digest_is_over_sorted_ids_each_followed_by_newline);
    TEST_MAIN_END();
}
