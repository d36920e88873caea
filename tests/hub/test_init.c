/*
 * ladder-hub init, run as the real binary (HUB_BIN): the files and their
 * modes, the bare git repository, the WAL database, the CA and server
 * certificate checked in-process with GnuTLS, the printed fingerprint,
 * refusals that change nothing, and --cert/--key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <jansson.h>
#include <sqlite3.h>

#include "hub.h"
#include "tls.h"

#define OUT_MAX 65536
#define DAY 86400

/* ---- running ladder-hub ---- */

struct run {
    int code; /* exit code; -1 if killed by a signal */
    char out[OUT_MAX], err[OUT_MAX];
};

static void slurp(FILE *f, char *buf, size_t cap)
{
    size_t n;

    rewind(f);
    n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* Runs ladder-hub with the NULL-terminated arguments after its name. */
static void run_hubv(struct run *r, const char *const *args)
{
    const char *argv[32] = {HUB_BIN};
    FILE *out = tmpfile(), *err = tmpfile();
    size_t n = 1;
    int status;
    pid_t pid;

    assert_non_null(out);
    assert_non_null(err);
    for (; args[n - 1]; n++) {
        assert_true(n < 31);
        argv[n] = args[n - 1];
    }
    argv[n] = NULL;
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fileno(out), 1);
        dup2(fileno(err), 2);
        execv(HUB_BIN, (char *const *)argv);
        _exit(127);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    r->code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    slurp(out, r->out, sizeof r->out);
    slurp(err, r->err, sizeof r->err);
}

#define run_hub(r, ...) run_hubv(r, (const char *const[]){__VA_ARGS__, NULL})

/* ---- files ---- */

static char base[256]; /* this test's temporary directory */
static char dir[300];  /* base/hub, the data directory under test */

