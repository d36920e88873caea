/* The hub's TLS files: a private CA and server certificate, or the
 * operator's own, checked before anything uses them. */
#include "tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "hub.h"
#include "ladder/err.h"

#define CN_MAX 64     /* X.520 ub-common-name */
#define KEY_ID_MAX 64 /* SHA-1 key ids are 20 bytes, SHA-256 ones 32 */

/* ---- files ---- */

static int path_at(char out[HUB_PATH_MAX], const char *dir, const char *rel,
                   struct ldr_err *err)
{
    int n = snprintf(out, HUB_PATH_MAX, "%s/%s", dir, rel);

    if (n < 0 || n >= HUB_PATH_MAX)
        return ldr_err_set(err, LDR_EINVAL, "path too long: %s/%s", dir, rel);
    return 0;
}

static int read_all(int fd, char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = read(fd, buf, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The file at `path`, NUL-terminated, at most HUB_TLS_FILE_MAX bytes. */
static int read_file(char **out, size_t *len, const char *path,
                     struct ldr_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    char *buf = NULL;
    int rc = 0;

    *out = NULL;
    if (fd < 0)
        return ldr_err_set(err, errno == ENOENT ? LDR_ENOTFOUND : LDR_EIO,
                           "cannot read '%s': %s", path, strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        rc = ldr_err_set(err, LDR_EINVAL, "'%s' is not a regular file", path);
    else if ((size_t)st.st_size > HUB_TLS_FILE_MAX)
        rc = ldr_err_set(err, LDR_EINVAL,
                         "'%s' is larger than %u bytes: not a PEM file", path,
                         HUB_TLS_FILE_MAX);
    else if (!(buf = malloc((size_t)st.st_size + 1)))
        rc = ldr_err_set(err, LDR_ENOMEM, "out of memory reading '%s'", path);
    else if (read_all(fd, buf, (size_t)st.st_size) != 0)
        rc = ldr_err_set(err, LDR_EIO, "cannot read '%s': %s", path,
                         errno ? strerror(errno) : "file shrank");
    close(fd);
    if (rc != 0) {
        free(buf);
        return rc;
    }
    buf[st.st_size] = '\0';
    *out = buf;
    *len = (size_t)st.st_size;
    return 0;
}

/* Writes DIR/rel with exactly `mode` (whatever the umask); never replaces
 * a file, and leaves none behind on failure. */
static int write_file(const char *dir, const char *rel, const void *data,
                      size_t len, mode_t mode, struct ldr_err *err)
{
    char path[HUB_PATH_MAX];
    int fd, rc;

    if ((rc = path_at(path, dir, rel, err)) != 0)
        return rc;
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0)
        return ldr_err_set(err, LDR_EIO, "cannot create '%s': %s", path,
                           strerror(errno));
    if (fchmod(fd, mode) != 0 || hub_write_all(fd, data, len) != 0 ||
        fsync(fd) != 0) {
        rc = ldr_err_set(err, LDR_EIO, "cannot write '%s': %s", path,
                         strerror(errno));
        close(fd);
        unlink(path);
        return rc;
    }
    if (close(fd) != 0) {
        rc = ldr_err_set(err, LDR_EIO, "cannot write '%s': %s", path,
                         strerror(errno));
        unlink(path);
    }
    return rc;
}

/* ---- names ---- */

static bool label_valid(const char *s, size_t n)
{
    if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-'))
            return false;
    }
    return true;
}

bool hub_tls_name_valid(const char *name)
{
    unsigned char ip[16];
    const char *label, *dot;
    bool digits = true;

    if (inet_pton(AF_INET, name, ip) == 1 || inet_pton(AF_INET6, name, ip) == 1)
        return true;
    if (strlen(name) == 0 || strlen(name) > HUB_TLS_NAME_MAX)
        return false;
    label = strncmp(name, "*.", 2) == 0 ? name + 2 : name;
    for (;; label = dot + 1) {
        dot = strchr(label, '.');
        size_t n = dot ? (size_t)(dot - label) : strlen(label);

        if (!label_valid(label, n))
            return false;
        digits = strspn(label, "0123456789") >= n;
        if (!dot)
            break;
    }
    /* No top-level domain is all digits: "10.0.0.300" is a typo, not a
     * name (RFC 3696 section 2). */
    return !digits;
}

/* ---- making certificates ---- */

/* A GnuTLS result: 0, or LDR_EINVAL naming the step and GnuTLS's reason. */
static int check(int rc, const char *what, struct ldr_err *err)
{
    if (rc >= 0)
        return 0;
    return ldr_err_set(err, LDR_EINVAL, "%s: %s", what, gnutls_strerror(rc));
}

/* A certificate and its key, as x509 (to export) and abstract (to sign). */
struct issued {
    gnutls_x509_privkey_t key;
    gnutls_privkey_t signer;
    gnutls_x509_crt_t crt;
};

static void issued_release(struct issued *c)
{
    if (c->signer)
        gnutls_privkey_deinit(c->signer);
    if (c->key)
        gnutls_x509_privkey_deinit(c->key);
    if (c->crt)
        gnutls_x509_crt_deinit(c->crt);
    memset(c, 0, sizeof *c);
}

/* A fresh ECDSA P-256 key and an empty certificate for it. */
static int issued_init(struct issued *c, struct ldr_err *err)
{
    unsigned bits = GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1);

    memset(c, 0, sizeof *c);
    if (check(gnutls_x509_privkey_init(&c->key), "key", err) ||
        check(gnutls_x509_privkey_generate(c->key, GNUTLS_PK_ECDSA, bits, 0),
              "generating an ECDSA P-256 key", err) ||
        check(gnutls_privkey_init(&c->signer), "key", err) ||
        check(gnutls_privkey_import_x509(c->signer, c->key, 0), "key", err) ||
        check(gnutls_x509_crt_init(&c->crt), "certificate", err)) {
        issued_release(c);
        return LDR_EINVAL;
    }
    return 0;
}

