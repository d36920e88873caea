/*
 * The models in git (gitstore.h): publish, check, list, history and reads
 * of the bare repository DIR/models.git, with libgit2 and no work tree.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>
#include <git2/sys/odb_backend.h>

#include "gitstore.h"
#include "hub.h"
#include "ladder/domain.h"
#include "ladder/err.h"

#define LOCK_FILE "ladder-publish.lock"
#define LOCK_WAIT_MS 10000 /* another publisher holds the lock this long */
#define LOCK_STEP_MS 10
#define PUBLISH_TRIES 20 /* a push moved main meanwhile: rebuild, retry */
#define PATH_CAP (sizeof HUB_GIT_MODELS + HUB_GIT_ID_MAX + sizeof ".json")
/* Pack when about this many objects are loose (~4 a publish): each read
 * of a loose object opens and inflates a file, which made a cold history
 * of 1,000 versions 3-4 times slower than from a pack. */
#define PACK_AUTO_LOOSE 1024

struct hub_git {
    git_repository *repo;
};

/* A libgit2 failure: LDR_EIO with what we did and what libgit2 said. */
static int git_fail(struct ldr_err *err, const char *what)
{
    const git_error *e = git_error_last();

    return ldr_err_set(err, LDR_EIO, "%s: %s", what,
                       e && e->message ? e->message : "libgit2 failed");
}

