/*
 * Modbus TCP server of the native map: non-blocking sockets, one poll() loop.
 *
 * Each request is framed by its MBAP header (Modbus Messaging on TCP/IP
 * Implementation Guide V1.0b, 3.1.3): transaction id, protocol id 0, length of
 * the unit id plus PDU, unit id. Partial requests stay in the client's receive
 * buffer until the rest arrives; replies go to the client's send buffer and are
 * sent as the socket accepts them. While a client's send buffer is nearly full
 * (it sends requests without reading the replies), its further requests wait in
 * the kernel: back-pressure instead of a stall or unbounded memory.
 *
 * Why not libmodbus's server side (modbus_receive + modbus_reply): this server runs
 * inside the single-threaded meter loop, which must never block. modbus_receive()
 * waits until a whole request has arrived, so one client that sends half a header
 * stalls every other client and the metrology; and modbus_reply() sleeps the response
 * timeout before the exception replies to a bad address or count (response_exception()
 * with to_flush). The protocol constants still come from <modbus.h>; the client side of
 * the tests is other people's code (mbpoll, pymodbus).
 */
#include "modbus/modbus_srv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <modbus.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <syslog.h>
#include <unistd.h>

#include "log/errf.h"
#include "meterd/cat.h"
#include "net/net_sock.h"

/* MBAP header: transaction id (2), protocol id (2), length (2), unit id (1). */
#define MB_MBAP_LEN           7u
/* MBAP length field: unit id + PDU; the PDU is 1..253 bytes (Application Protocol 4.1). */
#define MB_LENGTH_MIN         2u
#define MB_LENGTH_MAX         254u
/* Largest ADU: 7 + 253 = 260 (MODBUS_TCP_MAX_ADU_LENGTH). */
#define MB_ADU_MAX            MODBUS_TCP_MAX_ADU_LENGTH
/* Receive buffer: one ADU being completed plus the start of the next. */
#define MB_RX_CAP             (2u * MB_ADU_MAX)
/* Send buffer: 16 maximum-size replies queued for a client that pipelines. */
#define MB_TX_CAP             (16u * MB_ADU_MAX)
/* Unit ids answered besides the configured one: 0 and 0xFF ("not used", Guide 4.4.2). */
#define MB_UNIT_ZERO          0u
#define MB_UNIT_UNUSED        0xFFu
#define MB_UNIT_MAX           247u
/* Exception 11: the addressed unit does not exist behind this server. */
#define MB_EXC_GATEWAY_TARGET MODBUS_EXCEPTION_GATEWAY_TARGET
#define MB_EXC_FLAG           0x80u
#define MB_LISTEN_BACKLOG     16
#define MB_LOG_CAP            256u
#define MB_PEER_CAP           64u

struct mb_client {
    int fd; /* -1: free slot */
    uint8_t rx[MB_RX_CAP];
    size_t rx_len;
    uint8_t tx[MB_TX_CAP];
    size_t tx_off; /* first unsent byte */
    size_t tx_len; /* bytes queued */
    int64_t last_ms;
    char peer[MB_PEER_CAP];
};

struct mtrd_modbus {
    struct mtrd_modbus_cfg cfg;
    int listen_fd;
    uint16_t port;
    uint16_t valid_addr; /* address of the data-valid uint32 */
    bool has_valid_addr;
    int64_t publish_ms; /* monotonic time of the last publish; < 0 never */
    struct mtrd_modbus_stats st;
    uint16_t image[MTR_CAT_MB_REG_COUNT];
    struct pollfd pfd[1u + MTRD_MODBUS_MAX_CLIENTS];
    unsigned slot_of[MTRD_MODBUS_MAX_CLIENTS]; /* client slot of pfd[k + 1] (mtrd_modbus_fds) */
    size_t n_fds;                              /* descriptors of the last mtrd_modbus_fds() */
    struct mb_client clients[];                /* cfg.max_clients slots */
};

