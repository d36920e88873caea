#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ladder/change.h"
#include "ladder/err.h"
#include "ladder/utf8.h"

/* Valid pieces, so each bad case differs from a good one in one place. */
#define DEV "0193a5b2-7c3d-7e4f-8a5b-6c7d8e9f0a1b"
#define REC "0193a5b2-7c3d-7e4f-8a5b-6c7d8e9f0a2c"
#define SETID "0193a5b2-7c3d-7e4f-8a5b-6c7d8e9f0a00"
#define HLC "1795711458123-00000"

#define Q(s) "\"" s "\""
/* A change from its member values (JSON text) and more members. */
#define CHG(kind, record, hlc, device, author, base, rest)                     \
    "{\"kind\":" kind ",\"record\":" record ",\"hlc\":" hlc                    \
    ",\"device\":" device ",\"author\":" author ",\"base\":" base rest "}"
#define CHG_SET(rest)                                                          \
    CHG(Q("assessment"), Q(REC), Q(HLC), Q(DEV), Q("li.wei"), "0", rest)
#define GOOD CHG_SET(",\"set\":{\"/ok\":1}")
/* A set whose change 0 is good and change 1 is `second`. */
#define SET2(second) "{\"id\":" Q(SETID) ",\"changes\":[" GOOD "," second "]}"
/* The members of a change but one, for the missing-member cases. */
#define M_KIND "\"kind\":\"assessment\","
#define M_RECORD "\"record\":" Q(REC) ","
#define M_HLC "\"hlc\":" Q(HLC) ","
#define M_DEVICE "\"device\":" Q(DEV) ","
#define M_AUTHOR "\"author\":\"li.wei\","
#define M_BASE "\"base\":0,"
#define M_SET "\"set\":{\"/ok\":1}"

#define X16 "xxxxxxxxxxxxxxxx"
#define X128 X16 X16 X16 X16 X16 X16 X16 X16
#define D16 "1234567890123456"

/* Limits small enough to cross cheaply; the boundary cases sit on them. */
static const struct ldr_limits small = {
    .max_body = 4096,
    .max_changes = 3,
    .max_fields = 3,
    .max_depth = 2,
    .max_string = 8,
    .max_path = 16,
};
static const struct ldr_limits tiny_body = {
    .max_body = 64,
    .max_changes = 3,
    .max_fields = 3,
    .max_depth = 2,
    .max_string = 8,
    .max_path = 16,
};

struct bad_case {
    const char *name;
    const char *json;
    int code;
    const char *msg; /* must appear in the message */
    const struct ldr_limits *limits;
};

