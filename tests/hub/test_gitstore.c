/*
 * The models in git: publish, republish, invalid models and ids, history,
 * reads by commit, tag and version, what the git CLI sees, concurrent
 * publishers and the pre-receive hook.
 *
 * The hook and the CLI tests run the real `ladder-hub` (HUB_BIN).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <git2.h>
#include <jansson.h>

#include "gitstore.h"
#include "harness.h"
#include "hub.h"
#include "ladder/domain.h"
#include "ladder/err.h"
#include "ladder/model.h"

#define ACCOUNT_MANAGER LADDER_SOURCE_DIR "/schema/models/account-manager.json"
#define HOOK_SCRIPT LADDER_SOURCE_DIR "/scripts/pre-receive"
#define AM "account-manager"
#define SALES "sales-manager"
#define NAME "Ada Lovelace"
#define EMAIL "ada@example.org"

struct fixture {
    char dir[64];  /* the data directory */
    char git[128]; /* dir/models.git */
    struct hub_git *g;
};

static char self_exe[4096];

/* ---- helpers ---------------------------------------------------------- */

static char *read_file_text(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (!f)
        fail_msg("cannot open '%s'", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return buf;
}

static void write_file_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* The account-manager model with another id and/or title, compact. */
static char *variant(const char *id, const char *title)
{
    json_error_t jerr;
    json_t *doc = json_load_file(ACCOUNT_MANAGER, 0, &jerr);
    char *text;

    assert_non_null(doc);
    if (id)
        json_object_set_new(doc, "id", json_string(id));
    if (title)
        json_object_set_new(doc, "title", json_string(title));
    text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(doc);
    assert_non_null(text);
    return text;
}

/* The canonical text of a valid model text. */
static char *canonical(const char *text)
{
    struct ldr_model *m = NULL;
    struct ldr_err err = {0};
    char *out;

    if (ldr_model_parse(&m, text, strlen(text), NULL, &err) != 0)
        fail_msg("%s", err.msg);
    out = ldr_model_dump(m, NULL);
    ldr_model_free(m);
    return out;
}

static void version_of(char out[HUB_GIT_HEX + 1], const char *text)
{
    char *c = canonical(text);

    ldr_model_version(out, c, strlen(c));
    free(c);
}

/* An invalid model: three things wrong. */
static char *invalid_model(void)
{
    json_error_t jerr;
    json_t *doc = json_load_file(ACCOUNT_MANAGER, 0, &jerr), *comp, *level;
    char *text;

    assert_non_null(doc);
    comp = json_array_get(json_object_get(doc, "competencies"), 0);
    level = json_array_get(json_object_get(doc, "scale"), 0);
    json_object_set_new(comp, "weight", json_string("heavy"));
    json_object_set_new(level, "level", json_integer(9));
    json_object_del(doc, "title");
    text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    return text;
}

static int publish_tagged(struct fixture *f, const char *text,
                          const char *message, const char *tag,
                          struct hub_published *out, struct ldr_err *err)
{
    struct hub_publish in = {text,  strlen(text), NULL, NAME,
                             EMAIL, message,      tag};

    return hub_git_publish(out, f->g, &in, NULL, err);
}

/* Publishes and insists it worked; returns the new commit id in `commit`. */
static void publish_ok(struct fixture *f, const char *text, const char *message,
                       const char *tag, char commit[HUB_GIT_HEX + 1])
{
    struct hub_published out;
    struct ldr_err err = {0};

    if (publish_tagged(f, text, message, tag, &out, &err) != 0)
        fail_msg("publish: %s", err.msg);
    assert_false(out.unchanged);
    if (commit)
        memcpy(commit, out.commit, HUB_GIT_HEX + 1);
}

/* publish_ok() of variant(id, title). */
static void publish_variant(struct fixture *f, const char *id,
                            const char *title, const char *message,
                            const char *tag, char commit[HUB_GIT_HEX + 1])
{
    char *text = variant(id, title);

    publish_ok(f, text, message, tag, commit);
    free(text);
}

/* The commit main points at, or "" when it has none. */
static void tip(struct fixture *f, char out[HUB_GIT_HEX + 1])
{
    git_repository *repo = NULL;
    git_oid id;

    assert_int_equal(git_repository_open_bare(&repo, f->git), 0);
    if (git_reference_name_to_id(&id, repo, HUB_GIT_BRANCH) == 0)
        git_oid_tostr(out, HUB_GIT_HEX + 1, &id);
    else
        out[0] = '\0';
    git_repository_free(repo);
}

static size_t commit_count(struct fixture *f)
{
    git_repository *repo = NULL;
    git_revwalk *walk = NULL;
    git_oid id;
    size_t n = 0;

    assert_int_equal(git_repository_open_bare(&repo, f->git), 0);
    assert_int_equal(git_revwalk_new(&walk, repo), 0);
    if (git_revwalk_push_ref(walk, HUB_GIT_BRANCH) == 0)
        while (git_revwalk_next(&id, walk) == 0)
            n++;
    git_revwalk_free(walk);
    git_repository_free(repo);
    return n;
}

/* The standard output of a shell command, which must succeed. */
static char *capture(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static char *capture(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    FILE *p;
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    int ch;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    p = popen(cmd, "r");
    assert_non_null(p);
    while ((ch = fgetc(p)) != EOF)
        fputc(ch, mem);
    fclose(mem);
    if (pclose(p) != 0)
        fail_msg("'%s' failed: %s", cmd, buf);
    return buf;
}

/* ---- fixture ----------------------------------------------------------------
 */

/* A data directory with an empty bare repository, HEAD -> main. */
static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    git_repository_init_options opts;
    git_repository *repo = NULL;
    struct ldr_err err = {0};

    snprintf(f->dir, sizeof f->dir, "/tmp/ladder-gitstore-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->git, sizeof f->git, "%s/models.git", f->dir);
    git_libgit2_init();
    git_repository_init_options_init(&opts,
                                     GIT_REPOSITORY_INIT_OPTIONS_VERSION);
    opts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
    opts.initial_head = "main";
    assert_int_equal(git_repository_init_ext(&repo, f->git, &opts), 0);
    git_repository_free(repo);
    if (hub_git_open(&f->g, f->dir, &err) != 0)
        fail_msg("%s", err.msg);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    hub_git_free(f->g);
    git_libgit2_shutdown();
    run("rm -rf '%s'", f->dir);
    free(f);
    return 0;
}

/* ---- publish ----------------------------------------------------------- */

static void test_gitstore__publish_commits_the_canonical_text(void **state)
{
    struct fixture *f = *state;
    char *text = read_file_text(ACCOUNT_MANAGER, NULL), *c = canonical(text);
    char version[HUB_GIT_HEX + 1], head[HUB_GIT_HEX + 1];
    struct hub_published out;
    struct hub_model_file file;
    struct ldr_err err = {0};

    version_of(version, text);
    assert_int_equal(publish_tagged(f, text, "First model", NULL, &out, &err),
                     0);
    assert_false(out.unchanged);
    assert_string_equal(out.id, AM);
    assert_string_equal(out.version, version);
    tip(f, head);
    assert_string_equal(out.commit, head);
    assert_int_equal(commit_count(f), 1);
    assert_int_equal(hub_git_show(&file, f->g, AM, NULL, &err), 0);
    assert_string_equal(file.text, c);
    assert_string_equal(file.version, version);
    assert_string_equal(file.commit, head);
    hub_model_file_release(&file);
    free(c);
    free(text);
}

static void test_gitstore__republish_identical_makes_no_commit(void **state)
{
    struct fixture *f = *state;
    char *text = read_file_text(ACCOUNT_MANAGER, NULL);
    char *compact = variant(NULL, NULL); /* same model, other layout */
    char first[HUB_GIT_HEX + 1], head[HUB_GIT_HEX + 1];
    struct hub_published out;
    struct ldr_err err = {0};
    git_repository *repo = NULL;
    git_oid id;

    publish_ok(f, text, "First model", NULL, first);
    publish_variant(f, SALES, NULL, "Another model", NULL, NULL);
    assert_int_equal(
        publish_tagged(f, compact, "Again", "never-made", &out, &err), 0);
    assert_true(out.unchanged);
    assert_string_equal(out.commit, first); /* the commit that published it */
    assert_int_equal(commit_count(f), 2);
    tip(f, head);
    assert_string_not_equal(head, first);
    assert_int_equal(git_repository_open_bare(&repo, f->git), 0);
    assert_int_equal(
        git_reference_name_to_id(&id, repo, "refs/tags/never-made"),
        GIT_ENOTFOUND);
    git_repository_free(repo);
    free(compact);
    free(text);
}

static void test_gitstore__invalid_model_commits_nothing(void **state)
{
    struct fixture *f = *state;
    char *bad = invalid_model(), head[HUB_GIT_HEX + 1];
    struct ldr_problems problems = {0}, expected = {0};
    struct hub_publish in = {bad, strlen(bad), NULL, NAME, EMAIL, "Bad", NULL};
    struct hub_published out;
    struct ldr_model *m = NULL;
    struct ldr_err err = {0};

    /* on an empty repository: main stays unborn */
    assert_int_equal(hub_git_publish(&out, f->g, &in, &problems, &err),
                     LDR_EINVAL);
    tip(f, head);
    assert_string_equal(head, "");
    /* every problem the core validator finds, no fewer */
    assert_int_equal(ldr_model_parse(&m, bad, strlen(bad), &expected, NULL),
                     LDR_EINVAL);
    assert_true(problems.count >= 3);
    assert_int_equal(problems.count, expected.count);
    for (size_t i = 0; i < problems.count; i++)
        assert_string_equal(problems.items[i].path, expected.items[i].path);
    ldr_problems_release(&problems);
    ldr_problems_release(&expected);

    /* after a valid version: main does not move */
    publish_variant(f, NULL, NULL, "Valid", NULL, NULL);
    tip(f, head);
    assert_int_equal(hub_git_publish(&out, f->g, &in, &problems, &err),
                     LDR_EINVAL);
    assert_true(problems.count >= 3);
    assert_non_null(strstr(err.msg, "problems"));
    {
        char now[HUB_GIT_HEX + 1];

        tip(f, now);
        assert_string_equal(now, head);
    }
    ldr_problems_release(&problems);
    free(bad);
}

static void test_gitstore__refuses_ids_that_are_not_slugs(void **state)
{
    static const char *const ids[] = {
        "../../etc/passwd", "a/b", "..", "Account", ".hidden", "a.json", ""};
    struct fixture *f = *state;
    struct hub_published out;
    struct hub_versions v;
    struct hub_model_file file;

    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
        char *text = variant(ids[i], NULL);
        struct ldr_problems problems = {0};
        struct hub_publish in = {text,  strlen(text), NULL, NAME,
                                 EMAIL, "Path trick", NULL};
        struct ldr_err err = {0};
        bool at_id = false;

        assert_int_equal(hub_git_publish(&out, f->g, &in, &problems, &err),
                         LDR_EINVAL);
        for (size_t k = 0; k < problems.count; k++)
            at_id |= strcmp(problems.items[k].path, "/id") == 0;
        assert_true(at_id);
        assert_int_equal(hub_git_versions(&v, f->g, ids[i], &err), LDR_EINVAL);
        assert_int_equal(hub_git_show(&file, f->g, ids[i], NULL, &err),
                         LDR_EINVAL);
        ldr_problems_release(&problems);
        free(text);
    }
    assert_int_equal(commit_count(f), 0);
}

static void test_gitstore__check_wants_the_id_and_canonical_text(void **state)
{
    char *compact = variant(NULL, NULL), *c = canonical(compact);
    struct hub_check want_sales = {SALES, false}, want_canonical = {AM, true};
    struct ldr_problems problems = {0};
    struct ldr_model *m = NULL;
    struct ldr_err err = {0};

    (void)state;
    assert_int_equal(
        hub_git_check(&m, compact, strlen(compact), NULL, &problems, &err), 0);
    assert_non_null(m);
    ldr_model_free(m);
    assert_int_equal(hub_git_check(NULL, compact, strlen(compact), &want_sales,
                                   &problems, &err),
                     LDR_EINVAL);
    assert_int_equal(problems.count, 1);
    assert_string_equal(problems.items[0].path, "/id");
    ldr_problems_release(&problems);
    assert_int_equal(hub_git_check(NULL, compact, strlen(compact),
                                   &want_canonical, &problems, &err),
                     LDR_EINVAL);
    assert_int_equal(problems.count, 1);
    assert_non_null(strstr(problems.items[0].message, "canonical"));
    ldr_problems_release(&problems);
    assert_int_equal(
        hub_git_check(NULL, c, strlen(c), &want_canonical, &problems, &err), 0);
    assert_int_equal(problems.count, 0);
    free(c);
    free(compact);
}

static void test_gitstore__refuses_bad_authors_messages_and_tags(void **state)
{
    struct fixture *f = *state;
    char *text = variant(NULL, NULL);
    const struct hub_publish bad[] = {
        {text, strlen(text), NULL, "", EMAIL, "m", NULL},
        {text, strlen(text), NULL, "Ada <x>", EMAIL, "m", NULL},
        {text, strlen(text), NULL, NAME, "ada>@x", "m", NULL},
        {text, strlen(text), NULL, NAME, "a\nb", "m", NULL},
        {text, strlen(text), NULL, NAME, EMAIL, " \n ", NULL},
        {text, strlen(text), NULL, NAME, EMAIL, "m", "-v1"},
        {text, strlen(text), NULL, NAME, EMAIL, "m", "a..b"},
        {text, strlen(text), NULL, NAME, EMAIL, "m", "v1:x"},
        {text, strlen(text), NULL, NAME, EMAIL, "m", "v1.lock"},
        {text, strlen(text), SALES, NAME, EMAIL, "m", NULL}, /* wrong id */
    };
    struct hub_published out;

    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct ldr_err err = {0};

        assert_int_equal(hub_git_publish(&out, f->g, &bad[i], NULL, &err),
                         LDR_EINVAL);
        assert_true(err.msg[0] != '\0');
    }
    assert_int_equal(commit_count(f), 0);
    free(text);
}

