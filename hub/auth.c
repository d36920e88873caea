/*
 * Bearer tokens: "ldr_<id>_<secret>". The id finds the row; only the
 * SHA-256 of the secret is stored, and it is compared in constant time
 * (DESIGN.md section 5).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <jansson.h>
#include <nettle/memops.h>
#include <nettle/sha2.h>

#include "apply.h"
#include "ladder/err.h"

#define ID_BYTES 8
#define SECRET_BYTES 32
#define ID_HEX (2 * ID_BYTES)
#define SECRET_HEX (2 * SECRET_BYTES)
#define HASH_HEX (2 * SHA256_DIGEST_SIZE)
#define PREFIX "ldr_"

static void to_hex(char *out, const uint8_t *bytes, size_t n)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}

static int random_hex(char *out, size_t nbytes, struct ldr_err *err)
{
    uint8_t buf[SECRET_BYTES];
    size_t got = 0;

    while (got < nbytes) {
        ssize_t n = getrandom(buf + got, nbytes - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return ldr_err_set(err, LDR_EIO, "no random bytes: %s",
                               strerror(errno));
        got += (size_t)n;
    }
    to_hex(out, buf, nbytes);
    return 0;
}

/* The stored form of a secret: SHA-256 of its text, lowercase hex. */
static void hash_secret(char out[HASH_HEX + 1], const char *secret, size_t len)
{
    uint8_t digest[SHA256_DIGEST_SIZE];
    struct sha256_ctx h;

    sha256_init(&h);
    sha256_update(&h, len, (const uint8_t *)secret);
    sha256_digest(&h, sizeof digest, digest);
    to_hex(out, digest, sizeof digest);
}

static int db_error(sqlite3 *db, const char *what, struct ldr_err *err)
{
    int code = sqlite3_errcode(db);

    return ldr_err_set(
        err, code == SQLITE_BUSY || code == SQLITE_LOCKED ? LDR_EBUSY : LDR_EDB,
        "%s: %s", what, sqlite3_errmsg(db));
}

int hub_token_add(sqlite3 *db, const struct hub_principal *p,
                  char token[HUB_TOKEN_MAX + 1], char id_out[64],
                  struct ldr_err *err)
{
    char id[ID_HEX + 1], secret[SECRET_HEX + 1], hash[HASH_HEX + 1];
    char *scope = NULL;
    sqlite3_stmt *st = NULL;
    int rc = random_hex(id, ID_BYTES, err);

    if (rc == 0)
        rc = random_hex(secret, SECRET_BYTES, err);
    if (rc)
        return rc;
    if (!(scope = hub_scope_json(p)))
        return ldr_err_set(err, LDR_ENOMEM, "out of memory");
    hash_secret(hash, secret, SECRET_HEX);
    rc = sqlite3_prepare_v2(db,
                            "INSERT INTO tokens (id, principal, role, scope, "
                            "hash) VALUES (?, ?, ?, ?, ?)",
                            -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, p->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, hub_role_name(p->role), -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, scope, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, hash, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    free(scope);
    if (rc != SQLITE_DONE)
        return db_error(db, "saving the token", err);
    snprintf(token, HUB_TOKEN_MAX + 1, PREFIX "%s_%s", id, secret);
    snprintf(id_out, 64, "%s", id);
    return 0;
}

int hub_token_revoke(sqlite3 *db, const char *id, struct ldr_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(
        db,
        "UPDATE tokens SET revoked_at = coalesce(revoked_at, "
        "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) WHERE id = ?",
        -1, &st, NULL);

    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_error(db, "revoking the token", err);
    if (sqlite3_changes(db) == 0)
        return ldr_err_set(err, LDR_ENOTFOUND,
                           "no token with id '%s'; 'ladder-hub token list' "
                           "shows them",
                           id);
    return 0;
}

/* ---- checking a token ------------------------------------------------- */

static bool all_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

/* Splits "ldr_<id>_<secret>"; false if it has another shape. */
static bool split_token(const char *token, char id[ID_HEX + 1],
                        const char **secret)
{
    size_t p = strlen(PREFIX);

    if (!token || strlen(token) != p + ID_HEX + 1 + SECRET_HEX ||
        strncmp(token, PREFIX, p) != 0 || token[p + ID_HEX] != '_' ||
        !all_hex(token + p, ID_HEX) ||
        !all_hex(token + p + ID_HEX + 1, SECRET_HEX))
        return false;
    memcpy(id, token + p, ID_HEX);
    id[ID_HEX] = '\0';
    *secret = token + p + ID_HEX + 1;
    return true;
}

/* The units of a stored scope into `out`. */
static int load_scope(struct hub_principal *out, const char *text,
                      struct ldr_err *err)
{
    json_t *units = json_loads(text, 0, NULL), *unit;
    size_t i;
    int rc = json_is_array(units) && json_array_size(units) <= HUB_MAX_UNITS
                 ? 0
                 : LDR_EDB;

