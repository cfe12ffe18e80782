/*
 * Entry queue, events and the column tables of the logs (app.h).
 */
#include <string.h>

#include "app_int.h"
#include "meterd/app.h"

struct mtr_hist_entry *
mtr_app_new_entry(struct mtr_app *app, enum mtr_hist_log log, int64_t t_us)
{
    if (app->queued >= MTR_APP_QUEUE_CAP) {
        app->lost++;
        return NULL;
    }
    struct mtr_hist_entry *e = &app->queue[app->queued++];
    memset(e, 0, sizeof(*e));
    e->log = (uint8_t)log;
    e->seq = ++app->st.seq[log];
    e->t_us = t_us;
    return e;
}

void
mtr_app_event(struct mtr_app *app,
              enum mtr_hist_log log,
              uint16_t code,
              int64_t t_us,
              int64_t v0,
              int64_t v1,
              const char *text)
{
    struct mtr_hist_entry *e = mtr_app_new_entry(app, log, t_us);
    if (e == NULL) {
        return;
    }
    e->code = code;
    e->v[0] = v0;
    e->v[1] = v1;
    e->n_values = 2;
    size_t n = 0;
    while (text != NULL && text[n] != '\0' && n + 1u < MTR_HIST_TEXT_CAP) {
        e->text[n] = text[n];
        n++;
    }
    e->text[n] = '\0';
}

const struct mtr_hist_entry *
mtr_app_entries(const struct mtr_app *app, size_t *n)
{
    if (n != NULL) {
        *n = app != NULL ? app->queued : 0u;
    }
    return app != NULL ? app->queue : NULL;
}

void
mtr_app_entries_done(struct mtr_app *app)
{
    if (app != NULL) {
        app->queued = 0;
    }
}

void
mtr_app_log_event(struct mtr_app *app,
                  enum mtr_hist_log log,
                  uint16_t code,
                  int64_t v0,
                  int64_t v1,
                  const char *text)
{
    if (app == NULL || (unsigned)log >= MTR_HIST_LOG_COUNT) {
        return;
    }
    mtr_app_event(app, log, code, app->st.t_us, v0, v1, text);
}

/* Append src to dst[*n..cap-1], always NUL-terminated. */
static void
append(char *dst, size_t cap, size_t *n, const char *src)
{
    while (src != NULL && *src != '\0' && *n + 1u < cap) {
        dst[(*n)++] = *src++;
    }
    dst[*n] = '\0';
}

void
mtr_app_log_param(struct mtr_app *app,
                  const char *name,
                  const char *old_v,
                  const char *new_v,
                  enum mtr_app_who who)
{
    if (app == NULL || name == NULL) {
        return;
    }
    char text[MTR_HIST_TEXT_CAP];
    size_t n = 0;
    text[0] = '\0';
    append(text, sizeof(text), &n, name);
    append(text, sizeof(text), &n, ": ");
    append(text, sizeof(text), &n, old_v);
    append(text, sizeof(text), &n, " -> ");
    append(text, sizeof(text), &n, new_v);
    mtr_app_event(app, MTR_HIST_EVENT_CFG, MTR_EV_PARAM_CHANGED, app->st.t_us, (int64_t)who, 0,
                  text);
}

/* ---- columns --------------------------------------------------------------------------- */

#define KWH(n)       \
    {                \
        n, "kWh", -9 \
    }
#define KVARH(n)       \
    {                  \
        n, "kvarh", -9 \
    }

static const struct mtr_hist_col k_cols_profile1[] = {
    KWH("a_imp"),
    KWH("a_exp"),
    KVARH("r_imp"),
    KVARH("r_exp"),
    KWH("d_a_imp"),
    KWH("d_a_exp"),
    KVARH("d_r_imp"),
    KVARH("d_r_exp"),
    {"p_imp_avg", "kW", -6},
    {"p_exp_avg", "kW", -6},
    {"tariff",    "",   0 },
};