/* Every rejection path of change.c, with the message that names it. */
static const struct bad_case bad_cases[] = {
    /* the document */
    {"invalid json", "{\"id\":", LDR_EINVAL,
     "change set is not valid JSON: line 1, column 7: parse error: premature "
     "EOF",
     NULL},
    {"syntax error on line 2", "{\"id\":\n  x}", LDR_EINVAL,
     "change set is not valid JSON: line 2, column 4: lexical error: invalid "
     "char in json text.",
     NULL},
    {"empty body", "", LDR_EINVAL,
     "change set is not valid JSON: line 1, column 1: parse error: premature "
     "EOF",
     NULL},
    {"trailing data", "{\"id\":" Q(SETID) ",\"changes\":[" GOOD "]} {}",
     LDR_EINVAL,
     "change set is not valid JSON: line 1, column 249: parse error: trailing "
     "garbage",
     NULL},
    {"vertical tab", "{\"id\":\v\"x\"}", LDR_EINVAL,
     "change set is not valid JSON: line 1, column 7: a vertical tab or form "
     "feed, which JSON does not allow",
     NULL},
    {"form feed", "{\"id\":" Q(SETID) ",\"changes\":[" GOOD "]}\f", LDR_EINVAL,
     "a vertical tab or form feed", NULL},
    {"bare string", "\"x\"", LDR_EINVAL,
     "change set: expected a change set object, got \"x\"", NULL},
    {"bad hex escape", "{\"id\":\"\\uZZZZ\"}", LDR_EINVAL,
     "change set is not valid JSON: line 1, column 10: lexical error: invalid "
     "(non-hex) character occurs after '\\u' inside string.",
     NULL},
    {"high surrogate before a bad escape", "{\"id\":\"\\ud800\\uZZZZ\"}",
     LDR_EINVAL, "line 1, column 8: a UTF-16 surrogate escape without its pair",
     NULL},
    {"bare value", "5", LDR_EINVAL,
     "change set: expected a change set object, got 5", NULL},
    {"invalid utf-8 in a string",
     SET2(CHG_SET(",\"set\":{\"/ok\":\"\xC3\x28\"}")), LDR_EINVAL,
     "change set is not valid JSON: line 1, column 432: invalid "
     "UTF-8",
     NULL},
    {"overlong utf-8", "{\"id\":\"\xC1\x9B\"}", LDR_EINVAL,
     "change set is not valid JSON: line 1, column 8: invalid UTF-8", NULL},
    {"utf-8 encoded surrogate",
     SET2(CHG_SET(",\"set\":{\"/ok\":[\"\xED\xA0\x80\"]}")), LDR_EINVAL,
     "invalid UTF-8", NULL},
    {"utf-8 past U+10FFFF", "{\"id\":\"\xF4\x90\x80\x80\"}", LDR_EINVAL,
     "change set is not valid JSON: line 1, column 8: invalid UTF-8", NULL},
    {"utf-8 cut at the end", "{\"id\":\"\xE4\xB8", LDR_EINVAL,
     "change set is not valid JSON: line 1, column 8: invalid UTF-8", NULL},
    {"invalid utf-8 in a key", "{\"\xFF\":1}", LDR_EINVAL, "invalid UTF-8",
     NULL},
    {"lone low surrogate", SET2(CHG_SET(",\"set\":{\"/ok\":\"\\udc00\"}")),
     LDR_EINVAL,
     "change set is not valid JSON: line 1, column 432: a UTF-16 surrogate "
     "escape without its pair",
     NULL},
    {"lone high surrogate", "{\"id\":\"\\uD83D\"}", LDR_EINVAL,
     "line 1, column 8: a UTF-16 surrogate escape without its pair", NULL},
    {"high surrogate before a non-surrogate",
     SET2(CHG(Q("note"), Q(REC), Q(HLC), Q(DEV), Q("\\ud800\\u0041"), "0", "")),
     LDR_EINVAL, "a UTF-16 surrogate escape without its pair", NULL},
    {"nul escape in a value",
     SET2(CHG_SET(",\"set\":{\"/ok\":[\"a\\u0000b\"]}")), LDR_EINVAL,
     "change 1: /set/~1ok: string contains a NUL character", NULL},
    {"nul escape in a path", SET2(CHG_SET(",\"set\":{\"/a\\u0000\":1}")),
     LDR_EINVAL, "change 1: /set/~1a: path contains a NUL character", NULL},
    {"nul escape in a member name inside a value",
     SET2(CHG_SET(",\"set\":{\"/a\":[{\"k\\u0000\":1}]}")), LDR_EINVAL,
     "change 1: /set/~1a: member name contains a NUL character", NULL},
    {"nul escape in the author",
     SET2(CHG(Q("note"), Q(REC), Q(HLC), Q(DEV), Q("a\\u0000"), "0", "")),
     LDR_EINVAL, "change 1: /author: expected an author id", NULL},
    {"duplicate key at the top", "{\"id\":" Q(SETID) ",\"id\":" Q(SETID) "}",
     LDR_EINVAL, "/id: duplicate member", NULL},
    {"duplicate changes",
     "{\"changes\":[" GOOD "],\"id\":" Q(SETID) ",\"changes\":[" GOOD "]}",
     LDR_EINVAL, "/changes: duplicate member", NULL},
    {"duplicate key in a change",
     SET2(CHG_SET(",\"set\":{\"/a\":1},\"set\":{\"/b\":2}")), LDR_EINVAL,
     "change 1: /set: duplicate member", NULL},
    {"duplicate path in set", SET2(CHG_SET(",\"set\":{\"/a\":1,\"/a\":2}")),
     LDR_EINVAL, "change 1: /set/~1a: duplicate member", NULL},
    {"duplicate member inside a value",
     SET2(CHG_SET(",\"set\":{\"/a\":[{\"k\":1,\"k\":2}]}")), LDR_EINVAL,
     "change 1: /set/~1a: duplicate member 'k' inside the value", NULL},
    {"body over max_body", SET2(GOOD), LDR_ETOOBIG,
     "change set of 435 bytes is over the limit of 64", &tiny_body},
    {"not an object", "[]", LDR_EINVAL,
     "change set: expected a change set object, got an array", NULL},
    {"unknown member at the top",
     "{\"id\":" Q(SETID) ",\"changes\":[" GOOD "],\"a/b\":1}", LDR_EINVAL,
     "/a~1b: unknown member", NULL},
    {"missing id", "{\"changes\":[" GOOD "]}", LDR_EINVAL,
     "/id: missing; expected a lowercase UUID string", NULL},
    {"missing id and changes", "{}", LDR_EINVAL,
     "/id: missing; expected a lowercase UUID string", NULL},
    {"id an object", "{\"id\":{}}", LDR_EINVAL,
     "/id: expected a lowercase UUID string, got an object", NULL},
    {"id not a string", "{\"id\":5,\"changes\":[" GOOD "]}", LDR_EINVAL,
     "/id: expected a lowercase UUID string, got 5", NULL},
    {"uppercase id",
     "{\"id\":\"0193A5B2-7C3D-7E4F-8A5B-6C7D8E9F0A00\",\"changes\":[" GOOD "]}",
     LDR_EINVAL,
     "/id: expected a lowercase UUID string, got "
     "\"0193A5B2-7C3D-7E4F-8A5B-6C7D8E9F0A00\"",
     NULL},
    {"missing changes", "{\"id\":" Q(SETID) "}", LDR_EINVAL,
     "/changes: missing; expected an array of changes", NULL},
    {"changes not an array", "{\"id\":" Q(SETID) ",\"changes\":{}}", LDR_EINVAL,
     "/changes: expected an array of changes, got an object", NULL},
    {"changes a string", "{\"id\":" Q(SETID) ",\"changes\":\"x\"}", LDR_EINVAL,
     "/changes: expected an array of changes, got \"x\"", NULL},
    {"zero changes", "{\"id\":" Q(SETID) ",\"changes\":[]}", LDR_EINVAL,
     "/changes: a change set needs at least one change", NULL},
    {"too many changes",
     "{\"id\":" Q(SETID) ",\"changes\":[" GOOD "," GOOD "," GOOD "," GOOD "]}",
     LDR_ETOOBIG,
     "/changes: more than 3 changes in one change set; send them in smaller "
     "sets",
     &small},
    /* the change's own members */
    {"change not an object", SET2("3"), LDR_EINVAL,
     "change 1: expected a change object, got 3", NULL},
    {"change a string", SET2("\"x\""), LDR_EINVAL,
     "change 1: expected a change object, got \"x\"", NULL},
    {"change an array", SET2("[]"), LDR_EINVAL,
     "change 1: expected a change object, got an array", NULL},
    {"unknown member in a change", SET2(CHG_SET(",\"set\":{\"/a\":1},\"x\":1")),
     LDR_EINVAL, "change 1: /x: unknown member", NULL},
    {"missing kind",
     SET2("{" M_RECORD M_HLC M_DEVICE M_AUTHOR M_BASE M_SET "}"), LDR_EINVAL,
     "change 1: /kind: missing; expected a record kind", NULL},
    {"missing record",
     SET2("{" M_KIND M_HLC M_DEVICE M_AUTHOR M_BASE M_SET "}"), LDR_EINVAL,
     "change 1: /record: missing; expected a lowercase UUID", NULL},
    {"missing hlc",
     SET2("{" M_KIND M_RECORD M_DEVICE M_AUTHOR M_BASE M_SET "}"), LDR_EINVAL,
     "change 1: /hlc: missing; expected a clock stamp string", NULL},
    {"missing device",
     SET2("{" M_KIND M_RECORD M_HLC M_AUTHOR M_BASE M_SET "}"), LDR_EINVAL,
     "change 1: /device: missing; expected a lowercase UUID", NULL},
    {"missing author",
     SET2("{" M_KIND M_RECORD M_HLC M_DEVICE M_BASE M_SET "}"), LDR_EINVAL,
     "change 1: /author: missing; expected an author id", NULL},
    {"missing base",
     SET2("{" M_KIND M_RECORD M_HLC M_DEVICE M_AUTHOR M_SET "}"), LDR_EINVAL,
     "change 1: /base: missing; expected a non-negative integer revision",
     NULL},
    {"kind uppercase",
     SET2(CHG(Q("Assessment"), Q(REC), Q(HLC), Q(DEV), Q("a"), "0", "")),
     LDR_EINVAL,
     "change 1: /kind: expected a record kind such as \"assessment\" "
     "(lowercase letters, digits, '_' or '-'), got \"Assessment\"",
     NULL},
    {"kind starts with a digit",
     SET2(CHG(Q("1note"), Q(REC), Q(HLC), Q(DEV), Q("a"), "0", "")), LDR_EINVAL,
     "change 1: /kind: expected a record kind", NULL},
    {"kind with a space",
     SET2(CHG(Q("pilot run"), Q(REC), Q(HLC), Q(DEV), Q("a"), "0", "")),
     LDR_EINVAL, "got \"pilot run\"", NULL},
    {"kind empty", SET2(CHG(Q(""), Q(REC), Q(HLC), Q(DEV), Q("a"), "0", "")),
     LDR_EINVAL, "change 1: /kind: expected a record kind", NULL},
    {"kind over 32 bytes",
     SET2(CHG(Q("abcdefghijklmnopqrstuvwxyz0123456"), Q(REC), Q(HLC), Q(DEV),
              Q("a"), "0", "")),
     LDR_EINVAL, "change 1: /kind: expected a record kind", NULL},
    {"kind an object", SET2(CHG("{}", Q(REC), Q(HLC), Q(DEV), Q("a"), "0", "")),
     LDR_EINVAL,
     "change 1: /kind: expected a record kind such as \"assessment\" "
     "(lowercase letters, digits, '_' or '-'), got an object",
     NULL},
    {"kind not a string",
     SET2(CHG("7", Q(REC), Q(HLC), Q(DEV), Q("a"), "0", "")), LDR_EINVAL,
     "change 1: /kind: expected a record kind such as \"assessment\" "
     "(lowercase letters, digits, '_' or '-'), got 7",
     NULL},
    {"record not a uuid",
     SET2(CHG(Q("note"), Q("r-1"), Q(HLC), Q(DEV), Q("a"), "0", "")),
     LDR_EINVAL,
     "change 1: /record: expected a lowercase UUID string, got "
     "\"r-1\"",
     NULL},
    {"record uppercase",
     SET2(CHG(Q("note"), Q("0193A5B2-7C3D-7E4F-8A5B-6C7D8E9F0A2C"), Q(HLC),
              Q(DEV), Q("a"), "0", "")),
     LDR_EINVAL, "change 1: /record: expected a lowercase UUID string", NULL},
    {"record without dashes",
     SET2(CHG(Q("note"), Q("0193a5b27c3d7e4f8a5b6c7d8e9f0a2c"), Q(HLC), Q(DEV),
              Q("a"), "0", "")),
     LDR_EINVAL, "change 1: /record: expected a lowercase UUID string", NULL},
    {"kind true", SET2(CHG("true", Q(REC), Q(HLC), Q(DEV), Q("a"), "0", "")),
     LDR_EINVAL,
     "change 1: /kind: expected a record kind such as "
     "\"assessment\" (lowercase letters, digits, '_' or '-'), got "
     "true",
     NULL},
    {"record not a string",
     SET2(CHG(Q("note"), "null", Q(HLC), Q(DEV), Q("a"), "0", "")), LDR_EINVAL,
     "change 1: /record: expected a lowercase UUID string, got null", NULL},
    {"hlc short counter",
     SET2(
         CHG(Q("note"), Q(REC), Q("1795711458123-0"), Q(DEV), Q("a"), "0", "")),
     LDR_EINVAL,
     "change 1: /hlc: bad clock stamp '1795711458123-0': expected 13 digits, "
     "a dash and 5 digits",
     NULL},
    {"hlc with a dot",
     SET2(CHG(Q("note"), Q(REC), Q("1795711458123.00000"), Q(DEV), Q("a"), "0",
              "")),
     LDR_EINVAL, "change 1: /hlc: bad clock stamp '1795711458123.00000'", NULL},
    {"hlc too long",
     SET2(CHG(Q("note"), Q(REC), Q("1795711458123-000000"), Q(DEV), Q("a"), "0",
              "")),
     LDR_EINVAL,
     "change 1: /hlc: expected a clock stamp like '1795711458123-00042', got "
     "20 characters",
     NULL},
    {"hlc not a string",
     SET2(CHG(Q("note"), Q(REC), "1795711458123", Q(DEV), Q("a"), "0", "")),
     LDR_EINVAL,
     "change 1: /hlc: expected a clock stamp string, got "
     "1795711458123",
     NULL},
    {"device not a uuid",
     SET2(CHG(Q("note"), Q(REC), Q(HLC), Q("laptop-7"), Q("a"), "0", "")),
     LDR_EINVAL,
     "change 1: /device: expected a lowercase UUID string, got "
     "\"laptop-7\"",
     NULL},
    {"device uppercase",
     SET2(CHG(Q("note"), Q(REC), Q(HLC),
              Q("0193A5B2-7C3D-7E4F-8A5B-6C7D8E9F0A1B"), Q("a"), "0", "")),
     LDR_EINVAL, "change 1: /device: expected a lowercase UUID string", NULL},
    {"author empty",
     SET2(CHG(Q("note"), Q(REC), Q(HLC), Q(DEV), Q(""), "0", "")), LDR_EINVAL,
     "change 1: /author: expected an author id of 1 to 128 bytes without "
     "control characters, got \"\"",
     NULL},
    {"author with a control character",
     SET2(CHG(Q("note"), Q(REC), Q(HLC), Q(DEV), Q("li\\nwei"), "0", "")),
     LDR_EINVAL, "change 1: /author: expected an author id", NULL},
    {"author with delete",
     SET2(CHG(Q("note"), Q(REC), Q(HLC), Q(DEV), Q("li\\u007fwei"), "0", "")),
     LDR_EINVAL, "change 1: /author: expected an author id", NULL},
    {"author over 128 bytes",
     SET2(CHG(Q("note"), Q(REC), Q(HLC), Q(DEV), Q(X128 "x"), "0", "")),
     LDR_EINVAL,
     "change 1: /author: expected an author id of 1 to 128 bytes without "
     "control characters, got \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\"",
     NULL},
    {"author not a string",
     SET2(CHG(Q("note"), Q(REC), Q(HLC), Q(DEV), "[]", "0", "")), LDR_EINVAL,
     "change 1: /author: expected an author id of 1 to 128 bytes without "
     "control characters, got an array",
     NULL},
    {"base negative",
     SET2(CHG(Q("note"), Q(REC), Q(HLC), Q(DEV), Q("a"), "-1", "")), LDR_EINVAL,
     "change 1: /base: expected a non-negative integer revision, got -1", NULL},
    {"base real",
     SET2(CHG(Q("note"), Q(REC), Q(HLC), Q(DEV), Q("a"), "1.0", "")),
     LDR_EINVAL,
     "change 1: /base: expected a non-negative integer revision, got 1.0",
     NULL},
    {"base real with exponent",
     SET2(CHG(Q("note"), Q(REC), Q(HLC), Q(DEV), Q("a"), "2e3", "")),
     LDR_EINVAL,
     "change 1: /base: expected a non-negative integer revision, got 2e3",
     NULL},
    {"base false",
     SET2(CHG(Q("note"), Q(REC), Q(HLC), Q(DEV), Q("a"), "false", "")),
     LDR_EINVAL,
     "change 1: /base: expected a non-negative integer revision, got false",
     NULL},
    {"base null",
     SET2(CHG(Q("note"), Q(REC), Q(HLC), Q(DEV), Q("a"), "null", "")),
     LDR_EINVAL,
     "change 1: /base: expected a non-negative integer revision, got null",
     NULL},
    {"base string",
     SET2(CHG(Q("note"), Q(REC), Q(HLC), Q(DEV), Q("a"), Q("3"), "")),
     LDR_EINVAL,
     "change 1: /base: expected a non-negative integer revision, got \"3\"",
     NULL},
    {"base over 64 bits",
     SET2(CHG(Q("note"), Q(REC), Q(HLC), Q(DEV), Q("a"), "18446744073709551616",
              "")),
     LDR_EINVAL,
     "change 1: /base: integer 18446744073709551616 is out of range", NULL},
    {"number too long",
     SET2(CHG_SET(",\"set\":{\"/a\":0." D16 D16 D16 D16 "}")), LDR_EINVAL,
     "change 1: /set/~1a: number of 66 digits is too long", NULL},
    {"real out of range", SET2(CHG_SET(",\"set\":{\"/a\":[-1e400]}")),
     LDR_EINVAL, "change 1: /set/~1a: number -1e400 is out of range", NULL},
    /* set and unset */
    {"set not an object", SET2(CHG_SET(",\"set\":[\"/a\"]")), LDR_EINVAL,
     "change 1: /set: expected an object of path: value, got an array", NULL},
    {"unset not an array", SET2(CHG_SET(",\"unset\":\"/a\"")), LDR_EINVAL,
     "change 1: /unset: expected an array of paths, got \"/a\"", NULL},
    {"unset an object", SET2(CHG_SET(",\"unset\":{\"/a\":1}")), LDR_EINVAL,
     "change 1: /unset: expected an array of paths, got an object", NULL},
    {"unset item an array", SET2(CHG_SET(",\"unset\":[[\"/a\"]]")), LDR_EINVAL,
     "change 1: /unset/0: expected a JSON Pointer string, got an "
     "array",
     NULL},
    {"unset item not a string", SET2(CHG_SET(",\"unset\":[\"/a\",5]")),
     LDR_EINVAL, "change 1: /unset/1: expected a JSON Pointer string, got 5",
     NULL},
    {"no set and no unset", SET2(CHG_SET("")), LDR_EINVAL,
     "change 1: /set: a change must set or unset at least one field", NULL},
    {"empty set and empty unset", SET2(CHG_SET(",\"set\":{},\"unset\":[]")),
     LDR_EINVAL,
     "change 1: /set: a change must set or unset at least one field", NULL},
    {"set value an object", SET2(CHG_SET(",\"set\":{\"/ratings/x\":{}}")),
     LDR_EINVAL,
     "change 1: /set/~1ratings~1x: expected a leaf value (string, number, "
     "boolean, null or array), got an object; set each member by its own path",
     NULL},
    {"root path", SET2(CHG_SET(",\"set\":{\"\":1}")), LDR_EINVAL,
     "change 1: /set/: the empty path names the whole record; name a field "
     "such as '/status'",
     NULL},
    {"root path in unset", SET2(CHG_SET(",\"unset\":[\"\"]")), LDR_EINVAL,
     "change 1: /unset/0: the empty path names the whole record", NULL},
    {"path without a leading slash", SET2(CHG_SET(",\"set\":{\"status\":1}")),
     LDR_EINVAL,
     "change 1: /set/status: pointer 'status': must be empty or start with "
     "'/'",
     NULL},
    {"unset path without a leading slash", SET2(CHG_SET(",\"unset\":[\"a\"]")),
     LDR_EINVAL, "change 1: /unset/0: pointer 'a': must be empty or start",
     NULL},
    {"bad ~2 escape", SET2(CHG_SET(",\"set\":{\"/a~2\":1}")), LDR_EINVAL,
     "change 1: /set/~1a~02: pointer '/a~2': '~' must be followed by 0 or 1 "
     "at offset 3",
     NULL},
    {"~ at the end", SET2(CHG_SET(",\"unset\":[\"/a~\"]")), LDR_EINVAL,
     "change 1: /unset/0: pointer '/a~': '~' must be followed by 0 or 1", NULL},
    {"empty segment", SET2(CHG_SET(",\"set\":{\"/a//b\":1}")), LDR_EINVAL,
     "change 1: /set/~1a~1~1b: path '/a//b' has an empty segment", NULL},
    {"trailing slash", SET2(CHG_SET(",\"unset\":[\"/a/\"]")), LDR_EINVAL,
     "change 1: /unset/0: path '/a/' has an empty segment", NULL},
    {"path over max_path", SET2(CHG_SET(",\"set\":{\"/abcdefghijklmnop\":1}")),
     LDR_ETOOBIG,
     "change 1: /set/~1abcdefghijklmnop: path of 17 bytes is over the limit "
     "of 16",
     &small},
    {"unset path over max_path",
     SET2(CHG_SET(",\"unset\":[\"/abcdefghijklmnop\"]")), LDR_ETOOBIG,
     "change 1: /unset/0: path of 17 bytes is over the limit of 16", &small},
    {"string over max_string", SET2(CHG_SET(",\"set\":{\"/a\":\"123456789\"}")),
     LDR_ETOOBIG,
     "change 1: /set/~1a: string of 9 bytes is over the limit of 8", &small},
    {"string over max_string in an array",
     SET2(CHG_SET(",\"set\":{\"/a\":[\"ok\",[\"123456789\"]]}")), LDR_ETOOBIG,
     "change 1: /set/~1a: string of 9 bytes is over the limit of 8", &small},
    {"nesting over max_depth", SET2(CHG_SET(",\"set\":{\"/a\":[[[1]]]}")),
     LDR_ETOOBIG, "change 1: /set/~1a: value nested deeper than 2 levels",
     &small},
    {"object in array over max_depth",
     SET2(CHG_SET(",\"set\":{\"/a\":[{\"k\":[]}]}")), LDR_ETOOBIG,
     "change 1: /set/~1a: value nested deeper than 2 levels", &small},
    {"too many fields",
     SET2(CHG_SET(",\"set\":{\"/a\":1,\"/b\":2},\"unset\":[\"/c\",\"/d\"]")),
     LDR_ETOOBIG,
     "change 1: /unset/1: more than 3 fields in one change; split it", &small},
    {"too many fields in set",
     SET2(CHG_SET(",\"unset\":[\"/z\"],\"set\":{\"/a\":1,\"/b\":2,\"/c\":3}")),
     LDR_ETOOBIG, "change 1: /set/~1c: more than 3 fields in one change",
     &small},
    {"same path set and unset",
     SET2(CHG_SET(",\"set\":{\"/a\":1},\"unset\":[\"/a\"]")), LDR_EINVAL,
     "change 1: /unset: '/a' is both set and unset", NULL},
    {"unset listed twice", SET2(CHG_SET(",\"unset\":[\"/a\",\"/b\",\"/a\"]")),
     LDR_EINVAL, "change 1: /unset: '/a' is listed twice", NULL},
    {"set path inside a set path",
     SET2(CHG_SET(",\"set\":{\"/a\":1,\"/a/b\":2}")), LDR_EINVAL,
     "change 1: /set/~1a~1b: '/a/b' lies inside '/a', which this change also "
     "writes; write one of them",
     NULL},
    {"set path inside an unset path",
     SET2(CHG_SET(",\"set\":{\"/a/b/c\":1},\"unset\":[\"/a\"]")), LDR_EINVAL,
     "change 1: /set/~1a~1b~1c: '/a/b/c' lies inside '/a', which this change "
     "also writes",
     NULL},
    {"unset path inside a set path",
     SET2(CHG_SET(",\"set\":{\"/a\":1},\"unset\":[\"/a/b\"]")), LDR_EINVAL,
     "change 1: /unset: '/a/b' lies inside '/a', which this change also "
     "writes",
     NULL},
    {"set path inside a set path, another between them",
     SET2(CHG_SET(",\"set\":{\"/a\":1,\"/a.b\":2,\"/ab\":3,\"/a/b\":4}")),
     LDR_EINVAL, "change 1: /set/~1a~1b: '/a/b' lies inside '/a'", NULL},
    {"unset path inside an unset path",
     SET2(CHG_SET(",\"unset\":[\"/x/y\",\"/x\"]")), LDR_EINVAL,
     "change 1: /unset: '/x/y' lies inside '/x'", NULL},
};

