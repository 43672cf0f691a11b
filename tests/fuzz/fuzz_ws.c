/*
 * A WebSocket client's message as the event worker reads it once wslay has framed it: the
 * JSON text, the family it speaks (ws_family_guess), a subscribe and an unsubscribe in
 * each family's words (ws_subs_apply), then the subscriptions matched and listed.
 */
#include <json-c/json.h>

#include "../../src/events/ws_internal.h"
#include "fuzz.h"
#include "jsonutil.h"

static void subscribe_as(struct json_object *msg, enum ws_family f)
{
    struct ws_subs subs = {0};
    const char *why;
    if (ws_subs_apply(&subs, f, msg, 1, &why) == 0) {
        (void)ws_subs_match(&subs, f, "chat.message");
        (void)ws_subs_match(&subs, f, "call.ended");
        json_object_put(ws_subs_json(&subs, f));
    }
    (void)ws_subs_apply(&subs, f, msg, 0, &why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct json_object *msg = NULL;
    if (size > WS_MSG_MAX || json_parse_object((const char *)data, size, &msg) != 0)
        return 0;
    (void)ws_family_guess(msg);
    subscribe_as(msg, WS_CALLCENTER);
    subscribe_as(msg, WS_COLDCALLER);
    subscribe_as(msg, WS_CALLDOCKER);
    json_object_put(msg);
    return 0;
}
