/*
 * The COSEM object model of the meter: the objects a DLMS/COSEM client sees, with
 * their attributes and methods, built from the catalogue (cat.h), the meter
 * application (app.h), the history (hist.h) and the communication settings.
 *
 * The model is the server's back end: the xDLMS server (dlms.h) parses requests,
 * checks the association, and calls mtr_cosem_get(), mtr_cosem_set() and
 * mtr_cosem_action() with the object, the attribute or method, the association
 * level and the raw A-XDR parameters. Attribute values are written as A-XDR Data.
 * Access rights live here, per object attribute/method and association level, and
 * the server refuses before calling get/set/action when the level has no right.
 *
 * Long values (a profile buffer) are produced in pieces: mtr_cosem_get() stops at an
 * entry boundary once the writer holds at least `want` bytes and returns MTR_EAGAIN
 * with its cursor in the request; the server sends a block and calls again with the
 * same request. The model holds no per-request state, so any number of associations
 * can read at once.
 *
 * Side effects (a clock set, a demand reset, an activated calendar) act on the
 * application in env->app and set env->changed; the edge then commits the state to
 * NV storage and history before the response goes out (as a Modbus command does).
 *
 * Spec: IEC 62056-6-2:2017 (interface classes), IEC 62056-6-1 (OBIS), DLMS UA
 * 1000-1 Ed. 14 "Blue Book"; OBIS codes as real meters use them (docs/dlms.md).
 */
#ifndef METERD_COSEM_H
#define METERD_COSEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterd/app.h"
#include "meterd/axdr.h"
#include "meterd/compiler.h"
#include "meterd/err.h"
#include "meterd/hist.h"
#include "meterd/snapshot.h"

/** Most objects in a model (catalogue-derived registers + fixed objects). */
#define MTR_COSEM_MAX_OBJECTS 400u

/** Association levels, one per client SAP (IEC 62056-5-3 9.3.2; DLMS UA 1000-2 SAP usage). */
enum mtr_cosem_level {
    MTR_COSEM_PUBLIC = 0, /**< Public client, SAP 16, lowest security: read-only subset. */
    MTR_COSEM_READER,     /**< Reading client, SAP 17, LLS (password). */
    MTR_COSEM_MANAGER,    /**< Management client, SAP 1, HLS-GMAC, security suite 0. */
    MTR_COSEM_LEVEL_COUNT
};

/** attribute_access_mode (IEC 62056-6-2 4.4.4, Association LN object_list). */
enum mtr_cosem_acc {
    MTR_COSEM_ACC_NONE = 0,
    MTR_COSEM_ACC_READ = 1,
    MTR_COSEM_ACC_WRITE = 2,
    MTR_COSEM_ACC_RW = 3,
};

/** Data-Access-Result and Action-Result (IEC 62056-5-3 8.3, same numbering). */
enum mtr_dlms_dar {
    MTR_DAR_SUCCESS = 0,
    MTR_DAR_HARDWARE_FAULT = 1,
    MTR_DAR_TEMPORARY_FAILURE = 2,
    MTR_DAR_READ_WRITE_DENIED = 3,
    MTR_DAR_OBJECT_UNDEFINED = 4,
    MTR_DAR_OBJECT_CLASS_INCONSISTENT = 9,
    MTR_DAR_OBJECT_UNAVAILABLE = 11,
    MTR_DAR_TYPE_UNMATCHED = 12,
    MTR_DAR_SCOPE_OF_ACCESS_VIOLATED = 13,
    MTR_DAR_DATA_BLOCK_UNAVAILABLE = 14,
    MTR_DAR_LONG_GET_ABORTED = 15,
    MTR_DAR_NO_LONG_GET_IN_PROGRESS = 16,
    MTR_DAR_LONG_SET_ABORTED = 17,
    MTR_DAR_NO_LONG_SET_IN_PROGRESS = 18,
    MTR_DAR_DATA_BLOCK_NUMBER_INVALID = 19,
    MTR_DAR_OTHER_REASON = 250,
};

