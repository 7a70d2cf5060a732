/* secure_test.c - see secure_test.h. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "secure_test.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

mpc_secure_error test_err;

char *scratch_dir(const char *tag) {
    const char *base = getenv("TMPDIR");
    char tmpl[PATH_MAX];
    snprintf(tmpl, sizeof tmpl, "%s/mpc-secure-%s-XXXXXX", base ? base : "/tmp", tag);
    CHECK(mkdtemp(tmpl) != NULL);
    char *dir = strdup(tmpl);
    CHECK(dir != NULL);
    return dir;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path);
}

void remove_tree(const char *dir) {
    CHECK(nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0);
}

char *join(char *out, const char *a, const char *b) {
    CHECK(snprintf(out, PATH_MAX, "%s/%s", a, b) < PATH_MAX);
    return out;
}

void write_text(const char *path, const char *text, mode_t mode) {
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
    CHECK(fd >= 0);
    CHECK(fchmod(fd, mode) == 0);
    size_t n = strlen(text);
    CHECK(write(fd, text, n) == (ssize_t)n);
    CHECK(close(fd) == 0);
}

char *read_text(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    CHECK(fseek(f, 0, SEEK_END) == 0);
    long n = ftell(f);
    CHECK(n >= 0 && fseek(f, 0, SEEK_SET) == 0);
    char *buf = malloc((size_t)n + 1);
    CHECK(buf != NULL && fread(buf, 1, (size_t)n, f) == (size_t)n);
    buf[n] = '\0';
    fclose(f);
    if (len) *len = (size_t)n;
    return buf;
}

void flip_byte(const char *path, size_t offset, unsigned char mask) {
    int fd = open(path, O_RDWR);
    CHECK(fd >= 0);
    unsigned char b;
    CHECK(pread(fd, &b, 1, (off_t)offset) == 1);
    b ^= mask;
    CHECK(pwrite(fd, &b, 1, (off_t)offset) == 1);
    CHECK(close(fd) == 0);
}

int file_mode(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) return -1;
    return (int)(st.st_mode & 07777);
}

int count_prefix(const char *dir, const char *prefix) {
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) n++;
    closedir(d);
    return n;
}
