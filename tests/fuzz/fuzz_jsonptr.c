/*
 * libFuzzer target for the JSON Pointer module. The first line of the input
 * is a pointer, the rest a JSON document (an empty object if it does not
 * parse). Each entry point runs on its own copy of the document and the
 * results are checked against each other.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ladder/err.h"
#include "ladder/jsonptr.h"

/* Not assert(): the invariants must hold in NDEBUG builds too. */
#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__,         \
                    __LINE__, #cond);                                          \
            abort();                                                           \
        }                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A failure must carry its code and a message that fits in JSON. */
static void check_err(int rc, const struct ldr_err *err)
{
    json_t *msg;

    CHECK(rc < 0);
    CHECK(err->code == rc);
    CHECK(err->msg[0] != '\0');
    msg = json_string(err->msg);
    CHECK(msg != NULL);
    json_decref(msg);
}

/* True if some segment is exactly "-": an append, which get cannot see. */
static int names_end(const char *ptr)
{
    size_t len = strlen(ptr);

    return strstr(ptr, "/-/") || (len >= 2 && strcmp(ptr + len - 2, "/-") == 0);
}

static void fuzz_get(json_t *doc, const char *ptr, int checked)
{
    struct ldr_err err;
    json_t *got;

    ldr_err_clear(&err);
    got = ldr_jsonptr_get(doc, ptr, &err);
    if (checked != 0) {
        CHECK(got == NULL);
        check_err(checked, &err);
    } else if (!got) {
        CHECK(err.code == LDR_ENOTFOUND || err.code == LDR_EINVAL);
        check_err(err.code, &err);
    } else if (ptr[0] == '\0') {
        CHECK(got == doc);
    }
}

/* Setting into an empty object always works for a checked pointer. */
static void fuzz_set_fresh(const char *ptr)
{
    json_t *obj = json_object();
    json_t *value = json_integer(7);
    struct ldr_err err;

    json_incref(value);
    CHECK(ldr_jsonptr_set_new(obj, ptr, value, &err) == 0);
    CHECK(value->refcount == 2);
    CHECK(ldr_jsonptr_get(obj, ptr, &err) == value);
    CHECK(ldr_jsonptr_remove(obj, ptr, &err) == 0);
    CHECK(ldr_jsonptr_get(obj, ptr, &err) == NULL);
    CHECK(value->refcount == 1);
    json_decref(value);
    json_decref(obj);
}

static void fuzz_set(json_t *doc, const char *ptr, int checked)
{
    json_t *copy = json_deep_copy(doc);
    json_t *value = json_string("fuzz-value");
    struct ldr_err err;
    json_t *got;
    int rc;

    json_incref(value);
    rc = ldr_jsonptr_set_new(copy, ptr, value, &err);
    if (checked != 0 || ptr[0] == '\0')
        CHECK(rc == (checked ? checked : LDR_EINVAL));
    if (rc == 0) {
        CHECK(value->refcount >= 2);
        got = ldr_jsonptr_get(copy, ptr, &err);
        CHECK(got == value || (got == NULL && names_end(ptr)));
    } else {
        check_err(rc, &err);
        CHECK(value->refcount == 1);
        if (rc == LDR_EINVAL)
            CHECK(json_equal(copy, doc));
    }
    if (checked == 0 && ptr[0] != '\0')
        fuzz_set_fresh(ptr);
    json_decref(value);
    json_decref(copy);
}

/* The pointer to the container holding `ptr`'s target. */
static char *parent_of(const char *ptr)
{
    char *parent = strdup(ptr);
    char *slash;

    CHECK(parent != NULL);
    slash = strrchr(parent, '/');
    if (slash)
        *slash = '\0';
    return parent;
}

static void fuzz_remove(json_t *doc, const char *ptr, int checked)
{
    json_t *copy = json_deep_copy(doc);
    struct ldr_err err;
    json_t *before = NULL, *parent = NULL;
    size_t parent_size = 0;
    int rc;

    if (checked == 0 && ptr[0] != '\0') {
        char *up = parent_of(ptr);
        before = ldr_jsonptr_get(copy, ptr, &err);
        parent = ldr_jsonptr_get(copy, up, &err);
        parent_size = json_is_array(parent) ? json_array_size(parent) : 0;
        free(up);
    }
    rc = ldr_jsonptr_remove(copy, ptr, &err);
    if (rc != 0)
        check_err(rc, &err);
    if (checked != 0 || ptr[0] == '\0')
        CHECK(rc == (checked ? checked : LDR_EINVAL));
    else if (!before)
        CHECK(json_equal(copy, doc)); /* absent or refused: unchanged */
    else if (json_is_object(parent))
        CHECK(rc == 0 && ldr_jsonptr_get(copy, ptr, &err) == NULL);
    else
        CHECK(rc == 0 && json_array_size(parent) == parent_size - 1);
    json_decref(copy);
}

/* Escaping a key and reading it back through a pointer finds the key. */
static void fuzz_escape(const char *key)
{
    size_t need = ldr_jsonptr_escape(NULL, 0, key);
    char *ptr = malloc(need + 2);
    char small[8];
    json_t *obj = json_object();
    struct ldr_err err;

    CHECK(ptr != NULL);
    ptr[0] = '/';
    CHECK(ldr_jsonptr_escape(ptr + 1, need + 1, key) == need);
    CHECK(strlen(ptr + 1) == need);
    CHECK(ldr_jsonptr_escape(small, sizeof small, key) == need);
    CHECK(strncmp(small, ptr + 1, sizeof small - 1) == 0);
    if (ldr_jsonptr_check(ptr, &err) != 0) {
        /* only a key Jansson would refuse anyway */
        CHECK(err.code == LDR_EINVAL && strstr(err.msg, "UTF-8"));
    } else {
        CHECK(ldr_jsonptr_set_new(obj, ptr, json_true(), &err) == 0);
        CHECK(json_object_size(obj) == 1);
        CHECK(json_object_get(obj, key) == json_true());
        CHECK(ldr_jsonptr_get(obj, ptr, &err) == json_true());
    }
    json_decref(obj);
    free(ptr);
}

/* Every key of a parsed object round-trips through escape and get. */
static void fuzz_keys(json_t *doc)
{
    const char *key;
    json_t *member;
    struct ldr_err err;
    char buf[256];

    if (!json_is_object(doc))
        return;
    json_object_foreach(doc, key, member)
    {
        buf[0] = '/';
        if (ldr_jsonptr_escape(buf + 1, sizeof buf - 1, key) >= sizeof buf - 1)
            continue;
        CHECK(ldr_jsonptr_get(doc, buf, &err) == member);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t ptr_len = nl ? (size_t)(nl - data) : size;
    char *ptr = malloc(ptr_len + 1);
    json_t *doc;
    struct ldr_err err;
    int checked;

    if (!ptr)
        return 0;
    memcpy(ptr, data, ptr_len);
    ptr[ptr_len] = '\0';
    doc = nl ? json_loadb((const char *)nl + 1, size - ptr_len - 1,
                          JSON_DECODE_ANY, NULL)
             : NULL;
    if (!doc)
        doc = json_object();
    checked = ldr_jsonptr_check(ptr, &err);
    if (checked != 0)
        check_err(checked, &err);
    fuzz_get(doc, ptr, checked);
    fuzz_set(doc, ptr, checked);
    fuzz_remove(doc, ptr, checked);
    fuzz_escape(ptr);
    fuzz_keys(doc);
    json_decref(doc);
    free(ptr);
    return 0;
}
