/*
 * TCP listener and serial port helpers (net_sock.h).
 */
#include "net/net_sock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include "log/errf.h"

#define NET_LISTEN_BACKLOG 16

bool
mtrd_net_set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL, 0);
    return fl >= 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0 &&
           fcntl(fd, F_SETFD, FD_CLOEXEC) == 0;
}

enum mtr_err
mtrd_net_listen(const char *host,
                uint16_t port,
                const char *what,
                int *fd_out,
                uint16_t *bound,
                char *err,
                size_t err_cap)
{
    struct addrinfo hints;
    struct addrinfo *res = NULL;
    char port_s[8];
    int one = 1;
    int fd = -1;
    enum mtr_err ret = MTR_EIO;

    if (host == NULL || host[0] == '\0') {
        host = "0.0.0.0";
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    (void)snprintf(port_s, sizeof(port_s), "%u", (unsigned)port);
    int rc = getaddrinfo(host, port_s, &hints, &res);
    if (rc != 0) {
        mtrd_errf(err, err_cap, "%s: cannot resolve bind address %s: %s", what, host,
                  gai_strerror(rc));
        return MTR_ENOENT;
    }
    fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
    if (fd < 0) {
        mtrd_errf(err, err_cap, "%s: socket for %s port %s: %s", what, host, port_s,
                  strerror(errno));
        goto out;
    }
    /* A restarted daemon must be able to bind while old connections are in TIME_WAIT. */
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, NET_LISTEN_BACKLOG) != 0 ||
        !mtrd_net_set_nonblock(fd)) {
        mtrd_errf(err, err_cap, "%s: cannot listen on %s port %s: %s", what, host, port_s,
                  strerror(errno));
        goto out;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
        mtrd_errf(err, err_cap, "%s: getsockname on %s: %s", what, host, strerror(errno));
        goto out;
    }
    *bound = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                      : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    *fd_out = fd;
    fd = -1;
    ret = MTR_OK;
out:
    if (fd >= 0) {
        (void)close(fd);
    }
    freeaddrinfo(res);
    return ret;
}

void
mtrd_net_peer_name(const struct sockaddr_storage *ss, char *out, size_t cap)
{
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        (void)inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
        port = ntohs(a->sin6_port);
        (void)snprintf(out, cap, "[%s]:%u", host, port);
        return;
    }
    const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
    (void)inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
    port = ntohs(a->sin_port);
    (void)snprintf(out, cap, "%s:%u", host, port);
}

static bool
baud_const(unsigned baud, speed_t *sp)
{
    static const struct {
        unsigned baud;
        speed_t sp;
    } k_rates[] = {
        {300,    B300   },
        {600,    B600   },
        {1200,   B1200  },
        {2400,   B2400  },
        {4800,   B4800  },
        {9600,   B9600  },
        {19200,  B19200 },
        {38400,  B38400 },
        {57600,  B57600 },
        {115200, B115200}
    };
    for (size_t i = 0; i < sizeof(k_rates) / sizeof(k_rates[0]); i++) {
        if (k_rates[i].baud == baud) {
            *sp = k_rates[i].sp;
            return true;
        }
    }
    return false;
}

enum mtr_err
mtrd_net_serial_open(
    const char *path, unsigned baud, bool is_7e1, int *fd_out, char *err, size_t err_cap)
{
    speed_t sp;
    if (path == NULL || fd_out == NULL || !baud_const(baud, &sp)) {
        mtrd_errf(err, err_cap, "%s: %u baud is not a standard rate", path ? path : "?", baud);
        return MTR_EINVAL;
    }
    int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        mtrd_errf(err, err_cap, "%s: cannot open: %s", path, strerror(errno));
        return MTR_EIO;
    }
    struct termios t;
    if (tcgetattr(fd, &t) != 0) {
        mtrd_errf(err, err_cap, "%s: not a serial port: %s", path, strerror(errno));
        (void)close(fd);
        return MTR_EIO;
    }
    /* raw mode, as cfmakeraw() (not in POSIX) sets it */
    t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t.c_oflag &= ~(tcflag_t)OPOST;
    t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    t.c_cflag |= CLOCAL | CREAD;
    if (is_7e1) {
        t.c_cflag = (t.c_cflag & ~(tcflag_t)(CSIZE | PARODD | CSTOPB)) | CS7 | PARENB;
    } else {
        t.c_cflag = (t.c_cflag & ~(tcflag_t)(CSIZE | PARENB | CSTOPB)) | CS8;
    }
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    (void)cfsetispeed(&t, sp);
    (void)cfsetospeed(&t, sp);
    if (tcsetattr(fd, TCSANOW, &t) != 0) {
        mtrd_errf(err, err_cap, "%s: cannot set %u baud: %s", path, baud, strerror(errno));
        (void)close(fd);
        return MTR_EIO;
    }
    *fd_out = fd;
    return MTR_OK;
}

enum mtr_err
mtrd_net_serial_baud(int fd, unsigned baud)
{
    speed_t sp;
    struct termios t;
    if (fd < 0 || !baud_const(baud, &sp)) {
        return MTR_EINVAL;
    }
    if (tcdrain(fd) != 0 || tcgetattr(fd, &t) != 0) {
        return MTR_EIO;
    }
    (void)cfsetispeed(&t, sp);
    (void)cfsetospeed(&t, sp);
    return tcsetattr(fd, TCSADRAIN, &t) == 0 ? MTR_OK : MTR_EIO;
}
