/*
 * The meter application: what a revenue meter does over days and months.
 *
 * It takes the measurement frames of the metrology, keeps the meter clock
 * (meter time, DESIGN.md), the energy registers, the tariff registers T1..T4
 * selected by the activity calendar (or by communication, or by a digital
 * input), the COUNTIS partial counters, demand and maximum demand, and
 * produces the entries of the load profiles, billing periods and event logs
 * (include/meterd/hist.h) for the edge to store.
 *
 * Every frame is cut at the instants where something happens inside it (a
 * demand sub-interval or capture period ends, a billing date, a tariff
 * switch): each piece adds its share of the frame's energy, so a billing entry
 * holds the registers at the boundary instant and the energies of a period are
 * exact differences of registers. All registers are integers (micro-units);
 * the tariff registers and the partial counters receive the very increments of
 * the total registers, so the sum of T1..T4 equals the total exactly.
 *
 * State that must survive a crash is one plain struct (struct mtr_app_state),
 * committed to NV storage by the edge after every frame together with the
 * entries of that frame (entries first, then the state: the state's sequence
 * numbers decide which entries exist after a restart).
 *
 * Spec: IEC 62056-6-2 (DLMS/COSEM) IC 3/4/5 registers and demand registers, IC 7
 * profiles, IC 8 clock, IC 20 activity calendar; IEC 62053-23 Annex C quadrants;
 * Socomec COUNTIS E27 partial counters. Units in names; times are us since
 * 1970-01-01 UTC unless a name says otherwise.
 */
#ifndef METERD_APP_H
#define METERD_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterd/actcal.h"
#include "meterd/clock.h"
#include "meterd/compiler.h"
#include "meterd/err.h"
#include "meterd/hist.h"
#include "meterd/metrology.h"
#include "meterd/reg.h"

/** Tariffs T1..T4. */
#define MTR_APP_TARIFFS      4u
/** Most sub-intervals of a sliding demand window. */
#define MTR_APP_MAX_SUBS     15u
/** Entries one frame may produce at most (the edge's queue size). */
#define MTR_APP_QUEUE_CAP    64u
/** Quantities averaged for the power-quality and average/min/max profiles. */
#define MTR_APP_AVG_QTY      11u
/** Longest frame accepted, us (a frame crosses each capture boundary at most twice). */
#define MTR_APP_MAX_FRAME_us 60000000LL

/** Demand quantities: +P (from +A), -P (-A), +Q (+R), -Q (-R), totals. */
enum mtr_dem_qty {
    MTR_DEM_P_IMP = 0,
    MTR_DEM_P_EXP,
    MTR_DEM_Q_IMP,
    MTR_DEM_Q_EXP,
    MTR_DEM_COUNT
};

/** Where the tariff in force comes from (COUNTIS tariff modes). */
enum mtr_tariff_src {
    MTR_TARIFF_CALENDAR = 0, /**< Activity calendar (DLMS IC 20). */
    MTR_TARIFF_COM,          /**< Set by communication (COUNTIS "COM"). */
    MTR_TARIFF_INPUT,        /**< Digital input: off -> T1, on -> T2 (COUNTIS "diG"). */
};

/** Profiles the application captures; index into mtr_app_config.capture_s and state.prof[]. */
enum mtr_app_prof {
    MTR_PROF_ENERGY = 0, /**< Load profile 1 (1.0.99.1.0.255). */
    MTR_PROF_PQ,         /**< Power-quality profile: averages (1.0.99.14.0.255). */
    MTR_PROF_AMM,        /**< Average, minimum and maximum profiles (1.0.99.13.0/1/2.255). */
    MTR_PROF_COUNT
};

/** Who asked for an action (event logs record it). */
enum mtr_app_who {
    MTR_WHO_METER = 0, /**< The meter itself (schedule, calendar). */
    MTR_WHO_CONFIG,    /**< Configuration file / reload. */
    MTR_WHO_CLI,       /**< Local command line. */
    MTR_WHO_BUTTON,    /**< Push button / display. */
    MTR_WHO_MODBUS,
    MTR_WHO_DLMS,
    MTR_WHO_HTTP,
    MTR_WHO_MQTT,
};

/**
 * Event codes. 1..255 follow the IDIS / DLMS UA 1000-1 common event codes where
 * one exists; codes from 200 are meterd's own (docs/meter-application.md).
 */
