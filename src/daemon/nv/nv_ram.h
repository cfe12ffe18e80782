/*
 * An NV region in RAM (struct mtr_nv_ops): to build the first image of a new file in
 * memory, and to salvage a file of the wrong size, before the image is written whole.
 */
#ifndef METERD_DAEMON_NV_RAM_H
#define METERD_DAEMON_NV_RAM_H

#include <stddef.h>
#include <stdint.h>

#include "meterd/nv.h"

/** The region: mem[0..len). Pass a pointer to it as the ctx of mtrd_nv_ram_ops. */
struct mtrd_nv_ram {
    uint8_t *mem;
    size_t len;
};

/** Reads and writes inside mem (MTR_EIO outside it); sync does nothing. */
extern const struct mtr_nv_ops mtrd_nv_ram_ops;

#endif /* METERD_DAEMON_NV_RAM_H */
