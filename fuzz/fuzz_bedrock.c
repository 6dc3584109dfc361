/* Fuzz target: the Bedrock provider (src/providers/bedrock.c); see provider_target.h. */
#include "provider_target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return fuzz_provider(&provider_bedrock, data, size);
}