enum mtr_event_code {
    MTR_EV_POWER_DOWN = 1,       /**< Standard log: power down (meter stopped). */
    MTR_EV_POWER_UP = 2,         /**< Standard log: power up (meter started). */
    MTR_EV_DST_CHANGED = 3,      /**< DST enabled or disabled. */
    MTR_EV_CLOCK_OLD = 4,        /**< Clock adjusted, old time (v0 = old, v1 = new, us). */
    MTR_EV_CLOCK_NEW = 5,        /**< Clock adjusted, new time. */
    MTR_EV_CLOCK_INVALID = 6,    /**< Clock invalid (no time source at start). */
    MTR_EV_TOU_ACTIVATED = 9,    /**< Passive calendar activated. */
    MTR_EV_AUTH_FAILED = 46,     /**< Fraud log: association authentication failure (IDIS). */
    MTR_EV_PARAM_CHANGED = 47,   /**< Configuration-change log: one parameter (text). */
    MTR_EV_DECIPHER_FAILED = 47, /**< Fraud log: decryption or authentication failure (IDIS). */
    MTR_EV_REPLAY = 48,          /**< Fraud log: replay attack (invocation counter) (IDIS). */
    MTR_EV_PWR_SHORT = 200,      /**< Power-failure log: short outage (v0 start, v1 duration s). */
    MTR_EV_PWR_LONG = 201,       /**< Power-failure log: long outage. */
    MTR_EV_BILLING_RESET = 210,  /**< Billing period closed on request (v0 = who). */
    MTR_EV_DEMAND_RESET = 211,   /**< Maximum demand reset (v0 = who). */
    MTR_EV_PARTIAL_START = 212,  /**< Partial counters started. */
    MTR_EV_PARTIAL_STOP = 213,   /**< Partial counters stopped. */
    MTR_EV_PARTIAL_RESET = 214,  /**< Partial counters reset. */
    MTR_EV_TARIFF_SRC = 215,     /**< Tariff source changed (v0 = new source). */
    MTR_EV_TARIFF_SET = 216,     /**< Tariff set by communication (v0 = tariff). */
    MTR_EV_ACCESS_DENIED = 220,  /**< Fraud log: access to an object without the right (text). */
};

/** Configuration. Changing it takes effect at the next frame; checked by mtr_app_config_check(). */
struct mtr_app_config {
    struct mtr_clock_config clock;
    enum mtr_tariff_src tariff_src;
    uint32_t demand_period_s; /**< Demand window, 60..3600 s, divides 3600 (default 900). */
    uint8_t demand_subs;      /**< 1 = block demand; 2..15 sliding sub-intervals (default 3). */
    uint32_t
        capture_s[MTR_PROF_COUNT]; /**< Capture periods, 60..3600 s, divide 3600 (default 900). */
    bool billing_monthly;          /**< Automatic monthly billing (default on). */
    uint8_t billing_day;           /**< Day of month 1..28 (default 1). */
    uint8_t billing_hour;          /**< Local time of day of billing, 0..23 (default 0). */
    uint8_t billing_minute;        /**< 0..59 (default 0). */
    bool billing_daily;            /**< Daily billing at local midnight (default on). */
    bool billing_resets_md;        /**< Billing resets maximum demand (default on). */
    uint32_t long_outage_s;        /**< Outages longer than this are long (default 180 s). */
    uint32_t gap_s; /**< A jump in time longer than this is an outage (default 2 s). */
};

/** Averages, minima and maxima of one capture period (time-weighted). */
struct mtr_app_acc {
    double sum[MTR_APP_AVG_QTY]; /**< Sum of value x seconds. */
    float min[MTR_APP_AVG_QTY];
    float max[MTR_APP_AVG_QTY];
    double covered_s; /**< Time covered by frames in this period, s. */
};

/** Per-profile capture state. */
struct mtr_app_prof_state {
    int64_t last_t_us;      /**< Time of the latest capture; 0 none. */
    int64_t next_t_us;      /**< Next capture instant. */
    int64_t start_t_us;     /**< Start of the running period (first frame in it). */
    uint32_t status;        /**< MTR_HIST_ST_* bits collected for the running period. */
    int64_t reg_at_last[4]; /**< +A, -A, +R, -R total at the latest capture, u-units. */
    struct mtr_app_acc acc;
};