static int no_memory(struct ldr_err *err)
{
    return ldr_err_set(err, LDR_ENOMEM, "out of memory");
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

bool hub_git_is_model_id(const char *id)
{
    return ldr_model_is_slug(id);
}

/* "models/<id>.json"; LDR_EINVAL unless `id` is a slug. */
static int model_path(char out[PATH_CAP], const char *id, struct ldr_err *err)
{
    if (!ldr_model_is_slug(id))
        return ldr_err_set(err, LDR_EINVAL,
                           "'%s' is not a model id (a lowercase letter, then "
                           "up to 63 lowercase letters, digits or '-')",
                           id ? id : "");
    snprintf(out, PATH_CAP, HUB_GIT_MODELS "/%s.json", id);
    return 0;
}

static void oid_hex(char out[HUB_GIT_HEX + 1], const git_oid *id)
{
    git_oid_tostr(out, HUB_GIT_HEX + 1, id);
}

/* ---- open --------------------------------------------------------------- */

static bool is_dir(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int hub_git_open(struct hub_git **out, const char *path, struct ldr_err *err)
{
    char dir[HUB_PATH_MAX];
    struct hub_git *g;
    int n = snprintf(dir, sizeof dir, "%s/" HUB_GIT_DIR, path);

    *out = NULL;
    if (n < 0 || (size_t)n >= sizeof dir)
        return ldr_err_set(err, LDR_EINVAL, "path too long: '%s'", path);
    if (!is_dir(dir))
        snprintf(dir, sizeof dir, "%s", path);
    if (!(g = calloc(1, sizeof *g)))
        return no_memory(err);
    git_libgit2_init();
    /* Agents may pin a version as soon as it is published: sync to disk. */
    git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
    if (git_repository_open_bare(&g->repo, dir) < 0) {
        const git_error *e = git_error_last();

        ldr_err_set(err, LDR_ENOTFOUND,
                    "no model repository at '%s' (%s); run 'ladder-hub init'",
                    dir, e && e->message ? e->message : "cannot open");
        hub_git_free(g);
        return LDR_ENOTFOUND;
    }
    *out = g;
    return 0;
}

int hub_git_main(const struct hub_git *g, char out[HUB_GIT_HEX + 1])
{
    git_oid id;
    int rc = git_reference_name_to_id(&id, g->repo, HUB_GIT_BRANCH);

    out[0] = '\0';
    if (rc == GIT_ENOTFOUND)
        return 0;
    if (rc < 0)
        return -1;
    git_oid_tostr(out, HUB_GIT_HEX + 1, &id);
    return 0;
}

void hub_git_free(struct hub_git *g)
{
    if (!g)
        return;
    git_repository_free(g->repo);
    free(g);
    git_libgit2_shutdown();
}

const char *hub_git_path(const struct hub_git *g)
{
    return git_repository_path(g->repo);
}

/* ---- the pre-receive hook ----------------------------------------------- */

/* scripts/pre-receive, kept equal by test_gitstore. */
const char hub_git_hook_text[] =
    "#!/bin/sh\n"
    "# Ladder pre-receive hook for the hub's model repository"
    " (DIR/models.git):\n"
    "# refuses a push to main that would put an invalid model into any"
    " commit,\n"
    "# with the validator's messages. 'ladder-hub init' and 'ladder-hub"
    " model\n"
    "# hook DIR' install it as DIR/models.git/hooks/pre-receive (mode"
    " 0755) and\n"
    "# set `installed` below to their own binary. The checker is"
    " $LADDER_HUB if\n"
    "# set, else that binary, else ladder-hub on the PATH.\n"
    "# See docs/models-in-git.md.\n"
    "set -uf\n"
    "installed=\n"
    "[ -n \"$installed\" ] && [ -x \"$installed\" ] ||"
    " installed=ladder-hub\n"
    "hub=${LADDER_HUB:-$installed}\n"
    "zero=0000000000000000000000000000000000000000\n"
    "bad=0\n"
    "\n"
    "if ! command -v \"$hub\" >/dev/null 2>&1; then\n"
    "    echo \"ladder: cannot run '$hub' to check the models; push"
    " refused (reinstall the hook with 'ladder-hub model hook DIR', or set"
    " LADDER_HUB)\" >&2\n"
    "    exit 1\n"
    "fi\n"
    "\n"
    "# The model files commit $1 added or changed, against its first"
    " parent.\n"
    "changed_files() {\n"
    "    if git rev-parse -q --verify \"$1^1\" >/dev/null; then\n"
    "        git diff-tree -r --name-only --diff-filter=d \"$1^1\" \"$1\""
    " -- models\n"
    "    else\n"
    "        git ls-tree -r --name-only \"$1\" -- models\n"
    "    fi\n"
    "}\n"
    "\n"
    "# Checks file $2 of commit $1; prints the problems and fails if any.\n"
    "check_file() {\n"
    "    short=$(git rev-parse --short \"$1\")\n"
    "    id=${2#models/}\n"
    "    id=${id%.json}\n"
    "    case $2 in\n"
    "    models/*/* | models/.json) id= ;;\n"
    "    models/*.json) ;;\n"
    "    *) id= ;;\n"
    "    esac\n"
    "    case $id in\n"
    "    '' | [!a-z]* | *[!a-z0-9-]*)\n"
    "        echo \"ladder: $2 in $short: only models/<id>.json files"
    " belong in models/, <id> a slug\" >&2\n"
    "        return 1\n"
    "        ;;\n"
    "    esac\n"
    "    if ! out=$(git cat-file blob \"$1:$2\" | \"$hub\" model check -"
    " --id \"$id\" --canonical 2>&1); then\n"
    "        printf '%s\\n' \"$out\" | sed \"s|^|ladder: $2 in $short: |\""
    " >&2\n"
    "        return 1\n"
    "    fi\n"
    "}\n"
    "\n"
    "while read -r old new ref; do\n"
    "    [ \"$ref\" = refs/heads/main ] || continue\n"
    "    if [ \"$new\" = \"$zero\" ]; then\n"
    "        echo \"ladder: main holds every published model version; it"
    " cannot be deleted\" >&2\n"
    "        bad=1\n"
    "        continue\n"
    "    fi\n"
    "    if [ \"$old\" = \"$zero\" ]; then\n"
    "        commits=$(git rev-list \"$new\")\n"
    "    elif git merge-base --is-ancestor \"$old\" \"$new\"; then\n"
    "        commits=$(git rev-list \"$old..$new\")\n"
    "    else\n"
    "        echo \"ladder: main is never rewritten (assessments pin its"
    " versions); pull, merge and push again\" >&2\n"
    "        bad=1\n"
    "        continue\n"
    "    fi\n"
    "    for c in $commits; do\n"
    "        for f in $(changed_files \"$c\"); do\n"
    "            check_file \"$c\" \"$f\" || bad=1\n"
    "        done\n"
    "    done\n"
    "done\n"
    "\n"
    "if [ \"$bad\" -ne 0 ]; then\n"
    "    echo \"ladder: push refused; fix the models above (ladder model"
    " check FILE --canonical prints the canonical text)\" >&2\n"
    "fi\n"
    "exit \"$bad\"\n";

/* The hook text with `installed=` set to `bin`, single-quoted for sh;
 * the plain text (PATH lookup) when `bin` is NULL. malloc'd. */
static char *hook_for(const char *bin)
{
    const char *at = strstr(hub_git_hook_text, "\ninstalled=\n");
    size_t head, cap;
    char *out, *o;

    if (!bin || !at)
        return strdup(hub_git_hook_text);
    head = (size_t)(at - hub_git_hook_text) + sizeof "\ninstalled=" - 1;
    cap = strlen(hub_git_hook_text) + 4 * strlen(bin) + 3;
    if (!(out = malloc(cap)))
        return NULL;
    memcpy(out, hub_git_hook_text, head);
    o = out + head;
    *o++ = '\'';
    for (const char *s = bin; *s; s++) {
        if (*s == '\'') { /* close, escaped quote, reopen */
            memcpy(o, "'\\''", 4);
            o += 4;
        } else {
            *o++ = *s;
        }
    }
    *o++ = '\'';
    strcpy(o, hub_git_hook_text + head);
    return out;
}

/* This program's absolute path, or NULL (then the hook uses the PATH). */
static const char *self_path(char out[HUB_PATH_MAX])
{
    ssize_t n = readlink("/proc/self/exe", out, HUB_PATH_MAX - 1);

    if (n <= 0 || n >= HUB_PATH_MAX - 1 || out[0] != '/')
        return NULL;
    out[n] = '\0';
    return strchr(out, '\n') ? NULL : out;
}

/* Writes `text` to `path` through a temporary file and a rename, so a
 * push never runs half a hook. */
static int write_hook(const char *dir, const char *text, struct ldr_err *err)
{
    char tmp[HUB_PATH_MAX + 16], path[HUB_PATH_MAX + 16];
    int fd, rc = 0;

    snprintf(path, sizeof path, "%s/pre-receive", dir);
    snprintf(tmp, sizeof tmp, "%s/pre-receive.tmp", dir);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    if (fd < 0)
        return ldr_err_set(err, LDR_EIO, "cannot write '%s': %s", tmp,
                           strerror(errno));
    if (hub_write_all(fd, text, strlen(text)) != 0 || fchmod(fd, 0755) != 0 ||
        fsync(fd) != 0)
        rc = ldr_err_set(err, LDR_EIO, "cannot write '%s': %s", tmp,
                         strerror(errno));
    if (close(fd) != 0 && rc == 0)
        rc = ldr_err_set(err, LDR_EIO, "cannot write '%s': %s", tmp,
                         strerror(errno));
    if (rc == 0 && rename(tmp, path) != 0)
        rc = ldr_err_set(err, LDR_EIO, "cannot install '%s': %s", path,
                         strerror(errno));
    if (rc != 0)
        unlink(tmp);
    return rc;
}

int hub_git_install_hook(const char *git_dir, const char *hub_bin,
                         struct ldr_err *err)
{
    char dir[HUB_PATH_MAX], self[HUB_PATH_MAX];
    char *text;
    int rc, n = snprintf(dir, sizeof dir, "%s/hooks", git_dir);

    if (n < 0 || (size_t)n >= sizeof dir)
        return ldr_err_set(err, LDR_EINVAL, "path too long: '%s'", git_dir);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return ldr_err_set(err, LDR_EIO, "cannot create '%s': %s", dir,
                           strerror(errno));
    if (!(text = hook_for(hub_bin ? hub_bin : self_path(self))))
        return no_memory(err);
    rc = write_hook(dir, text, err);
    free(text);
    return rc;
}

/* ---- check -------------------------------------------------------------- */

/* Line number of the first byte where `a` and `b` differ. */
static size_t first_diff_line(const char *a, size_t alen, const char *b,
                              size_t blen)
{
    size_t line = 1;

    for (size_t i = 0; i < alen && i < blen && a[i] == b[i]; i++)
        if (a[i] == '\n')
            line++;
    return line;
}

static int check_canonical(const struct ldr_model *m, const char *text,
                           size_t len, struct ldr_problems *p)
{
    size_t clen;
    char *canonical = ldr_model_dump(m, &clen);
    int rc = 0;

    if (!canonical)
        return LDR_ENOMEM;
    if (clen != len || memcmp(canonical, text, len) != 0)
        rc = ldr_problems_add(
            p, "",
            "not the canonical text (first difference on line %zu): the "
            "version id is the blob id of the canonical text; "
            "'ladder model check FILE --canonical' prints it",
            first_diff_line(canonical, clen, text, len));
    free(canonical);
    return rc;
}

/* What the hub adds to the core validator. */
static int check_more(const struct ldr_model *m, const char *text, size_t len,
                      const struct hub_check *opt, struct ldr_problems *p)
{
    int rc = 0;

    if (!ldr_model_is_slug(m->id))
        rc = ldr_problems_add(p, "/id", "'%s' is not a plain slug", m->id);
    if (rc == 0 && opt && opt->id && strcmp(opt->id, m->id) != 0)
        rc = ldr_problems_add(p, "/id",
                              "the file of model '%s' holds model '%s'; a "
                              "model keeps its id (a new id is a new file)",
                              opt->id, m->id);
    if (rc == 0 && opt && opt->canonical)
        rc = check_canonical(m, text, len, p);
    return rc;
}

int hub_git_check(struct ldr_model **out, const char *text, size_t len,
                  const struct hub_check *opt, struct ldr_problems *problems,
                  struct ldr_err *err)
{
    struct ldr_problems local = {0};
    struct ldr_problems *p = problems ? problems : &local;
    struct ldr_model *m = NULL;
    size_t before = p->count;
    int rc = ldr_model_parse(&m, text, len, p, err);

    if (out)
        *out = NULL;
    if (rc == 0 && check_more(m, text, len, opt, p) != 0)
        rc = no_memory(err);
    if (rc == 0 && p->count > before)
        rc = ldr_err_set(err, LDR_EINVAL, "%zu problem%s in model '%s'",
                         p->count - before, p->count - before > 1 ? "s" : "",
                         m->id);
    if (rc == 0 && out)
        *out = m;
    else
        ldr_model_free(m);
    ldr_problems_release(&local);
    return rc;
}

/* ---- publish ------------------------------------------------------------ */

int hub_git_parse_author(char *name, char *email, size_t cap, const char *text,
                         struct ldr_err *err)
{
    const char *lt = strchr(text, '<'), *gt = strrchr(text, '>');
    size_t nlen, elen;

    if (!lt || !gt || gt < lt || gt[1] != '\0' || strchr(lt + 1, '<') ||
        memchr(text, '>', (size_t)(lt - text)))
        return ldr_err_set(err, LDR_EINVAL,
                           "author '%s' is not of the form 'Name <email>'",
                           text);
    for (nlen = (size_t)(lt - text); nlen > 0 && text[nlen - 1] == ' ';)
        nlen--;
    elen = (size_t)(gt - lt - 1);
    if (nlen == 0 || elen == 0 || nlen >= cap || elen >= cap)
        return ldr_err_set(err, LDR_EINVAL,
                           "author '%s': name and email must be non-empty "
                           "and shorter than %zu bytes",
                           text, cap);
    memcpy(name, text, nlen);
    name[nlen] = '\0';
    memcpy(email, lt + 1, elen);
    email[elen] = '\0';
    return 0;
}

/* A name or email git can store: non-empty, no angle brackets or breaks. */
static bool ident_ok(const char *s)
{
    return s && s[strspn(s, " ")] != '\0' && !strpbrk(s, "<>\n\r");
}

static bool tag_chars_ok(const char *tag)
{
    size_t n = strlen(tag);

    return n > 0 && n <= HUB_GIT_TAG_MAX && tag[0] != '-' &&
           strspn(tag, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                       "0123456789._/-") == n;
}

static int check_request(const struct hub_publish *in, const char *tag,
                         struct ldr_err *err)
{
    int valid = 0;

    if (!ident_ok(in->name))
        return ldr_err_set(err, LDR_EINVAL,
                           "author name '%s' must be non-empty, without '<', "
                           "'>' or line breaks",
                           in->name ? in->name : "");
    if (!ident_ok(in->email) || strchr(in->email, ' '))
        return ldr_err_set(err, LDR_EINVAL,
                           "author email '%s' must be non-empty, without "
                           "spaces, '<', '>' or line breaks",
                           in->email ? in->email : "");
    if (!in->message || in->message[strspn(in->message, " \t\r\n")] == '\0')
        return ldr_err_set(err, LDR_EINVAL,
                           "a commit message is needed: say what changed");
    if (tag && (!tag_chars_ok(tag) || git_tag_name_is_valid(&valid, tag) < 0 ||
                !valid))
        return ldr_err_set(err, LDR_EINVAL,
                           "'%s' is not a tag name (letters, digits, '.', "
                           "'_', '-', '/'; at most %d)",
                           tag, HUB_GIT_TAG_MAX);
    return 0;
}

/* Serialises publishers; *fd holds the lock until close(). */
static int lock_publish(int *fd, git_repository *repo, struct ldr_err *err)
{
    char path[HUB_PATH_MAX];

    snprintf(path, sizeof path, "%s" LOCK_FILE, git_repository_path(repo));
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (*fd < 0)
        return ldr_err_set(err, LDR_EIO, "cannot open '%s': %s", path,
                           strerror(errno));
    for (long waited = 0; flock(*fd, LOCK_EX | LOCK_NB) != 0;
         waited += LOCK_STEP_MS) {
        int rc = 0;

        if (errno != EWOULDBLOCK && errno != EINTR)
            rc = ldr_err_set(err, LDR_EIO, "cannot lock '%s': %s", path,
                             strerror(errno));
        else if (waited >= LOCK_WAIT_MS)
            rc = ldr_err_set(err, LDR_EBUSY,
                             "another publish holds '%s'; try again", path);
        if (rc != 0) {
            close(*fd);
            *fd = -1;
            return rc;
        }
        sleep_ms(LOCK_STEP_MS);
    }
    return 0;
}

static int tag_is_free(git_repository *repo, const char *tag,
                       struct ldr_err *err)
{
    char name[HUB_GIT_TAG_MAX + 16];
    git_reference *ref = NULL;
    int rc;

    snprintf(name, sizeof name, "refs/tags/%s", tag);
    rc = git_reference_lookup(&ref, repo, name);
    git_reference_free(ref);
    if (rc == 0)
        return ldr_err_set(err, LDR_EINVAL,
                           "tag '%s' exists already; choose another label",
                           tag);
    return rc == GIT_ENOTFOUND ? 0 : git_fail(err, "cannot read tags");
}

/* Everything one commit needs; `message` is git_message_prettify'd. */
struct publish {
    struct hub_git *g;
    git_repository *repo;
    char path[PATH_CAP];
    git_oid blob;
    git_signature *sig;
    git_buf message;
};

/* The blob id of `path` in `tree`; GIT_ENOTFOUND if absent or no file. */
static int blob_in_tree(git_oid *out, const git_tree *tree, const char *path)
{
    git_tree_entry *e = NULL;
    int rc = git_tree_entry_bypath(&e, tree, path);

    if (rc == 0 && git_tree_entry_type(e) != GIT_OBJECT_BLOB)
        rc = GIT_ENOTFOUND;
    if (rc == 0)
        git_oid_cpy(out, git_tree_entry_id(e));
    git_tree_entry_free(e);
    return rc;
}

/* Commits `base` (NULL: none) + the file on top of `tip` (NULL: none). */
static int commit_on(git_oid *out, struct publish *p, git_tree *base,
                     git_commit *tip)
{
    git_tree_update up = {GIT_TREE_UPDATE_UPSERT, p->blob, GIT_FILEMODE_BLOB,
                          p->path};
    const git_commit *parents[1] = {tip};
    git_tree *tree = NULL;
    git_oid tree_id;
    int rc = git_tree_create_updated(&tree_id, p->repo, base, 1, &up);

    if (rc == 0)
        rc = git_tree_lookup(&tree, p->repo, &tree_id);
    if (rc == 0)
        rc = git_commit_create(out, p->repo, NULL, p->sig, p->sig, NULL,
                               p->message.ptr, tree, tip ? 1 : 0, parents);
    git_tree_free(tree);
    return rc;
}

/* Moves main from `old` (NULL: unborn) to `id`, only if nobody moved it. */
static int move_main(git_repository *repo, const git_oid *id,
                     const git_oid *old)
{
    git_reference *ref = NULL;
    int rc = old ? git_reference_create_matching(&ref, repo, HUB_GIT_BRANCH, id,
                                                 1, old, "ladder publish")
                 : git_reference_create(&ref, repo, HUB_GIT_BRANCH, id, 0,
                                        "ladder publish");

    git_reference_free(ref);
    return rc;
}

/*
 * One attempt: 1 if the file is already current, 0 if committed, a
 * libgit2 code otherwise (GIT_EMODIFIED, GIT_EEXISTS or GIT_ELOCKED when
 * a push moved main meanwhile).
 */
static int commit_once(git_oid *out, struct publish *p)
{
    git_reference *ref = NULL;
    git_commit *tip = NULL;
    git_tree *base = NULL;
    git_oid old, current;
    int rc = git_reference_lookup(&ref, p->repo, HUB_GIT_BRANCH);

    if (rc == 0 && !git_reference_target(ref))
        rc = GIT_ERROR; /* main is symbolic: not ours to move */
    if (rc == 0) {
        git_oid_cpy(&old, git_reference_target(ref));
        rc = git_commit_lookup(&tip, p->repo, &old);
        if (rc == 0)
            rc = git_commit_tree(&base, tip);
        if (rc == 0 && blob_in_tree(&current, base, p->path) == 0 &&
            git_oid_equal(&current, &p->blob))
            rc = 1;
    } else if (rc == GIT_ENOTFOUND) {
        rc = 0; /* the first commit: no base tree (libgit2 takes NULL) */
    }
    if (rc == 0)
        rc = commit_on(out, p, base, tip);
    if (rc == 0)
        rc = move_main(p->repo, out, tip ? &old : NULL);
    git_tree_free(base);
    git_commit_free(tip);
    git_reference_free(ref);
    return rc;
}

static int latest_write(git_oid *out, struct hub_git *g, const char *path,
                        const git_oid *blob);

/* Commits until main takes it; fills out->commit and out->unchanged. */
static int commit_retry(struct hub_published *out, struct publish *p,
                        struct ldr_err *err)
{
    git_oid id;
    int rc = GIT_EMODIFIED;

    for (int i = 0; i < PUBLISH_TRIES; i++) {
        rc = commit_once(&id, p);
        if (rc != GIT_EMODIFIED && rc != GIT_EEXISTS && rc != GIT_ELOCKED)
            break;
        sleep_ms(LOCK_STEP_MS * (i + 1));
    }
    if (rc == 1) {
        out->unchanged = true;
        rc = latest_write(&id, p->g, p->path, &p->blob);
    }
    if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS || rc == GIT_ELOCKED)
        return ldr_err_set(err, LDR_EBUSY,
                           "main kept moving (pushes?) while publishing "
                           "'%s'; try again",
                           p->path);
    if (rc != 0)
        return git_fail(err, "cannot commit");
    oid_hex(out->commit, &id);
    return 0;
}

static int make_tag(struct publish *p, const char *tag, const char *commit,
                    struct ldr_err *err)
{
    git_object *target = NULL;
    git_oid id, tag_id;
    int rc = git_oid_fromstr(&id, commit);

    if (rc == 0)
        rc = git_object_lookup(&target, p->repo, &id, GIT_OBJECT_COMMIT);
    if (rc == 0)
        rc = git_tag_create(&tag_id, p->repo, tag, target, p->sig,
                            p->message.ptr, 0);
    git_object_free(target);
    if (rc == GIT_EEXISTS)
        return ldr_err_set(err, LDR_EINVAL,
                           "committed %.12s, but tag '%s' appeared "
                           "meanwhile; tag it with another label",
                           commit, tag);
    return rc == 0 ? 0 : git_fail(err, "cannot tag");
}

static bool pack_due(git_repository *repo);
static int blob_at(git_oid *out, const git_commit *c, const char *path);

/* Whether `rev` names a commit that holds the blob at the path. */
static bool holds_blob(struct publish *p, const char *rev)
{
    git_object *obj = NULL, *commit = NULL;
    git_oid blob;
    bool yes = git_revparse_single(&obj, p->repo, rev) == 0 &&
               git_object_peel(&commit, obj, GIT_OBJECT_COMMIT) == 0 &&
               blob_at(&blob, (git_commit *)commit, p->path) == 0 &&
               git_oid_equal(&blob, &p->blob);

    git_object_free(commit);
    git_object_free(obj);
    return yes;
}

/* A publish sent again (its answer was lost): its tag is there and holds
 * the version, which is still current. It answers "unchanged". */
static bool is_retry(struct publish *p, const char *tag)
{
    char ref[HUB_GIT_TAG_MAX + 16];

    snprintf(ref, sizeof ref, "refs/tags/%s", tag);
    return holds_blob(p, ref) && holds_blob(p, HUB_GIT_BRANCH);
}

/* Under the lock: the tag is free, commit, tag, and pack now and then (a
 * failed pack fails no publish: the commit is there). */
static int publish_locked(struct hub_published *out, struct publish *p,
                          const char *tag, struct ldr_err *err)
{
    int fd = -1;
    int rc = lock_publish(&fd, p->repo, err);

    if (rc == 0 && tag && !is_retry(p, tag))
        rc = tag_is_free(p->repo, tag, err);
    if (rc == 0)
        rc = commit_retry(out, p, err);
    if (rc == 0 && tag && !out->unchanged)
        rc = make_tag(p, tag, out->commit, err);
    if (rc == 0 && !out->unchanged && pack_due(p->repo))
        hub_git_pack(p->g, NULL);
    if (fd >= 0)
        close(fd);
    return rc;
}

/* The blob, signature and message of the commit for model `m`. */
static int prepare(struct publish *p, const struct ldr_model *m,
                   const struct hub_publish *in, char version[HUB_GIT_HEX + 1],
                   struct ldr_err *err)
{
    size_t len;
    char *text = ldr_model_dump(m, &len);
    int rc;

    if (!text)
        return no_memory(err);
    ldr_model_version(version, text, len);
    rc = git_blob_create_from_buffer(&p->blob, p->repo, text, len);
    free(text);
    if (rc == 0)
        rc = git_signature_now(&p->sig, in->name, in->email);
    if (rc == 0)
        rc = git_message_prettify(&p->message, in->message, 0, '#');
    if (rc != 0)
        return git_fail(err, "cannot prepare the commit");
    snprintf(p->path, sizeof p->path, HUB_GIT_MODELS "/%s.json", m->id);
    return 0;
}

int hub_git_publish(struct hub_published *out, struct hub_git *g,
                    const struct hub_publish *in, struct ldr_problems *problems,
                    struct ldr_err *err)
{
    struct hub_check opt = {in->id, false};
    struct publish p = {.g = g, .repo = g->repo};
    struct ldr_model *m = NULL;
    const char *tag = in->tag && *in->tag ? in->tag : NULL;
    int rc = check_request(in, tag, err);

    memset(out, 0, sizeof *out);
    if (rc == 0)
        rc = hub_git_check(&m, in->text, in->len, &opt, problems, err);
    if (rc == 0) {
        snprintf(out->id, sizeof out->id, "%s", m->id);
        rc = prepare(&p, m, in, out->version, err);
    }
    if (rc == 0)
        rc = publish_locked(out, &p, tag, err);
    git_signature_free(p.sig);
    git_buf_dispose(&p.message);
    ldr_model_free(m);
    return rc;
}

/* ---- packing ------------------------------------------------------------ */

/* DIR/models.git/objects */
static void objects_dir(char out[HUB_PATH_MAX], git_repository *repo)
{
    snprintf(out, HUB_PATH_MAX, "%sobjects", git_repository_path(repo));
}

/* Loose objects in objects/<xx>, xx from `first` to `last` (hex). */
static size_t count_loose(const char *objects, int first, int last)
{
    size_t n = 0;

    for (int i = first; i <= last; i++) {
        char dir[HUB_PATH_MAX + 4];
        struct dirent *e;
        DIR *d;

        snprintf(dir, sizeof dir, "%s/%02x", objects, i);
        if (!(d = opendir(dir)))
            continue;
        while ((e = readdir(d)))
            n += strlen(e->d_name) == HUB_GIT_HEX - 2;
        closedir(d);
    }
    return n;
}

/* git gc --auto's estimate: 1/16 of the fan-out directories. */
static bool pack_due(git_repository *repo)
{
    char objects[HUB_PATH_MAX];

    objects_dir(objects, repo);
    return count_loose(objects, 0x00, 0x0f) * 16 >= PACK_AUTO_LOOSE;
}

struct packing {
    git_repository *repo;
    git_packbuilder *pb;
};

/* git_tag_foreach: annotated tag objects, which a walk does not reach. */
static int insert_tag(const char *ref, git_oid *oid, void *payload)
{
    struct packing *p = payload;
    git_object *obj = NULL;
    int rc = git_object_lookup(&obj, p->repo, oid, GIT_OBJECT_TAG);

    (void)ref;
    if (rc == 0)
        rc = git_packbuilder_insert(p->pb, oid, NULL);
    git_object_free(obj);
    return rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC ? 0 : rc;
}

/* Writes one pack of everything the refs reach; its name in `name`. */
static int write_pack(char name[HUB_GIT_HEX + 1], git_repository *repo)
{
    struct packing p = {repo, NULL};
    git_revwalk *walk = NULL;
    int rc = git_packbuilder_new(&p.pb, repo);

    if (rc == 0)
        rc = git_revwalk_new(&walk, repo);
    if (rc == 0)
        rc = git_revwalk_push_glob(walk, "refs/*");
    if (rc == 0)
        rc = git_packbuilder_insert_walk(p.pb, walk);
    if (rc == 0)
        rc = git_tag_foreach(repo, insert_tag, &p);
    if (rc == 0)
        rc = git_packbuilder_write(p.pb, NULL, 0, NULL, NULL);
    if (rc == 0)
        snprintf(name, HUB_GIT_HEX + 1, "%s", git_packbuilder_name(p.pb));
    git_revwalk_free(walk);
    git_packbuilder_free(p.pb);
    return rc;
}

/* An object database of the one pack `idx` (a .idx path). */
static int open_pack(git_odb **out, const char *idx)
{
    git_odb_backend *backend = NULL;
    int rc = git_odb_new(out);

    if (rc == 0)
        rc = git_odb_backend_one_pack(&backend, idx);
    if (rc == 0 && (rc = git_odb_add_backend(*out, backend, 1)) != 0)
        backend->free(backend);
    if (rc != 0) {
        git_odb_free(*out);
        *out = NULL;
    }
    return rc;
}

/* Removes the loose objects `packed` holds (git prune-packed). */
static void prune_loose(const char *objects, git_odb *packed)
{
    for (int i = 0; i < 256; i++) {
        char dir[HUB_PATH_MAX + 4], hex[HUB_GIT_HEX + 1];
        struct dirent *e;
        git_oid id;
        DIR *d;

        snprintf(dir, sizeof dir, "%s/%02x", objects, i);
        if (!(d = opendir(dir)))
            continue;
        while ((e = readdir(d))) {
            if (strlen(e->d_name) != HUB_GIT_HEX - 2)
                continue;
            snprintf(hex, sizeof hex, "%02x%.38s", i, e->d_name);
            if (git_oid_fromstr(&id, hex) == 0 && git_odb_exists(packed, &id))
                unlinkat(dirfd(d), e->d_name, 0);
        }
        closedir(d);
    }
}

static int in_packed(const git_oid *id, void *packed)
{
    return git_odb_exists(packed, id) ? 0 : GIT_EUSER;
}

/* Removes pack `stem` (objects/pack/pack-X) if `packed` has all of it:
 * a push may have brought a pack meanwhile. */
static void prune_pack(const char *stem, git_odb *packed)
{
    static const char *const ext[] = {".idx", ".pack", ".rev", ".bitmap"};
    char path[HUB_PATH_MAX + 16];
    git_odb *old = NULL;
    bool all;

    snprintf(path, sizeof path, "%s.keep", stem);
    if (access(path, F_OK) == 0)
        return;
    snprintf(path, sizeof path, "%s.idx", stem);
    if (open_pack(&old, path) != 0)
        return;
    all = git_odb_foreach(old, in_packed, packed) == 0;
    git_odb_free(old);
    for (size_t i = 0; all && i < sizeof ext / sizeof *ext; i++) {
        snprintf(path, sizeof path, "%s%s", stem, ext[i]);
        unlink(path); /* .idx first: no reader finds a pack going away */
    }
}

/* Removes every pack but pack-<name> that `packed` covers. */
static void prune_packs(const char *objects, const char *name, git_odb *packed)
{
    char dir[HUB_PATH_MAX + 8], stem[HUB_PATH_MAX];
    struct dirent *e;
    DIR *d;

    snprintf(dir, sizeof dir, "%s/pack", objects);
    if (!(d = opendir(dir)))
        return;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);

        if (n < 5 || strcmp(e->d_name + n - 4, ".idx") != 0 ||
            strncmp(e->d_name + 5, name, HUB_GIT_HEX) == 0)
            continue;
        n = (size_t)snprintf(stem, sizeof stem, "%s/%.*s", dir, (int)(n - 4),
                             e->d_name);
        if (n < sizeof stem)
            prune_pack(stem, packed);
    }
    closedir(d);
}

