/*
 * The published, read-only view of the meter that interfaces read.
 *
 * The meter loop fills one after every frame; interfaces (Modbus, CLI report,
 * later DLMS/HTTP/MQTT) only ever read a snapshot, never the engine.
 */
#ifndef METERD_SNAPSHOT_H
#define METERD_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>

#include "meterd/app.h"
#include "meterd/metrology.h"
#include "meterd/reg.h"

/** Snapshot of the meter after a frame. */
struct mtr_snapshot {
    struct mtr_metro_frame frame; /**< The latest frame. */
    struct mtr_reg_set reg;       /**< Registers after that frame. */
    uint64_t t_us;                /**< Meter time at the end of the frame, us since the epoch
                                       of the source (1970-01-01 UTC when known). */
    uint32_t k_imp_per_kWh;       /**< Meter constant (test output), impulses per kWh. */
    bool is_valid;                /**< False until the first frame, and when the data is stale. */
    /** Meter application after that frame: clock, tariff registers, demand, counters. */
    struct mtr_app_state app;
    /** Current average demand of the running window, mW / mvar (x.4.0), enum mtr_dem_qty. */
    int64_t dem_cur_mW[MTR_DEM_COUNT];
};

#endif /* METERD_SNAPSHOT_H */
