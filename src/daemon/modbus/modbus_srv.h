/*
 * Modbus TCP server of the native register map (Linux edge).
 *
 * One listening socket and up to max_clients connections, served from one
 * thread by mtrd_modbus_poll(): every socket is non-blocking and each client has
 * its own receive and send buffer, so a client that sends half a request, sends
 * nothing, or does not read its replies never delays the meter loop or the other
 * clients. The register image is re-encoded from the catalogue on every
 * mtrd_modbus_publish(); FC3 and FC4 read the same image. Writes and every other
 * function code are refused with exception 1 (ILLEGAL FUNCTION): writes stay off
 * until configuration over Modbus exists.
 *
 * libmodbus's own server loop (modbus_receive/modbus_reply) is not used: it waits
 * for a partial request up to the byte timeout and sleeps the response timeout
 * before every exception reply, which would stall the meter loop. The MBAP framing
 * is done here; the protocol constants come from <modbus.h>.
 */
#ifndef MTRD_MODBUS_SRV_H
#define MTRD_MODBUS_SRV_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "meterd/compiler.h"
#include "meterd/err.h"
#include "meterd/snapshot.h"

/** Most clients a server can be configured for. */
#define MTRD_MODBUS_MAX_CLIENTS 64u

/** Log sink: level is a syslog level (LOG_ERR .. LOG_DEBUG); msg is borrowed for the call. */
typedef void (*mtrd_modbus_log_fn)(void *ctx, int level, const char *msg);

/** First register of the command block (write only, FC6/FC16; docs/modbus-native.md). */
#define MTRD_MB_CMD_ADDR  2000u
/** Registers of the command block: code, argument, time (uint32, 2 words). */
#define MTRD_MB_CMD_COUNT 4u

/**
 * Meter command written to the command block, applied by the meter loop between frames.
 * @param[in] ctx    mtrd_modbus_cfg.command_ctx.
 * @param[in] words  The registers written, starting at MTRD_MB_CMD_ADDR (words[0] = code).
 * @param[in] count  1..MTRD_MB_CMD_COUNT.
 * @param[in] peer   Client address, for the log.
 * @retval MTR_OK      Applied (the reply is the normal write echo).
 * @retval MTR_EINVAL  Unknown code or bad argument (exception 3, ILLEGAL DATA VALUE).
 * @retval other       Could not be applied (exception 4, SERVER DEVICE FAILURE).
 */
typedef enum mtr_err (*mtrd_modbus_command_fn)(void *ctx,
                                               const uint16_t *words,
                                               unsigned count,
                                               const char *peer);

/** Server configuration. Zero-initialise, then set what applies. */
struct mtrd_modbus_cfg {
    /** Address to bind: numeric IPv4/IPv6 or a host name; NULL or "" binds all IPv4 ("0.0.0.0"). */
    const char *bind_addr;
    /** TCP port; 0 picks a free port (see mtrd_modbus_port()). Standard: 502. */
    uint16_t port;
    /**
     * Unit identifier of the native map, 1..247. Requests to this id, to 0 or to 255
     * (the MBAP "not used" value for a directly connected device) are answered; other
     * ids get exception 11 (GATEWAY TARGET DEVICE FAILED TO RESPOND).
     */
    uint8_t unit_id;
    /** Concurrent clients, 1..MTRD_MODBUS_MAX_CLIENTS; one more is accepted and closed. */
    unsigned max_clients;
    /** A client silent for this long is closed, seconds; 0 = never. */
    unsigned idle_timeout_s;
    /**
     * Data-valid fail-safe, milliseconds: when no snapshot was published for this long,
     * the data-valid register reads 0 until the next publish. 0 = off (the meter loop
     * alone decides through mtr_snapshot.is_valid).
     */
    unsigned stale_ms;
    /** Optional log sink (NULL: silent) and its context. */
    mtrd_modbus_log_fn log_fn;
    void *log_ctx;
    /**
     * Meter commands by FC6/FC16 to the command block; NULL: every write is refused with
     * exception 1 (ILLEGAL FUNCTION), the default (writes are off unless configured).
     */
    mtrd_modbus_command_fn command_fn;
    void *command_ctx;
};

/** Counters since open. */
struct mtrd_modbus_stats {
    uint64_t requests;        /**< Requests answered (including exceptions). */
    uint64_t exceptions;      /**< Exception replies sent. */
    uint64_t clients_total;   /**< Connections accepted and served. */
    uint64_t clients_refused; /**< Connections closed at once because max_clients were busy. */
    uint64_t clients_dropped; /**< Connections closed for a protocol error, idle timeout or
                                   a full send buffer. */
    unsigned clients_now;     /**< Connections open now. */
};