/** One object of the model. */
struct mtr_cosem_obj {
    uint16_t ic;     /**< Interface class id (1 Data, 3 Register, 7 Profile generic, ...). */
    uint8_t version; /**< Class version (IEC 62056-6-2). */
    uint8_t obis[6]; /**< Logical name A.B.C.D.E.F. */
    uint8_t n_attrs; /**< Attributes 1..n_attrs. */
    uint8_t n_meths; /**< Methods 1..n_meths (0: none). */
    uint8_t kind;    /**< Model-internal: which handler family (cosem_int.h). */
    uint16_t idx;    /**< Model-internal: index within the family (catalogue entry, log, ...). */
    /** Lowest level allowed to read attributes other than 1 (logical name, always readable
     * by anyone who sees the object), and to write/execute: see mtr_cosem_attr_access(). */
    uint8_t read_level;
    uint8_t write_level; /**< MTR_COSEM_LEVEL_COUNT: never writable over DLMS. */
};

/** State of the association a request comes from (Association LN attributes 3..9). */
struct mtr_cosem_assoc_info {
    enum mtr_cosem_level level;
    uint16_t client_sap;     /**< Client SAP (16, 17, 1). */
    uint16_t server_sap;     /**< Server (logical device) SAP, 1 = management logical device. */
    uint8_t mechanism;       /**< Authentication mechanism id: 0 none, 1 LLS, 5 HLS-GMAC. */
    uint32_t conformance;    /**< Negotiated conformance block (24 bits). */
    uint16_t client_max_pdu; /**< client-max-receive-pdu-size. */
    uint16_t server_max_pdu; /**< server-max-receive-pdu-size. */
    uint8_t security_policy; /**< 0 none, 1 authenticated, 2 encrypted, 3 both (SC bits). */
    uint8_t client_title[8]; /**< Client system title (HLS), zeros if none. */
    bool is_associated;      /**< association_status 2 (associated) vs 1 (pending, HLS step 3). */
};

/** Communication settings the setup objects show and change (copied in by the edge). */
struct mtr_cosem_comm {
    uint8_t hdlc_baud;             /**< IC 23 comm_speed enum: 5 = 9600. */
    uint8_t hdlc_window_tx;        /**< 1..7 */
    uint8_t hdlc_window_rx;        /**< 1..7 */
    uint16_t hdlc_max_info_tx;     /**< 32..2030 */
    uint16_t hdlc_max_info_rx;     /**< 32..2030 */
    uint16_t hdlc_inter_octet_ms;  /**< 20..6000 */
    uint16_t hdlc_inactivity_s;    /**< 0..65535, 0 = none */
    uint16_t hdlc_device_address;  /**< Physical device address, 16..0x3FFD. */
    uint16_t tcp_port;             /**< IC 41 port (wrapper), default 4059. */
    uint16_t tcp_inactivity_s;     /**< IC 41 inactivity_time_out. */
    uint16_t tcp_max_simultaneous; /**< IC 41 max_simultaneous_connections. */
    uint8_t iec_default_mode;      /**< IC 19 default_mode: 0 IEC 62056-21 protocol, 1 DLMS. */
    uint8_t iec_default_baud;      /**< IC 19 default_baud enum (0 = 300). */
    uint8_t iec_prop_baud;         /**< IC 19 prop_baud enum (5 = 9600). */
    uint8_t iec_response_ms;       /**< IC 19 response_time: 0 = 20 ms, 1 = 200 ms. */
    char iec_device_addr[33];      /**< IC 19 device_addr (printable, NUL-terminated). */
    char serial_number[33];        /**< 0.0.96.1.0.255, NUL-terminated. */
    char ldn[17];                  /**< COSEM logical device name 0.0.42.0.0.255 (16 octets). */
    char firmware[33];             /**< 1.0.0.2.0.255 active firmware identifier. */
    uint8_t server_title[8];       /**< Server system title (Security setup attribute 4). */
    uint8_t security_suite;        /**< Security setup attribute 3 (0: AES-GCM-128). */
};

/**
 * State of the objects that are not the application's: disconnect control, limiter, push
 * setup, single action schedule, register monitor (defined below; mtr_cosem_ctl_default()).
 */
struct mtr_cosem_ctl;

/** What the objects act on. Set by the edge for each request; borrowed for the call. */
struct mtr_cosem_env {
    struct mtr_app *app;             /**< Read, and changed by SET/ACTION (never NULL). */
    const struct mtr_snapshot *snap; /**< Live values; NULL = none yet (values unavailable). */
    const struct mtr_hist_ops *hist; /**< History (profiles, billing, logs); NULL = empty. */
    void *hist_ctx;
    const struct mtr_cosem_assoc_info *assoc; /**< Association of the request (never NULL). */
    /** Associations the server has (SAP assignment, Association LN objects 0.0.40.0.x). */
    const struct mtr_cosem_assoc_info *assoc_all;
    size_t assoc_count;
    struct mtr_cosem_comm *comm; /**< Communication settings (SET on setup objects changes them). */
    struct mtr_cosem_ctl *ctl;   /**< Load control, push, schedules (never NULL). */
    /** Set by SET/ACTION: MTR_COSEM_CH_* bits; the caller clears it before a request. */
    uint32_t changed;
};