    json_array_foreach(units, i, unit)
    {
        const char *s = json_string_value(unit);

        if (rc || !s || strlen(s) > HUB_UNIT_MAX) {
            rc = LDR_EDB;
            break;
        }
        snprintf(out->units[out->nunits++], HUB_UNIT_MAX + 1, "%s", s);
    }
    json_decref(units);
    return rc ? ldr_err_set(err, LDR_EDB, "token of '%s': damaged scope '%s'",
                            out->id, text)
              : 0;
}

/* Fills `out` from a token row: principal, role, scope. */
static int load_principal(struct hub_principal *out, sqlite3_stmt *st,
                          struct ldr_err *err)
{
    const char *principal = (const char *)sqlite3_column_text(st, 0);
    int role = hub_role_parse((const char *)sqlite3_column_text(st, 1));

    memset(out, 0, sizeof *out);
    snprintf(out->id, sizeof out->id, "%s", principal);
    if (role < 0)
        return ldr_err_set(err, LDR_EDB, "token of '%s': unknown role",
                           out->id);
    out->role = (enum hub_role)role;
    return load_scope(out, (const char *)sqlite3_column_text(st, 2), err);
}

/* What the tokens table holds for one id. */
struct token_row {
    bool found;
    char hash[HASH_HEX + 1];
    char revoked[40]; /* "" while valid */
};

/* Reads token `id` into `row` and its principal into `out`. */
static int find_token(sqlite3 *db, const char *id, struct token_row *row,
                      struct hub_principal *out, struct ldr_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db,
                                "SELECT principal, role, scope, hash, "
                                "revoked_at FROM tokens WHERE id = ?",
                                -1, &st, NULL);

    memset(row, 0, sizeof *row);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
    }
    if (rc == SQLITE_ROW) {
        snprintf(row->hash, sizeof row->hash, "%s", sqlite3_column_text(st, 3));
        row->found = strlen(row->hash) == HASH_HEX;
        if (sqlite3_column_type(st, 4) != SQLITE_NULL)
            snprintf(row->revoked, sizeof row->revoked, "%s",
                     sqlite3_column_text(st, 4));
        rc = load_principal(out, st, err);
    } else if (rc == SQLITE_DONE) {
        rc = 0;
    } else {
        rc = db_error(db, "reading tokens", err);
    }
    sqlite3_finalize(st);
    return rc;
}

int hub_auth(sqlite3 *db, const char *token, struct hub_principal *out,
             struct ldr_err *err)
{
    static const char unknown[HASH_HEX + 1] = {0};
    char id[ID_HEX + 1], hash[HASH_HEX + 1];
    struct token_row row;
    const char *secret;
    int rc;

    memset(out, 0, sizeof *out);
    if (!split_token(token, id, &secret))
        return ldr_err_set(err, LDR_ENOTFOUND,
                           "malformed token: expected 'ldr_' and 16 and 64 "
                           "hex digits, as 'ladder-hub token add' prints");
    if ((rc = find_token(db, id, &row, out, err)) != 0) {
        memset(out, 0, sizeof *out);
        return rc;
    }
    hash_secret(hash, secret, SECRET_HEX);
    /* compared in full whether or not the id exists: same time either way */
    if (!memeql_sec(hash, row.found ? row.hash : unknown, HASH_HEX) ||
        !row.found) {
        memset(out, 0, sizeof *out);
        return ldr_err_set(err, LDR_ENOTFOUND,
                           "token not accepted: unknown token or wrong secret");
    }
    if (row.revoked[0]) {
        memset(out, 0, sizeof *out);
        return ldr_err_set(err, LDR_ENOTFOUND,
                           "token %s was revoked on %s; ask an admin for a "
                           "new one",
                           id, row.revoked);
    }
    return 0;
}