static void test_gitstore__parse_author(void **state)
{
    char name[64], email[64];
    struct ldr_err err = {0};

    (void)state;
    assert_int_equal(hub_git_parse_author(name, email, sizeof name,
                                          "Ada Lovelace <ada@example.org>",
                                          &err),
                     0);
    assert_string_equal(name, NAME);
    assert_string_equal(email, EMAIL);
    assert_int_equal(
        hub_git_parse_author(name, email, sizeof name, "Ada", &err),
        LDR_EINVAL);
    assert_int_equal(
        hub_git_parse_author(name, email, sizeof name, "<a@b>", &err),
        LDR_EINVAL);
    assert_int_equal(
        hub_git_parse_author(name, email, sizeof name, "A <a@b> x", &err),
        LDR_EINVAL);
    assert_int_equal(
        hub_git_parse_author(name, email, sizeof name, "A <<a@b>", &err),
        LDR_EINVAL);
}

static void test_gitstore__tag_is_annotated_and_never_reused(void **state)
{
    struct fixture *f = *state;
    char commit[HUB_GIT_HEX + 1], head[HUB_GIT_HEX + 1];
    char *v2 = variant(NULL, "Account manager, 2nd edition");
    struct hub_published out;
    struct ldr_err err = {0};
    git_repository *repo = NULL;
    git_reference *ref = NULL;
    git_tag *tag = NULL;

    publish_variant(f, NULL, NULL, "First model", "2025-q1", commit);
    assert_int_equal(git_repository_open_bare(&repo, f->git), 0);
    assert_int_equal(git_reference_lookup(&ref, repo, "refs/tags/2025-q1"), 0);
    assert_int_equal(git_tag_lookup(&tag, repo, git_reference_target(ref)), 0);
    assert_string_equal(git_oid_tostr_s(git_tag_target_id(tag)), commit);
    assert_string_equal(git_tag_tagger(tag)->name, NAME);
    assert_string_equal(git_tag_message(tag), "First model\n");
    git_tag_free(tag);
    git_reference_free(ref);
    git_repository_free(repo);

    assert_int_equal(publish_tagged(f, v2, "Second", "2025-q1", &out, &err),
                     LDR_EINVAL);
    assert_non_null(strstr(err.msg, "2025-q1"));
    tip(f, head);
    assert_string_equal(head, commit);
    free(v2);
}