static int64_t
mb_now_ms(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts); /* cannot fail for CLOCK_MONOTONIC */
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
mb_log(const struct mtrd_modbus *srv, int level, const char *fmt, ...)
{
    char msg[MB_LOG_CAP];
    va_list ap;
    if (srv->cfg.log_fn == NULL) {
        return;
    }
    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap); /* truncation of a log line is acceptable */
    va_end(ap);
    srv->cfg.log_fn(srv->cfg.log_ctx, level, msg);
}

static enum mtr_err
mb_listen(struct mtrd_modbus *srv, const char *host, char *err, size_t err_cap)
{
    return mtrd_net_listen(host, srv->cfg.port, "modbus", &srv->listen_fd, &srv->port, err,
                           err_cap);
}

enum mtr_err
mtrd_modbus_open(const struct mtrd_modbus_cfg *cfg,
                 struct mtrd_modbus **out,
                 char *err,
                 size_t err_cap)
{
    struct mtrd_modbus *srv;
    const struct mtr_cat_entry *valid;
    enum mtr_err r;

    if (cfg == NULL || out == NULL) {
        mtrd_errf(err, err_cap, "modbus: NULL argument");
        return MTR_EINVAL;
    }
    if (cfg->unit_id < 1u || cfg->unit_id > MB_UNIT_MAX) {
        mtrd_errf(err, err_cap, "modbus: unit id %u outside 1..%u", (unsigned)cfg->unit_id,
                  MB_UNIT_MAX);
        return MTR_EINVAL;
    }
    if (cfg->max_clients < 1u || cfg->max_clients > MTRD_MODBUS_MAX_CLIENTS) {
        mtrd_errf(err, err_cap, "modbus: max clients %u outside 1..%u", cfg->max_clients,
                  MTRD_MODBUS_MAX_CLIENTS);
        return MTR_EINVAL;
    }
    srv = calloc(1, sizeof(*srv) + cfg->max_clients * sizeof(srv->clients[0]));
    if (srv == NULL) {
        mtrd_errf(err, err_cap, "modbus: out of memory");
        return MTR_ENOMEM;
    }
    srv->cfg = *cfg;
    srv->cfg.bind_addr = NULL; /* not kept: borrowed for the call */
    srv->listen_fd = -1;
    srv->publish_ms = -1;
    for (unsigned i = 0; i < cfg->max_clients; i++) {
        srv->clients[i].fd = -1;
    }
    valid = mtr_cat_find("valid");
    if (valid != NULL) {
        srv->valid_addr = valid->mb_addr;
        srv->has_valid_addr = true;
    }
    if (mtr_cat_mb_encode(NULL, srv->image, MTR_CAT_MB_REG_COUNT) != MTR_OK) {
        mtrd_errf(err, err_cap, "modbus: cannot encode the empty register image");
        free(srv);
        return MTR_EINVAL;
    }
    r = mb_listen(srv, cfg->bind_addr, err, err_cap);
    if (r != MTR_OK) {
        free(srv);
        return r;
    }
    mb_log(srv, LOG_INFO, "modbus: listening on port %u, unit id %u, up to %u clients",
           (unsigned)srv->port, (unsigned)cfg->unit_id, cfg->max_clients);
    *out = srv;
    return MTR_OK;
}

uint16_t
mtrd_modbus_port(const struct mtrd_modbus *srv)
{
    return srv == NULL ? 0u : srv->port;
}

enum mtr_err
mtrd_modbus_publish(struct mtrd_modbus *srv, const struct mtr_snapshot *s)
{
    if (srv == NULL || s == NULL) {
        return MTR_EINVAL;
    }
    if (mtr_cat_mb_encode(s, srv->image, MTR_CAT_MB_REG_COUNT) != MTR_OK) {
        return MTR_EINVAL; /* cannot happen: the image has MTR_CAT_MB_REG_COUNT registers */
    }
    srv->publish_ms = mb_now_ms();
    return MTR_OK;
}

void
mtrd_modbus_stats(const struct mtrd_modbus *srv, struct mtrd_modbus_stats *st)
{
    if (srv != NULL && st != NULL) {
        *st = srv->st;
    }
}

