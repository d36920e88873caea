#ifndef LADDER_HUB_GITSTORE_H
#define LADDER_HUB_GITSTORE_H

/*
 * The models in git (DESIGN.md section 4, docs/models-in-git.md). The bare
 * repository DIR/models.git keeps every model as models/<id>.json in its
 * canonical text (ldr_model_dump) on branch main; a model version is the
 * git blob id of that file, the same id ldr_model_version() gives agents.
 *
 * A struct hub_git is a libgit2 repository handle: use one per thread
 * (opening one is cheap). Publishers in several threads or processes are
 * safe: they take a lock file in the repository and move main only if
 * nobody (a git push) moved it meanwhile. main's commit order, and which
 * version each commit holds for recently read models, are kept once per
 * process (thread-safe) until main moves, so history reads on a new
 * handle stay cheap.
 *
 * Opening sets libgit2's global GIT_OPT_ENABLE_FSYNC_GITDIR: a published
 * version survives a power cut.
 */

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <sqlite3.h>

#include "ladder/model.h"

struct ldr_err;
struct hub_git;

#define HUB_GIT_BRANCH "refs/heads/main"
#define HUB_GIT_MODELS "models"           /* the directory of the model files */
#define HUB_GIT_HEX 40                    /* a full object id in hex */
#define HUB_GIT_ID_MAX LDR_MODEL_SLUG_MAX /* a model id is a slug */
#define HUB_GIT_TAG_MAX 100
#define HUB_GIT_REV_MAX 200
#define HUB_GIT_DATE_MAX 20 /* "2025-03-01T09:30:00Z" */

/* True if `id` is a model id: [a-z][a-z0-9-]{0,63}. */
bool hub_git_is_model_id(const char *id);

/*
 * Opens the model repository: `path` is a data directory holding
 * models.git, or the bare repository itself. LDR_ENOTFOUND if there is
 * none. Free with hub_git_free().
 */
int hub_git_open(struct hub_git **out, const char *path, struct ldr_err *err);
void hub_git_free(struct hub_git *g);

/* The bare repository's directory, with a final '/'. Borrowed. */
const char *hub_git_path(const struct hub_git *g);

/*
 * Writes the pre-receive hook (scripts/pre-receive) into the bare
 * repository `git_dir` as hooks/pre-receive, mode 0755, replacing what is
 * there. The hook checks models with `hub_bin` (an absolute path to
 * ladder-hub; NULL: this program, from /proc/self/exe), falling back to
 * ladder-hub on the PATH if that is gone; LADDER_HUB in the pushing
 * environment overrides both. LDR_EIO if it cannot be written.
 */
int hub_git_install_hook(const char *git_dir, const char *hub_bin,
                         struct ldr_err *err);

/* The text of scripts/pre-receive; hub_git_install_hook() writes it with
 * its `installed=` line set. */
extern const char hub_git_hook_text[];

/*
 * Packs every object main and the tags reach into one pack and removes
 * the loose objects and older packs it makes redundant (what `git gc`
 * does, checked object by object, so a concurrent push loses nothing).
 * Publishing calls it when about 1,000 objects are loose; reads from a
 * pack are 3-4 times faster. LDR_EIO when git fails.
 */
int hub_git_pack(struct hub_git *g, struct ldr_err *err);

/* ---- check and publish ------------------------------------------------ */

/* How strictly hub_git_check() reads a file. */
struct hub_check {
    const char *id; /* the model id the file must carry; NULL: any */
    bool canonical; /* the text must be exactly the canonical text */
};

/*
 * Validates a model file as publishing does: the core validator, a model
 * id that is a plain slug, and the options in `opt` (may be NULL). Every
 * problem goes to `problems` (may be NULL); if there is any, the result is
 * LDR_EINVAL and `err` says how many. On success `*out` (may be NULL) is
 * the model, freed with ldr_model_free().
 */
int hub_git_check(struct ldr_model **out, const char *text, size_t len,
                  const struct hub_check *opt, struct ldr_problems *problems,
                  struct ldr_err *err);

/* What to publish, and who publishes it. */
struct hub_publish {
    const char *text; /* the model file, any formatting */
    size_t len;
    const char *id;      /* the id the file must carry; NULL: any */
    const char *name;    /* author and committer */
    const char *email;   /* without the angle brackets */
    const char *message; /* the commit message */
    const char *tag;     /* an annotated tag for the commit; NULL: none */
};

struct hub_published {
    char id[HUB_GIT_ID_MAX + 1];
    char version[HUB_GIT_HEX + 1]; /* blob id of the canonical text */
    char commit[HUB_GIT_HEX + 1];  /* the commit that carries that version */
    bool unchanged; /* the version was already current: nothing written */
};

/*
 * Publishes a model: validates it (hub_git_check; every problem in
 * `problems`, nothing written on error), then commits its canonical text
 * as models/<id>.json on main with the given author and message, and tags
 * that commit when `in->tag` is set. A tag name that exists already is
 * LDR_EINVAL, checked before anything is written, unless the publish is a
 * retry (the tag holds this version and it is still current). If the
 * canonical text is already the current version, nothing is written (no
 * commit, no tag) and out->unchanged is set; out->commit is then the
 * commit that published it.
 * LDR_EBUSY when other publishers kept the repository busy; LDR_EIO when
 * git failed.
 */
int hub_git_publish(struct hub_published *out, struct hub_git *g,
                    const struct hub_publish *in, struct ldr_problems *problems,
                    struct ldr_err *err);

/*
 * Splits "Name <email>" into `name` and `email` (each at most `cap` - 1
 * bytes). LDR_EINVAL if it has another shape or a part is empty.
 */