int hub_git_pack(struct hub_git *g, struct ldr_err *err)
{
    char objects[HUB_PATH_MAX], name[HUB_GIT_HEX + 1], idx[HUB_PATH_MAX + 64];
    git_odb *packed = NULL;
    int rc;

    objects_dir(objects, g->repo);
    if ((rc = write_pack(name, g->repo)) != 0)
        return git_fail(err, "cannot pack the repository");
    snprintf(idx, sizeof idx, "%s/pack/pack-%s.idx", objects, name);
    if (open_pack(&packed, idx) != 0)
        return git_fail(err, "cannot read the new pack");
    prune_loose(objects, packed);
    prune_packs(objects, name, packed);
    git_odb_free(packed);
    return 0;
}

/* ---- history ------------------------------------------------------------ */

/* The blob id of `path` in commit `c`; GIT_ENOTFOUND if it has none. */
static int blob_at(git_oid *out, const git_commit *c, const char *path)
{
    git_tree *tree = NULL;
    int rc = git_commit_tree(&tree, c);

    if (rc == 0)
        rc = blob_in_tree(out, tree, path);
    git_tree_free(tree);
    return rc;
}

/*
 * Whether commit `c` wrote `path`: it holds the file (its id in *blob)
 * and differs from every parent, as `git log -- PATH` counts merges.
 */
