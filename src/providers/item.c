/* Names of the normalized item's enums, as exported in `batchtrace.result`. */
#include "providers/item.h"

const char *item_result_name(item_result r) {
    switch (r) {
    case RESULT_SUCCEEDED: return "succeeded";
    case RESULT_ERRORED: return "errored";
    case RESULT_CANCELED: return "canceled";
    case RESULT_EXPIRED: return "expired";
    case RESULT_MISSING: return "missing";
    }
    return "unknown"; /* not an item_result: a caller bug, named rather than crashing */
}