static int set_serial(gnutls_x509_crt_t crt, struct ldr_err *err)
{
    unsigned char serial[16];

    if (check(gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof serial),
              "random serial number", err))
        return LDR_EINVAL;
    /* Positive and without a leading zero byte, as DER wants. */
    serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x40);
    return check(gnutls_x509_crt_set_serial(crt, serial, sizeof serial),
                 "serial number", err);
}

/* Version, serial, validity, subject CN, public key and its key id: what
 * the CA and the server certificate share. */
static int set_common(struct issued *c, const char *cn, unsigned days,
                      struct ldr_err *err)
{
    /* Valid from an hour ago, so an agent whose clock is a little behind
     * the hub's still accepts a certificate made just now. */
    time_t now = time(NULL), from = now - 3600;
    unsigned char id[KEY_ID_MAX];
    size_t idlen = sizeof id;
    char name[CN_MAX + 1];

    snprintf(name, sizeof name, "%s", cn);
    if (check(gnutls_x509_crt_set_version(c->crt, 3), "version", err) ||
        set_serial(c->crt, err) ||
        check(gnutls_x509_crt_set_activation_time(c->crt, from), "validity",
              err) ||
        check(gnutls_x509_crt_set_expiration_time(c->crt,
                                                  now + (time_t)days * 86400),
              "validity", err) ||
        check(gnutls_x509_crt_set_dn_by_oid(c->crt, GNUTLS_OID_X520_COMMON_NAME,
                                            0, name, strlen(name)),
              "subject name", err) ||
        check(gnutls_x509_crt_set_key(c->crt, c->key), "public key", err) ||
        check(gnutls_x509_crt_get_key_id(c->crt, 0, id, &idlen), "key id",
              err) ||
        check(gnutls_x509_crt_set_subject_key_id(c->crt, id, idlen), "key id",
              err))
        return LDR_EINVAL;
    return 0;
}

static int make_ca(struct issued *ca, const char *host, struct ldr_err *err)
{
    char cn[CN_MAX + 1];

    snprintf(cn, sizeof cn, "Ladder hub CA %s", host);
    /* Path length 0: the CA signs server certificates, never other CAs. */
    if (set_common(ca, cn, HUB_TLS_CA_DAYS, err) ||
        check(gnutls_x509_crt_set_basic_constraints(ca->crt, 1, 0),
              "basic constraints", err) ||
        check(gnutls_x509_crt_set_key_usage(ca->crt, GNUTLS_KEY_KEY_CERT_SIGN |
                                                         GNUTLS_KEY_CRL_SIGN),
              "key usage", err) ||
        check(gnutls_x509_crt_privkey_sign(ca->crt, ca->crt, ca->signer,
                                           GNUTLS_DIG_SHA256, 0),
              "self-signing", err))
        return ldr_err_prefix(err, "making the CA: ");
    return 0;
}