static void
mb_drop(struct mtrd_modbus *srv, struct mb_client *c, const char *why)
{
    mb_log(srv, LOG_INFO, "modbus: closing %s: %s", c->peer, why);
    (void)close(c->fd); /* nothing useful to do if close fails */
    c->fd = -1;
    c->rx_len = 0;
    c->tx_off = 0;
    c->tx_len = 0;
    srv->st.clients_now--;
}

/* Accept every pending connection; beyond max_clients, accept and close at once. */
static void
mb_accept_all(struct mtrd_modbus *srv, int64_t now_ms)
{
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        struct mb_client *slot = NULL;
        int one = 1;
        int fd = accept(srv->listen_fd, (struct sockaddr *)&ss, &sl);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
                errno != ECONNABORTED) {
                mb_log(srv, LOG_WARNING, "modbus: accept on port %u: %s", (unsigned)srv->port,
                       strerror(errno));
            }
            return;
        }
        for (unsigned i = 0; i < srv->cfg.max_clients && slot == NULL; i++) {
            if (srv->clients[i].fd < 0) {
                slot = &srv->clients[i];
            }
        }
        if (slot == NULL || !mtrd_net_set_nonblock(fd)) {
            char peer[MB_PEER_CAP];
            mtrd_net_peer_name(&ss, peer, sizeof(peer));
            mb_log(srv, LOG_WARNING, "modbus: refusing %s: %u clients connected", peer,
                   srv->st.clients_now);
            (void)close(fd);
            srv->st.clients_refused++;
            continue;
        }
        /* Replies are small and complete: send them at once (no Nagle delay). */
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        slot->fd = fd;
        slot->rx_len = 0;
        slot->tx_off = 0;
        slot->tx_len = 0;
        slot->last_ms = now_ms;
        mtrd_net_peer_name(&ss, slot->peer, sizeof(slot->peer));
        srv->st.clients_now++;
        srv->st.clients_total++;
        mb_log(srv, LOG_INFO, "modbus: client %s connected", slot->peer);
    }
}

static bool
mb_unit_is_ours(const struct mtrd_modbus *srv, uint8_t unit)
{
    return unit == srv->cfg.unit_id || unit == MB_UNIT_ZERO || unit == MB_UNIT_UNUSED;
}

static size_t
mb_exception(uint8_t fc, uint8_t code, uint8_t *rsp)
{
    rsp[0] = (uint8_t)(fc | MB_EXC_FLAG);
    rsp[1] = code;
    return 2;
}

/*
 * Answer one PDU into rsp (capacity MODBUS_MAX_PDU_LENGTH); returns the reply PDU length.
 * Checks in the order of Application Protocol 6.3/6.4 figures: function, quantity, address.
 */
/*
 * FC6 / FC16 to the command block: the words go to the meter loop's command function.
 * Application Protocol 6.6 / 6.12: the reply echoes address and value (FC6) or address and
 * quantity (FC16).
 */