int hub_git_parse_author(char *name, char *email, size_t cap, const char *text,
                         struct ldr_err *err);

/* ---- reading ------------------------------------------------------------ */

struct hub_model_entry {
    char id[HUB_GIT_ID_MAX + 1];
    char *title;                     /* "" if the file cannot be read */
    char version[HUB_GIT_HEX + 1];   /* the latest version */
    char commit[HUB_GIT_HEX + 1];    /* the commit that published it */
    char date[HUB_GIT_DATE_MAX + 1]; /* its author date, RFC 3339 UTC */
};

struct hub_model_list {
    struct hub_model_entry *items; /* by id */
    size_t count;
};

/* The commit main points at, in hex; "" while the repository is empty. */
int hub_git_main(const struct hub_git *g, char out[HUB_GIT_HEX + 1]);

/* The models on main, by id. Release with hub_model_list_release(). */
int hub_git_list(struct hub_model_list *out, struct hub_git *g,
                 struct ldr_err *err);
void hub_model_list_release(struct hub_model_list *list);

/* One commit that changed a model's file. */
struct hub_version {
    char commit[HUB_GIT_HEX + 1];
    char version[HUB_GIT_HEX + 1]; /* the blob id of the file it wrote */
    char *author;
    char *email;
    char *message;                   /* without the final newline */
    char date[HUB_GIT_DATE_MAX + 1]; /* author date, RFC 3339 UTC */
    char **tags;                     /* names of the tags on this commit */
    size_t ntags;
};

struct hub_versions {
    struct hub_version *items; /* newest first */
    size_t count, cap;
};

/*
 * The history of model `id`: the commits reachable from main that changed
 * models/<id>.json (a merge only if it differs from every parent), newest
 * first. LDR_ENOTFOUND if no commit ever held it. Release with
 * hub_versions_release().
 */
int hub_git_versions(struct hub_versions *out, struct hub_git *g,
                     const char *id, struct ldr_err *err);
void hub_versions_release(struct hub_versions *v);

/* Where one version of a model was published. */
struct hub_version_refs {
    char version[HUB_GIT_HEX + 1];    /* the full blob id */
    char (*commits)[HUB_GIT_HEX + 1]; /* commits that wrote it, newest first */
    size_t ncommits;
    char **tags; /* tags whose commit holds this version of the model */
    size_t ntags;
};

/*
 * Maps a version of model `id` (a blob id, or 4+ leading hex digits of
 * one) to the commits that wrote it and the tags that carry it.
 * LDR_ENOTFOUND if it is no version of that model; LDR_EINVAL if a short
 * id fits several. Release with hub_version_refs_release().
 */
int hub_git_find_version(struct hub_version_refs *out, struct hub_git *g,
                         const char *id, const char *version,
                         struct ldr_err *err);
void hub_version_refs_release(struct hub_version_refs *r);

/* A model file as stored at some revision. */
struct hub_model_file {
    char *text; /* NUL-terminated */
    size_t len;
    char version[HUB_GIT_HEX + 1];
    char commit[HUB_GIT_HEX + 1]; /* the commit it was read from */
};

/*
 * The file of model `id` at `rev`: NULL or "" for the latest on main; a
 * commit id (full or short), a tag or branch name, REV~N; or a version
 * id (a blob id, full or 4+ hex digits), read from the newest commit of
 * main that holds it. LDR_ENOTFOUND if the model is not there or the rev does
 * not exist; LDR_EINVAL for a rev that is not of that form. Release with
 * hub_model_file_release().
 */
int hub_git_show(struct hub_model_file *out, struct hub_git *g, const char *id,
                 const char *rev, struct ldr_err *err);
void hub_model_file_release(struct hub_model_file *f);

/*
 * The model file whose git blob id is `version` (40 hex digits), read
 * from the repository's object database whatever holds it (main, another
 * ref, nothing yet: a push in progress is not seen). It must be a valid
 * model `id` in canonical text, so that its blob id is the version agents
 * compute. `*text` is malloc'd and NUL-terminated, freed by the caller.
 * LDR_ENOTFOUND if there is no such object; LDR_EINVAL if it is not that.
 */
int hub_git_read_version(char **text, size_t *len, struct hub_git *g,
                         const char *id, const char *version,
                         struct ldr_err *err);

/* ---- the hub database's models table ------------------------------------ */

/*
 * Keeps model version `version` in the hub database's models table (what
 * sync checks pinned versions against; schema/hub/0002): the canonical
 * text of the model file `text`, whose version must be `version`
 * (LDR_EINVAL if not, or if it is no valid model). A version there
 * already is left alone; `*added` (may be NULL) says whether it was new.
 * LDR_EBUSY, LDR_EDB when SQLite fails.
 */
int hub_model_record(sqlite3 *db, const char *text, size_t len,
                     const char *version, bool *added, struct ldr_err *err);

/*
 * Sync's fallback for a pinned version the models table lacks (one pushed
 * with plain git): reads it from the models.git beside the database `db`
 * (hub_git_read_version), keeps it in the table, and gives it parsed in
 * `*out` (ldr_model_free). LDR_ENOTFOUND if the hub has it nowhere.
 */
int hub_model_from_git(struct ldr_model **out, sqlite3 *db, const char *id,
                       const char *version, struct ldr_err *err);

/* ---- JSON for the CLI and the HTTP routes -------------------------------- */

/* [{"id", "title", "version", "commit", "date"}] */
json_t *hub_model_list_json(const struct hub_model_list *list);
/* [{"commit", "version", "author", "email", "date", "message", "tags"}] */
json_t *hub_versions_json(const struct hub_versions *v);
/* {"version", "commits": [...], "tags": [...]} */
json_t *hub_version_refs_json(const struct hub_version_refs *r);

#endif