static int wrote(bool *out, git_oid *blob, const git_commit *c,
                 const char *path)
{
    unsigned n = git_commit_parentcount(c);
    int rc = blob_at(blob, c, path);

    *out = false;
    if (rc != 0)
        return rc == GIT_ENOTFOUND ? 0 : rc;
    for (unsigned i = 0; i < n; i++) {
        git_commit *parent = NULL;
        git_oid old;

        rc = git_commit_parent(&parent, c, i);
        if (rc == 0)
            rc = blob_at(&old, parent, path);
        git_commit_free(parent);
        if (rc == 0 && git_oid_equal(&old, blob))
            return 0;
        if (rc != 0 && rc != GIT_ENOTFOUND)
            return rc;
    }
    *out = true;
    return 0;
}

/* What one commit of main holds at one path. */
struct cell {
    git_oid blob; /* zero if the commit has no such file */
    bool wrote;   /* the commit wrote it (see wrote()) */
};

#define COLUMNS 8 /* paths whose cells are kept */

/*
 * main's commits in order and, for a few paths, what each commit holds
 * there, kept per process: requests open handles of their own, and a
 * cold walk of 1,000 commits reads ~3,000 objects (15-20 ms). When main
 * moves forward only the new commits are read. One lock: a request that
 * finds the cache stale brings it up to date while the others wait.
 */