static size_t
mb_write(struct mtrd_modbus *srv,
         const struct mb_client *c,
         const uint8_t *pdu,
         size_t pdu_len,
         uint8_t *rsp)
{
    uint8_t fc = pdu[0];
    uint16_t words[MTRD_MB_CMD_COUNT];
    unsigned addr;
    unsigned qty;
    if (srv->cfg.command_fn == NULL) {
        return mb_exception(fc, MODBUS_EXCEPTION_ILLEGAL_FUNCTION, rsp);
    }
    if (fc == MODBUS_FC_WRITE_SINGLE_REGISTER) {
        if (pdu_len != 5u) {
            return mb_exception(fc, MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE, rsp);
        }
        addr = ((unsigned)pdu[1] << 8) | pdu[2];
        qty = 1u;
        words[0] = (uint16_t)(((unsigned)pdu[3] << 8) | pdu[4]);
    } else {
        if (pdu_len < 6u) {
            return mb_exception(fc, MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE, rsp);
        }
        addr = ((unsigned)pdu[1] << 8) | pdu[2];
        qty = ((unsigned)pdu[3] << 8) | pdu[4];
        if (qty < 1u || qty > MODBUS_MAX_WRITE_REGISTERS || pdu[5] != 2u * qty ||
            pdu_len != 6u + 2u * qty) {
            return mb_exception(fc, MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE, rsp);
        }
        if (qty > MTRD_MB_CMD_COUNT) {
            return mb_exception(fc, MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS, rsp);
        }
        for (unsigned i = 0; i < qty; i++) {
            words[i] = (uint16_t)(((unsigned)pdu[6u + 2u * i] << 8) | pdu[7u + 2u * i]);
        }
    }
    if (addr != MTRD_MB_CMD_ADDR) {
        /* only the command block is writable, and a command starts at its first register */
        return mb_exception(fc, MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS, rsp);
    }
    enum mtr_err e = srv->cfg.command_fn(srv->cfg.command_ctx, words, qty, c->peer);
    if (e == MTR_EINVAL) {
        return mb_exception(fc, MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE, rsp);
    }
    if (e != MTR_OK) {
        return mb_exception(fc, MODBUS_EXCEPTION_SLAVE_OR_SERVER_FAILURE, rsp);
    }
    memcpy(rsp, pdu, 5u);
    return 5u;
}

static size_t
mb_answer(struct mtrd_modbus *srv,
          const struct mb_client *c,
          uint8_t unit,
          const uint8_t *pdu,
          size_t pdu_len,
          uint8_t *rsp)
{
    uint8_t fc = pdu[0];
    unsigned addr, qty;
    if (!mb_unit_is_ours(srv, unit)) {
        return mb_exception(fc, MB_EXC_GATEWAY_TARGET, rsp);
    }
    if (fc == MODBUS_FC_WRITE_SINGLE_REGISTER || fc == MODBUS_FC_WRITE_MULTIPLE_REGISTERS) {
        return mb_write(srv, c, pdu, pdu_len, rsp);
    }
    if (fc != MODBUS_FC_READ_HOLDING_REGISTERS && fc != MODBUS_FC_READ_INPUT_REGISTERS) {
        return mb_exception(fc, MODBUS_EXCEPTION_ILLEGAL_FUNCTION, rsp);
    }
    if (pdu_len != 5u) {
        return mb_exception(fc, MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE, rsp);
    }
    addr = ((unsigned)pdu[1] << 8) | pdu[2];
    qty = ((unsigned)pdu[3] << 8) | pdu[4];
    if (qty < 1u || qty > MODBUS_MAX_READ_REGISTERS) {
        return mb_exception(fc, MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE, rsp);
    }
    if (addr + qty > MTR_CAT_MB_REG_COUNT) {
        return mb_exception(fc, MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS, rsp);
    }
    rsp[0] = fc;
    rsp[1] = (uint8_t)(2u * qty);
    for (unsigned i = 0; i < qty; i++) {
        uint16_t v = srv->image[addr + i];
        rsp[2u + 2u * i] = (uint8_t)(v >> 8);
        rsp[3u + 2u * i] = (uint8_t)(v & 0xFFu);
    }
    return 2u + 2u * qty;
}

