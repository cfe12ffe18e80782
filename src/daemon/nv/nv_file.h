/*
 * Linux backend of the NV region: a memory-mapped file (the daemon's FRAM).
 *
 * The file holds exactly mtr_nv_region_len() bytes. It is created when missing by writing
 * name.tmp, fsync, rename, fsync of the directory (STYLE.md 10), so a crash never leaves a
 * half-created file. It is mapped MAP_SHARED; a write is a memcpy into the map, which the page
 * cache keeps when the process is killed (kill -9 loses nothing written), and a sync is an
 * msync(MS_SYNC) of the touched pages, which survives a power cut. An exclusive flock() keeps
 * a second daemon off the same file. A file of the wrong size is never truncated or resized:
 * open fails with a message, and mtrd_nv_file_read_image() lets the caller salvage it.
 */
#ifndef METERD_DAEMON_NV_FILE_H
#define METERD_DAEMON_NV_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterd/err.h"
#include "meterd/nv.h"

/** Capacity of the path kept for messages, bytes including the NUL. */
#define MTRD_NV_PATH_CAP 4096u

/** An open NV file. Must not move while a struct mtr_nv uses ops/ctx. */
struct mtrd_nv_file {
    struct mtr_nv_ops ops; /**< Operations for mtr_nv_init(); ctx is this struct. */
    int fd;                /**< Open, flock()ed file; -1 when closed. */
    uint8_t *map;          /**< MAP_SHARED mapping of the whole file. */
    size_t len;            /**< File and mapping length, bytes. */
    size_t page_len;       /**< System page size, bytes (msync granularity). */
    /**
     * true: every commit's sync is an msync(MS_SYNC) (power-cut safe per commit).
     * false: syncs only record the dirty range, written by mtrd_nv_file_flush() (kill -9 safe,
     * power-cut safe up to the last flush). Default true.
     */
    bool is_sync_each_commit;
    size_t dirty_lo;             /**< Lowest unsynced byte; SIZE_MAX when clean. */
    size_t dirty_hi;             /**< One past the highest unsynced byte. */
    char path[MTRD_NV_PATH_CAP]; /**< File path, for messages. */
};

/**
 * Open (creating it zero-filled if missing) an NV file of region_len bytes, map it, lock it.
 * @param[in]  path        File path.
 * @param[in]  region_len  Required size, bytes (mtr_nv_region_len()); > 0.
 * @param[out] file        File; on success pass &file->ops and file to mtr_nv_init().
 * @param[out] err         Message on failure naming the file (may be NULL).
 * @param[in]  err_cap     Capacity of err, bytes.
 * @retval MTR_OK      Open, mapped and locked.
 * @retval MTR_EINVAL  NULL argument, zero length or path too long.
 * @retval MTR_EPROTO  The file exists with another size (truncated or another build's):
 *                     nothing was changed; see mtrd_nv_file_read_image().
 * @retval MTR_EAGAIN  Another process (or open) holds the lock on the file.
 * @retval MTR_EIO     A system call failed (errno text in err).
 * Context: start-up; allocates nothing but the mapping.
 */
MTR_NODISCARD enum mtr_err mtrd_nv_file_open(
    const char *path, size_t region_len, struct mtrd_nv_file *file, char *err, size_t err_cap);

/**
 * Write the dirty pages (mode is_sync_each_commit = false) with msync(MS_SYNC).
 * @param[in,out] file  Open file.
 * @retval MTR_OK      Nothing dirty, or written.
 * @retval MTR_EINVAL  NULL or closed file.
 * @retval MTR_EIO     msync failed.
 * Context: meter loop at the sync interval, and at SIGTERM.
 */
MTR_NODISCARD enum mtr_err mtrd_nv_file_flush(struct mtrd_nv_file *file);

/**
 * Flush, unmap, unlock and close. Safe on a closed file.
 * @param[in,out] file  File; fd is -1 afterwards.
 * @retval MTR_OK   Closed.
 * @retval MTR_EIO  The final msync failed (the file is closed anyway).
 */
MTR_NODISCARD enum mtr_err mtrd_nv_file_close(struct mtrd_nv_file *file);

/**
 * Create a file atomically with the given content: path.tmp, fsync, rename, fsync directory.
 * An existing file at path is replaced.
 * @param[in]  path       File path.
 * @param[in]  image      Content, len bytes; NULL for len zero bytes.
 * @param[in]  len        Bytes.
 * @param[out] err        Message on failure (may be NULL).
 * @param[in]  err_cap    Capacity of err.
 * @retval MTR_OK      Created and durable.
 * @retval MTR_EINVAL  NULL path or path too long.
 * @retval MTR_EIO     A system call failed; path is unchanged.
 */
MTR_NODISCARD enum mtr_err
mtrd_nv_file_create(const char *path, const void *image, size_t len, char *err, size_t err_cap);

/**
 * Read a file of any size into a region-sized image, for salvaging a file of the wrong size.
 * Bytes past the end of a short file are set to 0x00 (an erased, empty pattern).
 * @param[in]  path       File path.
 * @param[out] image      Buffer of image_len bytes.
 * @param[in]  image_len  Region length, bytes.
 * @param[out] file_len   Actual size of the file, bytes.
 * @param[out] err        Message on failure (may be NULL).
 * @param[in]  err_cap    Capacity of err.
 * @retval MTR_OK      Read.
 * @retval MTR_EINVAL  NULL argument.
 * @retval MTR_ENOENT  No such file.
 * @retval MTR_EAGAIN  Another process holds the file's lock.
 * @retval MTR_EIO     A system call failed.
 */
MTR_NODISCARD enum mtr_err mtrd_nv_file_read_image(const char *path,
                                                   uint8_t *image,
                                                   size_t image_len,
                                                   size_t *file_len,
                                                   char *err,
                                                   size_t err_cap);

#endif /* METERD_DAEMON_NV_FILE_H */