static struct {
    pthread_mutex_t lock;
    char repo[HUB_PATH_MAX]; /* git_repository_path() it is of */
    git_oid tip;
    git_oid *order; /* newest first, children before parents */
    size_t count;
    struct {
        char path[PATH_CAP];
        struct cell *cells; /* [count], as order */
    } columns[COLUMNS];
    size_t next; /* the column to reuse next */
} shared = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* A copy of main's order at `tip` and, if asked, the cells of a path. */
struct view {
    git_oid tip;
    git_oid *order;
    size_t count; /* 0 while main has no commit */
    struct cell *cells;
};

static void view_release(struct view *v)
{
    free(v->order);
    free(v->cells);
}

static void *dup_mem(const void *src, size_t size)
{
    void *p = malloc(size ? size : 1);

    return p ? memcpy(p, src, size) : NULL;
}

/* Commits from `tip` down to (not into) `hide`, children first
 * (commit time alone is not enough: libgit2 puts same-second commits in
 * any order). */
static int walk_order(git_oid **out, size_t *n, git_repository *repo,
                      const git_oid *tip, const git_oid *hide)
{
    git_revwalk *walk = NULL;
    size_t cap = 0;
    git_oid id;
    int rc = git_revwalk_new(&walk, repo);

    *out = NULL;
    *n = 0;
    if (rc == 0)
        rc = git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
    if (rc == 0)
        rc = git_revwalk_push(walk, tip);
    if (rc == 0 && hide)
        rc = git_revwalk_hide(walk, hide);
    while (rc == 0 && (rc = git_revwalk_next(&id, walk)) == 0) {
        if (*n == cap) {
            git_oid *grown =
                realloc(*out, (cap = cap ? 2 * cap : 256) * sizeof *grown);
            if (!grown) {
                rc = GIT_EUSER;
                break;
            }
            *out = grown;
        }
        git_oid_cpy(&(*out)[(*n)++], &id);
    }
    git_revwalk_free(walk);
    return rc == GIT_ITEROVER ? 0 : rc;
}

/* The cell of commit `i`; a single parent at i + 1 is known already. */
static int fill_cell(struct cell *cells, const git_oid *order, size_t count,
                     size_t i, git_repository *repo, const char *path)
{
    struct cell *cell = &cells[i];
    git_commit *c = NULL;
    int rc = git_commit_lookup(&c, repo, &order[i]);

    memset(cell, 0, sizeof *cell);
    if (rc == 0 && git_commit_parentcount(c) == 1 && i + 1 < count &&
        git_oid_equal(git_commit_parent_id(c, 0), &order[i + 1])) {
        if ((rc = blob_at(&cell->blob, c, path)) == GIT_ENOTFOUND)
            rc = 0; /* no file: blob stays zero */
        cell->wrote = rc == 0 && !git_oid_is_zero(&cell->blob) &&
                      !git_oid_equal(&cell->blob, &cells[i + 1].blob);
    } else if (rc == 0) {
        rc = wrote(&cell->wrote, &cell->blob, c, path);
    }
    git_commit_free(c);
    return rc;
}

/* Fills cells[0 .. end), oldest first; the cells after `end` are known. */
static int fill_cells(struct cell *cells, const git_oid *order, size_t count,
                      size_t end, git_repository *repo, const char *path)
{
    int rc = 0;

    for (size_t i = end; rc == 0 && i-- > 0;)
        rc = fill_cell(cells, order, count, i, repo, path);
    return rc;
}

static void drop_shared(void)
{
    for (size_t i = 0; i < COLUMNS; i++) {
        free(shared.columns[i].cells);
        shared.columns[i].cells = NULL;
    }
    free(shared.order);
    shared.order = NULL;
    shared.count = 0;
}

/* The cache from scratch, for `repo` at `tip`. */
static int rebuild_shared(git_repository *repo, const git_oid *tip)
{
    int rc;

    drop_shared();
    rc = walk_order(&shared.order, &shared.count, repo, tip, NULL);
    if (rc != 0) {
        drop_shared();
        return rc;
    }
    git_oid_cpy(&shared.tip, tip);
    snprintf(shared.repo, sizeof shared.repo, "%s", git_repository_path(repo));
    return 0;
}

/* One column with the cells of `n` new commits put in front. */
static int extend_column(struct cell **out, size_t k, const git_oid *order,
                         size_t n, git_repository *repo)
{
    size_t count = n + shared.count;
    struct cell *cells = malloc(count * sizeof *cells);
    int rc;

    if (!cells)
        return GIT_EUSER;
    memcpy(cells + n, shared.columns[k].cells, shared.count * sizeof *cells);
    rc = fill_cells(cells, order, count, n, repo, shared.columns[k].path);
    if (rc != 0)
        free(cells);
    else
        *out = cells;
    return rc;
}

/* main moved forward from shared.tip to `tip`: reads only the new commits. */
static int extend_shared(git_repository *repo, const git_oid *tip)
{
    struct cell *cells[COLUMNS] = {NULL};
    git_oid *fresh = NULL, *order = NULL;
    size_t n;
    int rc = walk_order(&fresh, &n, repo, tip, &shared.tip);

    if (rc == 0 && !(order = malloc((n + shared.count) * sizeof *order)))
        rc = GIT_EUSER;
    if (rc == 0) {
        memcpy(order, fresh, n * sizeof *order);
        memcpy(order + n, shared.order, shared.count * sizeof *order);
    }
    for (size_t k = 0; rc == 0 && k < COLUMNS; k++)
        if (shared.columns[k].cells)
            rc = extend_column(&cells[k], k, order, n, repo);
    for (size_t k = 0; k < COLUMNS; k++) {
        if (rc == 0 && shared.columns[k].cells) {
            free(shared.columns[k].cells);
            shared.columns[k].cells = cells[k];
        } else {
            free(cells[k]);
        }
    }
    if (rc == 0) {
        free(shared.order);
        shared.order = order;
        shared.count += n;
        git_oid_cpy(&shared.tip, tip);
    } else {
        free(order);
    }
    free(fresh);
    return rc;
}

/* The column of `path`, made if missing; its index in *k. */
static int column_of(size_t *k, git_repository *repo, const char *path)
{
    struct cell *cells;
    int rc;

    for (*k = 0; *k < COLUMNS; ++*k)
        if (shared.columns[*k].cells &&
            strcmp(shared.columns[*k].path, path) == 0)
            return 0;
    if (!(cells = malloc((shared.count ? shared.count : 1) * sizeof *cells)))
        return GIT_EUSER;
    rc =
        fill_cells(cells, shared.order, shared.count, shared.count, repo, path);
    if (rc != 0) {
        free(cells);
        return rc;
    }
    *k = shared.next++ % COLUMNS;
    free(shared.columns[*k].cells);
    shared.columns[*k].cells = cells;
    snprintf(shared.columns[*k].path, PATH_CAP, "%s", path);
    return 0;
}

/* With shared.lock held: the cache of `repo` at `tip`, with `path`. */
static int refresh_shared(size_t *k, git_repository *repo, const git_oid *tip,
                          const char *path)
{
    bool same =
        shared.order && strcmp(shared.repo, git_repository_path(repo)) == 0;
    int rc = 0;

    if (!same || !git_oid_equal(&shared.tip, tip)) {
        /* main only moves forward (the hook refuses rewrites); if it did
         * not, start again */
        rc = same && git_graph_descendant_of(repo, tip, &shared.tip) == 1
                 ? extend_shared(repo, tip)
                 : GIT_ENOTFOUND;
        if (rc != 0)
            rc = rebuild_shared(repo, tip);
    }
    if (rc == 0 && path)
        rc = column_of(k, repo, path);
    return rc;
}

/* main now: its order and, when `path` is set, what it held there. */
static int load_view(struct view *v, git_repository *repo, const char *path)
{
    size_t k = 0;
    int rc;

    memset(v, 0, sizeof *v);
    rc = git_reference_name_to_id(&v->tip, repo, HUB_GIT_BRANCH);
    if (rc != 0)
        return rc == GIT_ENOTFOUND ? 0 : rc;
    pthread_mutex_lock(&shared.lock);
    rc = refresh_shared(&k, repo, &v->tip, path);
    if (rc == 0) {
        v->count = shared.count;
        v->order = dup_mem(shared.order, v->count * sizeof *v->order);
        if (path)
            v->cells =
                dup_mem(shared.columns[k].cells, v->count * sizeof *v->cells);
        if (!v->order || (path && !v->cells))
            rc = GIT_EUSER;
    }
    pthread_mutex_unlock(&shared.lock);
    if (rc != 0) {
        view_release(v);
        memset(v, 0, sizeof *v);
    }
    return rc;
}

/* Called for each commit; nonzero stops the walk (1: done, GIT_EUSER:
 * failed, the reason in the context, or a libgit2 code). */