/* Answer every complete request in c->rx while the reply fits; false: drop the client. */
static bool
mb_process(struct mtrd_modbus *srv, struct mb_client *c)
{
    size_t pos = 0;
    bool is_ok = true;
    while (c->rx_len - pos >= MB_MBAP_LEN) {
        const uint8_t *adu = c->rx + pos;
        unsigned proto = ((unsigned)adu[2] << 8) | adu[3];
        unsigned len = ((unsigned)adu[4] << 8) | adu[5];
        uint8_t rsp[MODBUS_MAX_PDU_LENGTH];
        size_t rsp_len;
        if (proto != 0u || len < MB_LENGTH_MIN || len > MB_LENGTH_MAX) {
            mb_log(srv, LOG_WARNING,
                   "modbus: %s: bad MBAP header (protocol %u, length %u) at byte %zu", c->peer,
                   proto, len, pos);
            is_ok = false;
            break;
        }
        if (c->rx_len - pos < 6u + len) {
            break; /* the rest of this request has not arrived yet */
        }
        if (MB_TX_CAP - c->tx_len < MB_ADU_MAX) {
            break; /* back-pressure: the client is not reading its replies */
        }
        rsp_len = mb_answer(srv, c, adu[6], adu + MB_MBAP_LEN, len - 1u, rsp);
        srv->st.requests++;
        if ((rsp[0] & MB_EXC_FLAG) != 0u) {
            srv->st.exceptions++;
        }
        /* MBAP of the reply: same transaction id and unit, new length */
        uint8_t *o = c->tx + c->tx_len;
        o[0] = adu[0];
        o[1] = adu[1];
        o[2] = 0;
        o[3] = 0;
        o[4] = (uint8_t)((rsp_len + 1u) >> 8);
        o[5] = (uint8_t)((rsp_len + 1u) & 0xFFu);
        o[6] = adu[6];
        memcpy(o + MB_MBAP_LEN, rsp, rsp_len);
        c->tx_len += MB_MBAP_LEN + rsp_len;
        pos += 6u + len;
    }
    if (pos > 0u) {
        memmove(c->rx, c->rx + pos, c->rx_len - pos);
        c->rx_len -= pos;
    }
    return is_ok;
}

/* Send what the socket takes; false: drop the client. */
static bool
mb_flush(struct mtrd_modbus *srv, struct mb_client *c)
{
    while (c->tx_off < c->tx_len) {
        ssize_t n =
            send(c->fd, c->tx + c->tx_off, c->tx_len - c->tx_off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                break;
            }
            mb_log(srv, LOG_INFO, "modbus: send to %s: %s", c->peer, strerror(errno));
            return false;
        }
        c->tx_off += (size_t)n;
    }
    if (c->tx_off == c->tx_len) {
        c->tx_off = 0;
        c->tx_len = 0;
    } else if (c->tx_off > 0u) {
        memmove(c->tx, c->tx + c->tx_off, c->tx_len - c->tx_off);
        c->tx_len -= c->tx_off;
        c->tx_off = 0;
    }
    return true;
}

/* Read what is there; false: the peer closed or the socket failed. */
static bool
mb_receive(struct mtrd_modbus *srv, struct mb_client *c, int64_t now_ms)
{
    while (c->rx_len < MB_RX_CAP) {
        ssize_t n = recv(c->fd, c->rx + c->rx_len, MB_RX_CAP - c->rx_len, MSG_DONTWAIT);
        if (n == 0) {
            mb_log(srv, LOG_INFO, "modbus: %s closed the connection", c->peer);
            return false;
        }
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return true;
            }
            mb_log(srv, LOG_INFO, "modbus: recv from %s: %s", c->peer, strerror(errno));
            return false;
        }
        c->rx_len += (size_t)n;
        c->last_ms = now_ms;
    }
    return true;
}

static void
mb_serve_client(struct mtrd_modbus *srv, struct mb_client *c, short revents, int64_t now_ms)
{
    if ((revents & (POLLERR | POLLNVAL)) != 0) {
        mb_drop(srv, c, "socket error");
        return;
    }
    if ((revents & POLLOUT) != 0 && !mb_flush(srv, c)) {
        mb_drop(srv, c, "send failed");
        return;
    }
    if ((revents & (POLLIN | POLLHUP)) != 0 && !mb_receive(srv, c, now_ms)) {
        mb_drop(srv, c, "peer closed");
        return;
    }
    if (!mb_process(srv, c)) {
        srv->st.clients_dropped++;
        mb_drop(srv, c, "protocol error");
        return;
    }
    if (!mb_flush(srv, c)) {
        mb_drop(srv, c, "send failed");
    }
}

