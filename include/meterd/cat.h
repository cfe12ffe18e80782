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

#include <stddef.h>
#include <stdint.h>

#include "meterd/compiler.h"
#include "meterd/err.h"
#include "meterd/snapshot.h"

/** DLMS units used (IEC 62056-6-2, enumeration "unit"). */
enum mtr_cat_unit {
    MTR_CAT_UNIT_DEG = 8,     /**< degree (angle) */
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
    MTR_CAT_UNIT_NONE = 255,  /**< count / dimensionless */
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
};

/** How an entry is encoded on the native Modbus map. */
enum mtr_cat_mb {
    MTR_CAT_MB_S32 = 0, /**< int32 of value / 10^scaler, plus a float32 copy */
    MTR_CAT_MB_U64,     /**< uint64 of the register in the entry's unit (Wh), plus float32 kWh */
    MTR_CAT_MB_U32,     /**< uint32 counter/flag, no float copy */
};

/** One catalogue entry. */
struct mtr_cat_entry {
    const char *name;       /**< Stable snake_case name: "u_rms_l1", "e_a_imp_total". */
    const char *label;      /**< Field notation: "Urms L1", "+A total". */
    uint8_t obis[6];        /**< A.B.C.D.E.F */
    uint8_t ic;             /**< COSEM interface class (1 Data, 3 Register). */
    uint8_t unit;           /**< enum mtr_cat_unit */
    int8_t scaler;          /**< Value on integer interfaces = round(value / 10^scaler). */
    uint8_t src;            /**< enum mtr_cat_src */
    uint8_t phase;          /**< 0..2, or MTR_REG_TOTAL for registers */
    uint8_t index;          /**< Register kind or u_ll index */
    uint16_t off;           /**< Byte offset for *_F32 sources */
    uint8_t mb;             /**< enum mtr_cat_mb */
    uint16_t mb_addr;       /**< Native Modbus protocol address (0-based, FC3 and FC4). */
};

/**
 * The catalogue.
 * @param[out] count  Number of entries.
 * @return Pointer to a static const table; never NULL.
 */
const struct mtr_cat_entry *mtr_cat_entries(size_t *count);

/**
 * Value of an entry in its base unit (V, A, W, var, VA, Hz, deg, %, Wh, varh, VAh, count).
 * @param[in]  e      Entry.
 * @param[in]  s      Snapshot.
 * @param[out] value  Value.
 * @retval MTR_OK      Set.
 * @retval MTR_EINVAL  NULL argument or malformed entry.
 */
MTR_NODISCARD enum mtr_err mtr_cat_value(const struct mtr_cat_entry *e,
                                         const struct mtr_snapshot *s,
                                         double *value);

/**
 * Find an entry by name.
 * @return The entry, or NULL.
 */
const struct mtr_cat_entry *mtr_cat_find(const char *name);

/**
 * Format an entry's OBIS code as "A-B:C.D.E*F" (IEC 62056-6-1 value group notation).
 * @param[in]  e        Entry.
 * @param[out] out      Buffer.
 * @param[in]  out_cap  Capacity, bytes (>= 24 is always enough).
 * @retval MTR_OK      Written, NUL-terminated.
 * @retval MTR_ENOSPC  Did not fit.
 * @retval MTR_EINVAL  NULL argument.
 */
MTR_NODISCARD enum mtr_err mtr_cat_obis_str(const struct mtr_cat_entry *e, char *out, size_t out_cap);

#endif /* METERD_CAT_H */