typedef int (*commit_fn)(void *ctx, const git_commit *c);

/* Calls `fn` for the commits of main, newest first. */
static int each_commit(struct hub_git *g, commit_fn fn, void *ctx)
{
    struct view v;
    int rc = load_view(&v, g->repo, NULL);

    for (size_t i = 0; rc == 0 && i < v.count; i++) {
        git_commit *c = NULL;

        rc = git_commit_lookup(&c, g->repo, &v.order[i]);
        if (rc == 0)
            rc = fn(ctx, c);
        git_commit_free(c);
    }
    view_release(&v);
    return rc == 1 ? 0 : rc;
}

/* Called for each commit that wrote the file, as commit_fn. */
typedef int (*write_fn)(void *ctx, const git_commit *c, const git_oid *blob);

/* Calls `fn` for the commits of main that wrote `path`, newest first. */
static int each_write(struct hub_git *g, const char *path, write_fn fn,
                      void *ctx)
{
    struct view v;
    int rc = load_view(&v, g->repo, path);

    for (size_t i = 0; rc == 0 && i < v.count; i++) {
        git_commit *c = NULL;

        if (!v.cells[i].wrote)
            continue;
        rc = git_commit_lookup(&c, g->repo, &v.order[i]);
        if (rc == 0)
            rc = fn(ctx, c, &v.cells[i].blob);
        git_commit_free(c);
    }
    view_release(&v);
    return rc == 1 ? 0 : rc;
}

struct latest {
    const git_oid *blob;
    git_oid *out;
    bool found;
};

static int take_latest(void *ctx, const git_commit *c, const git_oid *blob)
{
    struct latest *l = ctx;

    if (!git_oid_equal(blob, l->blob))
        return 0;
    git_oid_cpy(l->out, git_commit_id(c));
    l->found = true;
    return 1;
}

/* The newest commit of main that wrote `blob` at `path`. */
static int latest_write(git_oid *out, struct hub_git *g, const char *path,
                        const git_oid *blob)
{
    struct latest l = {blob, out, false};
    int rc = each_write(g, path, take_latest, &l);

    return rc == 0 && !l.found ? GIT_ENOTFOUND : rc;
}

/* The newest commit of main whose `path` is `blob`. */
static int newest_holding(git_oid *out, struct hub_git *g, const char *path,
                          const git_oid *blob)
{
    struct view v;
    int rc = load_view(&v, g->repo, path);

    for (size_t i = 0; rc == 0 && i < v.count; i++)
        if (git_oid_equal(&v.cells[i].blob, blob)) {
            git_oid_cpy(out, &v.order[i]);
            rc = 1;
        }
    view_release(&v);
    return rc == 1 ? 0 : rc == 0 ? GIT_ENOTFOUND : rc;
}

/* ---- tags --------------------------------------------------------------- */

struct tag {
    git_oid commit;
    char *name;
};

struct tags {
    git_repository *repo;
    struct tag *items;
    size_t count, cap;
    bool oom;
};

static void tags_release(struct tags *t)
{
    for (size_t i = 0; i < t->count; i++)
        free(t->items[i].name);
    free(t->items);
}

/* git_tag_foreach: keeps tags that lead to a commit. */
static int add_tag(const char *ref, git_oid *oid, void *payload)
{
    struct tags *t = payload;
    git_object *obj = NULL, *commit = NULL;
    int rc = git_object_lookup(&obj, t->repo, oid, GIT_OBJECT_ANY);

    if (rc == 0)
        rc = git_object_peel(&commit, obj, GIT_OBJECT_COMMIT);
    if (rc == 0 && t->count == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 16;
        struct tag *items = realloc(t->items, cap * sizeof *items);

        t->oom = !items;
        if (items) {
            t->items = items;
            t->cap = cap;
        }
    }
    if (rc == 0 && !t->oom) {
        t->items[t->count].name = strdup(ref + strlen("refs/tags/"));
        git_oid_cpy(&t->items[t->count].commit, git_object_id(commit));
        t->oom = !t->items[t->count].name;
        t->count += !t->oom;
    }
    git_object_free(commit);
    git_object_free(obj);
    return t->oom ? GIT_EUSER : 0;
}

static int load_tags(struct tags *t, git_repository *repo, struct ldr_err *err)
{
    int rc;

    memset(t, 0, sizeof *t);
    t->repo = repo;
    rc = git_tag_foreach(repo, add_tag, t);
    if (rc == 0)
        return 0;
    tags_release(t);
    return t->oom ? no_memory(err) : git_fail(err, "cannot read tags");
}

/* Copies the names of the tags `pick` accepts into *names. */
static int copy_tags(char ***names, size_t *n, const struct tags *t,
                     bool (*pick)(const struct tag *, const void *),
                     const void *arg)
{
    *names = NULL;
    *n = 0;
    for (size_t i = 0; i < t->count; i++) {
        char **grown;

        if (!pick(&t->items[i], arg))
            continue;
        if (!(grown = realloc(*names, (*n + 1) * sizeof *grown)))
            return LDR_ENOMEM;
        *names = grown;
        if (!(grown[*n] = strdup(t->items[i].name)))
            return LDR_ENOMEM;
        ++*n;
    }
    return 0;
}

static bool tag_on_commit(const struct tag *tag, const void *commit)
{
    return git_oid_equal(&tag->commit, commit);
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* ---- versions ----------------------------------------------------------- */

static void rfc3339(char out[HUB_GIT_DATE_MAX + 1], git_time_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (!gmtime_r(&tt, &tm) ||
        !strftime(out, HUB_GIT_DATE_MAX + 1, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, HUB_GIT_DATE_MAX + 1, "1970-01-01T00:00:00Z");
}

static char *message_dup(const char *msg)
{
    size_t n = strlen(msg ? msg : "");

    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        n--;
    return strndup(msg ? msg : "", n);
}

static void version_release(struct hub_version *v)
{
    free(v->author);
    free(v->email);
    free(v->message);
    free_names(v->tags, v->ntags);
}

static int fill_version(struct hub_version *v, const git_commit *c,
                        const git_oid *blob, const struct tags *tags)
{
    const git_signature *a = git_commit_author(c);

    memset(v, 0, sizeof *v);
    oid_hex(v->commit, git_commit_id(c));
    oid_hex(v->version, blob);
    rfc3339(v->date, a->when.time);
    v->author = strdup(a->name);
    v->email = strdup(a->email);
    v->message = message_dup(git_commit_message(c));
    if (!v->author || !v->email || !v->message ||
        copy_tags(&v->tags, &v->ntags, tags, tag_on_commit, git_commit_id(c)) !=
            0) {
        version_release(v);
        return LDR_ENOMEM;
    }
    return 0;
}

struct versions_walk {
    struct hub_versions *out;
    const struct tags *tags;
};

static int add_version(void *ctx, const git_commit *c, const git_oid *blob)
{
    struct versions_walk *w = ctx;
    struct hub_versions *v = w->out;

    if (v->count == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 16;
        struct hub_version *items = realloc(v->items, cap * sizeof *items);

        if (!items)
            return GIT_EUSER;
        v->items = items;
        v->cap = cap;
    }
    if (fill_version(&v->items[v->count], c, blob, w->tags) != 0)
        return GIT_EUSER;
    v->count++;
    return 0;
}

int hub_git_versions(struct hub_versions *out, struct hub_git *g,
                     const char *id, struct ldr_err *err)
{
    char path[PATH_CAP];
    struct tags tags;
    struct versions_walk w = {out, &tags};
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = model_path(path, id, err)) != 0 ||
        (rc = load_tags(&tags, g->repo, err)) != 0)
        return rc;
    rc = each_write(g, path, add_version, &w);
    tags_release(&tags);
    if (rc == 0 && out->count == 0)
        rc = ldr_err_set(err, LDR_ENOTFOUND, "no model '%s' on main", id);
    else if (rc == GIT_EUSER)
        rc = no_memory(err);
    else if (rc != 0)
        rc = git_fail(err, "cannot read the history");
    if (rc != 0)
        hub_versions_release(out);
    return rc;
}

void hub_versions_release(struct hub_versions *v)
{
    for (size_t i = 0; i < v->count; i++)
        version_release(&v->items[i]);
    free(v->items);
    memset(v, 0, sizeof *v);
}

/* ---- one version -------------------------------------------------------- */

static bool is_hex(const char *s, size_t min, size_t max)
{
    size_t n = strspn(s, "0123456789abcdef");

    return s[n] == '\0' && n >= min && n <= max;
}

struct find_walk {
    const char *prefix;
    struct hub_version_refs *out;
    bool ambiguous;
};

static int add_commit(void *ctx, const git_commit *c, const git_oid *blob)
{
    struct find_walk *w = ctx;
    struct hub_version_refs *r = w->out;
    char hex[HUB_GIT_HEX + 1];
    void *grown;

    oid_hex(hex, blob);
    if (strncmp(hex, w->prefix, strlen(w->prefix)) != 0)
        return 0;
    if (r->ncommits > 0 && strcmp(hex, r->version) != 0) {
        w->ambiguous = true;
        return 1;
    }
    grown = realloc(r->commits, (r->ncommits + 1) * sizeof *r->commits);
    if (!grown)
        return GIT_EUSER;
    r->commits = grown;
    memcpy(r->version, hex, sizeof hex);
    oid_hex(r->commits[r->ncommits++], git_commit_id(c));
    return 0;
}

