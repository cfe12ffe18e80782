/*
 * The IEC 62056-47 wrapper: DLMS/COSEM APDUs over TCP (and UDP), port 4059.
 *
 * Each APDU is preceded by an 8-byte header: version (0x0001), source wPort, destination
 * wPort, length of the APDU (all 16-bit big-endian). The wPorts are the client and server
 * SAPs (client 16 public, 17 reading, 1 management; server 1 = management logical device).
 * Over TCP the header is the only framing, so the receiver reassembles PDUs from a byte
 * stream: mtr_wrap_feed() takes bytes in any chunking and yields one PDU at a time.
 *
 * Spec: IEC 62056-47:2006 5.3 (wrapper protocol data unit); Green Book Ed. 9 10.3.3.
 */
#ifndef METERD_WRAPPER_H
#define METERD_WRAPPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterd/compiler.h"
#include "meterd/err.h"

#define MTR_WRAP_HDR_LEN  8u      /**< version, source, destination, length */
#define MTR_WRAP_VERSION  0x0001u /**< The only version defined. */
/** Largest APDU accepted (a server-max-receive-pdu-size of 4096 plus ciphering). */
#define MTR_WRAP_APDU_CAP 4608u

/** One received PDU. */
struct mtr_wrap_pdu {
    uint16_t src;        /**< Source wPort (the client SAP on a server). */
    uint16_t dst;        /**< Destination wPort. */
    const uint8_t *apdu; /**< APDU (borrowed from the reassembly buffer until the next feed). */
    size_t apdu_len;     /**< Bytes. */
};

/** Stream reassembly state of one TCP connection. */
struct mtr_wrap {
    uint8_t buf[MTR_WRAP_HDR_LEN + MTR_WRAP_APDU_CAP];
    size_t have;     /**< Bytes of the current PDU received so far. */
    uint64_t offset; /**< Stream offset of the first byte of the current PDU (for messages). */
};

/** Start a connection. */
void mtr_wrap_init(struct mtr_wrap *w);

/**
 * Take bytes of the stream.
 * @param[in,out] w         State.
 * @param[in]     in        Bytes, n of them.
 * @param[out]    consumed  Bytes used (the rest belongs to the next PDUs: feed them again).
 * @param[out]    pdu       The PDU when MTR_OK is returned.
 * @retval MTR_OK      A complete PDU (valid until the next call).
 * @retval MTR_EAGAIN  All bytes used, the PDU is not complete yet.
 * @retval MTR_EPROTO  Version not 0x0001 (w->offset names the PDU): close the connection.
 * @retval MTR_ENOSPC  Length field above MTR_WRAP_APDU_CAP: close the connection.
 * @retval MTR_EINVAL  NULL argument.
 * Context: any; no allocation; O(n).
 */
MTR_NODISCARD enum mtr_err mtr_wrap_feed(
    struct mtr_wrap *w, const uint8_t *in, size_t n, size_t *consumed, struct mtr_wrap_pdu *pdu);

/**
 * Write a header and an APDU.
 * @param[in]  src      Source wPort.
 * @param[in]  dst      Destination wPort.
 * @param[in]  apdu     APDU, n bytes (n <= 65535).
 * @param[out] out      Buffer, cap bytes (>= 8 + n); may not overlap apdu.
 * @param[out] out_len  Bytes written.
 * @retval MTR_OK / MTR_ENOSPC (cap too small) / MTR_ERANGE (n > 65535) / MTR_EINVAL.
 */
MTR_NODISCARD enum mtr_err mtr_wrap_encode(uint16_t src,
                                           uint16_t dst,
                                           const uint8_t *apdu,
                                           size_t n,
                                           uint8_t *out,
                                           size_t cap,
                                           size_t *out_len);

#endif /* METERD_WRAPPER_H */