static int setup(void **state)
{
    (void)state;
    snprintf(base, sizeof base, "/tmp/ladder-test-init-XXXXXX");
    if (!mkdtemp(base))
        return -1;
    snprintf(dir, sizeof dir, "%s/hub", base);
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int teardown(void **state)
{
    (void)state;
    return nftw(base, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* "<dir>/<rel>" in static storage: four rotating buffers. */
static const char *in_dir(const char *rel)
{
    static char paths[4][400];
    static int next;
    char *p = paths[next++ % 4];

    snprintf(p, sizeof paths[0], "%s/%s", dir, rel);
    return p;
}

static int mode_of(const char *path)
{
    struct stat st;

    if (stat(path, &st) != 0)
        return -1;
    return (int)(st.st_mode & 07777);
}

static bool exists(const char *path)
{
    struct stat st;

    return lstat(path, &st) == 0;
}

/* The whole file, malloc'd and NUL-terminated; fails the test if absent. */
static char *read_text(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = malloc(1 << 20);
    size_t n;

    assert_non_null(f);
    assert_non_null(buf);
    n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = '\0';
    fclose(f);
    if (len)
        *len = n;
    return buf;
}

static void write_text(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Entries in `path` but "." and "..", or -1 if it cannot be read. */
static int count_entries(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    int n = 0;

    if (!d)
        return -1;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

/* ---- certificates ---- */

static gnutls_x509_crt_t load_crt(const char *path)
{
    size_t len;
    char *text = read_text(path, &len);
    gnutls_datum_t d = {(unsigned char *)text, (unsigned)len};
    gnutls_x509_crt_t crt;

    assert_int_equal(gnutls_x509_crt_init(&crt), 0);
    assert_int_equal(gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM), 0);
    free(text);
    return crt;
}

/* The SHA-256 fingerprint of the certificate in `path`, as openssl
 * prints it, computed here rather than by the hub's code. */
static void fingerprint(char out[96], const char *path)
{
    gnutls_x509_crt_t crt = load_crt(path);
    unsigned char md[32];
    size_t len = sizeof md;

    assert_int_equal(
        gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, md, &len), 0);
    assert_int_equal(len, 32);
    for (size_t i = 0; i < len; i++)
        sprintf(out + 3 * i, i + 1 < len ? "%02X:" : "%02X", md[i]);
    gnutls_x509_crt_deinit(crt);
}

static void assert_cn(gnutls_x509_crt_t crt, const char *want)
{
    char cn[256];
    size_t len = sizeof cn;

    assert_int_equal(gnutls_x509_crt_get_dn_by_oid(
                         crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn, &len),
                     0);
    assert_string_equal(cn, want);
}

static void assert_p256_sha256(gnutls_x509_crt_t crt)
{
    gnutls_ecc_curve_t curve;
    gnutls_datum_t x = {0}, y = {0};

    assert_int_equal(gnutls_x509_crt_get_pk_algorithm(crt, NULL),
                     GNUTLS_PK_ECDSA);
    assert_int_equal(gnutls_x509_crt_get_pk_ecc_raw(crt, &curve, &x, &y), 0);
    assert_int_equal(curve, GNUTLS_ECC_CURVE_SECP256R1);
    gnutls_free(x.data);
    gnutls_free(y.data);
    assert_int_equal(gnutls_x509_crt_get_signature_algorithm(crt),
                     GNUTLS_SIGN_ECDSA_SHA256);
}

/* Valid now, for about `days` days. */
static void assert_validity(gnutls_x509_crt_t crt, long days)
{
    time_t now = time(NULL), from = gnutls_x509_crt_get_activation_time(crt),
           to = gnutls_x509_crt_get_expiration_time(crt);

    assert_true(from <= now && from > now - DAY);
    assert_true(to > now + (days - 1) * DAY && to < now + (days + 1) * DAY);
}

/* A self-signed server certificate for `name` written to base/<tag>.pem
 * and base/<tag>-key.pem; `days` < 0 makes one that has expired. */
static void make_pair(const char *tag, const char *name, int days,
                      char cert_path[300], char key_path[300])
{
    gnutls_x509_privkey_t key;
    gnutls_x509_crt_t crt;
    gnutls_datum_t c, k;
    time_t now = time(NULL);
    unsigned char serial[] = {0x42, 0x01};

    assert_int_equal(gnutls_x509_privkey_init(&key), 0);
    assert_int_equal(gnutls_x509_privkey_generate(
                         key, GNUTLS_PK_ECDSA,
                         GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0),
                     0);
    assert_int_equal(gnutls_x509_crt_init(&crt), 0);
    gnutls_x509_crt_set_version(crt, 3);
    gnutls_x509_crt_set_serial(crt, serial, sizeof serial);
    gnutls_x509_crt_set_activation_time(crt, now - 10 * DAY);
    gnutls_x509_crt_set_expiration_time(crt, now + days * DAY);
    gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, name,
                                  strlen(name));
    gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, name,
                                         strlen(name), GNUTLS_FSAN_APPEND);
    assert_int_equal(gnutls_x509_crt_set_key(crt, key), 0);
    assert_int_equal(gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0),
                     0);
    assert_int_equal(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &c), 0);
    assert_int_equal(gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &k),
                     0);
    snprintf(cert_path, 300, "%s/%s.pem", base, tag);
    snprintf(key_path, 300, "%s/%s-key.pem", base, tag);
    write_text(cert_path, c.data, c.size);
    write_text(key_path, k.data, k.size);
    gnutls_free(c.data);
    gnutls_free(k.data);
    gnutls_x509_crt_deinit(crt);
    gnutls_x509_privkey_deinit(key);
}

/* ---- tests ---- */

