/*
 * The DLMS security record: the invocation counters of security suite 0, kept across
 * restarts so an IV (system title || invocation counter) is never used twice and a
 * replayed client request is refused after a restart too (IEC 62056-5-3:2017 5.3.4.6;
 * Green Book 9.2.7.2.4). File <data-dir>/security.nv, an NV record store
 * (docs/nv-format.md) with magic "MTRS", layout 1: tx_ic (uint32 LE), rx_ic (uint32 LE).
 *
 * A power cut loses what was not yet synced to disk (kill -9 loses nothing: the file is
 * memory-mapped). So that a lost increment can never make the server reuse a counter, the
 * server's own counter is advanced by MTRD_SEC_STORE_TX_MARGIN at every open.
 */
#ifndef METERD_DAEMON_SEC_STORE_H
#define METERD_DAEMON_SEC_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterd/err.h"
#include "meterd/nv.h"
#include "nv/nv_file.h"

#define MTRD_SEC_STORE_MAGIC     0x5352544Du /* "MTRS" in file order */
#define MTRD_SEC_STORE_VERSION   1u
#define MTRD_SEC_STORE_LEN       8u
/** Invocation counter values skipped at every start (more than a sync interval can use). */
#define MTRD_SEC_STORE_TX_MARGIN 4096u

/** An open store. Must not move after open (nv points into file). */
struct mtrd_sec_store {
    struct mtrd_nv_file file;
    struct mtr_nv nv;
    bool is_open;
};

/**
 * Open (creating it if missing) and load the counters.
 * @param[in]  path     File path.
 * @param[out] store    Store.
 * @param[out] tx_ic    Server invocation counter to use next (stored + margin; 0 when new).
 * @param[out] rx_ic    Highest client invocation counter accepted (0 when new).
 * @param[out] err      Message naming the file on failure.
 * @retval MTR_OK / MTR_ECORRUPT (no valid copy: refuse to start rather than reuse IVs) /
 *         MTR_ERANGE (tx_ic would wrap: new keys are needed) / MTR_EIO / MTR_EAGAIN (locked) /
 *         MTR_EVERSION / MTR_ENOMEM.
 */
MTR_NODISCARD enum mtr_err mtrd_sec_store_open(const char *path,
                                               struct mtrd_sec_store *store,
                                               uint32_t *tx_ic,
                                               uint32_t *rx_ic,
                                               char *err,
                                               size_t err_cap);

/** Commit the counters (before the response that used them goes out). MTR_OK / MTR_EIO. */
MTR_NODISCARD enum mtr_err
mtrd_sec_store_commit(struct mtrd_sec_store *store, uint32_t tx_ic, uint32_t rx_ic);

/** Close (msync and unlock); a closed store is fine. */
void mtrd_sec_store_close(struct mtrd_sec_store *store);

#endif /* METERD_DAEMON_SEC_STORE_H */
