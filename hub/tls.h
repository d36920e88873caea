#ifndef LADDER_HUB_TLS_H
#define LADDER_HUB_TLS_H

/*
 * The hub's TLS files (DIR/tls, see hub.h): a private CA and a server
 * certificate made with GnuTLS's X.509 API, or a certificate and key the
 * operator brings. Certificates are written 0644, keys 0600, both as PEM,
 * and never over an existing file.
 */

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct ldr_err;

#define HUB_TLS_MAX_NAMES 32        /* names in one server certificate */
#define HUB_TLS_NAME_MAX 253        /* a DNS name; IPv6 text is shorter */
#define HUB_TLS_SHA256_MAX 96       /* "AB:CD:..." of 32 bytes, with the NUL */
#define HUB_TLS_FILE_MAX (1u << 20) /* a PEM file we read */
#define HUB_TLS_CA_DAYS 3650
#define HUB_TLS_SERVER_DAYS 730

/*
 * True for a name a server certificate can carry: an IPv4 or IPv6
 * address, or a DNS name (labels of letters, digits and '-', not starting
 * or ending with '-', at most 63 each, 253 in all; "*." may lead).
 */
bool hub_tls_name_valid(const char *name);

/*
 * Makes a private CA (ECDSA P-256, self-signed, 10 years, CN "Ladder hub
 * CA <names[0]>") and a server certificate signed by it (ECDSA P-256,
 * 2 years, CN names[0], one subjectAltName per name: IP for addresses,
 * DNS otherwise; TLS server use only), and writes DIR/tls/ca.pem,
 * ca-key.pem, server.pem and server-key.pem. DIR/tls must exist. The
 * caller checks the names (hub_tls_name_valid) and removes what was
 * written after a failure. LDR_EIO when a file cannot be written,
 * LDR_EINVAL when GnuTLS refuses; the message says which step failed.
 */
int hub_tls_make(const char *dir, const char *const *names, size_t nnames,
                 struct ldr_err *err);

/*
 * Checks that `cert_file` (PEM: the server certificate first, then any
 * intermediates) and `key_file` (PEM, unencrypted) parse, that the key is
 * the certificate's and that it has not expired, then copies them to
 * DIR/tls/server.pem and server-key.pem as they are. LDR_EINVAL names the
 * file and what is wrong with it; LDR_EIO for files that cannot be read
 * or written.
 */
int hub_tls_import(const char *dir, const char *cert_file, const char *key_file,
                   struct ldr_err *err);

/* What a certificate says, for people and for pinning. */
struct hub_tls_info {
    char sha256[HUB_TLS_SHA256_MAX]; /* of the DER, "AB:CD:..." as openssl */
    char names[HUB_TLS_MAX_NAMES][HUB_TLS_NAME_MAX + 1]; /* DNS and IP SANs */
    size_t nnames;
    time_t not_before, not_after;
};

/*
 * Reads the first certificate of the PEM file `path`. SANs past
 * HUB_TLS_MAX_NAMES are left out. LDR_EIO if the file cannot be read,
 * LDR_EINVAL if it holds no certificate.
 */
int hub_tls_inspect(struct hub_tls_info *out, const char *path,
                    struct ldr_err *err);

/* The server's certificate chain and key as PEM text, NUL-terminated. */
struct hub_tls_pem {
    char *cert;
    size_t cert_len;
    char *key;
    size_t key_len;
};

/*
 * Reads DIR/tls/server.pem and server-key.pem for the server
 * (MHD_OPTION_HTTPS_MEM_CERT and _KEY take this text; keep it alive while
 * the daemon runs), checking what hub_tls_import() checks, so a missing,
 * mismatched or expired certificate fails with a message for the operator
 * (LDR_ENOTFOUND, LDR_EINVAL) instead of at the first handshake. Release
 * with hub_tls_pem_release(), which wipes the key.
 */
int hub_tls_load(struct hub_tls_pem *out, const char *dir, struct ldr_err *err);
void hub_tls_pem_release(struct hub_tls_pem *pem);

#endif