static void test_init__creates_private_files(void **state)
{
    struct run r;

    (void)state;
    run_hub(&r, "init", dir);
    assert_int_equal(r.code, 0);
    assert_int_equal(mode_of(dir), 0700);
    assert_int_equal(mode_of(in_dir("tls")), 0700);
    assert_int_equal(mode_of(in_dir(HUB_DB_FILE)), 0600);
    assert_int_equal(mode_of(in_dir(HUB_CA_KEY_FILE)), 0600);
    assert_int_equal(mode_of(in_dir(HUB_KEY_FILE)), 0600);
    assert_int_equal(mode_of(in_dir(HUB_CA_FILE)), 0644);
    assert_int_equal(mode_of(in_dir(HUB_CERT_FILE)), 0644);
    assert_true(exists(in_dir(HUB_GIT_DIR "/HEAD")));
    /* nothing else: no staging directory left beside DIR */
    assert_int_equal(count_entries(base), 1);
    assert_int_equal(count_entries(in_dir("tls")), 4);
}

/* `git --git-dir DIR symbolic-ref HEAD`, or "" when git cannot run. */
static void git_head(char out[256], const char *git_dir)
{
    char cmd[600];
    FILE *p;

    out[0] = '\0';
    snprintf(cmd, sizeof cmd, "git --git-dir '%s' symbolic-ref HEAD 2>&1",
             git_dir);
    p = popen(cmd, "r");
    if (!p)
        return;
    if (!fgets(out, 256, p))
        out[0] = '\0';
    if (pclose(p) != 0)
        out[0] = '\0';
    out[strcspn(out, "\n")] = '\0';
}

static void test_init__git_repository_is_bare_on_main(void **state)
{
    git_repository *repo;
    git_reference *head;
    char cli[256];
    struct run r;

    (void)state;
    run_hub(&r, "init", dir);
    assert_int_equal(r.code, 0);
    git_libgit2_init();
    assert_int_equal(git_repository_open_bare(&repo, in_dir(HUB_GIT_DIR)), 0);
    assert_true(git_repository_is_bare(repo));
    assert_int_equal(git_repository_head_unborn(repo), 1);
    assert_int_equal(git_reference_lookup(&head, repo, "HEAD"), 0);
    assert_int_equal(git_reference_type(head), GIT_REFERENCE_SYMBOLIC);
    assert_string_equal(git_reference_symbolic_target(head), "refs/heads/main");
    git_reference_free(head);
    git_repository_free(repo);
    git_libgit2_shutdown();
    git_head(cli, in_dir(HUB_GIT_DIR));
    if (cli[0]) /* git is installed */
        assert_string_equal(cli, "refs/heads/main");
}

static void assert_pragma(sqlite3 *db, const char *sql, const char *want)
{
    sqlite3_stmt *st;

    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), want);
    sqlite3_finalize(st);
}

static void test_init__database_is_wal(void **state)
{
    sqlite3 *db;
    struct run r;
    char app[32];

    (void)state;
    run_hub(&r, "init", dir);
    assert_int_equal(r.code, 0);
    assert_int_equal(sqlite3_open(in_dir(HUB_DB_FILE), &db), SQLITE_OK);
    assert_pragma(db, "PRAGMA journal_mode", "wal");
    snprintf(app, sizeof app, "%d", 0x4c445248); /* "LDRH": the hub's */
    assert_pragma(db, "PRAGMA application_id", app);
    sqlite3_close(db);
}

static void test_init__ca_is_a_p256_ca_for_ten_years(void **state)
{
    unsigned critical, usage, ca_flag;
    int pathlen;
    gnutls_x509_crt_t ca;
    struct run r;

    (void)state;
    run_hub(&r, "init", dir, "--hostname", "hub.example.org");
    assert_int_equal(r.code, 0);
    ca = load_crt(in_dir(HUB_CA_FILE));
    assert_cn(ca, "Ladder hub CA hub.example.org");
    assert_p256_sha256(ca);
    assert_validity(ca, 3650);
    assert_int_equal(gnutls_x509_crt_get_basic_constraints(ca, &critical,
                                                           &ca_flag, &pathlen),
                     1);
    assert_int_equal(ca_flag, 1);
    assert_int_equal(gnutls_x509_crt_get_key_usage(ca, &usage, &critical), 0);
    assert_true(usage & GNUTLS_KEY_KEY_CERT_SIGN);
    assert_int_equal(gnutls_x509_crt_check_issuer(ca, ca), 1);
    gnutls_x509_crt_deinit(ca);
}