/* ---- history and reads --------------------------------------------------- */

/* am v1 (tag first), sales, am v2 (tag v2): the commit ids in c[0..2]. */
static void publish_three(struct fixture *f, char c[3][HUB_GIT_HEX + 1])
{
    char *v1 = variant(NULL, NULL), *sales = variant(SALES, "Sales manager");
    char *v2 = variant(NULL, "Account manager, 2nd edition");

    publish_ok(f, v1, "First model\n\nFrom the 2024 plan.", "first", c[0]);
    publish_ok(f, sales, "Sales model", NULL, c[1]);
    publish_ok(f, v2, "Rename the model", "v2", c[2]);
    free(v1);
    free(sales);
    free(v2);
}

static void test_gitstore__versions_newest_first_only_that_model(void **state)
{
    struct fixture *f = *state;
    char c[3][HUB_GIT_HEX + 1], v1[HUB_GIT_HEX + 1], v2[HUB_GIT_HEX + 1];
    char *t1 = variant(NULL, NULL);
    char *t2 = variant(NULL, "Account manager, 2nd edition");
    struct hub_versions v;
    struct ldr_err err = {0};

    publish_three(f, c);
    version_of(v1, t1);
    version_of(v2, t2);
    assert_int_equal(hub_git_versions(&v, f->g, AM, &err), 0);
    assert_int_equal(v.count, 2);
    assert_string_equal(v.items[0].commit, c[2]);
    assert_string_equal(v.items[0].version, v2);
    assert_string_equal(v.items[0].message, "Rename the model");
    assert_int_equal(v.items[0].ntags, 1);
    assert_string_equal(v.items[0].tags[0], "v2");
    assert_string_equal(v.items[1].commit, c[0]);
    assert_string_equal(v.items[1].version, v1);
    assert_string_equal(v.items[1].message,
                        "First model\n\nFrom the 2024 plan.");
    assert_string_equal(v.items[1].author, NAME);
    assert_string_equal(v.items[1].email, EMAIL);
    assert_int_equal(strlen(v.items[1].date), 20);
    assert_int_equal(v.items[1].date[10], 'T');
    assert_int_equal(v.items[1].date[19], 'Z');
    hub_versions_release(&v);

    assert_int_equal(hub_git_versions(&v, f->g, SALES, &err), 0);
    assert_int_equal(v.count, 1);
    assert_string_equal(v.items[0].commit, c[1]);
    assert_int_equal(v.items[0].ntags, 0);
    hub_versions_release(&v);
    assert_int_equal(hub_git_versions(&v, f->g, "nobody", &err), LDR_ENOTFOUND);
    free(t1);
    free(t2);
}

