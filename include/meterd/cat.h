/*
 * The catalogue: one entry per quantity the meter publishes.
 *
 * Each entry gives the quantity's name (CLI/JSON/MQTT/Prometheus), its OBIS code
 * (IEC 62056-6-1) with COSEM interface class and attribute, its DLMS unit and
 * scaler (IEC 62056-6-2 "unit" enumeration), its native Modbus address, and where
 * its value lives in a snapshot. The Modbus native map, the report, and the
 * generated register-map document are all derived from this table, so they cannot
 * disagree.
 */
#ifndef METERD_CAT_H
#define METERD_CAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterd/compiler.h"
#include "meterd/err.h"
#include "meterd/snapshot.h"

/** DLMS units used (IEC 62056-6-2, enumeration "unit"). */
enum mtr_cat_unit {
    MTR_CAT_UNIT_S = 7,   /**< second (time) */
    MTR_CAT_UNIT_DEG = 8, /**< degree (angle) */
    MTR_CAT_UNIT_W = 27,
    MTR_CAT_UNIT_VA = 28,
    MTR_CAT_UNIT_VAR = 29,
    MTR_CAT_UNIT_WH = 30,
    MTR_CAT_UNIT_VAH = 31,
    MTR_CAT_UNIT_VARH = 32,
    MTR_CAT_UNIT_A = 33,
    MTR_CAT_UNIT_V = 35,
    MTR_CAT_UNIT_HZ = 44,
    MTR_CAT_UNIT_PCT = 56,
    MTR_CAT_UNIT_NONE = 255, /**< count / dimensionless */
};

/** Where an entry's value is in a snapshot. */
enum mtr_cat_src {
    MTR_CAT_SRC_PHASE_F32 = 0, /**< float field of frame.ph[phase] at offset */
    MTR_CAT_SRC_TOTAL_F32,     /**< float field of frame.total at offset */
    MTR_CAT_SRC_FRAME_F32,     /**< float field of frame at offset (f_Hz, i_n_A, u_ll_V[i]) */
    MTR_CAT_SRC_REG,           /**< register reg.e_u[phase][index], micro-units */
    MTR_CAT_SRC_SEQ,           /**< frame.seq */
    MTR_CAT_SRC_VALID,         /**< is_valid */
    MTR_CAT_SRC_PHASE_SEQ,     /**< frame.seq_order */
    MTR_CAT_SRC_MISSING,       /**< frame.missing_mask */
    MTR_CAT_SRC_NET,           /**< reg.e_u[phase][A_IMP] - reg.e_u[phase][A_EXP], micro-units */
    MTR_CAT_SRC_TIME,          /**< t_us, meter time; value in seconds */
    MTR_CAT_SRC_MAP_VERSION,   /**< the constant MTR_CAT_MAP_VERSION */
    MTR_CAT_SRC_TARIFF_REG,    /**< app.tar_u[phase = tariff 0..3][index = kind], micro-units */
    MTR_CAT_SRC_APP_U8,        /**< uint8 field of app at offset, count */
    MTR_CAT_SRC_APP_U32,       /**< uint32 field of app at offset, count */
    MTR_CAT_SRC_APP_MILLI,     /**< int64 field of app at offset, milli-units (mW) */
    MTR_CAT_SRC_APP_MICRO,     /**< int64 field of app at offset, micro-units (uWh) */
    MTR_CAT_SRC_APP_TIME,      /**< int64 field of app at offset, us since the epoch; value in s */
    MTR_CAT_SRC_DEM_CUR,       /**< dem_cur_mW[index], milli-units */
    /** Energy balance (COUNTIS "bAL"): import - export of a register pair, micro-units, signed:
     * phase 0 = total registers, 1 = partial counters; index = the import kind (A_IMP or R_IMP),
     * the export kind is the next one. */
    MTR_CAT_SRC_BALANCE,
    MTR_CAT_SRC_COUNT
};

/** How an entry is encoded on the native Modbus map. */
enum mtr_cat_mb {
    MTR_CAT_MB_S32 = 0, /**< int32 of value / 10^scaler, plus a float32 copy */
    MTR_CAT_MB_U64,     /**< uint64 of the register in the entry's unit (Wh), plus float32 kWh */
    MTR_CAT_MB_U32,     /**< uint32 counter/flag (low 32 bits), no float copy */
    MTR_CAT_MB_S64,     /**< int64 in the entry's unit (net Wh), plus float32 kWh */
    MTR_CAT_MB_T64,     /**< uint64 of value / 10^scaler (meter time in ms), no float copy */
    MTR_CAT_MB_COUNT
};

