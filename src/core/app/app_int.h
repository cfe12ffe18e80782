/*
 * Internal interface between the files of the meter application (not public).
 */
#ifndef METERD_APP_INT_H
#define METERD_APP_INT_H

#include "meterd/app.h"

/** Next instant > t_us on the grid of period_s seconds of local normal time. */
int64_t mtr_app_grid_next(const struct mtr_app *app, int64_t t_us, uint32_t period_s);
/** floor(t_us / 1e6). */
int64_t mtr_app_floor_s(int64_t t_us);
/** Recompute app->next_us from the state. */
void mtr_app_schedule(struct mtr_app *app);
/** Rebuild every schedule from st.t_us; extra_status goes to the running profile periods. */
void mtr_app_reschedule_all(struct mtr_app *app, uint32_t extra_status);
/** +A, -A, +R, -R total registers, u-units. */
void mtr_app_total4(const struct mtr_app_state *st, int64_t out[4]);
/** Everything due at st.t_us. */
void mtr_app_boundary(struct mtr_app *app);
/** Next billing instant > t_us: b = 0 monthly, 1 daily; INT64_MAX when disabled. */
int64_t mtr_app_billing_next(const struct mtr_app *app, unsigned b, int64_t t_us);
/** Close a billing period at t_us (b = 0 monthly log, 1 daily log). */
void mtr_app_billing(struct mtr_app *app, unsigned b, int64_t t_us, enum mtr_app_who who);
/** Close the demand sub-interval ending now. */
void mtr_app_demand_close(struct mtr_app *app);
/** Capture profile p now. */
void mtr_app_capture(struct mtr_app *app, enum mtr_app_prof p);
/** Add a frame's values over dt_s seconds to the profile accumulators. */
void mtr_app_accumulate(struct mtr_app *app, const struct mtr_metro_frame *fr, double dt_s);
/** The meter was stopped from from_us to to_us: power-failure log, counts, missed billing. */
void mtr_app_outage(struct mtr_app *app, int64_t from_us, int64_t to_us);
/** Queue an event entry (log, code, time, two values, text). */
void mtr_app_event(struct mtr_app *app,
                   enum mtr_hist_log log,
                   uint16_t code,
                   int64_t t_us,
                   int64_t v0,
                   int64_t v1,
                   const char *text);
/** Queue a new entry of log at t_us; returns it for the caller to fill, or NULL if the queue is
 * full. */
struct mtr_hist_entry *mtr_app_new_entry(struct mtr_app *app, enum mtr_hist_log log, int64_t t_us);

#endif /* METERD_APP_INT_H */