/** Demand state (IC 5 Demand register semantics). */
struct mtr_app_demand {
    int64_t sub_start_us;                           /**< Start of the running sub-interval. */
    int64_t sub_end_us;                             /**< Its end. */
    int64_t reg_at_sub_start[MTR_DEM_COUNT];        /**< Total registers then, u-units. */
    int64_t sub_e[MTR_DEM_COUNT][MTR_APP_MAX_SUBS]; /**< Completed sub-interval energies. */
    uint8_t subs_valid;             /**< Completed sub-intervals in sub_e (<= subs). */
    uint8_t sub_pos;                /**< Next slot of sub_e to write. */
    int64_t last_mW[MTR_DEM_COUNT]; /**< Last completed window, mW/mvar (x.5.0). */
    int64_t last_t_us;              /**< End of that window. */
    /** Maximum demand [0 total, 1..4 tariff][qty], mW/mvar (x.6.0, x.6.t), and its time. */
    int64_t max_mW[1 + MTR_APP_TARIFFS][MTR_DEM_COUNT];
    int64_t max_t_us[1 + MTR_APP_TARIFFS][MTR_DEM_COUNT];
    int64_t cum_mW[MTR_DEM_COUNT]; /**< Cumulative maximum demand (x.2.0): sum of MD at resets. */
    uint32_t resets;               /**< Demand resets (0.0.0.1.0.255 style counter). */
};

/** Partial counters (COUNTIS): total and per tariff, active when running. */
struct mtr_app_partial {
    bool running;
    int64_t start_t_us;                                   /**< Start (or last reset) time. */
    int64_t stop_t_us;                                    /**< Stop time; 0 while running. */
    int64_t e_u[1 + MTR_APP_TARIFFS][MTR_REG_KIND_COUNT]; /**< [0 total, 1..4 tariff], u-units. */
};

/** Everything that survives a crash (the NV payload). Plain data. */
struct mtr_app_state {
    int64_t t_us;           /**< Meter clock: end of the latest frame; 0 = never set. */
    uint32_t clock_status;  /**< MTR_CLOCK_ST_* persistent bits (invalid, doubtful). */
    uint8_t tariff;         /**< Tariff in force, 1..4. */
    uint8_t tariff_com;     /**< Tariff set by communication, 1..4. */
    uint8_t input_on;       /**< Tariff input state (0/1). */
    struct mtr_reg_set reg; /**< The energy registers (phases and total). */
    /** Tariff registers: total channel, per kind; e[t][k] sum over t == reg total exactly. */
    int64_t tar_u[MTR_APP_TARIFFS][MTR_REG_KIND_COUNT];
    struct mtr_app_partial partial;
    struct mtr_app_demand dem;
    struct mtr_app_prof_state prof[MTR_PROF_COUNT];
    int64_t bill_next_us[2]; /**< Next monthly [0] and daily [1] billing instant. */
    int64_t bill_last_us[2]; /**< Time of the latest monthly [0] and daily [1] billing; 0 none. */
    int64_t bill_reg_at_last[2][4]; /**< +A, -A, +R, -R at the previous billing, u-units. */
    uint32_t bill_count; /**< Billing periods closed (monthly and manual), 0.0.0.1.0.255. */
    uint64_t seq[MTR_HIST_LOG_COUNT]; /**< Last entry number of each log. */
    uint32_t outages_short;           /**< Counts of the power-failure log (0.0.96.7.x). */
    uint32_t outages_long;
    int64_t outage_long_s; /**< Total duration of long outages, s. */
    struct mtr_actcal cal; /**< Activity calendar, active and passive. */
    /** CRC-32 of the calendar the configuration gave at the last start: a changed
     * configuration replaces the active calendar, an unchanged one keeps the stored
     * (possibly activated passive) calendar. */
    uint32_t cal_cfg_crc;
    /** The same for the configured passive calendar and its activation time. */
    uint32_t pas_cfg_crc;
};

/** The application: configuration, state and the entry queue of the current step. */
struct mtr_app {
    struct mtr_app_config cfg;
    struct mtr_app_state st;
    struct mtr_hist_entry queue[MTR_APP_QUEUE_CAP]; /**< Entries produced since the last drain. */
    size_t queued;
    uint32_t lost;   /**< Entries dropped because the queue was full (never expected). */
    int64_t next_us; /**< Next boundary of any kind (cache). */
    bool started;    /**< mtr_app_start() done. */
};

/**
 * Fill a configuration with the defaults listed in struct mtr_app_config.
 * @param[out] cfg  Configuration.
 */
void mtr_app_config_default(struct mtr_app_config *cfg);

/**
 * Check a configuration.
 * @param[in]  cfg   Configuration.
 * @param[out] what  On error, a static English text naming the item (may be NULL).
 * @retval MTR_OK      Valid.
 * @retval MTR_EINVAL  Out of range: *what says which setting and why.
 */
MTR_NODISCARD enum mtr_err mtr_app_config_check(const struct mtr_app_config *cfg,
                                                const char **what);