struct holds {
    git_repository *repo;
    const char *path;
    git_oid blob;
};

/* Whether the tag's commit holds the version at the path. */
static bool tag_holds(const struct tag *tag, const void *arg)
{
    const struct holds *h = arg;
    git_commit *c = NULL;
    git_oid blob;
    bool yes = git_commit_lookup(&c, h->repo, &tag->commit) == 0 &&
               blob_at(&blob, c, h->path) == 0 &&
               git_oid_equal(&blob, &h->blob);

    git_commit_free(c);
    return yes;
}

static int find_tags(struct hub_version_refs *out, git_repository *repo,
                     const char *path, struct ldr_err *err)
{
    struct holds h = {repo, path, {{0}}};
    struct tags tags;
    int rc = load_tags(&tags, repo, err);

    if (rc != 0)
        return rc;
    git_oid_fromstr(&h.blob, out->version);
    if (copy_tags(&out->tags, &out->ntags, &tags, tag_holds, &h) != 0)
        rc = no_memory(err);
    tags_release(&tags);
    return rc;
}

int hub_git_find_version(struct hub_version_refs *out, struct hub_git *g,
                         const char *id, const char *version,
                         struct ldr_err *err)
{
    char path[PATH_CAP];
    struct find_walk w = {version, out, false};
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = model_path(path, id, err)) != 0)
        return rc;
    if (!is_hex(version, 4, HUB_GIT_HEX))
        return ldr_err_set(err, LDR_EINVAL,
                           "'%s' is not a version id (4 to 40 lowercase hex "
                           "digits)",
                           version);
    rc = each_write(g, path, add_commit, &w);
    if (rc == GIT_EUSER)
        rc = no_memory(err);
    else if (rc != 0)
        rc = git_fail(err, "cannot read the history");
    else if (w.ambiguous)
        rc = ldr_err_set(err, LDR_EINVAL,
                         "version '%s' of model '%s' is ambiguous; give more "
                         "digits",
                         version, id);
    else if (out->ncommits == 0)
        rc = ldr_err_set(err, LDR_ENOTFOUND, "model '%s' has no version '%s'",
                         id, version);
    else
        rc = find_tags(out, g->repo, path, err);
    if (rc != 0)
        hub_version_refs_release(out);
    return rc;
}

void hub_version_refs_release(struct hub_version_refs *r)
{
    free(r->commits);
    free_names(r->tags, r->ntags);
    memset(r, 0, sizeof *r);
}

/* ---- show --------------------------------------------------------------- */

/* Reads `path` of commit `commit_id` into `out`. */
static int read_file(struct hub_model_file *out, git_repository *repo,
                     const git_oid *commit_id, const char *path,
                     struct ldr_err *err)
{
    git_commit *c = NULL;
    git_blob *blob = NULL;
    git_oid id;
    int rc = git_commit_lookup(&c, repo, commit_id);

    if (rc == 0 && (rc = blob_at(&id, c, path)) == GIT_ENOTFOUND) {
        git_commit_free(c);
        return ldr_err_set(err, LDR_ENOTFOUND, "no '%s' in commit %.12s", path,
                           git_oid_tostr_s(commit_id));
    }
    if (rc == 0)
        rc = git_blob_lookup(&blob, repo, &id);
    if (rc == 0) {
        out->len = (size_t)git_blob_rawsize(blob);
        out->text = malloc(out->len + 1);
        if (out->text) {
            memcpy(out->text, git_blob_rawcontent(blob), out->len);
            out->text[out->len] = '\0';
            oid_hex(out->version, &id);
            oid_hex(out->commit, commit_id);
        }
    }
    git_blob_free(blob);
    git_commit_free(c);
    if (rc != 0)
        return git_fail(err, "cannot read the model");
    return out->text ? 0 : no_memory(err);
}

/* Reads version `hex` (a full blob id) from the newest commit holding it. */
static int show_blob(struct hub_model_file *out, struct hub_git *g,
                     const char *id, const char *path, const char *hex,
                     struct ldr_err *err)
{
    git_oid blob, commit;
    int rc = git_oid_fromstr(&blob, hex);

    if (rc == 0)
        rc = newest_holding(&commit, g, path, &blob);
    if (rc == GIT_ENOTFOUND)
        return ldr_err_set(err, LDR_ENOTFOUND,
                           "'%s' is no version of model '%s' on main", hex, id);
    if (rc != 0)
        return git_fail(err, "cannot read the history");
    return read_file(out, g->repo, &commit, path, err);
}

/* A short version id git cannot tell from other objects: this model's. */
static int show_prefix(struct hub_model_file *out, struct hub_git *g,
                       const char *id, const char *path, const char *prefix,
                       struct ldr_err *err)
{
    struct hub_version_refs refs;
    int rc = hub_git_find_version(&refs, g, id, prefix, err);

    if (rc == 0)
        rc = show_blob(out, g, id, path, refs.version, err);
    hub_version_refs_release(&refs);
    return rc;
}

/* Revs people type: ids, tag and branch names, REV~N, REV^. */
static bool rev_ok(const char *rev)
{
    size_t n = strlen(rev);

    return n > 0 && n <= HUB_GIT_REV_MAX && rev[0] != '-' &&
           strspn(rev, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                       "0123456789._/~^-") == n;
}

int hub_git_show(struct hub_model_file *out, struct hub_git *g, const char *id,
                 const char *rev, struct ldr_err *err)
{
    char path[PATH_CAP], hex[HUB_GIT_HEX + 1];
    git_object *obj = NULL, *commit = NULL;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = model_path(path, id, err)) != 0)
        return rc;
    if (!rev || !*rev)
        rev = HUB_GIT_BRANCH;
    if (!rev_ok(rev))
        return ldr_err_set(err, LDR_EINVAL,
                           "'%s' is not a revision (a commit or version id, "
                           "a tag, REV~N)",
                           rev);
    rc = git_revparse_single(&obj, g->repo, rev);
    if (rc == 0 && git_object_type(obj) == GIT_OBJECT_BLOB) {
        oid_hex(hex, git_object_id(obj));
        rc = show_blob(out, g, id, path, hex, err);
    } else if (rc == 0) {
        rc = git_object_peel(&commit, obj, GIT_OBJECT_COMMIT) == 0
                 ? read_file(out, g->repo, git_object_id(commit), path, err)
                 : ldr_err_set(err, LDR_ENOTFOUND,
                               "'%s' is neither a commit nor a version", rev);
    } else if (is_hex(rev, 4, HUB_GIT_HEX - 1)) { /* several: try versions */
        rc = show_prefix(out, g, id, path, rev, err);
    } else if (strcmp(rev, HUB_GIT_BRANCH) == 0) {
        rc = ldr_err_set(err, LDR_ENOTFOUND,
                         "no model '%s': nothing is published yet", id);
    } else {
        rc = ldr_err_set(err, LDR_ENOTFOUND, "no revision '%s'", rev);
    }
    git_object_free(commit);
    git_object_free(obj);
    return rc;
}

void hub_model_file_release(struct hub_model_file *f)
{
    free(f->text);
    memset(f, 0, sizeof *f);
}

/* ---- a version by its blob id ---------------------------------------- */

/* Copies the blob's bytes, NUL-terminated; NULL on OOM. */
static char *blob_text(const git_blob *blob, size_t *len)
{
    char *text;

    *len = (size_t)git_blob_rawsize(blob);
    if ((text = malloc(*len + 1))) {
        memcpy(text, git_blob_rawcontent(blob), *len);
        text[*len] = '\0';
    }
    return text;
}

int hub_git_read_version(char **text, size_t *len, struct hub_git *g,
                         const char *id, const char *version,
                         struct ldr_err *err)
{
    struct hub_check opt = {id, true};
    git_blob *blob = NULL;
    git_oid oid;
    int rc;

    *text = NULL;
    *len = 0;
    if (!ldr_model_is_slug(id) || !is_hex(version, HUB_GIT_HEX, HUB_GIT_HEX))
        return ldr_err_set(err, LDR_EINVAL,
                           "'%s@%s' is no model id and version id (40 hex "
                           "digits)",
                           id ? id : "", version ? version : "");
    git_oid_fromstr(&oid, version);
    rc = git_blob_lookup(&blob, g->repo, &oid);
    if (rc == GIT_ENOTFOUND)
        return ldr_err_set(err, LDR_ENOTFOUND,
                           "the model repository holds no version %s", version);
    if (rc != 0)
        return git_fail(err, "cannot read the model");
    if (git_blob_rawsize(blob) > LDR_MODEL_MAX_BYTES)
        rc = ldr_err_set(err, LDR_EINVAL, "object %s is too big for a model",
                         version);
    else if (!(*text = blob_text(blob, len)))
        rc = no_memory(err);
    git_blob_free(blob);
    /* canonical: the blob id is then the version agents compute */
    if (rc == 0 && (rc = hub_git_check(NULL, *text, *len, &opt, NULL, err)))
        rc = ldr_err_prefix(
            err, "object %.12s is no version of model '%s': ", version, id);
    if (rc != 0) {
        free(*text);
        *text = NULL;
        *len = 0;
    }
    return rc;
}