static void test_gitstore__versions_in_order_within_one_second(void **state)
{
    struct fixture *f = *state;
    char c[8][HUB_GIT_HEX + 1];
    struct hub_versions v;
    struct ldr_err err = {0};

    for (int i = 0; i < 8; i++) {
        char title[32];

        snprintf(title, sizeof title, "Edition %d", i);
        publish_variant(f, NULL, title, title, NULL, c[i]);
    }
    assert_int_equal(hub_git_versions(&v, f->g, AM, &err), 0);
    assert_int_equal(v.count, 8);
    for (int i = 0; i < 8; i++)
        assert_string_equal(v.items[i].commit, c[7 - i]);
    hub_versions_release(&v);
}

/* Reads model `id` at `rev` and checks its version and commit. */
static void show_is(struct fixture *f, const char *id, const char *rev,
                    const char *version, const char *commit)
{
    struct hub_model_file file;
    struct ldr_err err = {0};
    char actual[HUB_GIT_HEX + 1];

    if (hub_git_show(&file, f->g, id, rev, &err) != 0)
        fail_msg("show %s %s: %s", id, rev, err.msg);
    ldr_model_version(actual, file.text, file.len);
    assert_string_equal(actual, version);
    assert_string_equal(file.version, version);
    assert_string_equal(file.commit, commit);
    hub_model_file_release(&file);
}

static void test_gitstore__show_by_commit_tag_and_version(void **state)
{
    struct fixture *f = *state;
    char c[3][HUB_GIT_HEX + 1], v1[HUB_GIT_HEX + 1], v2[HUB_GIT_HEX + 1];
    char sales[HUB_GIT_HEX + 1], short_id[16];
    char *t1 = variant(NULL, NULL), *ts = variant(SALES, "Sales manager");
    char *t2 = variant(NULL, "Account manager, 2nd edition");
    struct hub_model_file file;
    struct ldr_err err = {0};

    publish_three(f, c);
    version_of(v1, t1);
    version_of(v2, t2);
    version_of(sales, ts);
    show_is(f, AM, NULL, v2, c[2]);
    show_is(f, AM, "", v2, c[2]);
    show_is(f, AM, c[0], v1, c[0]);
    show_is(f, AM, c[1], v1, c[1]); /* the sales commit still holds v1 */
    snprintf(short_id, sizeof short_id, "%.8s", c[0]);
    show_is(f, AM, short_id, v1, c[0]);
    show_is(f, AM, "first", v1, c[0]);
    show_is(f, AM, "v2", v2, c[2]);
    show_is(f, AM, "main~2", v1, c[0]);
    show_is(f, AM, v1, v1, c[1]); /* a version: the newest commit with it */
    snprintf(short_id, sizeof short_id, "%.7s", v1);
    show_is(f, AM, short_id, v1, c[1]);
    show_is(f, SALES, c[2], sales, c[2]);

    /* not this model's, not there, not a revision */
    assert_int_equal(hub_git_show(&file, f->g, AM, sales, &err), LDR_ENOTFOUND);
    assert_int_equal(hub_git_show(&file, f->g, SALES, c[0], &err),
                     LDR_ENOTFOUND);
    assert_int_equal(hub_git_show(&file, f->g, AM, "nope", &err),
                     LDR_ENOTFOUND);
    assert_int_equal(
        hub_git_show(&file, f->g, AM, "main:models/sales-manager.json", &err),
        LDR_EINVAL);
    assert_int_equal(hub_git_show(&file, f->g, AM, "@{-1}", &err), LDR_EINVAL);
    assert_int_equal(hub_git_show(&file, f->g, AM, "--all", &err), LDR_EINVAL);
    free(t1);
    free(t2);
    free(ts);
}

static void test_gitstore__version_maps_to_commits_and_tags(void **state)
{
    struct fixture *f = *state;
    char c[3][HUB_GIT_HEX + 1], again[HUB_GIT_HEX + 1], v1[HUB_GIT_HEX + 1];
    char prefix[8];
    char *t1 = variant(NULL, NULL);
    struct hub_version_refs r;
    struct ldr_err err = {0};
    json_t *j;

    publish_three(f, c);
    publish_ok(f, t1, "Back to the first edition", "back", again);
    version_of(v1, t1);
    snprintf(prefix, sizeof prefix, "%.6s", v1);
    assert_int_equal(hub_git_find_version(&r, f->g, AM, prefix, &err), 0);
    assert_string_equal(r.version, v1);
    assert_int_equal(r.ncommits, 2);
    assert_string_equal(r.commits[0], again);
    assert_string_equal(r.commits[1], c[0]);
    assert_int_equal(r.ntags, 2); /* "back" and "first"; "v2" holds v2 */
    assert_true(
        (strcmp(r.tags[0], "back") == 0 && strcmp(r.tags[1], "first") == 0) ||
        (strcmp(r.tags[1], "back") == 0 && strcmp(r.tags[0], "first") == 0));
    j = hub_version_refs_json(&r);
    assert_non_null(j);
    assert_int_equal(json_array_size(json_object_get(j, "commits")), 2);
    json_decref(j);
    hub_version_refs_release(&r);

    assert_int_equal(
        hub_git_find_version(&r, f->g, AM,
                             "0000000000000000000000000000000000000000", &err),
        LDR_ENOTFOUND);
    assert_int_equal(hub_git_find_version(&r, f->g, AM, "xyz", &err),
                     LDR_EINVAL);
    assert_int_equal(hub_git_find_version(&r, f->g, AM, "abc", &err),
                     LDR_EINVAL); /* too short */
    free(t1);
}