/**
 * Initialise an application with fresh state (registers zero, clock not set).
 * @param[out] app  Application (about 10 KiB; place it statically).
 * @param[in]  cfg  Configuration (copied); must pass mtr_app_config_check().
 * @param[in]  cal  Activity calendar (active; copied); must pass mtr_cal_check().
 * @retval MTR_OK / MTR_EINVAL (NULL or invalid configuration or calendar).
 */
MTR_NODISCARD enum mtr_err
mtr_app_init(struct mtr_app *app, const struct mtr_app_config *cfg, const struct mtr_cal *cal);

/**
 * Start after loading state: sets the clock if it was never set, logs power up
 * (and the outage, when the clock moved on while the meter was stopped), and
 * schedules the boundaries.
 * @param[in,out] app     Application (state loaded or fresh).
 * @param[in]     now_us  Current time from the source: first sample's time (replay of a
 *                        fresh meter) or the system clock (live); INT64_MIN = unknown
 *                        (the clock keeps its stored time, or 2000-01-01 flagged invalid).
 * @param[in]     is_live true when the source follows the system clock (an outage is
 *                        measured against now_us); false for replay (the clock continues
 *                        from the stored time).
 * @retval MTR_OK / MTR_EINVAL.
 */
MTR_NODISCARD enum mtr_err mtr_app_start(struct mtr_app *app, int64_t now_us, bool is_live);

/**
 * Use a loaded state for commands without running the meter (a stopped meter's
 * command line): no power-up event, the clock stays as stored.
 * @retval MTR_OK / MTR_EINVAL (NULL, or a state whose clock was never set).
 */
MTR_NODISCARD enum mtr_err mtr_app_attach(struct mtr_app *app);

/**
 * Apply one measurement frame.
 * @param[in,out] app     Application, started.
 * @param[in]     fr      Frame (mtr_metro_feed()); duration 0 < d <= 60 s.
 * @param[in]     t_end_us  Frame end: the stored clock + duration for replay, the system
 *                        clock for live sources; a jump of more than cfg.gap_s is handled
 *                        as an outage (forward) or a clock correction (backward).
 * @retval MTR_OK      Applied; entries may be queued.
 * @retval MTR_EINVAL  NULL, not started, or a frame outside the limits (nothing changed).
 * @retval MTR_ERANGE  A register would overflow (nothing changed).
 * Context: meter loop; no allocation.
 */
MTR_NODISCARD enum mtr_err
mtr_app_frame(struct mtr_app *app, const struct mtr_metro_frame *fr, int64_t t_end_us);

/**
 * Take the queued entries (the edge stores them, then commits the state).
 * @param[in,out] app  Application.
 * @param[out]    n    Number of entries.
 * @return Pointer to app->queue; valid until the next call that queues.
 */
const struct mtr_hist_entry *mtr_app_entries(const struct mtr_app *app, size_t *n);

/** Empty the queue after the entries are stored. */
void mtr_app_entries_done(struct mtr_app *app);

/**
 * Set the clock (DLMS IC 8 attribute 2 write, "meterd --set-time").
 * Logs clock adjusted (old, new) in the standard log; the running profile periods
 * get MTR_HIST_ST_CLOCK_ADJ and no capture time is ever repeated.
 * @param[in,out] app     Application, started.
 * @param[in]     new_us  New time, 2000-01-01 .. 2199-12-31.
 * @param[in]     who     Requester.
 * @retval MTR_OK / MTR_EINVAL (out of range; nothing changed).
 */
MTR_NODISCARD enum mtr_err
mtr_app_set_time(struct mtr_app *app, int64_t new_us, enum mtr_app_who who);

/** Shift the clock by delta_s (-900..900 s, DLMS IC 8 method shift_time); as set_time. */
MTR_NODISCARD enum mtr_err
mtr_app_shift_time(struct mtr_app *app, int32_t delta_s, enum mtr_app_who who);

/** Close the billing period now (manual / remote billing reset, MDI reset script). */
MTR_NODISCARD enum mtr_err mtr_app_billing_reset(struct mtr_app *app, enum mtr_app_who who);

/** Reset maximum demand (adds it to the cumulative maximum demand). */
MTR_NODISCARD enum mtr_err mtr_app_demand_reset(struct mtr_app *app, enum mtr_app_who who);

/** Partial counters: start, stop, reset (COUNTIS). */
enum mtr_partial_op {
    MTR_PARTIAL_START,
    MTR_PARTIAL_STOP,
    MTR_PARTIAL_RESET
};
MTR_NODISCARD enum mtr_err
mtr_app_partial(struct mtr_app *app, enum mtr_partial_op op, enum mtr_app_who who);

/**
 * Tariff by communication (used when cfg.tariff_src is MTR_TARIFF_COM).
 * @retval MTR_OK / MTR_EINVAL (tariff not 1..4).
 */
