/*
 * meterd configuration: one option table drives the command line, the INI
 * configuration file, --check-config, --help and the documented example
 * configuration (docs/meterd.conf.example), so they cannot disagree.
 */
#ifndef METERD_DAEMON_CONFIG_H
#define METERD_DAEMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "meterd/err.h"

#define MTRD_PATH_CAP      1024
#define MTRD_WORD_CAP      64
/** Items of a repeatable option (special days: 100) and characters per item. */
#define MTRD_LIST_MAX      100
#define MTRD_LIST_ITEM_CAP 192

/** A repeatable option: each occurrence (file line or command-line flag) appends one item. */
struct mtrd_list {
    uint32_t n;
    char item[MTRD_LIST_MAX][MTRD_LIST_ITEM_CAP];
};

/** Everything meterd can be told. Units are in the names. */
struct mtrd_config {
    /* [source] */
    char source[MTRD_WORD_CAP];     /**< synth, comtrade, mat, csv, raw; empty: from --input */
    char input[MTRD_PATH_CAP];      /**< recording path; "-" is stdin (raw) */
    char map[512];                  /**< U1=name,I1=name,... channel mapping */
    int64_t phases;                 /**< 1..3; 0: from the network type */
    char scenario[MTRD_WORD_CAP];   /**< synth scenario: household, sine */
    int64_t seed;                   /**< synth seed */
    double frame_s;                 /**< --source frames: frame length, s */
    bool is_secondary;              /**< COMTRADE: secondary values */
    double fs_Hz;                   /**< sample rate override; required for raw */
    char raw_format[MTRD_WORD_CAP]; /**< s16, s32, f32 */
    double raw_u_scale;             /**< volts per count */
    double raw_i_scale;             /**< amperes per count */
    char window[MTRD_WORD_CAP];     /**< FIRST:LAST sample indices to measure, inclusive */
    /* [metrology] */
    char net[MTRD_WORD_CAP]; /**< 1P2W 3P4W 3P3W SPLIT 1BL 2BL 3BL 4BL */
    int64_t f_nom_Hz;        /**< 50/60; 0: from the source, else 50 */
    double u_nom_V;          /**< declared phase-neutral voltage (primary) */
    double vt_ratio;
    double ct_ratio;
    double p_start_W; /**< no-load threshold per phase */
    double q_start_var;
    char q_def[MTRD_WORD_CAP]; /**< fundamental, budeanu */
    bool is_i_dc_removed;
    int64_t k_imp_per_kWh; /**< meter constant */
    int64_t u_gain_ppm[3];
    int64_t i_gain_ppm[3];
    int64_t i_phase_mdeg[3];
    int64_t i_skew_ns[3];
    /* [replay] */
    double speed_x;                 /**< 1 = real time, 0 = as fast as possible */
    double duration_s;              /**< stop after this much meter time; 0 = end of input */
    char report[MTRD_WORD_CAP];     /**< "", text, json: print a report at the end */
    char frames_csv[MTRD_PATH_CAP]; /**< write one CSV line per frame to this file */
    /* [storage] */
    char data_dir[MTRD_PATH_CAP];
    int64_t nv_sync_ms;     /**< msync interval; 0 = every frame */
    int64_t profile_days;   /**< load profile depth, days of entries kept */
    int64_t billing_months; /**< monthly billing entries kept (12..17) */
    int64_t billing_days;   /**< daily billing entries kept */
    int64_t event_depth;    /**< entries kept per event log */
    /* [clock] */
    int64_t tz_min;                  /**< local normal time - UTC, minutes */
    bool is_dst;                     /**< daylight saving time on */
    char dst_begin[MTRD_WORD_CAP];   /**< rule, e.g. 03-last-Sun 02:00 (local normal time) */
    char dst_end[MTRD_WORD_CAP];     /**< rule, e.g. 10-last-Sun 03:00 (local DST) */
    int64_t dst_deviation_min;       /**< DST offset, minutes */
    char clock_start[MTRD_WORD_CAP]; /**< fresh meter's clock in replay: ISO 8601 UTC, or "" */
    /* [tariff] */
    char tariff_source[MTRD_WORD_CAP]; /**< calendar, com, input */
    int64_t tariff_com;                /**< tariff in force when tariff-source = com */
    char calendar_name[MTRD_WORD_CAP];
    struct mtrd_list cal_season;  /**< "name: MM-DD HH:MM week" */
    struct mtrd_list cal_week;    /**< "name: d d d d d d d" (day ids Monday..Sunday) */
    struct mtrd_list cal_day;     /**< "id: HH:MM Tn, HH:MM Tn, ..." */
    struct mtrd_list cal_special; /**< "[YYYY-]MM-DD id" */
    /* the passive calendar, activated at passive_activate (DLMS IC 20 attributes 6..10) */
    char passive_name[MTRD_WORD_CAP];
    struct mtrd_list pas_season;
    struct mtrd_list pas_week;
    struct mtrd_list pas_day;
    struct mtrd_list pas_special;
    char passive_activate[MTRD_WORD_CAP]; /**< ISO 8601 UTC, or "" */
    /* [demand] */
    int64_t demand_period_s;
    int64_t demand_subs;
    /* [profiles] */
    int64_t capture_energy_s;
    int64_t capture_pq_s;
    int64_t capture_amm_s;
    /* [billing] */
    bool is_billing_monthly;
    int64_t billing_day;
    char billing_time[MTRD_WORD_CAP]; /**< HH:MM local time */
    bool is_billing_daily;
    bool is_billing_resets_md;
    int64_t long_outage_s;
    /* [modbus] */
    bool is_modbus;
    char modbus_bind[MTRD_WORD_CAP];
    int64_t modbus_port;
    int64_t modbus_unit;
    int64_t modbus_max_clients;
    int64_t modbus_idle_s;
    bool is_modbus_write; /**< accept meter commands on the command block */
    /* [meter] identity */
    char serial_number[33]; /**< 0.0.96.1.0.255, IEC 62056-21 C.1.0 */
    char ldn[17];           /**< COSEM logical device name 0.0.42.0.0.255 (16 characters) */
    /* [dlms] */
    bool is_dlms;                       /**< serve DLMS/COSEM */
    char dlms_bind[MTRD_WORD_CAP];      /**< listen address of the TCP ports */
    int64_t dlms_port;                  /**< IEC 62056-47 wrapper port (4059); 0 = off */
    int64_t dlms_hdlc_port;             /**< HDLC over TCP port; 0 = off */
    char dlms_serial[MTRD_PATH_CAP];    /**< HDLC over a serial device; "" = off */
    int64_t dlms_serial_baud;           /**< baud of dlms_serial */
    int64_t dlms_max_assoc;             /**< concurrent connections (IC 41 nb_of_sim_conn) */
    int64_t dlms_idle_s;                /**< inactivity time-out, s (IC 41 / IC 23) */
    int64_t dlms_max_pdu;               /**< server-max-receive-pdu-size, bytes */
    int64_t dlms_hdlc_address;          /**< HDLC lower (physical) server address */
    char dlms_password[33];             /**< LLS secret of the reading client (SAP 17); "" = off */
    char dlms_ek[33];                   /**< HLS global unicast encryption key, 32 hex; "" = off */
    char dlms_ak[33];                   /**< HLS authentication key, 32 hex */
    char dlms_kek[33];                  /**< master key (key transfer), 32 hex */
    char dlms_title[17];                /**< server system title, 16 hex */
    char dlms_security[MTRD_WORD_CAP];  /**< management client's security: auth-enc, auth, enc */
    char dlms_push_dest[MTRD_WORD_CAP]; /**< push destination host:port; "" = off */
    int64_t dlms_push_s;                /**< push interval, s; 0 = on events only */
    /* [iec21] */
    char iec21_device[MTRD_PATH_CAP]; /**< IEC 62056-21 serial device; "" = off */
    char iec21_address[33];           /**< device address answered in "/?addr!" ("" = any) */
    char iec21_password[33];          /**< P1 password of programming mode; "" = refused */
    int64_t iec21_max_baud;           /**< highest baud offered (mode C) */
    int64_t iec21_tcp_port;           /**< TCP port answering "/?!" and pushing; 0 = off */
    int64_t iec21_push_s;             /**< push the readout to TCP clients every s; 0 = off */
    /* [console] */
    bool is_table;    /**< live per-phase table on stdout */
    bool is_progress; /**< progress bar on stderr for replays */
    char log_level[MTRD_WORD_CAP];
};

