/* test_ledger.c - the usage ledger: consume once, durability across reopen,
 * two handles on one file (two worker processes), one handle shared by
 * threads, torn appends and headers, corrupt records, permissions and id
 * rules. */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secure/ledger.h"
#include "secure_test.h"

static mpc_ledger *open_ok(const char *path) {
    mpc_ledger *l = NULL;
    CHECK_RC(mpc_ledger_open(&l, path, &test_err), MPC_SECURE_OK);
    return l;
}

static void append_raw(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_APPEND);
    CHECK(fd >= 0);
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    CHECK(close(fd) == 0);
}

/* Threads sharing one handle all try to consume the same ids. */
#define RACE_THREADS 4
#define RACE_IDS 40
typedef struct {
    mpc_ledger *l;
    atomic_int *won; /* per id: how many threads got MPC_SECURE_OK */
    atomic_int *odd; /* results other than OK / CONSUMED */
} race_arg;

static void *race_main(void *arg) {
    race_arg *a = arg;
    for (int i = 0; i < RACE_IDS; i++) {
        char id[32];
        snprintf(id, sizeof id, "race-%d", i);
        mpc_secure_error e;
        int rc = mpc_ledger_consume(a->l, id, &e);
        if (rc == MPC_SECURE_OK) atomic_fetch_add(&a->won[i], 1);
        else if (rc != MPC_SECURE_ERR_CONSUMED) atomic_fetch_add(a->odd, 1);
    }
    return NULL;
}