MTR_NODISCARD enum mtr_err
mtr_app_set_tariff(struct mtr_app *app, uint8_t tariff, enum mtr_app_who who);

/** Tariff input state (used when cfg.tariff_src is MTR_TARIFF_INPUT). */
void mtr_app_set_input(struct mtr_app *app, bool on);

/**
 * Replace the configuration at run time (after a reload). Changed capture periods
 * start at their next boundary.
 * @retval MTR_OK / MTR_EINVAL (invalid; nothing changed).
 */
MTR_NODISCARD enum mtr_err mtr_app_reconfigure(struct mtr_app *app,
                                               const struct mtr_app_config *cfg);

/**
 * Record an event in a log at the meter's current time (events the edge or the protocol
 * layers detect: a failed DLMS authentication, a replayed invocation counter, ...).
 * @param[in,out] app   Application; the entry joins the queue of the current step.
 * @param[in]     log   Event log (MTR_HIST_EVENT_*).
 * @param[in]     code  enum mtr_event_code value.
 * @param[in]     v0    First value (meaning per code; e.g. the client SAP).
 * @param[in]     v1    Second value.
 * @param[in]     text  Detail (peer, OBIS code), truncated to MTR_HIST_TEXT_CAP - 1; may be NULL.
 * Context: meter loop thread; no allocation. A full queue drops the entry (app->lost counts it).
 */
void mtr_app_log_event(struct mtr_app *app,
                       enum mtr_hist_log log,
                       uint16_t code,
                       int64_t v0,
                       int64_t v1,
                       const char *text);

/**
 * Record a configuration change in the configuration-change log.
 * @param[in] name  Option name; old_v/new_v: values as text (truncated to fit).
 */
void mtr_app_log_param(struct mtr_app *app,
                       const char *name,
                       const char *old_v,
                       const char *new_v,
                       enum mtr_app_who who);

/**
 * Load a passive calendar with its activation time (INT64_MAX: only by command).
 * @retval MTR_OK / MTR_EINVAL (calendar invalid: nothing changed).
 */
MTR_NODISCARD enum mtr_err
mtr_app_set_passive(struct mtr_app *app, const struct mtr_cal *cal, int64_t activate_us);

/** Net demand of the running window so far, mW (current average demand x.4.0). */
int64_t mtr_app_demand_current_mW(const struct mtr_app *app, enum mtr_dem_qty q);

/** Bytes of an encoded state (mtr_app_state_encode()); constant for a build. */
size_t mtr_app_state_encoded_len(void);

/**
 * Serialise the state for NV storage, without its registers (st->reg: the register
 * record carries them). Explicit little-endian fields (docs/nv-format.md, layout 2).
 * @param[in]  st   State.
 * @param[out] out  Buffer of cap bytes (>= mtr_app_state_encoded_len()).
 * @param[out] len  Bytes written.
 * @retval MTR_OK / MTR_EINVAL (NULL) / MTR_ENOSPC (cap too small).
 */
MTR_NODISCARD enum mtr_err
mtr_app_state_encode(const struct mtr_app_state *st, uint8_t *out, size_t cap, size_t *len);

/**
 * Deserialise a state written by mtr_app_state_encode(); st->reg is not touched.
 * @param[in]  in       Bytes.
 * @param[in]  len      Their length.
 * @param[out] st       State (partly written on failure: load into a scratch copy).
 * @param[out] bad_off  On failure, the byte offset of the problem (may be NULL).
 * @retval MTR_OK        Decoded.
 * @retval MTR_ECORRUPT  Wrong magic, length or field count, or a value out of range.
 * @retval MTR_EVERSION  Written by a newer format.
 * @retval MTR_EINVAL    NULL argument.
 */
MTR_NODISCARD enum mtr_err
mtr_app_state_decode(const uint8_t *in, size_t len, struct mtr_app_state *st, size_t *bad_off);

/** Columns of a log: names, units and decimal scale for display. */
struct mtr_hist_col {
    const char *name; /**< "a_imp_total_Wh"-style snake_case name. */
    const char *unit; /**< Display unit: "kWh", "kvarh", "kW", "V", "A", "", "Hz", "s". */
    int8_t scale10;   /**< Display value = stored integer x 10^scale10. */
};

/**
 * The columns of the values of a log.
 * @param[in]  log  enum mtr_hist_log.
 * @param[out] n    Number of columns.
 * @return Static table, NULL for an unknown log.
 */
const struct mtr_hist_col *mtr_app_columns(enum mtr_hist_log log, unsigned *n);

#endif /* METERD_APP_H */