/** Fill with the table's defaults. */
void mtrd_config_defaults(struct mtrd_config *cfg);

/**
 * Apply an INI file: sections [source], [metrology], [replay], [storage], [modbus],
 * [console]; keys are the option names.
 * @retval MTR_OK, MTR_ENOENT (file missing), MTR_EPROTO (bad line / unknown key / value out of
 *         range: the message names file, line and key).
 */
enum mtr_err
mtrd_config_load_file(struct mtrd_config *cfg, const char *path, char *err, size_t err_cap);

/**
 * Apply one option by name (as in the file or after "--" on the command line).
 * @retval MTR_OK, MTR_ENOENT (unknown name), MTR_EINVAL (bad value or out of range).
 */
enum mtr_err mtrd_config_set(
    struct mtrd_config *cfg, const char *name, const char *value, char *err, size_t err_cap);

/** Whether an option takes no value (a boolean flag). Unknown names: false. */
bool mtrd_config_is_flag(const char *name);

/**
 * Cross-field checks: known source, network, raw format, q-def and report words; f-nom 0, 50
 * or 60; a raw source has --fs; --window is FIRST:LAST with FIRST <= LAST.
 * @retval MTR_OK      Consistent.
 * @retval MTR_EINVAL  Not; err names the option and the accepted values.
 */
enum mtr_err mtrd_config_check(const struct mtrd_config *cfg, char *err, size_t err_cap);

/**
 * Copy the options marked reloadable (console output, NV sync interval) from src to dst,
 * for SIGHUP. Returns the number of options whose value changed; on_change (may be NULL) is
 * told each change (the meter logs it in the configuration-change log).
 */
/** Called for each option a reload changed: name, old and new value as text. */
typedef void (*mtrd_config_change_fn)(void *ctx,
                                      const char *name,
                                      const char *old_v,
                                      const char *new_v);

unsigned mtrd_config_copy_reloadable(struct mtrd_config *dst,
                                     const struct mtrd_config *src,
                                     mtrd_config_change_fn on_change,
                                     void *ctx);

/** Print the options with defaults, ranges and units (for --help). */
void mtrd_config_print_help(FILE *out);

/** Print the effective configuration as an INI file (for --check-config / the example). */
void mtrd_config_print(const struct mtrd_config *cfg, FILE *out, bool is_commented);

#endif /* METERD_DAEMON_CONFIG_H */
