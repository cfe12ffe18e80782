/*
 * NV region in a memory-mapped file (nv_file.h): the Linux backend of struct mtr_nv_ops.
 *
 * Writes are memcpy into a MAP_SHARED mapping: once memcpy returns, the bytes are in the page
 * cache and survive the death of the process (kill -9, a crash); only a power cut or kernel
 * crash can lose them, which msync(MS_SYNC) of the touched pages covers. A torn memcpy (the
 * process killed in the middle of one) is what the two-slot record format is built for.
 */
/* flock() is BSD/Linux, not POSIX (see lock_file()); glibc declares it under _DEFAULT_SOURCE. */
#define _DEFAULT_SOURCE /* NOLINT(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */

#include "nv/nv_file.h"

#include "log/errf.h"
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* Suffix of the temporary file of an atomic create (STYLE.md 10). */
#define NV_FILE_TMP_SUFFIX ".tmp"
/* Bytes of zeros written per write() when creating an empty region. */
#define NV_FILE_ZERO_CHUNK 4096u
/* Mode of a created NV file: the daemon's user reads and writes, others read. */
#define NV_FILE_MODE       0644

static enum mtr_err
file_read(void *ctx, size_t off, void *buf, size_t len)
{
    const struct mtrd_nv_file *f = ctx;

    if (f->map == NULL || off > f->len || len > f->len - off) {
        return MTR_EIO;
    }
    memcpy(buf, f->map + off, len);
    return MTR_OK;
}

static enum mtr_err
file_write(void *ctx, size_t off, const void *buf, size_t len)
{
    struct mtrd_nv_file *f = ctx;

    if (f->map == NULL || off > f->len || len > f->len - off) {
        return MTR_EIO;
    }
    memcpy(f->map + off, buf, len);
    return MTR_OK;
}

/* msync(MS_SYNC) the pages holding [lo, hi). */
static enum mtr_err
msync_range(const struct mtrd_nv_file *f, size_t lo, size_t hi)
{
    size_t start = lo - (lo % f->page_len);

    if (hi <= lo) {
        return MTR_OK;
    }
    if (msync(f->map + start, hi - start, MS_SYNC) != 0) {
        return MTR_EIO;
    }
    return MTR_OK;
}

/* zlib's crc32() is the same CRC-32 (IEEE 802.3) with the same chaining as mtr_nv_crc32(),
 * several times faster than the core's table-light version meant for microcontrollers. */
static uint32_t
file_crc32(uint32_t crc, const void *data, size_t len)
{
    const Bytef *p = data;
    uLong c = crc;
    while (len > 0) {
        uInt n = len > 0x40000000u ? 0x40000000u : (uInt)len;
        c = crc32(c, p, n);
        p += n;
        len -= n;
    }
    return (uint32_t)c;
}

static enum mtr_err
file_sync(void *ctx, size_t off, size_t len)
{
    struct mtrd_nv_file *f = ctx;

    if (f->map == NULL || off > f->len || len > f->len - off) {
        return MTR_EIO;
    }
    if (f->is_sync_each_commit) {
        return msync_range(f, off, off + len);
    }
    if (f->dirty_lo == SIZE_MAX || off < f->dirty_lo) {
        f->dirty_lo = off;
    }
    if (off + len > f->dirty_hi) {
        f->dirty_hi = off + len;
    }
    return MTR_OK;
}