static int add_name(gnutls_x509_crt_t crt, const char *name,
                    struct ldr_err *err)
{
    unsigned char ip[16];
    int rc;

    if (inet_pton(AF_INET, name, ip) == 1)
        rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip,
                                                  4, GNUTLS_FSAN_APPEND);
    else if (inet_pton(AF_INET6, name, ip) == 1)
        rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip,
                                                  16, GNUTLS_FSAN_APPEND);
    else
        rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, name,
                                                  (unsigned)strlen(name),
                                                  GNUTLS_FSAN_APPEND);
    if (rc < 0)
        return ldr_err_set(err, LDR_EINVAL, "subject alt name '%s': %s", name,
                           gnutls_strerror(rc));
    return 0;
}

static int make_server(struct issued *srv, const struct issued *ca,
                       const char *const *names, size_t nnames,
                       struct ldr_err *err)
{
    unsigned char id[KEY_ID_MAX];
    size_t idlen = sizeof id;
    unsigned critical;
    int rc = set_common(srv, names[0], HUB_TLS_SERVER_DAYS, err);

    for (size_t i = 0; rc == 0 && i < nnames; i++)
        rc = add_name(srv->crt, names[i], err);
    if (rc != 0 ||
        check(gnutls_x509_crt_set_basic_constraints(srv->crt, 0, -1),
              "basic constraints", err) ||
        check(gnutls_x509_crt_set_key_usage(srv->crt,
                                            GNUTLS_KEY_DIGITAL_SIGNATURE),
              "key usage", err) ||
        check(gnutls_x509_crt_set_key_purpose_oid(srv->crt,
                                                  GNUTLS_KP_TLS_WWW_SERVER, 0),
              "extended key usage", err) ||
        check(
            gnutls_x509_crt_get_subject_key_id(ca->crt, id, &idlen, &critical),
            "CA key id", err) ||
        check(gnutls_x509_crt_set_authority_key_id(srv->crt, id, idlen),
              "authority key id", err) ||
        check(gnutls_x509_crt_privkey_sign(srv->crt, ca->crt, ca->signer,
                                           GNUTLS_DIG_SHA256, 0),
              "signing with the CA", err))
        return ldr_err_prefix(err, "making the server certificate: ");
    return 0;
}

/* Writes the certificate (0644) and its key (PKCS #8, 0600) as PEM. */
static int save(const char *dir, const struct issued *c, const char *crt_rel,
                const char *key_rel, struct ldr_err *err)
{
    gnutls_datum_t crt = {NULL, 0}, key = {NULL, 0};
    int rc = check(gnutls_x509_crt_export2(c->crt, GNUTLS_X509_FMT_PEM, &crt),
                   "exporting the certificate", err);

    if (rc == 0)
        rc = check(gnutls_x509_privkey_export2_pkcs8(c->key,
                                                     GNUTLS_X509_FMT_PEM, NULL,
                                                     GNUTLS_PKCS_PLAIN, &key),
                   "exporting the key", err);
    if (rc == 0)
        rc = write_file(dir, crt_rel, crt.data, crt.size, 0644, err);
    if (rc == 0)
        rc = write_file(dir, key_rel, key.data, key.size, 0600, err);
    if (key.data) {
        explicit_bzero(key.data, key.size);
        gnutls_free(key.data);
    }
    gnutls_free(crt.data);
    return rc;
}

int hub_tls_make(const char *dir, const char *const *names, size_t nnames,
                 struct ldr_err *err)
{
    struct issued ca = {0}, srv = {0};
    int rc;

    if (nnames == 0 || nnames > HUB_TLS_MAX_NAMES)
        return ldr_err_set(err, LDR_EINVAL,
                           "a server certificate takes 1 to %d names, not %zu",
                           HUB_TLS_MAX_NAMES, nnames);
    rc = issued_init(&ca, err);
    if (rc == 0)
        rc = issued_init(&srv, err);
    if (rc == 0)
        rc = make_ca(&ca, names[0], err);
    if (rc == 0)
        rc = make_server(&srv, &ca, names, nnames, err);
    if (rc == 0)
        rc = save(dir, &ca, HUB_CA_FILE, HUB_CA_KEY_FILE, err);
    if (rc == 0)
        rc = save(dir, &srv, HUB_CERT_FILE, HUB_KEY_FILE, err);
    issued_release(&srv);
    issued_release(&ca);
    return rc;
}