/* True if `s` is valid UTF-8 (Jansson makes a JSON string of it). */
static int is_utf8(const char *s)
{
    json_t *j = json_string(s);
    int ok = j != NULL;

    json_decref(j);
    return ok;
}

/* Runs every case and reports all that fail, not just the first. */
static void test_change__rejects_each_bad_input(void **state)
{
    size_t failed = 0;

    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const struct bad_case *c = &bad_cases[i];
        struct ldr_changeset cs;
        struct ldr_err err;
        int rc;

        ldr_err_clear(&err);
        memset(&cs, 0xA5, sizeof cs);
        rc =
            ldr_changeset_parse(&cs, c->json, strlen(c->json), c->limits, &err);
        if (rc != c->code || err.code != c->code || !strstr(err.msg, c->msg) ||
            !is_utf8(err.msg)) {
            print_error("%s: got %d (%s) \"%s\"; want %d (%s) with \"%s\"\n",
                        c->name, rc, ldr_code_name(rc), err.msg, c->code,
                        ldr_code_name(c->code), c->msg);
            failed++;
        }
        /* Nothing is left allocated and `cs` holds no stale pointers. */
        assert_null(cs.changes);
        assert_int_equal(cs.count, 0);
        ldr_changeset_release(&cs);
    }
    assert_int_equal(failed, 0);
}