static void test_init__server_certificate_verifies_against_the_ca(void **state)
{
    unsigned critical, usage, ca_flag, status = 99;
    char oid[128];
    size_t len = sizeof oid;
    gnutls_x509_crt_t ca, srv;
    int pathlen;
    struct run r;

    (void)state;
    run_hub(&r, "init", dir, "--hostname", "hub.example.org");
    assert_int_equal(r.code, 0);
    ca = load_crt(in_dir(HUB_CA_FILE));
    srv = load_crt(in_dir(HUB_CERT_FILE));
    assert_int_equal(gnutls_x509_crt_verify(srv, &ca, 1, 0, &status), 0);
    assert_int_equal(status, 0);
    assert_cn(srv, "hub.example.org");
    assert_p256_sha256(srv);
    assert_validity(srv, 730);
    assert_int_equal(gnutls_x509_crt_get_basic_constraints(srv, &critical,
                                                           &ca_flag, &pathlen),
                     0);
    assert_int_equal(ca_flag, 0);
    assert_int_equal(gnutls_x509_crt_get_key_usage(srv, &usage, &critical), 0);
    assert_int_equal(usage, GNUTLS_KEY_DIGITAL_SIGNATURE);
    assert_int_equal(
        gnutls_x509_crt_get_key_purpose_oid(srv, 0, oid, &len, &critical), 0);
    assert_string_equal(oid, GNUTLS_KP_TLS_WWW_SERVER);
    len = sizeof oid;
    assert_true(
        gnutls_x509_crt_get_key_purpose_oid(srv, 1, oid, &len, &critical) < 0);
    gnutls_x509_crt_deinit(srv);
    gnutls_x509_crt_deinit(ca);
}

