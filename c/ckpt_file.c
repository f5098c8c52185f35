/*
 * ckpt_file.c -- checkpoints on disk: nm_agent_save and nm_agent_load around the in-memory writer and reader
 * of checkpoint.c.
 *
 * Save writes a temporary file beside the target (<path>.tmp-XXXXXX), syncs it and renames it over the target,
 * so the target is always either the old file or the complete new one. The new file keeps the mode of the file
 * it replaces (or, for a new path, the mode a plain fopen would give: 0666 less the umask). A temporary file
 * that a killed save left beside the same path is removed by the next save to that path.
 * Load opens without blocking and refuses anything but a regular file at once (a FIFO would block, a directory
 * would fail obscurely later).
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "nm_internal.h"
#include "ckpt_io.h"

#define NM_CKPT_MAX ((size_t)1 << 32)   /* larger files are not checkpoints */
#define TMP_SUFFIX ".tmp-"              /* followed by mkstemp's six characters */

/* The process umask without changing it (umask(2) can only read by writing, which races with other threads):
 * from /proc where there is one, else the common 022. */
static mode_t current_umask(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[128];
    unsigned mask = 022;
    if (!f) return (mode_t)mask;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "Umask: %o", &mask) == 1) break;
    fclose(f);
    return (mode_t)mask;
}

/* Removes <dir>/<base>.tmp-XXXXXX files left by an earlier, killed save to path. Best effort: a file that
 * cannot be removed is left alone. */
static void remove_stale_temporaries(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t dirlen = slash ? (size_t)(slash - path) : 0, blen = strlen(base), slen = strlen(TMP_SUFFIX);
    char *dir = malloc(dirlen + 2), *victim;
    DIR *d;
    struct dirent *e;
    if (!dir) return;
    if (slash) { memcpy(dir, path, dirlen ? dirlen : 1); dir[dirlen ? dirlen : 1] = '\0'; }
    else strcpy(dir, ".");
    d = opendir(dir);
    if (d) {
        while ((e = readdir(d)) != NULL) {
            const char *n = e->d_name;
            if (strlen(n) == blen + slen + 6 && strncmp(n, base, blen) == 0 && strncmp(n + blen, TMP_SUFFIX, slen) == 0 &&
                (victim = malloc(strlen(dir) + strlen(n) + 2)) != NULL) {
                sprintf(victim, "%s/%s", dir, n);
                remove(victim);
                free(victim);
            }
        }
        closedir(d);
    }
    free(dir);
}

/* Writes n bytes to path atomically (see the file's comment); on failure msg says why ("save: ..."). */
nm_status nm_file_write_atomic(const char *path, const void *buf, size_t n, char *msg, size_t msglen)
{
    size_t plen;
    char *tmp;
    FILE *f;
    int fd, ok;
    struct stat old;
    mode_t mode;
    mode = stat(path, &old) == 0 ? (old.st_mode & 07777) : (0666 & ~current_umask());
    plen = strlen(path);
    tmp = malloc(plen + strlen(TMP_SUFFIX) + 7);
    if (!tmp) { nm_write_msg(msg, msglen, "save: out of memory"); return NM_ERR_NOMEM; }
    remove_stale_temporaries(path);
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, TMP_SUFFIX "XXXXXX", strlen(TMP_SUFFIX) + 7);
    fd = mkstemp(tmp);
    if (fd < 0) {
        nm_write_msg(msg, msglen, "save: cannot create a temporary file beside %s: %s", path, strerror(errno));
        free(tmp);
        return NM_ERR_IO;
    }
    f = fdopen(fd, "wb");
    if (!f) { close(fd); ok = 0; errno = EIO; }
    else {
        ok = fwrite(buf, 1, n, f) == n;
        ok = fflush(f) == 0 && ok;
        ok = fchmod(fileno(f), mode) == 0 && ok;
        ok = fsync(fileno(f)) == 0 && ok;
        ok = fclose(f) == 0 && ok;
    }
    if (ok && rename(tmp, path) != 0) ok = 0;
    if (!ok) {
        nm_write_msg(msg, msglen, "save: cannot write %s: %s", path, strerror(errno));
        remove(tmp);
    }
    free(tmp);
    return ok ? NM_OK : NM_ERR_IO;
}

nm_status nm_agent_save(nm_agent *a, const char *path)
{
    size_t n;
    unsigned char *buf;
    nm_status st;
    char why[NM_MSG_LEN];
    if (!a) return NM_ERR_ARG;
    if (!path || !*path) return nm_fail(a, NM_ERR_ARG, "save: path is empty");
    n = nm_agent_checkpoint_size(a);
    buf = malloc(n);
    if (!buf) return nm_fail(a, NM_ERR_NOMEM, "save: out of memory");
    st = nm_agent_save_buffer(a, buf, n);
    if (st == NM_OK) {
        st = nm_file_write_atomic(path, buf, n, why, sizeof why);
        if (st != NM_OK) nm_fail(a, st, "%s", why);
    }
    free(buf);
    return st;
}

/* Reads the whole regular file at path into *buf (malloc'd, the caller frees it; at least one byte allocated),
 * its length to *size; files above NM_CKPT_MAX are refused as not checkpoints. */
nm_status nm_file_read(const char *path, unsigned char **out, size_t *out_size, char *msg, size_t msglen)
{
    int fd;
    struct stat sb;
    unsigned char *buf;
    size_t size, got = 0;
    *out = NULL;
    *out_size = 0;
    fd = open(path, O_RDONLY | O_NONBLOCK);
    if (fd < 0) { nm_write_msg(msg, msglen, "cannot open %s: %s", path, strerror(errno)); return NM_ERR_IO; }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        nm_write_msg(msg, msglen, "%s: not a regular file (%s)", path,
                     S_ISDIR(sb.st_mode) ? "a directory" : S_ISFIFO(sb.st_mode) ? "a FIFO" : "a device or socket");
        close(fd);
        return NM_ERR_IO;
    }
    if ((unsigned long long)sb.st_size > NM_CKPT_MAX) {
        close(fd);
        nm_write_msg(msg, msglen, "%s: not a neuromod checkpoint (too large)", path);
        return NM_ERR_FORMAT;
    }
    size = (size_t)sb.st_size;
    buf = malloc(size ? size : 1);
    if (!buf) { close(fd); nm_write_msg(msg, msglen, "out of memory"); return NM_ERR_NOMEM; }
    while (got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    if (got != size) {
        nm_write_msg(msg, msglen, "cannot read %s", path);
        free(buf);
        return NM_ERR_IO;
    }
    *out = buf;
    *out_size = size;
    return NM_OK;
}

nm_status nm_agent_load(const char *path, nm_agent **out, char *msg, size_t msglen)
{
    unsigned char *buf;
    size_t size;
    nm_status st;
    if (msg && msglen) msg[0] = '\0';
    if (!out) { nm_write_msg(msg, msglen, "out is NULL"); return NM_ERR_ARG; }
    *out = NULL;
    if (!path || !*path) { nm_write_msg(msg, msglen, "path is empty"); return NM_ERR_ARG; }
    if ((st = nm_file_read(path, &buf, &size, msg, msglen)) != NM_OK) return st;
    st = nm_agent_load_buffer(buf, size, out, msg, msglen);
    free(buf);
    if (st != NM_OK && msg && msglen) {
        char why[NM_MSG_LEN];
        nm_write_msg(why, sizeof why, "%s", msg);
        nm_write_msg(msg, msglen, "%s: %s", path, why);
    }
    return st;
}