static int parse(struct ldr_changeset *cs, const char *json,
                 const struct ldr_limits *limits, struct ldr_err *err)
{
    return ldr_changeset_parse(cs, json, strlen(json), limits, err);
}

/* The table's cases differ from this set in one place; it must pass. */
static void test_change__table_base_is_valid(void **state)
{
    static const char *const json = SET2(GOOD);
    struct ldr_changeset cs;
    struct ldr_err err;

    (void)state;
    assert_int_equal(parse(&cs, json, NULL, &err), 0);
    ldr_changeset_release(&cs);
    assert_int_equal(parse(&cs, json, &small, &err), 0);
    ldr_changeset_release(&cs);
}

static void test_change__valid_set_fields(void **state)
{
    static const char json[] = "{\"id\":" Q(SETID) ",\"changes\":[" CHG(
        Q("assessment"), Q(REC), Q("1795711458123-00042"), Q(DEV), Q("李伟"),
        "12",
        ",\"set\":{\"/ratings/negotiation/level\":3,\"/note\":\"好\","
        "\"/tags\":[\"a\",{\"k\":null}]},\"unset\":[\"/draft_note\"]") "]}";
    struct ldr_changeset cs;
    struct ldr_err err;
    const struct ldr_change *c;

    (void)state;
    assert_int_equal(parse(&cs, json, NULL, &err), 0);
    assert_string_equal(cs.id, SETID);
    assert_int_equal(cs.count, 1);
    c = &cs.changes[0];
    assert_string_equal(c->kind, "assessment");
    assert_string_equal(c->record, REC);
    assert_string_equal(c->device, DEV);
    assert_string_equal(c->author, "李伟");
    assert_int_equal(c->hlc.ms, 1795711458123ULL);
    assert_int_equal(c->hlc.counter, 42);
    assert_int_equal(c->base, 12);
    /* ops sorted by path (strcmp); NULL value for a removal */
    assert_int_equal(c->nops, 4);
    assert_string_equal(c->ops[0].path, "/draft_note");
    assert_null(c->ops[0].value);
    assert_string_equal(c->ops[1].path, "/note");
    assert_string_equal(json_string_value(c->ops[1].value), "好");
    assert_string_equal(c->ops[2].path, "/ratings/negotiation/level");
    assert_int_equal(json_integer_value(c->ops[2].value), 3);
    assert_string_equal(c->ops[3].path, "/tags");
    assert_true(json_is_array(c->ops[3].value));
    assert_ptr_equal(ldr_change_op(c, "/note"), &c->ops[1]);
    assert_null(ldr_change_op(c, "/ratings"));
    assert_null(ldr_change_op(c, "/missing"));
    ldr_changeset_release(&cs);
    assert_null(cs.changes);
    assert_int_equal(cs.count, 0);
}