static void test_gitstore__list_gives_ids_titles_and_versions(void **state)
{
    struct fixture *f = *state;
    char c[3][HUB_GIT_HEX + 1], v2[HUB_GIT_HEX + 1];
    char *t2 = variant(NULL, "Account manager, 2nd edition");
    struct hub_model_list list;
    struct ldr_err err = {0};
    json_t *j;

    assert_int_equal(hub_git_list(&list, f->g, &err), 0);
    assert_int_equal(list.count, 0);
    hub_model_list_release(&list);

    publish_three(f, c);
    version_of(v2, t2);
    assert_int_equal(hub_git_list(&list, f->g, &err), 0);
    assert_int_equal(list.count, 2);
    assert_string_equal(list.items[0].id, AM);
    assert_string_equal(list.items[0].title, "Account manager, 2nd edition");
    assert_string_equal(list.items[0].version, v2);
    assert_string_equal(list.items[0].commit, c[2]);
    assert_string_equal(list.items[1].id, SALES);
    assert_string_equal(list.items[1].title, "Sales manager");
    assert_string_equal(list.items[1].commit, c[1]);
    j = hub_model_list_json(&list);
    assert_int_equal(json_array_size(j), 2);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(j, 1), "version")),
        list.items[1].version);
    json_decref(j);
    hub_model_list_release(&list);
    free(t2);
}

/* ---- the cache of main's history, packing ------------------------------- */

static void test_gitstore__history_follows_main(void **state)
{
    struct fixture *f = *state;
    char c[3][HUB_GIT_HEX + 1], more[2][HUB_GIT_HEX + 1];
    struct hub_git *other = NULL;
    struct hub_versions v;
    struct ldr_err err = {0};
    git_repository *repo = NULL;
    git_reference *ref = NULL;
    git_oid back;

    publish_three(f, c);
    assert_int_equal(hub_git_versions(&v, f->g, AM, &err), 0);
    assert_int_equal(v.count, 2);
    hub_versions_release(&v);

    /* main moves forward through another handle: the new commits count */
    assert_int_equal(hub_git_open(&other, f->git, &err), 0);
    publish_variant(f, NULL, "Third", "Third", NULL, more[0]);
    publish_variant(f, SALES, "Sales 2", "Sales 2", NULL, NULL);
    publish_variant(f, NULL, "Fourth", "Fourth", NULL, more[1]);
    assert_int_equal(hub_git_versions(&v, other, AM, &err), 0);
    assert_int_equal(v.count, 4);
    assert_string_equal(v.items[0].commit, more[1]);
    assert_string_equal(v.items[1].commit, more[0]);
    assert_string_equal(v.items[2].commit, c[2]);
    hub_versions_release(&v);

    /* main rewritten behind our back (not by the hub): read afresh */
    assert_int_equal(git_repository_open_bare(&repo, f->git), 0);
    assert_int_equal(git_oid_fromstr(&back, c[0]), 0);
    assert_int_equal(
        git_reference_create(&ref, repo, HUB_GIT_BRANCH, &back, 1, "rewind"),
        0);
    git_reference_free(ref);
    git_repository_free(repo);
    assert_int_equal(hub_git_versions(&v, other, AM, &err), 0);
    assert_int_equal(v.count, 1);
    assert_string_equal(v.items[0].commit, c[0]);
    hub_versions_release(&v);
    assert_int_equal(hub_git_versions(&v, other, SALES, &err), LDR_ENOTFOUND);
    hub_git_free(other);
}

static size_t loose_objects(struct fixture *f)
{
    char path[256];
    size_t n = 0;

    for (int i = 0; i < 256; i++) {
        struct dirent *e;
        DIR *d;

        snprintf(path, sizeof path, "%s/objects/%02x", f->git, i);
        if (!(d = opendir(path)))
            continue;
        while ((e = readdir(d)))
            n += e->d_name[0] != '.';
        closedir(d);
    }
    return n;
}

static void test_gitstore__pack_keeps_everything_readable(void **state)
{
    struct fixture *f = *state;
    char c[3][HUB_GIT_HEX + 1], v1[HUB_GIT_HEX + 1];
    char *t1 = variant(NULL, NULL);
    struct hub_versions v;
    struct ldr_err err = {0};

    publish_three(f, c);
    version_of(v1, t1);
    assert_true(loose_objects(f) > 10);
    assert_int_equal(hub_git_pack(f->g, &err), 0);
    assert_int_equal(loose_objects(f), 0);
    publish_variant(f, NULL, "After the pack", "After the pack", NULL, NULL);
    assert_int_equal(hub_git_pack(f->g, &err), 0); /* replaces the first */
    assert_int_equal(loose_objects(f), 0);
    if (have_git()) {
        char *out =
            capture("ls '%s/objects/pack' | grep -c '\\.pack$'", f->git);

        assert_string_equal(out, "1\n");
        free(out);
        assert_int_equal(
            run("git --git-dir='%s' fsck --strict >/dev/null 2>&1", f->git), 0);
    }
    assert_int_equal(hub_git_versions(&v, f->g, AM, &err), 0);
    assert_int_equal(v.count, 3);
    assert_int_equal(v.items[2].ntags, 1); /* the tag "first" survived */
    hub_versions_release(&v);
    show_is(f, AM, "first", v1, c[0]);
    show_is(f, AM, v1, v1, c[1]);
    free(t1);
}

/* Readers in threads, each with its own handle, while main moves. */
struct reader {
    const char *git;
    int rounds;
    int failures;
};

static void *read_loop(void *arg)
{
    struct reader *r = arg;
    struct hub_git *g = NULL;
    struct ldr_err err = {0};
    size_t last = 0;

    if (hub_git_open(&g, r->git, &err) != 0) {
        r->failures++;
        return NULL;
    }
    for (int i = 0; i < r->rounds; i++) {
        struct hub_versions v;
        struct hub_model_file file;

        if (hub_git_versions(&v, g, AM, &err) != 0 || v.count < last) {
            r->failures++;
            continue;
        }
        last = v.count;
        if (hub_git_show(&file, g, AM, v.items[v.count - 1].version, &err) !=
                0 ||
            strcmp(file.version, v.items[v.count - 1].version) != 0)
            r->failures++;
        hub_model_file_release(&file);
        hub_versions_release(&v);
    }
    hub_git_free(g);
    return NULL;
}

