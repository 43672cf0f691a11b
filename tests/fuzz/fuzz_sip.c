/*
 * A SIP trunk's answer as the client reads it: libre decodes the bytes (sip_msg_decode) and
 * sip_client_read_response() reads code, reason and the expiry granted to our Contact, as for
 * a REGISTER that asked for an hour and for an unregister.
 */
#include "fuzz.h"
#include "sip_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sip_result res;
    if (size > 65536)
        return 0;
    (void)sip_client_read_response(data, size, "alice", 3600, &res);
    (void)sip_client_read_response(data, size, NULL, 0, &res);
    return 0;
}
