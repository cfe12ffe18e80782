/*
 * Private interface of the COSEM object model (src/core/cosem/).
 *
 * Each handler family ("kind") lives in its own file, cosem_<kind>.c, and exports
 *   - an add function that appends its objects to the model at start-up, and
 *   - a const struct mtr_cosem_kind_ops with its get/set/action handlers.
 * cosem_model.c holds the object table, the dispatcher (mtr_cosem_get/set/action look up
 * the object's kind and call the family), access rights and mtr_cosem_find().
 *
 * Handlers get an object that is known to belong to their family, an attribute or method
 * id that is within 1..n_attrs / 1..n_meths, and a level that has the right (checked by the
 * server before the call). Attribute 1 (logical_name) is answered by the dispatcher for every
 * object; handlers see attr >= 2.
 */
#ifndef METERD_COSEM_INT_H
#define METERD_COSEM_INT_H

#include "meterd/cosem.h"

/** Handler families. The value is stored in mtr_cosem_obj.kind. */
enum mtr_cosem_kind {
    MTR_COSEM_K_CAT = 0, /**< Catalogue-derived Data (IC 1), Register (3), Extended register (4);
                              idx = first catalogue entry of the OBIS code. cosem_cat.c */
    MTR_COSEM_K_DEMAND,  /**< Demand register (IC 5): current/last average demand. cosem_demand.c */
    MTR_COSEM_K_INFO,    /**< Fixed Data objects: serial number, LDN, firmware, current tariff,
                              billing count, ... (idx = row of a table). cosem_info.c */
    MTR_COSEM_K_CLOCK,   /**< Clock (IC 8). cosem_clock.c */
    MTR_COSEM_K_PROFILE, /**< Profile generic (IC 7); idx = enum mtr_hist_log. cosem_profile.c */
    MTR_COSEM_K_ASSOC,   /**< Association LN (IC 15); idx 0 = current, 1.. = per level.
                              cosem_assoc.c */
    MTR_COSEM_K_SAP,     /**< SAP assignment (IC 17). cosem_assoc.c */
    MTR_COSEM_K_ACTCAL,  /**< Activity calendar (IC 20). cosem_actcal.c */
    MTR_COSEM_K_SPECIAL, /**< Special days table (IC 11). cosem_actcal.c */
    MTR_COSEM_K_SCRIPT,  /**< Script table (IC 9): MDI reset / billing, tariffication,
                              global reset. cosem_script.c */
    MTR_COSEM_K_SAS, /**< Single action schedule (IC 22): end of billing period. cosem_script.c */
    MTR_COSEM_K_REGMON,     /**< Register monitor (IC 21). cosem_script.c */
    MTR_COSEM_K_SETUP,      /**< IEC HDLC setup (23), IEC local port setup (19), TCP-UDP setup (41);
                                 idx tells which. cosem_setup.c */
    MTR_COSEM_K_PUSH,       /**< Push setup (IC 40). cosem_setup.c */
    MTR_COSEM_K_SECURITY,   /**< Security setup (IC 64). cosem_setup.c */
    MTR_COSEM_K_DISCONNECT, /**< Disconnect control (IC 70). cosem_loadctl.c */
    MTR_COSEM_K_LIMITER,    /**< Limiter (IC 71). cosem_loadctl.c */
    MTR_COSEM_K_COUNT
};

/** Handlers of one family. set/action NULL: nothing writable / no methods. */
struct mtr_cosem_kind_ops {
    enum mtr_err (*get)(const struct mtr_cosem_model *m,
                        struct mtr_cosem_env *env,
                        struct mtr_cosem_get_req *rq,
                        struct mtr_axdr_w *w,
                        enum mtr_dlms_dar *dar);
    enum mtr_err (*set)(const struct mtr_cosem_model *m,
                        struct mtr_cosem_env *env,
                        const struct mtr_cosem_obj *o,
                        uint8_t attr,
                        struct mtr_axdr_r *r,
                        enum mtr_dlms_dar *dar);
    enum mtr_err (*action)(const struct mtr_cosem_model *m,
                           struct mtr_cosem_env *env,
                           const struct mtr_cosem_obj *o,
                           uint8_t method,
                           struct mtr_axdr_r *param,
                           struct mtr_axdr_w *ret,
                           bool *has_ret,
                           enum mtr_dlms_dar *dar);
    /** Per-attribute override of the object's read/write levels (NULL: object levels apply:
     * attribute 1 readable by every level that sees the object, attributes >= 2 readable from
     * read_level, writable from write_level when the family has set()). Return the access. */
    enum mtr_cosem_acc (*access)(const struct mtr_cosem_obj *o,
                                 uint8_t attr,
                                 enum mtr_cosem_level level);
};