/* A change that only removes fields. */
static void test_change__unset_only_change(void **state)
{
    const char *json = SET2(CHG_SET(",\"unset\":[\"/a~1b\",\"/c~0d\"]"));
    struct ldr_changeset cs;
    struct ldr_err err;

    (void)state;
    assert_int_equal(parse(&cs, json, NULL, &err), 0);
    assert_int_equal(cs.count, 2);
    assert_int_equal(cs.changes[1].nops, 2);
    assert_string_equal(cs.changes[1].ops[0].path, "/a~1b");
    assert_null(cs.changes[1].ops[0].value);
    assert_string_equal(cs.changes[1].ops[1].path, "/c~0d");
    assert_null(cs.changes[1].ops[1].value);
    ldr_changeset_release(&cs);
}

/* Each limit admits the value that sits exactly on it. */
static void test_change__limits_are_inclusive(void **state)
{
    static const char *const cases[] = {
        SET2(CHG_SET(",\"set\":{\"/abcdefghijklmno\":1}")),
        SET2(CHG_SET(",\"unset\":[\"/abcdefghijklmno\"]")),
        SET2(CHG_SET(",\"set\":{\"/a\":\"12345678\"}")),
        SET2(CHG_SET(",\"set\":{\"/a\":\"一二\"}")), /* 6 bytes */
        SET2(CHG_SET(",\"set\":{\"/a\":[[1]],\"/b\":[{\"k\":1}]}")),
        SET2(CHG_SET(",\"set\":{\"/a\":1,\"/b\":2},\"unset\":[\"/c\"]")),
        "{\"id\":" Q(SETID) ",\"changes\":[" GOOD "," GOOD "," GOOD "]}",
    };
    struct ldr_limits exact = small;
    struct ldr_changeset cs;
    struct ldr_err err;

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (parse(&cs, cases[i], &small, &err) != 0)
            fail_msg("case %zu: %s", i, err.msg);
        ldr_changeset_release(&cs);
    }
    exact.max_body = strlen(cases[0]);
    assert_int_equal(parse(&cs, cases[0], &exact, &err), 0);
    ldr_changeset_release(&cs);
    exact.max_body--;
    assert_int_equal(parse(&cs, cases[0], &exact, &err), LDR_ETOOBIG);
}