#define MTR_COSEM_CH_APP  0x01u /**< env->app changed: commit application state and entries. */
#define MTR_COSEM_CH_COMM 0x02u /**< env->comm changed. */
#define MTR_COSEM_CH_CTL  0x04u /**< env->ctl changed (persist it). */

/** Selective access (IEC 62056-6-2 4.3.6 Profile generic buffer). */
struct mtr_cosem_sel {
    uint8_t selector; /**< 0 none, 1 range_descriptor, 2 entry_descriptor. */
    /** The access parameters: one A-XDR Data (borrowed), NULL/0 when selector is 0. */
    const uint8_t *param;
    size_t param_len;
};

/** One GET, possibly answered in several calls. Zero-initialise, set obj/attr/level/sel. */
struct mtr_cosem_get_req {
    const struct mtr_cosem_obj *obj;
    uint8_t attr;
    struct mtr_cosem_sel sel;
    /** Stop once the writer holds at least this many bytes (0 = produce everything). */
    size_t want;
    /** Continuation kept by the model between calls; 0 on the first call. */
    uint64_t cursor[3];
};

/** The model. Complete type so the edge can place it; fields are private to src/core/cosem. */
struct mtr_cosem_model {
    struct mtr_cosem_obj obj[MTR_COSEM_MAX_OBJECTS];
    size_t n_obj;
    uint8_t phase_count; /**< 1..3: catalogue entries of absent phases are left out. */
};

/**
 * Build the object list: every catalogue entry that applies to phase_count phases, grouped by
 * OBIS code into Data/Register/Extended register/Demand register objects, and the fixed objects
 * (clock, calendar, profiles, associations, setups, ...; docs/dlms.md lists them).
 * @param[out] m            Model.
 * @param[in]  phase_count  1..3.
 * @retval MTR_OK      Built.
 * @retval MTR_EINVAL  NULL m or phase_count out of range.
 * @retval MTR_ENOSPC  More than MTR_COSEM_MAX_OBJECTS objects (a build error).
 * Context: start-up; no allocation.
 */
MTR_NODISCARD enum mtr_err mtr_cosem_model_init(struct mtr_cosem_model *m, uint8_t phase_count);

/**
 * Find an object by class and logical name.
 * @param[in] m     Model.
 * @param[in] ic    Class id; 0 matches any class.
 * @param[in] obis  Logical name.
 * @return The object, or NULL.
 * Context: any; O(log n) or O(n).
 */
const struct mtr_cosem_obj *
mtr_cosem_find(const struct mtr_cosem_model *m, uint16_t ic, const uint8_t obis[6]);

/**
 * Access of a level to an attribute.
 * @return MTR_COSEM_ACC_*; NONE for an attribute out of range or an object the level cannot see.
 */
enum mtr_cosem_acc
mtr_cosem_attr_access(const struct mtr_cosem_obj *o, uint8_t attr, enum mtr_cosem_level level);

/** Whether a level may invoke a method (false for a method out of range). */
bool
mtr_cosem_method_access(const struct mtr_cosem_obj *o, uint8_t method, enum mtr_cosem_level level);

/** Whether a level sees an object at all (in its object list). */
bool mtr_cosem_visible(const struct mtr_cosem_obj *o, enum mtr_cosem_level level);

/**
 * Read an attribute: its value as one A-XDR Data appended to w.
 * @param[in]     m    Model.
 * @param[in,out] env  Environment of the request.
 * @param[in,out] rq   Request; cursor updated when MTR_EAGAIN is returned.
 * @param[in,out] w    Writer; on MTR_EAGAIN it holds >= rq->want bytes ending at an entry
 *                     boundary and the next call continues the same Data.
 * @param[out]    dar  Data-Access-Result when MTR_EPROTO/MTR_ENOENT/MTR_ENOTSUP is returned.
 * @retval MTR_OK      The value is complete in w.
 * @retval MTR_EAGAIN  More follows (call again with the same rq and an emptied writer).
 * @retval MTR_ENOENT  No such attribute, or the selector/parameters are wrong (*dar says which).
 * @retval MTR_EIO     The history store failed (*dar = HARDWARE_FAULT).
 * @retval MTR_ENOSPC  w overflowed although it had room for want bytes plus one entry.
 * Context: meter loop thread; no allocation.
 */