static void test_gitstore__readers_in_threads_while_main_moves(void **state)
{
    struct fixture *f = *state;
    struct reader readers[4];
    pthread_t threads[4];

    publish_variant(f, NULL, NULL, "First", NULL, NULL);
    for (int i = 0; i < 4; i++) {
        readers[i] = (struct reader){f->git, 40, 0};
        assert_int_equal(
            pthread_create(&threads[i], NULL, read_loop, &readers[i]), 0);
    }
    for (int i = 0; i < 15; i++) {
        char title[32];

        snprintf(title, sizeof title, "Edition %d", i);
        publish_variant(f, i % 3 ? NULL : SALES, title, title, NULL, NULL);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(threads[i], NULL), 0);
        assert_int_equal(readers[i].failures, 0);
    }
}

/* A git push holding main's lock: publish retries, then says busy. */
static void test_gitstore__busy_main_refuses_cleanly(void **state)
{
    struct fixture *f = *state;
    char lock[256], before[HUB_GIT_HEX + 1], now[HUB_GIT_HEX + 1];
    char *text = variant(NULL, "Waiting");
    struct hub_published out;
    struct ldr_err err = {0};
    FILE *held;

    publish_variant(f, NULL, NULL, "First", NULL, before);
    snprintf(lock, sizeof lock, "%s/refs/heads/main.lock", f->git);
    held = fopen(lock, "w");
    assert_non_null(held);
    fclose(held);
    assert_int_equal(publish_tagged(f, text, "Blocked", NULL, &out, &err),
                     LDR_EBUSY);
    assert_non_null(strstr(err.msg, "try again"));
    tip(f, now);
    assert_string_equal(now, before);
    unlink(lock);
    assert_int_equal(publish_tagged(f, text, "Free", NULL, &out, &err), 0);
    free(text);
}

/* ---- the git CLI --------------------------------------------------------- */

static void test_gitstore__git_cli_sees_the_commits(void **state)
{
    struct fixture *f = *state;
    char c[3][HUB_GIT_HEX + 1], expect[1024];
    char *t2 = variant(NULL, "Account manager, 2nd edition"),
         *c2 = canonical(t2);
    char *out;
    struct hub_versions v;
    struct ldr_err err = {0};

    if (!have_git())
        skip();
    publish_three(f, c);
    out =
        capture("git --git-dir='%s' log --format='%%H|%%an|%%ae|%%cn|%%ce|%%s' "
                "main -- models/account-manager.json",
                f->git);
    snprintf(expect, sizeof expect,
             "%s|" NAME "|" EMAIL "|" NAME "|" EMAIL "|Rename the model\n"
             "%s|" NAME "|" EMAIL "|" NAME "|" EMAIL "|First model\n",
             c[2], c[0]);
    assert_string_equal(out, expect);
    free(out);

    /* the same commits, in the same order, as hub_git_versions */
    assert_int_equal(hub_git_versions(&v, f->g, AM, &err), 0);
    out = capture("git --git-dir='%s' log --format='%%H %%aI' main -- "
                  "models/account-manager.json",
                  f->git);
    assert_non_null(strstr(out, v.items[0].commit));
    assert_true(strstr(out, v.items[0].commit) <
                strstr(out, v.items[1].commit));
    hub_versions_release(&v);
    free(out);

    out = capture("git --git-dir='%s' rev-list main | wc -l", f->git);
    assert_string_equal(out, "3\n");
    free(out);
    out = capture("git --git-dir='%s' show main:models/account-manager.json",
                  f->git);
    assert_string_equal(out, c2);
    free(out);
    out = capture("git --git-dir='%s' cat-file -t v2", f->git);
    assert_string_equal(out, "tag\n");
    free(out);
    out = capture("git --git-dir='%s' fsck --strict 2>&1", f->git);
    free(out);
    free(c2);
    free(t2);
}

/* ---- concurrent publishers ------------------------------------------------
 */

/* Child mode: publishes `n` editions of model `id` into `dir`. */
static int publish_loop(const char *dir, const char *id, int n)
{
    struct hub_git *g = NULL;
    struct ldr_err err = {0};
    int rc = hub_git_open(&g, dir, &err);

    for (int i = 0; rc == 0 && i < n; i++) {
        char title[64], message[64];
        char *text;
        struct hub_publish in;
        struct hub_published out;

        snprintf(title, sizeof title, "%s edition %d", id, i);
        snprintf(message, sizeof message, "%s: edition %d", id, i);
        text = variant(id, title);
        in = (struct hub_publish){text,  strlen(text), id,  NAME,
                                  EMAIL, message,      NULL};
        rc = hub_git_publish(&out, g, &in, NULL, &err);
        free(text);
    }
    if (rc != 0)
        fprintf(stderr, "publish-loop %s: %s\n", id, err.msg);
    hub_git_free(g);
    return rc == 0 ? 0 : 1;
}

static void test_gitstore__concurrent_publishers_lose_nothing(void **state)
{
    static const char *const ids[] = {"model-a", "model-b", "model-c"};
    struct fixture *f = *state;
    pid_t pids[3];
    struct ldr_err err = {0};

    for (int i = 0; i < 3; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            execl(self_exe, self_exe, "publish-loop", f->dir, ids[i], "10",
                  (char *)NULL);
            _exit(127);
        }
    }
    for (int i = 0; i < 3; i++) {
        int status;

        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    assert_int_equal(commit_count(f), 30);
    for (int i = 0; i < 3; i++) {
        struct hub_versions v;

        assert_int_equal(hub_git_versions(&v, f->g, ids[i], &err), 0);
        assert_int_equal(v.count, 10);
        hub_versions_release(&v);
    }
    if (have_git())
        assert_int_equal(
            run("git --git-dir='%s' fsck --strict >/dev/null 2>&1", f->git), 0);
}

/* ---- the pre-receive hook
 * ---------------------------------------------------- */

static void test_gitstore__hook_text_is_the_script(void **state)
{
    char *script = read_file_text(HOOK_SCRIPT, NULL);

    (void)state;
    assert_string_equal(hub_git_hook_text, script);
    free(script);
}

/* Commits `text` as models/<id>.json in the clone and pushes; the push's
 * exit status, its output in *out. */