/* ---- the operator's certificate ---- */

/* The key `key` as an abstract key; `name` is its file, for messages. */
static int load_key(gnutls_privkey_t *out, const struct hub_tls_pem *pem,
                    const char *name, struct ldr_err *err)
{
    gnutls_datum_t d = {(unsigned char *)pem->key, (unsigned)pem->key_len};
    int rc;

    if ((rc = gnutls_privkey_init(out)) < 0)
        return check(rc, "key", err);
    rc = gnutls_privkey_import_x509_raw(*out, &d, GNUTLS_X509_FMT_PEM, NULL, 0);
    if (rc < 0) {
        gnutls_privkey_deinit(*out);
        *out = NULL;
        return ldr_err_set(err, LDR_EINVAL,
                           "'%s' holds no unencrypted PEM private key (%s)",
                           name, gnutls_strerror(rc));
    }
    return 0;
}

static bool key_matches(gnutls_x509_crt_t crt, gnutls_privkey_t key)
{
    unsigned char a[KEY_ID_MAX], b[KEY_ID_MAX];
    size_t alen = sizeof a, blen = sizeof b;
    gnutls_pubkey_t pub;
    bool same = false;

    if (gnutls_pubkey_init(&pub) < 0)
        return false;
    if (gnutls_pubkey_import_privkey(pub, key, 0, 0) >= 0 &&
        gnutls_pubkey_get_key_id(pub, GNUTLS_KEYID_USE_SHA256, a, &alen) >= 0 &&
        gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, b, &blen) >= 0)
        same = alen == blen && memcmp(a, b, alen) == 0;
    gnutls_pubkey_deinit(pub);
    return same;
}

static void free_chain(gnutls_x509_crt_t *chain, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        gnutls_x509_crt_deinit(chain[i]);
    gnutls_free(chain);
}

/* The chain in pem->cert parses in order, the key is its first
 * certificate's, and that certificate has not expired. */
static int check_pair(const struct hub_tls_pem *pem, const char *cert_name,
                      const char *key_name, struct ldr_err *err)
{
    gnutls_datum_t d = {(unsigned char *)pem->cert, (unsigned)pem->cert_len};
    gnutls_x509_crt_t *chain = NULL;
    gnutls_privkey_t key = NULL;
    unsigned n = 0;
    time_t expires;
    int rc =
        gnutls_x509_crt_list_import2(&chain, &n, &d, GNUTLS_X509_FMT_PEM,
                                     GNUTLS_X509_CRT_LIST_FAIL_IF_UNSORTED);

    if (rc < 0 || n == 0)
        return ldr_err_set(
            err, LDR_EINVAL,
            "'%s' holds no PEM certificate chain with the "
            "server certificate first (%s)",
            cert_name,
            gnutls_strerror(rc < 0 ? rc : GNUTLS_E_NO_CERTIFICATE_FOUND));
    if ((rc = load_key(&key, pem, key_name, err)) != 0) {
        free_chain(chain, n);
        return rc;
    }
    expires = gnutls_x509_crt_get_expiration_time(chain[0]);
    if (!key_matches(chain[0], key))
        rc = ldr_err_set(err, LDR_EINVAL,
                         "the key in '%s' does not match the certificate "
                         "in '%s'",
                         key_name, cert_name);
    else if (expires != (time_t)-1 && expires < time(NULL))
        rc = ldr_err_set(err, LDR_EINVAL,
                         "the certificate in '%s' expired at %lld (Unix "
                         "time); renew it",
                         cert_name, (long long)expires);
    gnutls_privkey_deinit(key);
    free_chain(chain, n);
    return rc;
}

static int read_pair(struct hub_tls_pem *out, const char *cert_file,
                     const char *key_file, struct ldr_err *err)
{
    int rc;

    memset(out, 0, sizeof *out);
    rc = read_file(&out->cert, &out->cert_len, cert_file, err);
    if (rc == 0)
        rc = read_file(&out->key, &out->key_len, key_file, err);
    if (rc == 0)
        rc = check_pair(out, cert_file, key_file, err);
    if (rc != 0)
        hub_tls_pem_release(out);
    return rc;
}

