#ifndef SB_SCHEDULE_H
#define SB_SCHEDULE_H
/*
 * Opening hours (the `schedules` table, 002): whether a schedule is open at an instant.
 * Pure apart from the process's TZ, which it sets for the call and puts back (the pool's
 * workers and the event worker are single-threaded), so the system's zoneinfo does the DST
 * arithmetic; no database, no allocation that outlives the call.
 *
 *   hours     {"mon":[{"open":"09:00","close":"17:00"}],"tue":[…],…}: wall-clock ranges in
 *             the schedule's zone; "close" may be "24:00". A range whose close is before its
 *             open runs overnight (22:00-06:00 is open from 22:00 on that day until 06:00
 *             the next). A day that is absent or [] is closed; NULL (or JSON null) hours
 *             mean always open. Day keys are mon…sun (monday…sunday also read).
 *   holidays  [{"date":"2025-12-25","name":"…"}] (a bare "2025-12-25" also read): the
 *             whole local date is closed, the early hours a previous night's range would
 *             reach into included, and the holiday's own ranges do not run into the next
 *             day. NULL: none.
 *   tz        an IANA zone name ("Europe/Paris"); NULL or "" is UTC.
 */
#include <time.h>

enum schedule_answer {
    SCHEDULE_ERROR = -1, /* unknown zone, or hours/holidays that are not what is above */
    SCHEDULE_CLOSED = 0,
    SCHEDULE_OPEN = 1,
};

enum schedule_answer schedule_is_open(const char *hours_json, const char *holidays_json,
                                      const char *tz, time_t when);

/* The wall-clock time of `when` in zone tz (NULL or "": UTC) into *out. 0, or -1 when the
 * zone is not one the system knows. */
int schedule_local_time(const char *tz, time_t when, struct tm *out);

/* "HH:MM" (00:00 to 24:00) as minutes since midnight; -1 when not that. */
int schedule_minutes(const char *hhmm);

/* NULL when hours and holidays are what is above (every day and range read), else the
 * name of the one that is not: "hours" or "holidays". */
const char *schedule_invalid(const char *hours_json, const char *holidays_json);

/* How far ahead schedule_state() looks for the next change. */
#define SCHEDULE_HORIZON_DAYS 8

enum schedule_state {
    SCHEDULE_STATE_ERROR = -1, /* as SCHEDULE_ERROR */
    SCHEDULE_STATE_CLOSED = 0,
    SCHEDULE_STATE_OPEN = 1,
    SCHEDULE_STATE_HOLIDAY = 2, /* closed: the local date is one of the holidays */
};

/*
 * The state at `when`: open exactly when schedule_is_open() says so (the same reading),
 * holiday when closed by a holiday of that local date. *next gets the first instant after
 * `when`, within SCHEDULE_HORIZON_DAYS, at which the state differs (0: none in that time);
 * next may be NULL when only the state is wanted.
 */
enum schedule_state schedule_state(const char *hours_json, const char *holidays_json,
                                   const char *tz, time_t when, time_t *next);

#endif
