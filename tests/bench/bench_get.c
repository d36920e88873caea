/*
 * The least a sync process can do: start, load libcurl as `ladder sync`
 * does (dlopen, agent/http.c), and make one verified HTTPS GET against
 * the given CA. bench_sync times it as a whole process beside the no-op
 * sync, as the floor under any sync run as a command.
 *
 *   bench_get URL CA_FILE     exit 0 on a 200 answer
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

typedef CURLcode (*global_init_fn)(long flags);
typedef CURL *(*easy_init_fn)(void);
typedef CURLcode (*easy_setopt_fn)(CURL *h, CURLoption opt, ...);
typedef CURLcode (*easy_perform_fn)(CURL *h);
typedef CURLcode (*easy_getinfo_fn)(CURL *h, CURLINFO info, ...);

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *text = malloc(1 << 16);

    *len = f && text ? fread(text, 1, (1 << 16) - 1, f) : 0;
    if (f)
        fclose(f);
    if (!*len) {
        free(text);
        return NULL;
    }
    text[*len] = '\0';
    return text;
}

static size_t discard(char *data, size_t size, size_t n, void *ctx)
{
    (void)data, (void)ctx;
    return size * n;
}

int main(int argc, char **argv)
{
    void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    struct curl_blob ca = {0};
    long status = 0;
    CURL *h;

    if (argc != 3) {
        fprintf(stderr, "usage: bench_get URL CA_FILE\n");
        return 2;
    }
    if (!lib) {
        fprintf(stderr, "bench_get: cannot load libcurl.so.4: %s\n", dlerror());
        return 2;
    }
    /* POSIX: a function pointer may travel through void * */
    global_init_fn global_init = (global_init_fn)dlsym(lib, "curl_global_init");
    easy_init_fn easy_init = (easy_init_fn)dlsym(lib, "curl_easy_init");
    easy_setopt_fn setopt = (easy_setopt_fn)dlsym(lib, "curl_easy_setopt");
    easy_perform_fn perform = (easy_perform_fn)dlsym(lib, "curl_easy_perform");
    easy_getinfo_fn getinfo = (easy_getinfo_fn)dlsym(lib, "curl_easy_getinfo");
    if (!(ca.data = read_file(argv[2], &ca.len)) ||
        global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(h = easy_init())) {
        fprintf(stderr, "bench_get: cannot read %s or start libcurl\n",
                argv[2]);
        return 2;
    }
    setopt(h, CURLOPT_URL, argv[1]);
    setopt(h, CURLOPT_CAINFO_BLOB, &ca);
    setopt(h, CURLOPT_WRITEFUNCTION, discard);
    if (perform(h) != CURLE_OK ||
        getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK ||
        status != 200) {
        fprintf(stderr, "bench_get: GET %s failed (status %ld)\n", argv[1],
                status);
        return 1;
    }
    return 0;
}