/* Write all of buf to fd, retrying short writes and EINTR. */
static int
write_all(int fd, const uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static int
write_zeros(int fd, size_t len)
{
    static const uint8_t zeros[NV_FILE_ZERO_CHUNK];

    while (len > 0) {
        size_t n = (len < sizeof(zeros)) ? len : sizeof(zeros);
        if (write_all(fd, zeros, n) != 0) {
            return -1;
        }
        len -= n;
    }
    return 0;
}

/* fsync the directory holding path, so a rename into it is durable. */
static int
fsync_parent_dir(const char *path)
{
    char dir[MTRD_NV_PATH_CAP];
    const char *slash = strrchr(path, '/');
    int fd;
    int rc;

    if (slash == NULL) {
        (void)snprintf(dir, sizeof(dir), ".");
    } else if (slash == path) {
        (void)snprintf(dir, sizeof(dir), "/");
    } else {
        (void)snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    rc = fsync(fd);
    (void)close(fd); /* read-only descriptor: nothing to lose */
    return rc;
}

enum mtr_err
mtrd_nv_file_create(const char *path, const void *image, size_t len, char *err, size_t err_cap)
{
    char tmp[MTRD_NV_PATH_CAP];
    int fd;
    int rc;

    if (path == NULL || strlen(path) + sizeof(NV_FILE_TMP_SUFFIX) > sizeof(tmp)) {
        mtrd_errf(err, err_cap, "NV file path missing or too long");
        return MTR_EINVAL;
    }
    (void)snprintf(tmp, sizeof(tmp), "%s%s", path, NV_FILE_TMP_SUFFIX);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, NV_FILE_MODE);
    if (fd < 0) {
        mtrd_errf(err, err_cap, "%s: cannot create: %s", tmp, strerror(errno));
        return MTR_EIO;
    }
    rc = (image != NULL) ? write_all(fd, image, len) : write_zeros(fd, len);
    if (rc != 0 || fsync(fd) != 0) {
        mtrd_errf(err, err_cap, "%s: cannot write %zu bytes: %s", tmp, len, strerror(errno));
        (void)close(fd);   /* already failing; the write error is reported */
        (void)unlink(tmp); /* best effort: a stale .tmp is replaced next time */
        return MTR_EIO;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        mtrd_errf(err, err_cap, "%s: cannot rename to %s: %s", tmp, path, strerror(errno));
        (void)unlink(tmp); /* best effort, as above */
        return MTR_EIO;
    }
    if (fsync_parent_dir(path) != 0) {
        mtrd_errf(err, err_cap, "%s: cannot fsync its directory: %s", path, strerror(errno));
        return MTR_EIO;
    }
    return MTR_OK;
}

/* Open path read-write, creating a zero-filled region of region_len bytes when missing. */
static enum mtr_err
open_or_create(const char *path, size_t region_len, int *fd_out, char *err, size_t err_cap)
{
    int fd = open(path, O_RDWR | O_CLOEXEC);

    if (fd < 0 && errno == ENOENT) {
        enum mtr_err e = mtrd_nv_file_create(path, NULL, region_len, err, err_cap);
        if (e != MTR_OK) {
            return e;
        }
        fd = open(path, O_RDWR | O_CLOEXEC);
    }
    if (fd < 0) {
        mtrd_errf(err, err_cap, "%s: cannot open: %s", path, strerror(errno));
        return MTR_EIO;
    }
    *fd_out = fd;
    return MTR_OK;
}

/*
 * flock() rather than fcntl() locks: an fcntl lock belongs to the process, so a second open
 * in the same process (or a re-open after fork) would silently share it; flock() belongs to
 * the open file description and refuses any second opener.
 */
static enum mtr_err
lock_file(int fd, int how, const char *path, char *err, size_t err_cap)
{
    if (flock(fd, how | LOCK_NB) == 0) {
        return MTR_OK;
    }
    if (errno == EWOULDBLOCK) {
        mtrd_errf(err, err_cap,
                  "%s: NV file is in use by another meterd (flock held); two daemons cannot "
                  "share one register file",
                  path);
        return MTR_EAGAIN;
    }
    mtrd_errf(err, err_cap, "%s: cannot lock: %s", path, strerror(errno));
    return MTR_EIO;
}

static enum mtr_err
check_size(int fd, size_t region_len, const char *path, char *err, size_t err_cap)
{
    struct stat st;

    if (fstat(fd, &st) != 0) {
        mtrd_errf(err, err_cap, "%s: cannot stat: %s", path, strerror(errno));
        return MTR_EIO;
    }
    if (!S_ISREG(st.st_mode)) {
        mtrd_errf(err, err_cap, "%s: not a regular file", path);
        return MTR_EPROTO;
    }
    if ((uintmax_t)st.st_size != (uintmax_t)region_len) {
        mtrd_errf(err, err_cap, "%s: file is %jd bytes, expected %zu: %s; not opened, not resized",
                  path, (intmax_t)st.st_size, region_len,
                  ((uintmax_t)st.st_size < (uintmax_t)region_len) ? "truncated"
                                                                  : "written by another build");
        return MTR_EPROTO;
    }
    return MTR_OK;
}

enum mtr_err
mtrd_nv_file_open(
    const char *path, size_t region_len, struct mtrd_nv_file *file, char *err, size_t err_cap)
{
    enum mtr_err e;
    int fd = -1;
    void *map;
    long page;

    if (path == NULL || file == NULL || region_len == 0 || strlen(path) >= MTRD_NV_PATH_CAP) {
        mtrd_errf(err, err_cap, "NV file: missing path, zero length or path too long");
        return MTR_EINVAL;
    }
    e = open_or_create(path, region_len, &fd, err, err_cap);
    if (e != MTR_OK) {
        return e;
    }
    e = lock_file(fd, LOCK_EX, path, err, err_cap);
    if (e == MTR_OK) {
        e = check_size(fd, region_len, path, err, err_cap);
    }
    if (e != MTR_OK) {
        goto out;
    }
    page = sysconf(_SC_PAGESIZE);
    map = mmap(NULL, region_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED || page <= 0) {
        mtrd_errf(err, err_cap, "%s: cannot mmap %zu bytes: %s", path, region_len, strerror(errno));
        e = MTR_EIO;
        goto out;
    }
    memset(file, 0, sizeof(*file));
    file->ops.read = file_read;
    file->ops.write = file_write;
    file->ops.sync = file_sync;
    file->ops.crc32 = file_crc32;
    file->fd = fd;
    file->map = map;
    file->len = region_len;
    file->page_len = (size_t)page;
    file->is_sync_each_commit = true;
    file->dirty_lo = SIZE_MAX;
    file->dirty_hi = 0;
    (void)snprintf(file->path, sizeof(file->path), "%s", path); /* length checked above */
    return MTR_OK;
out:
    (void)close(fd); /* releases the lock; the failure is already reported */
    return e;
}

enum mtr_err
mtrd_nv_file_flush(struct mtrd_nv_file *file)
{
    enum mtr_err e;

    if (file == NULL || file->map == NULL) {
        return MTR_EINVAL;
    }
    if (file->dirty_lo == SIZE_MAX) {
        return MTR_OK;
    }
    e = msync_range(file, file->dirty_lo, file->dirty_hi);
    if (e == MTR_OK) {
        file->dirty_lo = SIZE_MAX;
        file->dirty_hi = 0;
    }
    return e;
}

enum mtr_err
mtrd_nv_file_close(struct mtrd_nv_file *file)
{
    enum mtr_err e = MTR_OK;

    if (file == NULL || file->map == NULL) {
        return MTR_OK;
    }
    e = mtrd_nv_file_flush(file);
    (void)munmap(file->map, file->len); /* cannot fail for a mapping we made */
    (void)close(file->fd);              /* read/written through the map; releases the lock */
    file->map = NULL;
    file->fd = -1;
    return e;
}

enum mtr_err
mtrd_nv_file_read_image(
    const char *path, uint8_t *image, size_t image_len, size_t *file_len, char *err, size_t err_cap)
{
    struct stat st;
    enum mtr_err e;
    size_t done = 0;
    size_t want;
    int fd;

    if (path == NULL || image == NULL || file_len == NULL) {
        return MTR_EINVAL;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        mtrd_errf(err, err_cap, "%s: cannot open: %s", path, strerror(errno));
        return (errno == ENOENT) ? MTR_ENOENT : MTR_EIO;
    }
    e = lock_file(fd, LOCK_SH, path, err, err_cap);
    if (e != MTR_OK) {
        goto out;
    }
    if (fstat(fd, &st) != 0) {
        mtrd_errf(err, err_cap, "%s: cannot stat: %s", path, strerror(errno));
        e = MTR_EIO;
        goto out;
    }
    want = ((uintmax_t)st.st_size < (uintmax_t)image_len) ? (size_t)st.st_size : image_len;
    while (done < want) {
        ssize_t n = pread(fd, image + done, want - done, (off_t)done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            mtrd_errf(err, err_cap, "%s: read failed at byte %zu: %s", path, done,
                      (n < 0) ? strerror(errno) : "unexpected end of file");
            e = MTR_EIO;
            goto out;
        }
        done += (size_t)n;
    }
    memset(image + done, 0x00, image_len - done);
    *file_len = (size_t)st.st_size;
out:
    (void)close(fd); /* read-only; releases the shared lock */
    return e;
}