/**
 * Version of the native Modbus map (register 0). Raised when an address or an
 * encoding changes; adding entries in unused addresses keeps it.
 */
#define MTR_CAT_MAP_VERSION 1u

/**
 * Registers (16-bit words) of the native map: addresses 0 .. MTR_CAT_MB_REG_COUNT-1.
 * Integer values live below MTR_CAT_MB_FLOAT_OFFSET, float32 copies above it.
 */
#define MTR_CAT_MB_REG_COUNT 2000u

/**
 * The float32 copy of the entry at address a is at a + MTR_CAT_MB_FLOAT_OFFSET:
 * Urms L1 int32 (0.01 V) at 100, float32 (V) at 1100; +A total uint64 (Wh) at 312,
 * float32 (kWh) at 1312.
 */
#define MTR_CAT_MB_FLOAT_OFFSET 1000u

/**
 * int32 written when a value is not available: not finite, or outside the int32
 * range at the entry's scale (the SunSpec "not implemented" value 0x80000000).
 */
#define MTR_CAT_MB_S32_NA INT32_MIN

/** One catalogue entry. */
struct mtr_cat_entry {
    const char *name;  /**< Stable snake_case name: "u_rms_l1", "e_a_imp_total". */
    const char *label; /**< Field notation: "Urms L1", "+A total". */
    uint8_t obis[6];   /**< A.B.C.D.E.F */
    uint8_t ic;        /**< COSEM interface class (1 Data, 3 Register). */
    uint8_t unit;      /**< enum mtr_cat_unit */
    int8_t scaler;     /**< Value on integer interfaces = round(value / 10^scaler). */
    uint8_t src;       /**< enum mtr_cat_src */
    uint8_t phase;     /**< 0..2 for PHASE_F32; register channel (MTR_REG_L1..TOTAL) for REG/NET */
    uint8_t index;     /**< Register kind (enum mtr_reg_kind) for REG; 0 otherwise */
    uint16_t off;      /**< Byte offset of the float field for *_F32 sources */
    uint8_t mb;        /**< enum mtr_cat_mb */
    uint16_t mb_addr;  /**< Native Modbus protocol address (0-based, FC3 and FC4). */
    /** COSEM attribute when not the value attribute 2 (e.g. 5, the capture time of a maximum
     * demand, IC 4); 0 = attribute 2. OBIS code + attribute is unique in the table. */
    uint8_t attr;
};

/**
 * The catalogue.
 * @param[out] count  Number of entries (may be NULL).
 * @return Pointer to a static const table, ordered by mb_addr; never NULL.
 * Context: any; constant time.
 */
const struct mtr_cat_entry *mtr_cat_entries(size_t *count);

/**
 * Value of an entry in its base unit (V, A, W, var, VA, Hz, deg, %, Wh, varh, VAh, count).
 * @param[in]  e      Entry.
 * @param[in]  s      Snapshot.
 * @param[out] value  Value; untouched on failure. Energies in Wh/varh/VAh from the
 *                    micro-unit registers (exact below 2^53 uWh = 9 GWh).
 * @retval MTR_OK      Set.
 * @retval MTR_EINVAL  NULL argument or malformed entry.
 * Context: any; no allocation; constant time.
 */
MTR_NODISCARD enum mtr_err
mtr_cat_value(const struct mtr_cat_entry *e, const struct mtr_snapshot *s, double *value);

/**
 * Value of an entry as sent on integer interfaces (Modbus, DLMS with the entry's scaler).
 *
 * Float sources: round(value / 10^scaler), half away from zero. Registers: the
 * micro-unit count divided by 10^(6 + scaler) and truncated, computed in integers
 * so no energy is lost to double rounding (a completed unit shows, as on a meter
 * display). The net entry is the difference of the two truncated registers, so
 * net == +A - -A holds exactly on the integer interfaces. Time: t_us / 10^(6 + scaler).
 * @param[in]  e      Entry.
 * @param[in]  s      Snapshot.
 * @param[out] value  Value at the entry's scale; untouched on failure.
 * @retval MTR_OK      Set.
 * @retval MTR_ERANGE  The value is not finite or does not fit int64 at the entry's scale.
 * @retval MTR_EINVAL  NULL argument or malformed entry.
 * Context: any; no allocation; constant time.
 */