static void test_init__hostnames_are_in_the_certificate(void **state)
{
    static const char *const yes[] = {"hub.example.org",
                                      "hub2.example.org",
                                      "x.wild.example",
                                      "10.1.2.3",
                                      "localhost",
                                      "127.0.0.1",
                                      "::1",
                                      "HUB.example.org"};
    static const char *const no[] = {"other.example.org", "a.b.wild.example",
                                     "10.1.2.4", "example.org"};
    gnutls_x509_crt_t srv;
    struct run r;

    (void)state;
    run_hub(&r, "init", dir, "--hostname", "hub.example.org", "--hostname",
            "HUB2.example.org", "--hostname", "*.wild.example", "--hostname",
            "10.1.2.3", "--hostname", "localhost");
    assert_int_equal(r.code, 0);
    srv = load_crt(in_dir(HUB_CERT_FILE));
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        if (!gnutls_x509_crt_check_hostname(srv, yes[i]))
            fail_msg("'%s' is not in the certificate", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        if (gnutls_x509_crt_check_hostname(srv, no[i]))
            fail_msg("'%s' should not be in the certificate", no[i]);
    gnutls_x509_crt_deinit(srv);
}

static void test_init__json_gives_paths_and_the_fingerprint(void **state)
{
    static const char *const names[] = {"hub.example.org", "localhost",
                                        "127.0.0.1", "::1"};
    char fp[96], abs[PATH_MAX], want[PATH_MAX + 32];
    json_t *doc, *hosts;
    struct run r;

    (void)state;
    run_hub(&r, "init", "--json", dir, "--hostname", "hub.example.org");
    assert_int_equal(r.code, 0);
    doc = json_loads(r.out, 0, NULL);
    assert_non_null(doc);
    assert_non_null(realpath(dir, abs));
    fingerprint(fp, in_dir(HUB_CA_FILE));
    assert_string_equal(json_string_value(json_object_get(doc, "ca_sha256")),
                        fp);
    assert_string_equal(json_string_value(json_object_get(doc, "dir")), abs);
    snprintf(want, sizeof want, "%s/" HUB_DB_FILE, abs);
    assert_string_equal(json_string_value(json_object_get(doc, "db")), want);
    snprintf(want, sizeof want, "%s/" HUB_GIT_DIR, abs);
    assert_string_equal(json_string_value(json_object_get(doc, "git")), want);
    snprintf(want, sizeof want, "%s/" HUB_CA_FILE, abs);
    assert_string_equal(json_string_value(json_object_get(doc, "ca")), want);
    snprintf(want, sizeof want, "%s/" HUB_CERT_FILE, abs);
    assert_string_equal(json_string_value(json_object_get(doc, "cert")), want);
    hosts = json_object_get(doc, "hostnames");
    assert_int_equal(json_array_size(hosts), 4);
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(json_string_value(json_array_get(hosts, i)),
                            names[i]);
    assert_int_equal(json_object_size(doc), 7);
    json_decref(doc);
}

static void test_init__text_names_the_ca_and_its_fingerprint(void **state)
{
    char fp[96], abs[PATH_MAX], ca[PATH_MAX + 32];
    struct run r;

    (void)state;
    run_hub(&r, "init", dir);
    assert_int_equal(r.code, 0);
    assert_non_null(realpath(dir, abs));
    snprintf(ca, sizeof ca, "%s/" HUB_CA_FILE, abs);
    fingerprint(fp, ca);
    assert_non_null(strstr(r.out, ca));
    assert_non_null(strstr(r.out, fp));
    assert_string_equal(r.err, "");
}

static void test_init__each_hub_gets_its_own_ca(void **state)
{
    char other[320], fp1[96], fp2[96], ca2[340];
    struct run r;

    (void)state;
    snprintf(other, sizeof other, "%s/other", base);
    snprintf(ca2, sizeof ca2, "%s/" HUB_CA_FILE, other);
    run_hub(&r, "init", dir);
    assert_int_equal(r.code, 0);
    run_hub(&r, "init", other);
    assert_int_equal(r.code, 0);
    fingerprint(fp1, in_dir(HUB_CA_FILE));
    fingerprint(fp2, ca2);
    assert_string_not_equal(fp1, fp2);
}

static void test_init__again_refuses_and_changes_nothing(void **state)
{
    static const char *const files[] = {
        HUB_CA_FILE, HUB_CA_KEY_FILE, HUB_CERT_FILE, HUB_KEY_FILE, HUB_DB_FILE};
    char *before[5], cert[300], key[300];
    struct run r;

    (void)state;
    run_hub(&r, "init", dir);
    assert_int_equal(r.code, 0);
    for (size_t i = 0; i < 5; i++)
        before[i] = read_text(in_dir(files[i]), NULL);
    run_hub(&r, "init", dir, "--hostname", "new.example.org");
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.err, "already initialised"));
    assert_string_equal(r.out, "");
    make_pair("byo", "byo.example.org", 100, cert, key);
    run_hub(&r, "init", dir, "--cert", cert, "--key", key);
    assert_int_equal(r.code, 1);
    for (size_t i = 0; i < 5; i++) {
        char *after = read_text(in_dir(files[i]), NULL);

        assert_string_equal(after, before[i]);
        free(after);
        free(before[i]);
    }
    assert_int_equal(count_entries(base), 3); /* hub and byo's two files */
}

static void test_init__refuses_a_directory_with_other_files(void **state)
{
    char note[320];
    struct run r;

    (void)state;
    assert_int_equal(mkdir(dir, 0755), 0);
    snprintf(note, sizeof note, "%s/notes.txt", dir);
    write_text(note, "mine", 4);
    run_hub(&r, "init", dir);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.err, "not empty"));
    assert_int_equal(count_entries(dir), 1);
    assert_int_equal(mode_of(dir), 0755);
}

static void test_init__names_the_leftovers_of_an_interrupted_run(void **state)
{
    struct run r;

    (void)state;
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(mkdir(in_dir("tls"), 0700), 0);
    run_hub(&r, "init", dir);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.err, "interrupted"));
    assert_int_equal(count_entries(dir), 1);
}

