/* A schedule's hours and holidays (tenant input, schedule.h): "hours JSON\nholidays JSON". */
#include <stdlib.h>

#include "fuzz.h"
#include "schedule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *hours = fuzz_cstr(data, size);
    if (hours == NULL)
        return 0;
    char *holidays = fuzz_split(hours, '\n');
    /* A Monday noon and a Sunday night, in a zone with DST. */
    (void)schedule_is_open(hours, holidays, "America/New_York", 1764590400);
    (void)schedule_is_open(hours, holidays, "UTC", 1764543600);
    free(hours);
    return 0;
}