struct mtrd_modbus;

/**
 * Open the server: bind, listen, and publish an image with no data (data-valid 0).
 * @param[in]  cfg      Configuration; copied (bind_addr is not kept).
 * @param[out] out      Server, to be closed with mtrd_modbus_close(); untouched on failure.
 * @param[out] err      Message naming the address and port on failure (may be NULL).
 * @param[in]  err_cap  Capacity of err, bytes.
 * @retval MTR_OK      Listening.
 * @retval MTR_EINVAL  NULL cfg/out, unit_id outside 1..247, max_clients outside 1..64.
 * @retval MTR_ENOENT  bind_addr does not resolve.
 * @retval MTR_EIO     socket, bind or listen failed (errno in err).
 * @retval MTR_ENOMEM  Allocation failed.
 * Context: start-up; allocates the server (about 2 * 3 KiB image + 5 KiB per client slot).
 */
MTR_NODISCARD enum mtr_err mtrd_modbus_open(const struct mtrd_modbus_cfg *cfg,
                                            struct mtrd_modbus **out,
                                            char *err,
                                            size_t err_cap);

/**
 * Port the server listens on (the one chosen when cfg.port was 0).
 * @param[in] srv  Server.
 * @return TCP port; 0 for NULL.
 */
uint16_t mtrd_modbus_port(const struct mtrd_modbus *srv);

/**
 * Re-encode the register image from a snapshot through the catalogue.
 * @param[in,out] srv  Server.
 * @param[in]     s    Snapshot, borrowed for the call.
 * @retval MTR_OK      Clients read the new values from their next request.
 * @retval MTR_EINVAL  NULL argument.
 * Context: meter loop, after each frame; no allocation; O(catalogue).
 */
MTR_NODISCARD enum mtr_err mtrd_modbus_publish(struct mtrd_modbus *srv,
                                               const struct mtr_snapshot *s);

/**
 * Serve: wait up to timeout_ms for activity, then accept new clients, answer every
 * complete request of every client, send what fits, and close idle clients.
 * @param[in,out] srv         Server.
 * @param[in]     timeout_ms  Longest wait, ms; 0 = do not wait; < 0 = until activity.
 * @retval MTR_OK      Served (also when interrupted by a signal).
 * @retval MTR_EINVAL  NULL srv.
 * @retval MTR_EIO     poll() failed (logged).
 * Context: meter loop thread; never blocks beyond timeout_ms; no allocation.
 * Spec: Modbus Messaging on TCP/IP Implementation Guide V1.0b (MBAP);
 *       Modbus Application Protocol V1.1b3 6.3, 6.4, 7 (FC3, FC4, exceptions).
 */
MTR_NODISCARD enum mtr_err mtrd_modbus_poll(struct mtrd_modbus *srv, int timeout_ms);

/**
 * The descriptors to poll: the listening socket first, then each client (POLLIN while its
 * buffers have room, POLLOUT while replies wait). For a caller that polls several servers
 * at once; mtrd_modbus_poll() is fds + poll() + serve.
 * @param[in,out] srv  Server (remembers which client each descriptor is).
 * @param[out]    fds  Descriptors, cap of them (>= 1 + max_clients).
 * @param[in]     cap  Capacity, elements.
 * @return Descriptors written; 0 for NULL arguments or a too small cap.
 * Context: meter loop thread; no allocation.
 */
size_t mtrd_modbus_fds(struct mtrd_modbus *srv, struct pollfd *fds, size_t cap);

/**
 * Serve after poll(): answer clients with events, accept new ones, close idle ones.
 * @param[in,out] srv  Server.
 * @param[in]     fds  The descriptors of the latest mtrd_modbus_fds() with revents set.
 * @param[in]     n    Their number (as returned by mtrd_modbus_fds()); another n is ignored.
 * Context: meter loop thread; never blocks; no allocation.
 */
void mtrd_modbus_serve(struct mtrd_modbus *srv, const struct pollfd *fds, size_t n);

/**
 * Counters.
 * @param[in]  srv  Server.
 * @param[out] st   Filled.
 * Context: meter loop thread.
 */
void mtrd_modbus_stats(const struct mtrd_modbus *srv, struct mtrd_modbus_stats *st);

/**
 * Close every connection and the listening socket, and free the server.
 * @param[in] srv  Server, or NULL (nothing happens).
 */
void mtrd_modbus_close(struct mtrd_modbus *srv);

#endif /* MTRD_MODBUS_SRV_H */