MTR_NODISCARD enum mtr_err
mtr_cat_value_int(const struct mtr_cat_entry *e, const struct mtr_snapshot *s, int64_t *value);

/**
 * Whether an entry applies to a meter measuring phase_count phases (entries of
 * phases L2/L3 do not apply to a single-phase meter; totals and meter state always do).
 * @param[in] e            Entry.
 * @param[in] phase_count  Phases measured, 1..3.
 * @return true when the entry has a value on such a meter; false for NULL.
 */
bool mtr_cat_applies(const struct mtr_cat_entry *e, uint8_t phase_count);

/**
 * Symbol of a DLMS unit, as printed beside values ("V", "Wh", "%", "deg").
 * @param[in] unit  enum mtr_cat_unit value.
 * @return A static string; "" for MTR_CAT_UNIT_NONE (dimensionless, counts) and for
 *         unknown units.
 * Context: any; no allocation.
 */
const char *mtr_cat_unit_str(uint8_t unit);

/**
 * Find an entry by name.
 * @param[in] name  NUL-terminated name; NULL gives NULL.
 * @return The entry, or NULL.
 * Context: any; linear search over the table.
 */
const struct mtr_cat_entry *mtr_cat_find(const char *name);

/**
 * Registers an entry's integer value occupies on the native Modbus map.
 * @param[in] e  Entry.
 * @return 2 (S32, U32) or 4 (U64, S64, T64); 0 for NULL or an unknown encoding.
 */
uint16_t mtr_cat_mb_int_regs(const struct mtr_cat_entry *e);

/**
 * Whether an entry has a float32 copy at mb_addr + MTR_CAT_MB_FLOAT_OFFSET.
 * @param[in] e  Entry.
 * @return true for S32 (value in its base unit), U64 and S64 (value / 1000: kWh, kvarh, kVAh).
 */
bool mtr_cat_mb_has_float(const struct mtr_cat_entry *e);

/**
 * Encode the whole native Modbus register image from a snapshot.
 *
 * Every entry is written at mb_addr, 32/64-bit values big-endian with the high
 * word first (ABCD); float32 copies at mb_addr + MTR_CAT_MB_FLOAT_OFFSET. Unused
 * addresses read 0. int32 values that are not available read MTR_CAT_MB_S32_NA
 * (their float copy reads NaN when the value is not finite).
 * @param[in]  s           Snapshot; NULL encodes "no data yet" (all 0, the
 *                         map version set, data-valid 0).
 * @param[out] regs        Image, indexed by protocol address.
 * @param[in]  reg_count   Elements in regs; >= MTR_CAT_MB_REG_COUNT.
 * @retval MTR_OK      Encoded.
 * @retval MTR_ENOSPC  reg_count is too small; regs untouched.
 * @retval MTR_EINVAL  NULL regs.
 * Context: any; no allocation; O(entries + MTR_CAT_MB_REG_COUNT).
 * Spec: Modbus Application Protocol V1.1b3 4.2 (big-endian registers).
 */
MTR_NODISCARD enum mtr_err
mtr_cat_mb_encode(const struct mtr_snapshot *s, uint16_t *regs, size_t reg_count);

/**
 * Format an entry's OBIS code as "A-B:C.D.E*F" (IEC 62056-6-1 value group notation).
 * @param[in]  e        Entry.
 * @param[out] out      Buffer.
 * @param[in]  out_cap  Capacity, bytes (>= 24 is always enough).
 * @retval MTR_OK      Written, NUL-terminated.
 * @retval MTR_ENOSPC  Did not fit.
 * @retval MTR_EINVAL  NULL argument.
 * Context: any; no allocation.   Spec: IEC 62056-6-1 4.2 (OBIS value groups).
 */
MTR_NODISCARD enum mtr_err
mtr_cat_obis_str(const struct mtr_cat_entry *e, char *out, size_t out_cap);

#endif /* METERD_CAT_H */