/**
 * Append an object.
 * @retval MTR_OK, MTR_ENOSPC (table full), MTR_EINVAL (kind out of range).
 */
enum mtr_err mtr_cosem_add(struct mtr_cosem_model *m,
                           uint16_t ic,
                           uint8_t version,
                           const uint8_t obis[6],
                           uint8_t n_attrs,
                           uint8_t n_meths,
                           enum mtr_cosem_kind kind,
                           uint16_t idx,
                           enum mtr_cosem_level read_level,
                           enum mtr_cosem_level write_level);

/* Add functions, called in this order by mtr_cosem_model_init(). */
enum mtr_err mtr_cosem_add_cat(struct mtr_cosem_model *m);
enum mtr_err mtr_cosem_add_demand(struct mtr_cosem_model *m);
enum mtr_err mtr_cosem_add_info(struct mtr_cosem_model *m);
enum mtr_err mtr_cosem_add_clock(struct mtr_cosem_model *m);
enum mtr_err mtr_cosem_add_profiles(struct mtr_cosem_model *m);
enum mtr_err mtr_cosem_add_assoc(struct mtr_cosem_model *m);   /* Association LN + SAP */
enum mtr_err mtr_cosem_add_actcal(struct mtr_cosem_model *m);  /* calendar + special days */
enum mtr_err mtr_cosem_add_script(struct mtr_cosem_model *m);  /* scripts, SAS, register monitor */
enum mtr_err mtr_cosem_add_setup(struct mtr_cosem_model *m);   /* setups, push, security */
enum mtr_err mtr_cosem_add_loadctl(struct mtr_cosem_model *m); /* disconnect control, limiter */

extern const struct mtr_cosem_kind_ops mtr_cosem_ops_cat;
extern const struct mtr_cosem_kind_ops mtr_cosem_ops_demand;
extern const struct mtr_cosem_kind_ops mtr_cosem_ops_info;
extern const struct mtr_cosem_kind_ops mtr_cosem_ops_clock;
extern const struct mtr_cosem_kind_ops mtr_cosem_ops_profile;
extern const struct mtr_cosem_kind_ops mtr_cosem_ops_assoc;
extern const struct mtr_cosem_kind_ops mtr_cosem_ops_sap;
extern const struct mtr_cosem_kind_ops mtr_cosem_ops_actcal;
extern const struct mtr_cosem_kind_ops mtr_cosem_ops_special;
extern const struct mtr_cosem_kind_ops mtr_cosem_ops_script;
extern const struct mtr_cosem_kind_ops mtr_cosem_ops_sas;
extern const struct mtr_cosem_kind_ops mtr_cosem_ops_regmon;
extern const struct mtr_cosem_kind_ops mtr_cosem_ops_setup;
extern const struct mtr_cosem_kind_ops mtr_cosem_ops_push;
extern const struct mtr_cosem_kind_ops mtr_cosem_ops_security;
extern const struct mtr_cosem_kind_ops mtr_cosem_ops_disconnect;
extern const struct mtr_cosem_kind_ops mtr_cosem_ops_limiter;

/** Write scaler_unit (structure {integer scaler, enum unit}). */
void mtr_cosem_put_scaler_unit(struct mtr_axdr_w *w, int8_t scaler, uint8_t unit);

/** Write a UTC time as an octet-string(12) date-time in the meter's local time
 * (env->app->cfg.clock), t_us 0 = not specified. */
void mtr_cosem_put_datetime(struct mtr_axdr_w *w, const struct mtr_cosem_env *env, int64_t t_us);

#endif /* METERD_COSEM_INT_H */