int main(void) {
    mpc_test_rng trng;
    uint64_t seed = test_seed("secure_ledger");
    mpc_test_rng_init(&trng, seed);
    mpc_rng rng = mpc_test_rng_source(&trng);
    char *dir = scratch_dir("ledger");
    char path[PATH_MAX];
    join(path, dir, "ledger");

    /* Consume once. */
    mpc_ledger *l = open_ok(path);
    CHECK(file_mode(path) == 0600);
    char *text = read_text(path, NULL);
    CHECK(strcmp(text, "mpc.v1.ledger\n") == 0);
    free(text);
    CHECK_RC(mpc_ledger_consume(l, "presig:key_1:0001", &test_err), MPC_SECURE_OK);
    CHECK_RC(mpc_ledger_consume(l, "nonce.s1-2", &test_err), MPC_SECURE_OK);
    CHECK_RC(mpc_ledger_consume(l, "presig:key_1:0001", &test_err), MPC_SECURE_ERR_CONSUMED);
    CHECK_MSG("presig:key_1:0001");
    CHECK_RC(mpc_ledger_check(l, "nonce.s1-2", &test_err), MPC_SECURE_ERR_CONSUMED);
    CHECK_RC(mpc_ledger_check(l, "nonce.s1-3", &test_err), MPC_SECURE_OK);
    CHECK(mpc_ledger_count(l) == 2);
    char longid[MPC_LEDGER_ID_MAX + 2];
    memset(longid, 'a', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    const char *bad[] = {"", "a b", "x\n", "a/b", longid};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_RC(mpc_ledger_consume(l, bad[i], &test_err), MPC_SECURE_ERR_INVALID_ID);
        CHECK_RC(mpc_ledger_check(l, bad[i], &test_err), MPC_SECURE_ERR_INVALID_ID);
    }
    longid[MPC_LEDGER_ID_MAX] = '\0';
    CHECK_RC(mpc_ledger_consume(l, longid, &test_err), MPC_SECURE_OK);

    /* Many random ids, then durability across reopen (a restart). */
    char ids[300][33];
    for (int i = 0; i < 300; i++) {
        unsigned char r[16];
        CHECK(mpc_rng_fill(&rng, r, sizeof r));
        for (int j = 0; j < 16; j++) snprintf(ids[i] + 2 * j, 3, "%02x", r[j]);
        CHECK_RC(mpc_ledger_consume(l, ids[i], &test_err), MPC_SECURE_OK);
    }
    mpc_ledger_close(l);
    l = open_ok(path);
    CHECK(mpc_ledger_count(l) == 303);
    for (int i = 0; i < 300; i++)
        CHECK_RC(mpc_ledger_consume(l, ids[i], &test_err), MPC_SECURE_ERR_CONSUMED);
    CHECK_RC(mpc_ledger_consume(l, "presig:key_1:0001", &test_err), MPC_SECURE_ERR_CONSUMED);

    /* A second handle (another worker process) sees the first one's appends. */
    mpc_ledger *l2 = open_ok(path);
    CHECK_RC(mpc_ledger_consume(l, "shared-1", &test_err), MPC_SECURE_OK);
    CHECK_RC(mpc_ledger_check(l2, "shared-1", &test_err), MPC_SECURE_ERR_CONSUMED);
    CHECK_RC(mpc_ledger_consume(l2, "shared-1", &test_err), MPC_SECURE_ERR_CONSUMED);
    CHECK_RC(mpc_ledger_consume(l2, "shared-2", &test_err), MPC_SECURE_OK);
    CHECK_RC(mpc_ledger_consume(l, "shared-2", &test_err), MPC_SECURE_ERR_CONSUMED);
    mpc_ledger_close(l2);

    /* One handle shared by threads: every id is consumed exactly once. */
    atomic_int won[RACE_IDS], odd = 0;
    for (int i = 0; i < RACE_IDS; i++) atomic_init(&won[i], 0);
    race_arg ra = {.l = l, .won = won, .odd = &odd};
    pthread_t th[RACE_THREADS];
    for (int i = 0; i < RACE_THREADS; i++) CHECK(pthread_create(&th[i], NULL, race_main, &ra) == 0);
    for (int i = 0; i < RACE_THREADS; i++) CHECK(pthread_join(th[i], NULL) == 0);
    CHECK(atomic_load(&odd) == 0);
    for (int i = 0; i < RACE_IDS; i++) CHECK(atomic_load(&won[i]) == 1);
    CHECK(mpc_ledger_count(l) == 305 + RACE_IDS);
    mpc_ledger_close(l);

    /* A torn append (crash before success was returned) is cut off, and the
     * id is not consumed; later records follow cleanly. */
    size_t before = 0;
    free(read_text(path, &before));
    append_raw(path, "torn-id 1234");
    l = open_ok(path);
    size_t after = 0;
    free(read_text(path, &after));
    CHECK(after == before);
    CHECK_RC(mpc_ledger_consume(l, "torn-id", &test_err), MPC_SECURE_OK);
    mpc_ledger_close(l);
    l = open_ok(path);
    CHECK_RC(mpc_ledger_check(l, "torn-id", &test_err), MPC_SECURE_ERR_CONSUMED);
    mpc_ledger_close(l);

    /* A corrupt record (flipped id byte, or flipped check digit) stops the
     * ledger from opening, naming the line. */
    text = read_text(path, NULL);
    size_t second_line = (size_t)(strchr(strchr(text, '\n') + 1, '\n') + 1 - text);
    flip_byte(path, second_line + 2, 0x01);
    mpc_ledger *bad_l = (mpc_ledger *)1;
    CHECK_RC(mpc_ledger_open(&bad_l, path, &test_err), MPC_SECURE_ERR_FORMAT);
    CHECK(bad_l == NULL);
    CHECK_MSG(":3: corrupt record");
    flip_byte(path, second_line + 2, 0x01);
    char *eol = strchr(text + second_line, '\n');
    flip_byte(path, (size_t)(eol - text) - 1, 0x01);
    CHECK_RC(mpc_ledger_open(&bad_l, path, &test_err), MPC_SECURE_ERR_FORMAT);
    flip_byte(path, (size_t)(eol - text) - 1, 0x01);
    flip_byte(path, 0, 0x01); /* header */
    CHECK_RC(mpc_ledger_open(&bad_l, path, &test_err), MPC_SECURE_ERR_FORMAT);
    CHECK_MSG("bad header");
    flip_byte(path, 0, 0x01);
    free(text);

    /* Truncated by hand under an open handle. */
    l = open_ok(path);
    CHECK(truncate(path, 14) == 0);
    CHECK_RC(mpc_ledger_consume(l, "after-truncate", &test_err), MPC_SECURE_ERR_FORMAT);
    CHECK_MSG("shrank");
    mpc_ledger_close(l);

    /* Permissions: readable is fine, writable by others is not. */
    CHECK(chmod(path, 0644) == 0);
    mpc_ledger_close(open_ok(path));
    CHECK(chmod(path, 0620) == 0);
    CHECK_RC(mpc_ledger_open(&bad_l, path, &test_err), MPC_SECURE_ERR_PERMISSIONS);
    CHECK_MSG(path);
    CHECK(chmod(path, 0602) == 0);
    CHECK_RC(mpc_ledger_open(&bad_l, path, &test_err), MPC_SECURE_ERR_PERMISSIONS);

    /* A torn header (crash while creating) is repaired. */
    char path2[PATH_MAX];
    join(path2, dir, "ledger2");
    write_text(path2, "mpc.v1.le", 0600);
    l = open_ok(path2);
    CHECK_RC(mpc_ledger_consume(l, "first", &test_err), MPC_SECURE_OK);
    mpc_ledger_close(l);
    l = open_ok(path2);
    CHECK_RC(mpc_ledger_check(l, "first", &test_err), MPC_SECURE_ERR_CONSUMED);
    mpc_ledger_close(l);
    text = read_text(path2, NULL);
    CHECK(strncmp(text, "mpc.v1.ledger\nfirst ", 20) == 0);
    free(text);

    remove_tree(dir);
    free(dir);
    printf("secure_ledger: ok\n");
    return 0;
}