#define AVG_COLS(sfx)                                                                             \
    {"u_l1" sfx, "V", -3}, {"u_l2" sfx, "V", -3}, {"u_l3" sfx, "V", -3}, {"i_l1" sfx, "A", -3},   \
        {"i_l2" sfx, "A", -3}, {"i_l3" sfx, "A", -3}, {"p" sfx, "kW", -6}, {"q" sfx, "kvar", -6}, \
        {"s" sfx, "kVA", -6}, {"pf" sfx, "", -4},                                                 \
    {                                                                                             \
        "f" sfx, "Hz", -3                                                                         \
    }

static const struct mtr_hist_col k_cols_pq[] = {AVG_COLS("_avg")};
static const struct mtr_hist_col k_cols_avg[] = {AVG_COLS("_avg")};
static const struct mtr_hist_col k_cols_min[] = {AVG_COLS("_min")};
static const struct mtr_hist_col k_cols_max[] = {AVG_COLS("_max")};

static const struct mtr_hist_col k_cols_billing[] = {
    KWH("a_imp"),
    KWH("a_imp_t1"),
    KWH("a_imp_t2"),
    KWH("a_imp_t3"),
    KWH("a_imp_t4"),
    KWH("a_exp"),
    KWH("a_exp_t1"),
    KWH("a_exp_t2"),
    KWH("a_exp_t3"),
    KWH("a_exp_t4"),
    KVARH("r_imp"),
    KVARH("r_imp_t1"),
    KVARH("r_imp_t2"),
    KVARH("r_imp_t3"),
    KVARH("r_imp_t4"),
    KVARH("r_exp"),
    KVARH("r_exp_t1"),
    KVARH("r_exp_t2"),
    KVARH("r_exp_t3"),
    KVARH("r_exp_t4"),
    KWH("period_a_imp"),
    KWH("period_a_exp"),
    KVARH("period_r_imp"),
    KVARH("period_r_exp"),
    {"md_p_imp",      "kW", -6},
    {"md_p_imp_time", "s",  0 },
    {"md_p_exp",      "kW", -6},
    {"md_p_exp_time", "s",  0 },
    {"md_p_imp_t1",   "kW", -6},
    {"md_p_imp_t2",   "kW", -6},
    {"md_p_imp_t3",   "kW", -6},
    {"md_p_imp_t4",   "kW", -6},
};

static const struct mtr_hist_col k_cols_event[] = {
    {"v0", "", 0},
    {"v1", "", 0}
};

#define N_OF(a) ((unsigned)(sizeof(a) / sizeof((a)[0])))

_Static_assert(N_OF(k_cols_billing) <= MTR_HIST_MAX_VALUES, "billing columns fit an entry");
_Static_assert(N_OF(k_cols_profile1) <= 16u, "a profile captures at most 16 objects");

const struct mtr_hist_col *
mtr_app_columns(enum mtr_hist_log log, unsigned *n)
{
    const struct mtr_hist_col *c = NULL;
    unsigned count = 0;
    switch (log) {
    case MTR_HIST_PROFILE_1:
        c = k_cols_profile1;
        count = N_OF(k_cols_profile1);
        break;
    case MTR_HIST_PROFILE_PQ:
        c = k_cols_pq;
        count = N_OF(k_cols_pq);
        break;
    case MTR_HIST_PROFILE_AVG:
        c = k_cols_avg;
        count = N_OF(k_cols_avg);
        break;
    case MTR_HIST_PROFILE_MIN:
        c = k_cols_min;
        count = N_OF(k_cols_min);
        break;
    case MTR_HIST_PROFILE_MAX:
        c = k_cols_max;
        count = N_OF(k_cols_max);
        break;
    case MTR_HIST_BILLING_MONTHLY:
    case MTR_HIST_BILLING_DAILY:
        c = k_cols_billing;
        count = N_OF(k_cols_billing);
        break;
    case MTR_HIST_EVENT_STD:
    case MTR_HIST_EVENT_FRAUD:
    case MTR_HIST_EVENT_DISC:
    case MTR_HIST_EVENT_PQ:
    case MTR_HIST_EVENT_PWR:
    case MTR_HIST_EVENT_CFG:
        c = k_cols_event;
        count = N_OF(k_cols_event);
        break;
    case MTR_HIST_LOG_COUNT:
    default:
        break;
    }
    if (n != NULL) {
        *n = count;
    }
    return c;
}
