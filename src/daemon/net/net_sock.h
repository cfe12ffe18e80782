/*
 * Socket and serial-port helpers shared by the servers of the edge (DLMS/COSEM,
 * IEC 62056-21): a non-blocking TCP listener, peer names for logs, and a raw
 * non-blocking serial port.
 */
#ifndef METERD_DAEMON_NET_SOCK_H
#define METERD_DAEMON_NET_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "meterd/err.h"

/** Characters of a peer name ("192.0.2.1:50123", "[::1]:4059", "/dev/ttyUSB0"). */
#define MTRD_NET_PEER_CAP 64u

/**
 * Open a non-blocking TCP listener.
 * @param[in]  host      Numeric address or host name; NULL or "" = "0.0.0.0".
 * @param[in]  port      TCP port; 0 = any free port.
 * @param[in]  what      Name of the service for messages ("dlms wrapper").
 * @param[out] fd        Listening socket.
 * @param[out] bound     Port actually bound.
 * @param[out] err       Message naming the address and port on failure.
 * @retval MTR_OK / MTR_ENOENT (host does not resolve) / MTR_EIO (socket, bind, listen).
 */
MTR_NODISCARD enum mtr_err mtrd_net_listen(const char *host,
                                           uint16_t port,
                                           const char *what,
                                           int *fd,
                                           uint16_t *bound,
                                           char *err,
                                           size_t err_cap);

/** Make fd non-blocking and close-on-exec; false on failure (errno set). */
bool mtrd_net_set_nonblock(int fd);

/** "address:port" of a peer for logs. */
void mtrd_net_peer_name(const struct sockaddr_storage *ss, char *out, size_t cap);

/**
 * Open a serial device raw, non-blocking, 8N1 (or 7E1) at a baud rate. A pseudo-terminal
 * (socat pty pair, tests) accepts the settings and ignores them.
 * @param[in]  path     Device path.
 * @param[in]  baud     300..115200 (a standard rate).
 * @param[in]  is_7e1   7 data bits, even parity (IEC 62056-21 modes A-C) instead of 8N1.
 * @param[out] fd       Descriptor.
 * @retval MTR_OK / MTR_EINVAL (not a standard baud) / MTR_EIO (open or termios; err says).
 */
MTR_NODISCARD enum mtr_err mtrd_net_serial_open(
    const char *path, unsigned baud, bool is_7e1, int *fd, char *err, size_t err_cap);

/**
 * Change the baud rate of an open serial port after the queued output is sent.
 * @retval MTR_OK / MTR_EINVAL / MTR_EIO.
 */
MTR_NODISCARD enum mtr_err mtrd_net_serial_baud(int fd, unsigned baud);

#endif /* METERD_DAEMON_NET_SOCK_H */
