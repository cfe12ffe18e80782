/*
 * Names and OBIS codes of the history logs (include/meterd/hist.h).
 *
 * The name is the log's key in the SQLite store, the CSV export and the JSON/MQTT names, so it
 * never changes once released. The OBIS codes are those of the enum's comments (IEC 62056-6-1,
 * profile generic objects of IC 7).
 */
#include "meterd/hist.h"

#include <stddef.h>
#include <stdint.h>

/** Name and OBIS code (A..F) of one log. */
struct hist_log_desc {
    const char *name;
    uint8_t obis[6];
};

/* Indexed by enum mtr_hist_log. */
static const struct hist_log_desc hist_logs[MTR_HIST_LOG_COUNT] = {
    [MTR_HIST_PROFILE_1] = {"profile_1",       {1, 0, 99, 1, 0, 255} },
    [MTR_HIST_PROFILE_PQ] = {"profile_pq",      {1, 0, 99, 14, 0, 255}},
    [MTR_HIST_PROFILE_AVG] = {"profile_avg",     {1, 0, 99, 13, 0, 255}},
    [MTR_HIST_PROFILE_MIN] = {"profile_min",     {1, 0, 99, 13, 1, 255}},
    [MTR_HIST_PROFILE_MAX] = {"profile_max",     {1, 0, 99, 13, 2, 255}},
    [MTR_HIST_BILLING_MONTHLY] = {"billing_monthly", {1, 0, 98, 1, 0, 255} },
    [MTR_HIST_BILLING_DAILY] = {"billing_daily",   {1, 0, 98, 2, 0, 255} },
    [MTR_HIST_EVENT_STD] = {"event_std",       {0, 0, 99, 98, 0, 255}},
    [MTR_HIST_EVENT_FRAUD] = {"event_fraud",     {0, 0, 99, 98, 1, 255}},
    [MTR_HIST_EVENT_DISC] = {"event_disc",      {0, 0, 99, 98, 2, 255}},
    [MTR_HIST_EVENT_PQ] = {"event_pq",        {0, 0, 99, 98, 4, 255}},
    [MTR_HIST_EVENT_PWR] = {"event_pwr",       {1, 0, 99, 97, 0, 255}},
    [MTR_HIST_EVENT_CFG] = {"event_cfg",       {0, 0, 99, 98, 3, 255}},
};

const char *
mtr_hist_log_name(enum mtr_hist_log log)
{
    if ((unsigned)log >= (unsigned)MTR_HIST_LOG_COUNT) {
        return NULL;
    }
    return hist_logs[log].name;
}

void
mtr_hist_log_obis(enum mtr_hist_log log, uint8_t obis[6])
{
    size_t i;

    if (obis == NULL) {
        return;
    }
    for (i = 0; i < 6u; i++) {
        obis[i] = ((unsigned)log < (unsigned)MTR_HIST_LOG_COUNT) ? hist_logs[log].obis[i] : 0u;
    }
}