static void test_change__default_limits(void **state)
{
    struct ldr_limits lim;

    (void)state;
    ldr_limits_default(&lim);
    assert_int_equal(lim.max_body, 32u << 20);
    assert_int_equal(lim.max_changes, 10000);
    assert_int_equal(lim.max_fields, 1000);
    assert_int_equal(lim.max_depth, 16);
    assert_int_equal(lim.max_string, 64u << 10);
    assert_int_equal(lim.max_path, 512);
}

/* NULL limits mean the defaults: a 512-byte path passes, 513 does not. */
static void test_change__null_limits_are_the_defaults(void **state)
{
    char json[2048], path[600];
    struct ldr_changeset cs;
    struct ldr_err err;

    (void)state;
    memset(path, 'p', sizeof path);
    path[0] = '/';
    path[512] = '\0';
    snprintf(json, sizeof json, SET2(CHG_SET(",\"set\":{\"%s\":1}")), path);
    assert_int_equal(parse(&cs, json, NULL, &err), 0);
    ldr_changeset_release(&cs);
    path[512] = 'p';
    path[513] = '\0';
    snprintf(json, sizeof json, SET2(CHG_SET(",\"set\":{\"%s\":1}")), path);
    assert_int_equal(parse(&cs, json, NULL, &err), LDR_ETOOBIG);
    assert_non_null(strstr(err.msg, "path of 513 bytes is over the limit of "
                                    "512"));
}

/* Bytes after a NUL are not ignored: the whole `len` is the document. */
static void test_change__nul_byte_in_body(void **state)
{
    static const char body[] =
        "{\"id\":" Q(SETID) ",\"changes\":[" GOOD "]}\0garbage";
    struct ldr_changeset cs;
    struct ldr_err err;
    char want[128];

    (void)state;
    assert_int_equal(
        ldr_changeset_parse(&cs, body, sizeof body - 1, NULL, &err),
        LDR_EINVAL);
    snprintf(want, sizeof want,
             "change set is not valid JSON: line 1, column %zu: parse error: "
             "trailing garbage",
             strlen(body) + 2);
    assert_string_equal(err.msg, want);
    assert_null(cs.changes);
    /* Up to the NUL it is a good set. */
    assert_int_equal(ldr_changeset_parse(&cs, body, strlen(body), NULL, &err),
                     0);
    ldr_changeset_release(&cs);
}

#define Z10 "中中中中中中中中中中" /* 30 bytes */

/*
 * Quoted values, unknown keys and paths are cut on a UTF-8 boundary:
 * messages end up in JSON responses. (A message longer than
 * LDR_ERR_MSG_MAX is cut by err.c, not here.)
 */
