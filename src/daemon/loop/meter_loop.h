/*
 * The meter loop: source -> metrology -> registers -> NV -> snapshot -> Modbus,
 * with real-time pacing or as-fast-as-possible replay (DESIGN.md data flow).
 */
#ifndef METERD_METER_LOOP_H
#define METERD_METER_LOOP_H

#include <signal.h>

#include "config/config.h"
#include "sources/source.h"

/** Exit codes of meterd. */
enum mtrd_exit {
    MTRD_EXIT_OK = 0,
    MTRD_EXIT_RUNTIME = 1, /**< bad sample data, register or storage failure while running */
    MTRD_EXIT_USAGE = 2,   /**< bad option or configuration */
    MTRD_EXIT_INPUT = 3,   /**< the input cannot be opened or its header is malformed */
    MTRD_EXIT_STORAGE = 4, /**< the register file cannot be opened */
    MTRD_EXIT_NETWORK = 5, /**< a server socket cannot be opened */
};

/**
 * Build a source spec from the configuration (type from --source or the input's extension).
 * @retval MTR_OK, MTR_EINVAL (bad --map; err says which item).
 */
enum mtr_err mtrd_meter_source_spec(const struct mtrd_config *cfg,
                                    struct mtrd_source_spec *spec,
                                    char *err,
                                    size_t err_cap);

/**
 * Run the meter until the input ends, --duration passes, or *stop becomes non-zero.
 * @return an enum mtrd_exit value.
 */
int mtrd_meter_run(const struct mtrd_config *cfg,
                   volatile sig_atomic_t *stop,
                   volatile sig_atomic_t *reload,
                   const char *config_path);

#endif /* METERD_METER_LOOP_H */