MTR_NODISCARD enum mtr_err mtr_cosem_get(const struct mtr_cosem_model *m,
                                         struct mtr_cosem_env *env,
                                         struct mtr_cosem_get_req *rq,
                                         struct mtr_axdr_w *w,
                                         enum mtr_dlms_dar *dar);

/**
 * Write an attribute.
 * @param[in]     m         Model.
 * @param[in,out] env       Environment; env->changed set on success.
 * @param[in]     o         Object.
 * @param[in]     attr      Attribute id.
 * @param[in]     data      One A-XDR Data, data_len bytes (borrowed).
 * @param[out]    dar       Result: SUCCESS, TYPE_UNMATCHED (wrong type or out of range),
 *                          READ_WRITE_DENIED (read-only attribute), OBJECT_UNAVAILABLE...
 * @retval MTR_OK  *dar set (the protocol result is data, not an error).
 * @retval MTR_EINVAL  NULL argument.
 * Context: meter loop thread; no allocation.
 */
MTR_NODISCARD enum mtr_err mtr_cosem_set(const struct mtr_cosem_model *m,
                                         struct mtr_cosem_env *env,
                                         const struct mtr_cosem_obj *o,
                                         uint8_t attr,
                                         const uint8_t *data,
                                         size_t data_len,
                                         enum mtr_dlms_dar *dar);

/**
 * Invoke a method.
 * @param[in]     m          Model.
 * @param[in,out] env        Environment; env->changed set when state changed.
 * @param[in]     o          Object.
 * @param[in]     method     Method id.
 * @param[in]     param      Method parameter, one A-XDR Data (NULL/0 when absent).
 * @param[in]     param_len  Bytes.
 * @param[in,out] ret        Return parameters appended here (A-XDR Data), if any.
 * @param[out]    has_ret    Whether ret received a value.
 * @param[out]    dar        Action-Result.
 * @retval MTR_OK      *dar set.
 * @retval MTR_EINVAL  NULL argument.
 * Context: meter loop thread; no allocation.
 */
MTR_NODISCARD enum mtr_err mtr_cosem_action(const struct mtr_cosem_model *m,
                                            struct mtr_cosem_env *env,
                                            const struct mtr_cosem_obj *o,
                                            uint8_t method,
                                            const uint8_t *param,
                                            size_t param_len,
                                            struct mtr_axdr_w *ret,
                                            bool *has_ret,
                                            enum mtr_dlms_dar *dar);

/**
 * Encode a UTC time as a COSEM date-time (12 octets, local time with deviation and clock
 * status, as the clock object shows it).
 * @param[in]  clk    Clock configuration (time zone, DST).
 * @param[in]  t_us   UTC, us since 1970; 0 gives the "not specified" pattern (0xFF fields).
 * @param[in]  status Clock status bits (MTR_CLOCK_ST_*); DST bit is added when in force.
 * @param[out] out    12 octets.
 * Spec: IEC 62056-6-2 4.1.6.1 (date-time), Blue Book 4.5.1 (deviation: minutes local time
 *       is behind UTC, i.e. UTC = local + deviation... see clock.h mtr_clock_tz_to_dlms()).
 */
void mtr_cosem_datetime_encode(const struct mtr_clock_config *clk,
                               int64_t t_us,
                               uint32_t status,
                               uint8_t out[MTR_AXDR_DATETIME_LEN]);

/**
 * Decode a COSEM date-time to UTC.
 * @param[in]  in    12 octets.
 * @param[in]  clk   Clock configuration, used when the deviation is "not specified" (0x8000).
 * @param[out] t_us  UTC, us since 1970.
 * @retval MTR_OK      Decoded.
 * @retval MTR_ERANGE  A field out of range, or wildcards where a full time is needed.
 */
MTR_NODISCARD enum mtr_err mtr_cosem_datetime_decode(const uint8_t in[MTR_AXDR_DATETIME_LEN],
                                                     const struct mtr_clock_config *clk,
                                                     int64_t *t_us);

#endif /* METERD_COSEM_H */