/* ---- the hub database's models table ------------------------------------ */

static int insert_model(sqlite3 *db, const struct ldr_model *m,
                        const char *text, size_t len, const char *version,
                        bool *added, struct ldr_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db,
                                "INSERT OR IGNORE INTO models (id, version, "
                                "title, body) VALUES (?, ?, ?, ?)",
                                -1, &st, NULL);

    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, m->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, m->title, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, text, (int)len, SQLITE_STATIC);
        rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return ldr_err_set(
            err, sqlite3_errcode(db) == SQLITE_BUSY ? LDR_EBUSY : LDR_EDB,
            "keeping model '%s' version %.12s: %s", m->id, version,
            sqlite3_errmsg(db));
    if (added)
        *added = sqlite3_changes(db) > 0;
    return 0;
}

int hub_model_record(sqlite3 *db, const char *text, size_t len,
                     const char *version, bool *added, struct ldr_err *err)
{
    struct ldr_model *m = NULL;
    char *canonical = NULL, got[HUB_GIT_HEX + 1];
    size_t clen = 0;
    int rc = ldr_model_parse(&m, text, len, NULL, err);

    if (rc == 0 && !(canonical = ldr_model_dump(m, &clen)))
        rc = no_memory(err);
    if (rc == 0)
        ldr_model_version(got, canonical, clen);
    if (rc == 0 && strcmp(got, version) != 0)
        rc = ldr_err_set(err, LDR_EINVAL,
                         "model '%s' reads as version %.12s, not %.12s", m->id,
                         got, version);
    if (rc == 0)
        rc = insert_model(db, m, canonical, clen, version, added, err);
    free(canonical);
    ldr_model_free(m);
    return rc;
}

/* The data directory of the database `db` (where hub.db is). */
static int db_dir(char out[HUB_PATH_MAX], sqlite3 *db, struct ldr_err *err)
{
    const char *file = sqlite3_db_filename(db, "main");
    char *slash;

    if (!file || !*file || strlen(file) >= HUB_PATH_MAX)
        return ldr_err_set(err, LDR_ENOTFOUND,
                           "the hub database is in no data directory");
    snprintf(out, HUB_PATH_MAX, "%s", file);
    if (!(slash = strrchr(out, '/')))
        return ldr_err_set(err, LDR_ENOTFOUND,
                           "the hub database is in no data directory");
    *slash = '\0';
    return 0;
}

int hub_model_from_git(struct ldr_model **out, sqlite3 *db, const char *id,
                       const char *version, struct ldr_err *err)
{
    char dir[HUB_PATH_MAX], *text = NULL;
    struct hub_git *g = NULL;
    size_t len = 0;
    int rc = db_dir(dir, db, err);

    *out = NULL;
    if (rc == 0)
        rc = hub_git_open(&g, dir, err);
    if (rc == 0)
        rc = hub_git_read_version(&text, &len, g, id, version, err);
    /* Not kept (a busy database): read from git again next time. */
    if (rc == 0)
        hub_model_record(db, text, len, version, NULL, NULL);
    if (rc == 0)
        rc = ldr_model_parse(out, text, len, NULL, err);
    free(text);
    hub_git_free(g);
    return rc;
}

/* ---- list --------------------------------------------------------------- */

/* The title of the model in blob `id`, "" if it cannot be read. */
static char *title_of(git_repository *repo, const git_oid *id)
{
    git_blob *blob = NULL;
    json_t *doc = NULL;
    const char *title = NULL;
    char *copy;

    if (git_blob_lookup(&blob, repo, id) == 0)
        doc = json_loadb(git_blob_rawcontent(blob),
                         (size_t)git_blob_rawsize(blob), 0, NULL);
    title = json_string_value(json_object_get(doc, "title"));
    copy = strdup(title ? title : "");
    json_decref(doc);
    git_blob_free(blob);
    return copy;
}

/* Adds the entries of models/ that are model files: <slug>.json blobs. */
static int list_files(struct hub_model_list *out, git_repository *repo,
                      const git_tree *models)
{
    size_t n = git_tree_entrycount(models);

    if (!(out->items = calloc(n ? n : 1, sizeof *out->items)))
        return LDR_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const git_tree_entry *e = git_tree_entry_byindex(models, i);
        const char *name = git_tree_entry_name(e);
        size_t len = strlen(name);
        struct hub_model_entry *m = &out->items[out->count];

        if (git_tree_entry_type(e) != GIT_OBJECT_BLOB || len <= 5 ||
            len - 5 > HUB_GIT_ID_MAX || strcmp(name + len - 5, ".json") != 0)
            continue;
        memcpy(m->id, name, len - 5);
        m->id[len - 5] = '\0';
        if (!ldr_model_is_slug(m->id))
            continue;
        oid_hex(m->version, git_tree_entry_id(e));
        if (!(m->title = title_of(repo, git_tree_entry_id(e))))
            return LDR_ENOMEM;
        out->count++;
    }
    return 0;
}

/* The models/ tree at the tip of main; *out NULL if there is none. */
static int tip_models(git_tree **out, git_repository *repo)
{
    git_object *obj = NULL;
    int rc = git_revparse_single(&obj, repo, HUB_GIT_BRANCH ":" HUB_GIT_MODELS);

    *out = NULL;
    if (rc == 0 && git_object_type(obj) == GIT_OBJECT_TREE)
        *out = (git_tree *)obj;
    else
        git_object_free(obj);
    return rc == GIT_ENOTFOUND ? 0 : rc;
}

struct list_walk {
    struct hub_model_list *list;
    size_t left; /* models whose commit is not found yet */
};

static int list_commit(void *ctx, const git_commit *c)
{
    struct list_walk *w = ctx;

    for (size_t i = 0; i < w->list->count; i++) {
        struct hub_model_entry *m = &w->list->items[i];
        char path[PATH_CAP], hex[HUB_GIT_HEX + 1];
        git_oid blob;
        bool yes;
        int rc;

        if (m->commit[0])
            continue;
        snprintf(path, sizeof path, HUB_GIT_MODELS "/%s.json", m->id);
        if ((rc = wrote(&yes, &blob, c, path)) != 0)
            return rc;
        oid_hex(hex, &blob);
        if (yes && strcmp(hex, m->version) == 0) {
            oid_hex(m->commit, git_commit_id(c));
            rfc3339(m->date, git_commit_author(c)->when.time);
            w->left--;
        }
    }
    return w->left == 0 ? 1 : 0;
}

/* Finds the commit that published each listed version, in one walk. */
static int list_commits(struct hub_model_list *out, struct hub_git *g)
{
    struct list_walk w = {out, out->count};

    return out->count ? each_commit(g, list_commit, &w) : 0;
}

int hub_git_list(struct hub_model_list *out, struct hub_git *g,
                 struct ldr_err *err)
{
    git_tree *models = NULL;
    int rc = tip_models(&models, g->repo);

    memset(out, 0, sizeof *out);
    if (rc == 0 && models && (rc = list_files(out, g->repo, models)) != 0)
        rc = no_memory(err);
    else if (rc == 0 && models && (rc = list_commits(out, g)) != 0)
        rc = git_fail(err, "cannot read the history");
    else if (rc != 0)
        rc = git_fail(err, "cannot read main");
    git_tree_free(models);
    if (rc != 0)
        hub_model_list_release(out);
    return rc;
}

void hub_model_list_release(struct hub_model_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->items[i].title);
    free(list->items);
    memset(list, 0, sizeof *list);
}

/* ---- JSON --------------------------------------------------------------- */

static json_t *names_json(char *const *names, size_t n)
{
    json_t *a = json_array();

    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, json_string(names[i]));
    return a;
}

json_t *hub_model_list_json(const struct hub_model_list *list)
{
    json_t *a = json_array();

    for (size_t i = 0; a && i < list->count; i++) {
        const struct hub_model_entry *m = &list->items[i];

        json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:s}", "id",
                                           m->id, "title", m->title, "version",
                                           m->version, "commit", m->commit,
                                           "date", m->date));
    }
    return a;
}

json_t *hub_versions_json(const struct hub_versions *v)
{
    json_t *a = json_array();

    for (size_t i = 0; a && i < v->count; i++) {
        const struct hub_version *x = &v->items[i];

        json_array_append_new(
            a, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "commit",
                         x->commit, "version", x->version, "author", x->author,
                         "email", x->email, "date", x->date, "message",
                         x->message, "tags", names_json(x->tags, x->ntags)));
    }
    return a;
}

json_t *hub_version_refs_json(const struct hub_version_refs *r)
{
    json_t *commits = json_array();

    for (size_t i = 0; commits && i < r->ncommits; i++)
        json_array_append_new(commits, json_string(r->commits[i]));
    return json_pack("{s:s, s:o, s:o}", "version", r->version, "commits",
                     commits, "tags", names_json(r->tags, r->ntags));
}