static void test_change__messages_stay_valid_utf8(void **state)
{
    static const struct {
        const char *json;
        const char *msg;
    } cases[] = {
        /* "xy" + 3k bytes: the 40-byte quote ends inside a character */
        {SET2(CHG(Q("xy" Z10 Z10), Q(REC), Q(HLC), Q(DEV), Q("a"), "0", "")),
         "got \"xy中中中中中中中中中中中中...\""},
        /* an unknown key is quoted up to 60 bytes: "xy" + 19 characters */
        {SET2(CHG_SET(",\"set\":{\"/a\":1},\"xy" Z10 Z10 Z10 Z10 Z10 "\":1")),
         "change 1: /xy中中中中中中中中中中中中中中中中中中中: unknown member"},
        /* the path's 255-byte location ends inside a character */
        {SET2(CHG_SET(",\"set\":{\"/" Z10 Z10 Z10 Z10 Z10 Z10 Z10 Z10 Z10
                      "\":\"123456789\"}")),
         "change 1: /set/~1" Z10 Z10 Z10 Z10 Z10 Z10 Z10 Z10
         "中中: string of 9 bytes"},
    };
    struct ldr_limits lim = small;
    struct ldr_changeset cs;
    struct ldr_err err;

    (void)state;
    lim.max_path = 512;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_true(parse(&cs, cases[i].json, &lim, &err) < 0);
        if (!is_utf8(err.msg) || !strstr(err.msg, cases[i].msg))
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, err.msg,
                     cases[i].msg);
    }
}

static char *roundtrip(const char *json, size_t *len)
{
    struct ldr_changeset cs;
    struct ldr_err err;
    char *text;

    if (parse(&cs, json, NULL, &err) != 0)
        fail_msg("%s", err.msg);
    text = ldr_changeset_dump(&cs, len);
    ldr_changeset_release(&cs);
    assert_non_null(text);
    return text;
}

/* dump -> parse -> dump gives the same bytes, whatever the input's layout. */
static void test_change__dump_parse_dump_is_identical(void **state)
{
    const char *json = "{ \"changes\" : [ " CHG(
        Q("note"), Q(REC), Q("0000000000001-99999"), Q(DEV),
        Q("王芳 \\\"Fang\\\""), "9223372036854775807",
        ",\"unset\":[\"/z\",\"/a~0b\"],\"set\":{\"/t\":true,\"/f\":false,"
        "\"/n\":null,\"/r\":-0.5e-3,\"/i\":-12,\"/s\":\"\\t\\u00e9\\ud83d"
        "\\ude00/\\\\\",\"/a\":[1,[2,{\"b\":[],\"a\":{}}]],"
        "\"/~1slash\":\"\"}") "," GOOD "], \"id\" : " Q(SETID) " }";
    size_t len1, len2;
    char *one, *two;

    (void)state;
    one = roundtrip(json, &len1);
    two = roundtrip(one, &len2);
    assert_int_equal(len1, strlen(one));
    assert_int_equal(len1, len2);
    assert_string_equal(one, two);
    /* Sorted keys, compact, "unset" sorted too. */
    assert_non_null(strstr(one, "\"unset\":[\"/a~0b\",\"/z\"]"));
    assert_non_null(strstr(one, "{\"changes\":[{\"author\":"));
    assert_non_null(strstr(one, "\"base\":9223372036854775807,"));
    free(one);
    free(two);
}

/* The same set written two ways has one canonical form. */
static void test_change__dump_is_canonical(void **state)
{
    const char *a = "{\"id\":" Q(SETID) ",\"changes\":[" GOOD "]}";
    const char *b =
        "{\"changes\":[{\"set\":{\"/ok\":1},\"base\":0,"
        "\"author\":\"li.wei\",\"device\":" Q(DEV) ",\"hlc\":" Q(
            HLC) ",\"record\":" Q(REC) ",\"kind\":\"assessment\","
                                       "\"unset\":[]}],\n \"id\":" Q(SETID) "}";
    char *one, *two;

    (void)state;
    one = roundtrip(a, NULL);
    two = roundtrip(b, NULL);
    assert_string_equal(one, two);
    assert_string_equal(one, "{\"changes\":[{\"author\":\"li.wei\",\"base\":0,"
                             "\"device\":\"" DEV "\",\"hlc\":\"" HLC "\","
                             "\"kind\":\"assessment\",\"record\":\"" REC "\","
                             "\"set\":{\"/ok\":1}}],\"id\":\"" SETID "\"}");
    free(one);
    free(two);
}

static void test_change__to_json_omits_empty_unset(void **state)
{
    const char *json = SET2(CHG_SET(",\"unset\":[\"/gone\"]"));
    struct ldr_changeset cs;
    struct ldr_err err;
    json_t *obj;

    (void)state;
    assert_int_equal(parse(&cs, json, NULL, &err), 0);
    obj = ldr_change_to_json(&cs.changes[0]);
    assert_non_null(obj);
    assert_null(json_object_get(obj, "unset"));
    assert_int_equal(json_object_size(obj), 7);
    assert_string_equal(json_string_value(json_object_get(obj, "hlc")), HLC);
    json_decref(obj);
    obj = ldr_change_to_json(&cs.changes[1]);
    assert_non_null(obj);
    assert_int_equal(json_array_size(json_object_get(obj, "unset")), 1);
    /* An unset-only change still writes "set" as an empty object. */
    assert_int_equal(json_object_size(json_object_get(obj, "set")), 0);
    json_decref(obj);
    ldr_changeset_release(&cs);
}

/* A failure in change 2 frees changes 0 and 1 (ASan checks the leaks). */
static void test_change__failure_releases_earlier_changes(void **state)
{
    const char *json =
        "{\"id\":" Q(SETID) ",\"changes\":[" GOOD "," GOOD
                            "," CHG_SET(",\"set\":{\"/a\":{}}") "]}";
    struct ldr_changeset cs;
    struct ldr_err err;

    (void)state;
    memset(&cs, 0xA5, sizeof cs);
    assert_int_equal(parse(&cs, json, NULL, &err), LDR_EINVAL);
    assert_non_null(strstr(err.msg, "change 2: /set/~1a: "));
    assert_null(cs.changes);
    assert_int_equal(cs.count, 0);
    ldr_changeset_release(&cs); /* harmless after a failure */
}

/* A change at the start of a longer text (a page of them): its length is
 * told, what follows is not read, and its own bytes are still checked. */