static int push(struct fixture *f, const char *path, const char *text,
                const char *message, char **out)
{
    char file[512], log[512];
    int rc;

    snprintf(file, sizeof file, "%s/work/%s", f->dir, path);
    snprintf(log, sizeof log, "%s/push.log", f->dir);
    run("mkdir -p \"$(dirname '%s')\"", file);
    write_file_text(file, text);
    assert_int_equal(
        run("cd '%s/work' && git add -A && git -c user.name='Grace "
            "Hopper' -c user.email=grace@example.org commit -q "
            "-m '%s'",
            f->dir, message),
        0);
    rc = run("cd '%s/work' && git push -q origin main >'%s' 2>&1", f->dir, log);
    *out = read_file_text(log, NULL);
    return rc;
}

/* A published model, the hook installed, a clone in DIR/work. */
static void hook_setup(struct fixture *f)
{
    struct ldr_err err = {0};

    publish_variant(f, NULL, NULL, "First model", NULL, NULL);
    assert_int_equal(hub_git_install_hook(f->git, HUB_BIN, &err), 0);
    setenv("LADDER_HUB", HUB_BIN, 1);
    setenv("HOME", f->dir, 1);
    setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
    assert_int_equal(run("git clone -q '%s' '%s/work'", f->git, f->dir), 0);
}

/* Pushes a commit that must be refused with `expect` in the output. */
static void push_refused(struct fixture *f, const char *path, const char *text,
                         const char *expect)
{
    char before[HUB_GIT_HEX + 1], now[HUB_GIT_HEX + 1];
    char *out;

    tip(f, before);
    run("cd '%s/work' && git reset -q --hard origin/main", f->dir);
    if (push(f, path, text, "Refused", &out) == 0 || !strstr(out, expect))
        fail_msg("push of %s: wanted '%s' in: %s", path, expect, out);
    free(out);
    tip(f, now);
    assert_string_equal(now, before);
}

static void test_gitstore__hook_refuses_bad_pushes(void **state)
{
    struct fixture *f = *state;
    char *bad = invalid_model(), *compact = variant(NULL, "Hand edited");
    char *good = canonical(compact);

    if (!have_git())
        skip();
    hook_setup(f);
    /* invalid: every problem, as the validator says it */
    push_refused(f, "models/account-manager.json", bad,
                 "models/account-manager.json in ");
    push_refused(f, "models/account-manager.json", bad,
                 "/competencies/0/weight");
    push_refused(f, "models/account-manager.json", bad, "/scale/0/level");
    push_refused(f, "models/account-manager.json", bad,
                 "missing member 'title'");
    /* valid but not canonical; outside the naming rule; another id */
    push_refused(f, "models/account-manager.json", compact, "canonical");
    push_refused(f, "models/Bad.json", good, "models/Bad.json");
    push_refused(f, "models/x/y.json", good, "models/x/y.json");
    push_refused(f, "models/sales.json", good, "/id");
    free(good);
    free(compact);
    free(bad);
}

static void test_gitstore__hook_accepts_good_pushes(void **state)
{
    struct fixture *f = *state;
    char *compact = variant(NULL, "Hand edited"), *good = canonical(compact);
    char before[HUB_GIT_HEX + 1], now[HUB_GIT_HEX + 1];
    struct hub_versions v;
    struct ldr_err err = {0};
    char *out;

    if (!have_git())
        skip();
    hook_setup(f);
    if (push(f, "models/account-manager.json", good, "Hand edit", &out) != 0)
        fail_msg("push refused: %s", out);
    free(out);
    assert_int_equal(hub_git_versions(&v, f->g, AM, &err), 0);
    assert_int_equal(v.count, 2);
    assert_string_equal(v.items[0].author, "Grace Hopper");
    assert_string_equal(v.items[0].message, "Hand edit");
    hub_versions_release(&v);

    /* history is never rewritten */
    tip(f, before);
    assert_int_not_equal(run("cd '%s/work' && git push -q -f origin "
                             "HEAD~1:main >/dev/null 2>&1",
                             f->dir),
                         0);
    tip(f, now);
    assert_string_equal(now, before);
    free(good);
    free(compact);
}

/* ---- ladder-hub model ... ----------------------------------------------- */