/* The data-valid fail-safe: no publish for stale_ms clears the flag until the next one. */
static void
mb_apply_stale(struct mtrd_modbus *srv, int64_t now_ms)
{
    if (srv->cfg.stale_ms == 0u || !srv->has_valid_addr || srv->publish_ms < 0) {
        return;
    }
    if (now_ms - srv->publish_ms > (int64_t)srv->cfg.stale_ms) {
        srv->image[srv->valid_addr] = 0;
        srv->image[srv->valid_addr + 1u] = 0;
    }
}

static void
mb_close_idle(struct mtrd_modbus *srv, int64_t now_ms)
{
    if (srv->cfg.idle_timeout_s == 0u) {
        return;
    }
    for (unsigned i = 0; i < srv->cfg.max_clients; i++) {
        struct mb_client *c = &srv->clients[i];
        if (c->fd >= 0 && now_ms - c->last_ms > (int64_t)srv->cfg.idle_timeout_s * 1000) {
            srv->st.clients_dropped++;
            mb_drop(srv, c, "idle timeout");
        }
    }
}

size_t
mtrd_modbus_fds(struct mtrd_modbus *srv, struct pollfd *fds, size_t cap)
{
    size_t n = 0;

    if (srv == NULL || fds == NULL || cap < 1u + srv->cfg.max_clients) {
        return 0;
    }
    fds[n].fd = srv->listen_fd;
    fds[n].events = POLLIN;
    fds[n].revents = 0;
    n++;
    for (unsigned i = 0; i < srv->cfg.max_clients; i++) {
        struct mb_client *c = &srv->clients[i];
        if (c->fd < 0) {
            continue;
        }
        fds[n].fd = c->fd;
        /* stop reading while the reply queue is nearly full (back-pressure) */
        fds[n].events =
            (short)((c->rx_len < MB_RX_CAP && MB_TX_CAP - c->tx_len >= MB_ADU_MAX ? POLLIN : 0) |
                    (c->tx_len > c->tx_off ? POLLOUT : 0));
        fds[n].revents = 0;
        srv->slot_of[n - 1u] = i;
        n++;
    }
    srv->n_fds = n;
    return n;
}

void
mtrd_modbus_serve(struct mtrd_modbus *srv, const struct pollfd *fds, size_t n)
{
    if (srv == NULL || fds == NULL || n == 0u || n != srv->n_fds) {
        return;
    }
    int64_t now_ms = mb_now_ms();
    mb_apply_stale(srv, now_ms);
    for (size_t k = 1; k < n; k++) {
        struct mb_client *c = &srv->clients[srv->slot_of[k - 1u]];
        if (fds[k].revents != 0 && c->fd == fds[k].fd) {
            mb_serve_client(srv, c, fds[k].revents, now_ms);
        }
    }
    if ((fds[0].revents & POLLIN) != 0) {
        mb_accept_all(srv, now_ms);
    }
    mb_close_idle(srv, now_ms);
    srv->n_fds = 0;
}

enum mtr_err
mtrd_modbus_poll(struct mtrd_modbus *srv, int timeout_ms)
{
    if (srv == NULL) {
        return MTR_EINVAL;
    }
    size_t n = mtrd_modbus_fds(srv, srv->pfd, sizeof(srv->pfd) / sizeof(srv->pfd[0]));
    int rc = poll(srv->pfd, (nfds_t)n, timeout_ms);
    if (rc < 0) {
        if (errno == EINTR) {
            return MTR_OK;
        }
        mb_log(srv, LOG_ERR, "modbus: poll on port %u: %s", (unsigned)srv->port, strerror(errno));
        return MTR_EIO;
    }
    mtrd_modbus_serve(srv, srv->pfd, n);
    return MTR_OK;
}

void
mtrd_modbus_close(struct mtrd_modbus *srv)
{
    if (srv == NULL) {
        return;
    }
    for (unsigned i = 0; i < srv->cfg.max_clients; i++) {
        if (srv->clients[i].fd >= 0) {
            (void)close(srv->clients[i].fd);
        }
    }
    if (srv->listen_fd >= 0) {
        (void)close(srv->listen_fd);
    }
    free(srv);
}