static void test_change__prefix_parse_tells_its_length(void **state)
{
    const char *change = CHG_SET(",\"set\":{\"/b\":\"x\"}");
    const char *overlong = CHG_SET(",\"set\":{\"/b\":\"\xc0\xaf\"}");
    char text[1024];
    struct ldr_change one;
    struct ldr_err err;
    size_t used = 99;

    (void)state;
    snprintf(text, sizeof text, "%s,{\"seq\":2}]\xff", change);
    assert_int_equal(
        ldr_change_parse_prefix(&one, text, strlen(text), &used, NULL, &err),
        0);
    assert_int_equal(used, strlen(change));
    assert_int_equal(one.nops, 1);
    ldr_change_release(&one);
    /* cut short */
    assert_int_equal(ldr_change_parse_prefix(&one, text, strlen(change) - 1,
                                             &used, NULL, &err),
                     LDR_EINVAL);
    /* an overlong '/' inside the change, which yajl lets through */
    snprintf(text, sizeof text, "%s]", overlong);
    assert_int_equal(
        ldr_change_parse_prefix(&one, text, strlen(text), &used, NULL, &err),
        LDR_EINVAL);
    assert_non_null(strstr(err.msg, "invalid UTF-8"));
    /* a member name the parse refuses before its end is known: the bytes
     * are named, not quoted into the message */
    strcpy(text, "{\"d\xc1\xa9\":1},");
    assert_int_equal(
        ldr_change_parse_prefix(&one, text, strlen(text), &used, NULL, &err),
        LDR_EINVAL);
    assert_non_null(strstr(err.msg, "invalid UTF-8"));
    assert_int_equal(ldr_utf8_check(err.msg, strlen(err.msg)), strlen(err.msg));
}

/* One change on its own, as text or as a Jansson object (not stolen). */
static void test_change__single_change_parses(void **state)
{
    const char *text = CHG_SET(",\"set\":{\"/b\":[1]},\"unset\":[\"/a\"]");
    json_t *obj = json_loads(text, 0, NULL);
    struct ldr_change one, two;
    struct ldr_err err;

    (void)state;
    assert_int_equal(ldr_change_parse(&one, text, strlen(text), 0, NULL, &err),
                     0);
    assert_non_null(obj);
    assert_int_equal(ldr_change_from_json(&two, obj, 7, NULL, &err), 0);
    assert_int_equal(obj->refcount, 1);
    json_decref(obj);
    assert_int_equal(two.nops, 2);
    assert_true(json_equal(one.ops[1].value, two.ops[1].value));
    assert_string_equal(two.ops[0].path, "/a");
    ldr_change_release(&one);
    ldr_change_release(&two);
    assert_null(two.ops);
    assert_int_equal(two.nops, 0);
}

/* A change alone is located by the index the caller gives. */
static void test_change__single_change_errors(void **state)
{
    static const struct {
        const char *json;
        const char *msg;
    } cases[] = {
        {"[]", "change 5: expected a change object, got an array"},
        {"{\"id\":1}", "change 5: /id: unknown member"},
        {CHG_SET(",\"set\":{\"/a\":{}}"), "change 5: /set/~1a: expected a "
                                          "leaf value"},
        {"{", "change is not valid JSON: line 1"},
    };
    struct ldr_change c;
    struct ldr_err err;

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(&c, 0xA5, sizeof c);
        assert_int_equal(ldr_change_parse(&c, cases[i].json,
                                          strlen(cases[i].json), 5, NULL, &err),
                         LDR_EINVAL);
        if (!strstr(err.msg, cases[i].msg))
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, err.msg,
                     cases[i].msg);
        assert_null(c.ops);
        assert_int_equal(c.nops, 0);
    }
}

/* ldr_change_from_json puts its index in front of the message. */
static void test_change__from_json_names_its_index(void **state)
{
    json_t *obj = json_pack("{s:s}", "kind", "note");
    struct ldr_change c;
    struct ldr_err err;

    (void)state;
    assert_int_equal(ldr_change_from_json(&c, obj, 41, NULL, &err), LDR_EINVAL);
    assert_string_equal(err.msg,
                        "change 41: /record: missing; expected a lowercase "
                        "UUID string");
    assert_null(c.ops);
    json_decref(obj);
}

/* Jansson allocations fail once `alloc_budget` is spent (if limited). */
static int alloc_limited;
static size_t alloc_budget;

static void *budget_malloc(size_t size)
{
    if (alloc_limited) {
        if (alloc_budget == 0)
            return NULL;
        alloc_budget--;
    }
    return malloc(size);
}

/*
 * Every Jansson allocation in parse and dump failing in turn: each failure
 * is LDR_ENOMEM or a NULL dump, never a crash or a leak (ASan).
 */
static void test_change__out_of_memory_fails_cleanly(void **state)
{
    const char *json = "{\"id\":" Q(SETID) ",\"changes\":[" GOOD "," CHG_SET(
        ",\"set\":{\"/a\":[1,{\"b\":\"c\"}]},\"unset\":[\"/x\",\"/y\"]") "]}";
    int done = 0;

    (void)state;
    json_set_alloc_funcs(budget_malloc, free);
    for (size_t n = 0; !done && n < 10000; n++) {
        struct ldr_changeset cs;
        struct ldr_err err;
        char *text = NULL;
        int rc;

        alloc_limited = 1;
        alloc_budget = n;
        rc = parse(&cs, json, NULL, &err);
        if (rc == 0) {
            text = ldr_changeset_dump(&cs, NULL);
            ldr_changeset_release(&cs);
            done = text != NULL;
            free(text);
        } else if (rc != LDR_ENOMEM) {
            alloc_limited = 0;
            json_set_alloc_funcs(malloc, free);
            fail_msg("budget %zu: %d %s", n, rc, err.msg);
        }
    }
    alloc_limited = 0;
    json_set_alloc_funcs(malloc, free);
    assert_true(done);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_change__table_base_is_valid),
        cmocka_unit_test(test_change__rejects_each_bad_input),
        cmocka_unit_test(test_change__valid_set_fields),
        cmocka_unit_test(test_change__unset_only_change),
        cmocka_unit_test(test_change__limits_are_inclusive),
        cmocka_unit_test(test_change__default_limits),
        cmocka_unit_test(test_change__null_limits_are_the_defaults),
        cmocka_unit_test(test_change__nul_byte_in_body),
        cmocka_unit_test(test_change__messages_stay_valid_utf8),
        cmocka_unit_test(test_change__dump_parse_dump_is_identical),
        cmocka_unit_test(test_change__dump_is_canonical),
        cmocka_unit_test(test_change__to_json_omits_empty_unset),
        cmocka_unit_test(test_change__failure_releases_earlier_changes),
        cmocka_unit_test(test_change__single_change_parses),
        cmocka_unit_test(test_change__single_change_errors),
        cmocka_unit_test(test_change__prefix_parse_tells_its_length),
        cmocka_unit_test(test_change__from_json_names_its_index),
        cmocka_unit_test(test_change__out_of_memory_fails_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