static json_t *capture_json(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static json_t *capture_json(const char *fmt, ...)
{
    char cmd[4096];
    char *out;
    json_t *doc;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    out = capture("%s", cmd);
    doc = json_loads(out, 0, NULL);
    if (!doc)
        fail_msg("not JSON from '%s': %s", cmd, out);
    free(out);
    return doc;
}

/* The hook names the binary that installed it, quoted for sh. */
static void test_gitstore__hook_names_its_binary(void **state)
{
    struct fixture *f = *state;
    const char *bin = "/opt/it's here/ladder-hub";
    char hook[256], *got;
    struct ldr_err err = {0};
    struct stat st;

    assert_int_equal(hub_git_install_hook(f->git, bin, &err), 0);
    snprintf(hook, sizeof hook, "%s/hooks/pre-receive", f->git);
    assert_int_equal(stat(hook, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0755);
    got = capture("sed -n 's/^installed=/v=/p' '%s' > '%s/v.sh' && . "
                  "'%s/v.sh' && printf '%%s' \"$v\"",
                  hook, f->dir, f->dir);
    assert_string_equal(got, bin);
    free(got);
    /* NULL: this very program */
    assert_int_equal(hub_git_install_hook(f->git, NULL, &err), 0);
    got = capture("sed -n 's/^installed=//p' '%s'", hook);
    assert_non_null(strstr(got, self_exe));
    free(got);
}

static void test_gitstore__read_version_by_blob_id(void **state)
{
    struct fixture *f = *state;
    char *text = variant(NULL, "Read back"), *c = canonical(text), *got;
    char version[HUB_GIT_HEX + 1], commit[HUB_GIT_HEX + 1];
    struct ldr_err err = {0};
    size_t len;

    publish_ok(f, text, "First", NULL, commit);
    version_of(version, text);
    assert_int_equal(hub_git_read_version(&got, &len, f->g, AM, version, &err),
                     0);
    assert_int_equal(len, strlen(c));
    assert_string_equal(got, c);
    free(got);
    /* another model's id, an object that is no blob, nothing */
    assert_int_equal(
        hub_git_read_version(&got, &len, f->g, SALES, version, &err),
        LDR_EINVAL);
    assert_null(got);
    assert_int_equal(hub_git_read_version(&got, &len, f->g, AM, commit, &err),
                     LDR_ENOTFOUND);
    assert_int_equal(
        hub_git_read_version(&got, &len, f->g, AM,
                             "0123456789012345678901234567890123456789", &err),
        LDR_ENOTFOUND);
    assert_int_equal(hub_git_read_version(&got, &len, f->g, AM, "abc", &err),
                     LDR_EINVAL);
    free(c);
    free(text);
}

/* Sync's fallback: a version only in git is read, kept in the table. */
static void test_gitstore__model_from_git_fills_the_table(void **state)
{
    struct fixture *f = *state;
    char *text = variant(NULL, "Only in git");
    char version[HUB_GIT_HEX + 1];
    struct ldr_model *m = NULL;
    struct ldr_err err = {0};
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    bool added = true;

    publish_ok(f, text, "First", NULL, NULL);
    version_of(version, text);
    assert_int_equal(hub_db_open(&db, f->dir, &err), 0);
    assert_int_equal(hub_model_from_git(&m, db, AM, version, &err), 0);
    assert_string_equal(m->title, "Only in git");
    ldr_model_free(m);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT title FROM models WHERE id = "
                                        "? AND version = ?",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, AM, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    sqlite3_finalize(st);
    /* kept once; a wrong version id for the text is refused */
    assert_int_equal(
        hub_model_record(db, text, strlen(text), version, &added, &err), 0);
    assert_false(added);
    assert_int_equal(
        hub_model_record(db, text, strlen(text),
                         "ffffffffffffffffffffffffffffffffffffffff", NULL,
                         &err),
        LDR_EINVAL);
    assert_int_equal(
        hub_model_from_git(&m, db, AM,
                           "ffffffffffffffffffffffffffffffffffffffff", &err),
        LDR_ENOTFOUND);
    assert_null(m);
    sqlite3_close(db);
    free(text);
}

static void test_gitstore__cli_publishes_and_reads(void **state)
{
    struct fixture *f = *state;
    char bad[256], *text = invalid_model(), *out;
    json_t *doc;

    doc = capture_json(HUB_BIN " model publish '%s' '%s' --author 'Ada "
                               "Lovelace <ada@example.org>' --message "
                               "'First model' --tag v1 --json",
                       f->dir, ACCOUNT_MANAGER);
    assert_string_equal(json_string_value(json_object_get(doc, "id")), AM);
    assert_false(json_is_true(json_object_get(doc, "unchanged")));
    json_decref(doc);
    doc = capture_json(HUB_BIN " model publish '%s' '%s' --author 'Ada "
                               "Lovelace <ada@example.org>' --message "
                               "Again --json",
                       f->dir, ACCOUNT_MANAGER);
    assert_true(json_is_true(json_object_get(doc, "unchanged")));
    json_decref(doc);

    snprintf(bad, sizeof bad, "%s/bad.json", f->dir);
    write_file_text(bad, text);
    assert_int_equal(run(HUB_BIN " model publish '%s' '%s' --author 'A <a@b>' "
                                 "--message Bad >'%s.out' 2>&1",
                         f->dir, bad, bad),
                     1);
    out = capture("cat '%s.out'", bad);
    assert_non_null(strstr(out, "/competencies/0/weight"));
    assert_non_null(strstr(out, "nothing published"));
    free(out);
    assert_int_equal(run(HUB_BIN " model check - <'%s' >/dev/null", bad), 1);
    assert_int_equal(run(HUB_BIN " model check '%s' --canonical >/dev/null",
                         ACCOUNT_MANAGER),
                     0);

    doc = capture_json(HUB_BIN " model versions '%s' " AM " --json", f->dir);
    assert_int_equal(json_array_size(doc), 1);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(doc, 0), "author")),
        NAME);
    json_decref(doc);
    doc = capture_json(HUB_BIN " model list '%s' --json", f->dir);
    assert_int_equal(json_array_size(doc), 1);
    json_decref(doc);
    free(text);
    text = read_file_text(ACCOUNT_MANAGER, NULL);
    out = capture(HUB_BIN " model show '%s' " AM " v1", f->dir);
    {
        char *c = canonical(text);

        assert_string_equal(out, c);
        free(c);
    }
    free(out);
    free(text);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_gitstore__publish_commits_the_canonical_text),
        T(test_gitstore__republish_identical_makes_no_commit),
        T(test_gitstore__invalid_model_commits_nothing),
        T(test_gitstore__refuses_ids_that_are_not_slugs),
        T(test_gitstore__check_wants_the_id_and_canonical_text),
        T(test_gitstore__refuses_bad_authors_messages_and_tags),
        T(test_gitstore__parse_author),
        T(test_gitstore__tag_is_annotated_and_never_reused),
        T(test_gitstore__versions_newest_first_only_that_model),
        T(test_gitstore__versions_in_order_within_one_second),
        T(test_gitstore__show_by_commit_tag_and_version),
        T(test_gitstore__version_maps_to_commits_and_tags),
        T(test_gitstore__list_gives_ids_titles_and_versions),
        T(test_gitstore__history_follows_main),
        T(test_gitstore__pack_keeps_everything_readable),
        T(test_gitstore__readers_in_threads_while_main_moves),
        T(test_gitstore__busy_main_refuses_cleanly),
        T(test_gitstore__git_cli_sees_the_commits),
        T(test_gitstore__concurrent_publishers_lose_nothing),
        T(test_gitstore__hook_text_is_the_script),
        T(test_gitstore__hook_refuses_bad_pushes),
        T(test_gitstore__hook_accepts_good_pushes),
        T(test_gitstore__hook_names_its_binary),
        T(test_gitstore__read_version_by_blob_id),
        T(test_gitstore__model_from_git_fills_the_table),
        T(test_gitstore__cli_publishes_and_reads),
#undef T
    };
    ssize_t n;

    if (argc == 5 && strcmp(argv[1], "publish-loop") == 0)
        return publish_loop(argv[2], argv[3], atoi(argv[4]));
    n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
    if (n <= 0)
        return 1;
    self_exe[n] = '\0';
    return cmocka_run_group_tests(tests, NULL, NULL);
}