static void test_init__fills_an_empty_directory(void **state)
{
    struct run r;

    (void)state;
    assert_int_equal(mkdir(dir, 0755), 0);
    run_hub(&r, "init", dir);
    assert_int_equal(r.code, 0);
    assert_int_equal(mode_of(dir), 0700);
    assert_true(exists(in_dir(HUB_CERT_FILE)));
    assert_int_equal(count_entries(base), 1);
}

static void test_init__refuses_what_is_no_directory(void **state)
{
    char deep[340];
    struct run r;

    (void)state;
    write_text(dir, "x", 1);
    run_hub(&r, "init", dir);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.err, "not a directory"));
    snprintf(deep, sizeof deep, "%s/missing/hub", base);
    run_hub(&r, "init", deep);
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.err, "cannot create"));
    assert_int_equal(count_entries(base), 1);
}

static void test_init__takes_the_operators_certificate(void **state)
{
    char cert[300], key[300], *given, *copied;
    json_t *doc;
    struct run r;

    (void)state;
    make_pair("byo", "byo.example.org", 100, cert, key);
    run_hub(&r, "init", dir, "--cert", cert, "--key", key, "--json");
    assert_int_equal(r.code, 0);
    doc = json_loads(r.out, 0, NULL);
    assert_non_null(doc);
    assert_true(json_is_null(json_object_get(doc, "ca")));
    assert_true(json_is_null(json_object_get(doc, "ca_sha256")));
    assert_int_equal(json_array_size(json_object_get(doc, "hostnames")), 1);
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(doc, "hostnames"), 0)),
        "byo.example.org");
    json_decref(doc);
    given = read_text(cert, NULL);
    copied = read_text(in_dir(HUB_CERT_FILE), NULL);
    assert_string_equal(copied, given);
    free(given);
    free(copied);
    given = read_text(key, NULL);
    copied = read_text(in_dir(HUB_KEY_FILE), NULL);
    assert_string_equal(copied, given);
    free(given);
    free(copied);
    assert_int_equal(mode_of(in_dir(HUB_KEY_FILE)), 0600);
    assert_false(exists(in_dir(HUB_CA_FILE)));
    assert_false(exists(in_dir(HUB_CA_KEY_FILE)));
    assert_true(exists(in_dir(HUB_DB_FILE)));
}

/* A failed run leaves neither DIR nor a staging directory beside it. */
static void assert_refused(const char *cert, const char *key, const char *why)
{
    struct run r;
    int before = count_entries(base);

    run_hub(&r, "init", dir, "--cert", cert, "--key", key);
    assert_int_equal(r.code, 1);
    if (!strstr(r.err, why))
        fail_msg("expected '%s' in: %s", why, r.err);
    assert_false(exists(dir));
    assert_int_equal(count_entries(base), before);
}

static void
test_init__refuses_a_bad_certificate_and_leaves_nothing(void **state)
{
    char a[300], akey[300], b[300], bkey[300], old[300], oldkey[300];
    char junk[300], missing[300];
    struct run r;

    (void)state;
    make_pair("a", "a.example.org", 100, a, akey);
    make_pair("b", "b.example.org", 100, b, bkey);
    make_pair("old", "old.example.org", -1, old, oldkey);
    snprintf(junk, sizeof junk, "%s/junk.pem", base);
    write_text(junk, "not a certificate\n", 18);
    snprintf(missing, sizeof missing, "%s/missing.pem", base);
    assert_refused(a, bkey, "does not match");
    assert_refused(old, oldkey, "expired");
    assert_refused(junk, akey, "no PEM certificate");
    assert_refused(a, junk, "no unencrypted PEM private key");
    assert_refused(missing, akey, "cannot read");
    /* in an existing empty directory: it stays empty */
    assert_int_equal(mkdir(dir, 0750), 0);
    run_hub(&r, "init", dir, "--cert", a, "--key", bkey);
    assert_int_equal(r.code, 1);
    assert_int_equal(count_entries(dir), 0);
    assert_int_equal(mode_of(dir), 0750);
    /* and the retry works */
    run_hub(&r, "init", dir, "--cert", a, "--key", akey);
    assert_int_equal(r.code, 0);
}