int hub_tls_import(const char *dir, const char *cert_file, const char *key_file,
                   struct ldr_err *err)
{
    struct hub_tls_pem pem;
    int rc = read_pair(&pem, cert_file, key_file, err);

    if (rc == 0)
        rc = write_file(dir, HUB_CERT_FILE, pem.cert, pem.cert_len, 0644, err);
    if (rc == 0)
        rc = write_file(dir, HUB_KEY_FILE, pem.key, pem.key_len, 0600, err);
    hub_tls_pem_release(&pem);
    return rc;
}

int hub_tls_load(struct hub_tls_pem *out, const char *dir, struct ldr_err *err)
{
    char cert[HUB_PATH_MAX], key[HUB_PATH_MAX];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = path_at(cert, dir, HUB_CERT_FILE, err)) != 0 ||
        (rc = path_at(key, dir, HUB_KEY_FILE, err)) != 0)
        return rc;
    rc = read_pair(out, cert, key, err);
    if (rc == LDR_ENOTFOUND)
        ldr_err_prefix(err, "no TLS certificate (made by 'ladder-hub "
                            "init'): ");
    return rc;
}

void hub_tls_pem_release(struct hub_tls_pem *pem)
{
    if (pem->key)
        explicit_bzero(pem->key, pem->key_len);
    free(pem->key);
    free(pem->cert);
    memset(pem, 0, sizeof *pem);
}

/* ---- reading a certificate ---- */

static void colon_hex(char *out, const unsigned char *b, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";

    for (size_t i = 0; i < n; i++) {
        *out++ = hex[b[i] >> 4];
        *out++ = hex[b[i] & 15];
        if (i + 1 < n)
            *out++ = ':';
    }
    *out = '\0';
}

/* The DNS and IP subjectAltNames, as text. */
static void read_names(struct hub_tls_info *out, gnutls_x509_crt_t crt)
{
    for (unsigned seq = 0; out->nnames < HUB_TLS_MAX_NAMES; seq++) {
        unsigned char san[HUB_TLS_NAME_MAX + 1];
        size_t len = sizeof san;
        unsigned type, critical;
        char *name = out->names[out->nnames];
        int rc = gnutls_x509_crt_get_subject_alt_name2(crt, seq, san, &len,
                                                       &type, &critical);

        if (rc == GNUTLS_E_SHORT_MEMORY_BUFFER)
            continue; /* longer than any name we would make or accept */
        if (rc < 0)
            break; /* the end, or a SAN extension GnuTLS cannot read */
        if (type == GNUTLS_SAN_DNSNAME && len < sizeof san) {
            memcpy(name, san, len);
            name[len] = '\0';
        } else if (type != GNUTLS_SAN_IPADDRESS || (len != 4 && len != 16) ||
                   !inet_ntop(len == 4 ? AF_INET : AF_INET6, san, name,
                              HUB_TLS_NAME_MAX + 1)) {
            continue;
        }
        out->nnames++;
    }
}

int hub_tls_inspect(struct hub_tls_info *out, const char *path,
                    struct ldr_err *err)
{
    unsigned char digest[32];
    size_t dlen = sizeof digest;
    gnutls_x509_crt_t crt = NULL;
    gnutls_datum_t d;
    char *text;
    size_t len;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = read_file(&text, &len, path, err)) != 0)
        return rc;
    d.data = (unsigned char *)text;
    d.size = (unsigned)len;
    rc = check(gnutls_x509_crt_init(&crt), "certificate", err);
    if (rc == 0 && gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) < 0)
        rc =
            ldr_err_set(err, LDR_EINVAL, "'%s' holds no PEM certificate", path);
    if (rc == 0)
        rc = check(gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256,
                                                   digest, &dlen),
                   "fingerprint", err);
    if (rc == 0) {
        colon_hex(out->sha256, digest, dlen);
        read_names(out, crt);
        out->not_before = gnutls_x509_crt_get_activation_time(crt);
        out->not_after = gnutls_x509_crt_get_expiration_time(crt);
    }
    if (crt)
        gnutls_x509_crt_deinit(crt);
    free(text);
    return rc;
}