static void test_init__bad_usage_exits_2(void **state)
{
    static const char *const cases[][8] = {
        {"init"},
        {"init", "--bogus", "@"},
        {"init", "@", "extra"},
        {"init", "@", "--cert", "c.pem"},
        {"init", "@", "--key", "k.pem"},
        {"init", "@", "--hostname"},
        {"init", "@", "--hostname", "bad name"},
        {"init", "@", "--hostname", "-bad.example"},
        {"init", "@", "--hostname", "10.0.0.300"},
        {"init", "@", "--hostname", "a..example"},
        {"init", "@", "--hostname", ""},
        {"init", "@", "--hostname", "a.example", "--cert", "c", "--key", "k"},
        {"init", ""},
    };
    struct run r;

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *args[9] = {0};

        for (size_t j = 0; j < 8 && cases[i][j]; j++)
            args[j] = strcmp(cases[i][j], "@") == 0 ? dir : cases[i][j];
        run_hubv(&r, args);
        if (r.code != 2)
            fail_msg("case %zu: exit %d, stderr: %s", i, r.code, r.err);
        assert_non_null(strstr(r.err, "usage: ladder-hub init"));
        assert_false(exists(dir));
    }
}

static void test_init__help_documents_every_option(void **state)
{
    static const char *const words[] = {
        "--hostname", "--cert", "--key", "--json",    "localhost", "127.0.0.1",
        "::1",        "0700",   "0600",  "ca_sha256", "hostnames", "SHA-256",
        "WAL",        "bare",   "main",  "already",   "P-256"};
    struct run r;

    (void)state;
    run_hub(&r, "help", "init");
    assert_int_equal(r.code, 0);
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (!strstr(r.out, words[i]))
            fail_msg("'help init' does not mention '%s'", words[i]);
    run_hub(&r, "init", "--help");
    assert_int_equal(r.code, 0);
}

/* ---- in-process: the name check ---- */

static void test_init__name_check(void **state)
{
    static const char *const good[] = {
        "localhost",      "hub.example.org", "*.example.org",
        "a-b.c1.example", "127.0.0.1",       "::1",
        "fe80::1",        "10.1.2.3",        "x"};
    static const char *const bad[] = {
        "",      "a b",         "-a.example", "a-.example", "a..b",
        "a.",    ".a",          "*",          "a.*.b",      "10.0.0.300",
        "1.2.3", "a_b.example", "ä.example",  "a/b"};
    char long_label[80];

    (void)state;
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        if (!hub_tls_name_valid(good[i]))
            fail_msg("'%s' should be valid", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (hub_tls_name_valid(bad[i]))
            fail_msg("'%s' should be invalid", bad[i]);
    memset(long_label, 'a', 64);
    strcpy(long_label + 64, ".example");
    assert_false(hub_tls_name_valid(long_label));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_init__creates_private_files),
        T(test_init__git_repository_is_bare_on_main),
        T(test_init__database_is_wal),
        T(test_init__ca_is_a_p256_ca_for_ten_years),
        T(test_init__server_certificate_verifies_against_the_ca),
        T(test_init__hostnames_are_in_the_certificate),
        T(test_init__json_gives_paths_and_the_fingerprint),
        T(test_init__text_names_the_ca_and_its_fingerprint),
        T(test_init__each_hub_gets_its_own_ca),
        T(test_init__again_refuses_and_changes_nothing),
        T(test_init__refuses_a_directory_with_other_files),
        T(test_init__names_the_leftovers_of_an_interrupted_run),
        T(test_init__fills_an_empty_directory),
        T(test_init__refuses_what_is_no_directory),
        T(test_init__takes_the_operators_certificate),
        T(test_init__refuses_a_bad_certificate_and_leaves_nothing),
        T(test_init__bad_usage_exits_2),
        T(test_init__help_documents_every_option),
        cmocka_unit_test(test_init__name_check),
#undef T
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
