/* A minimal command line for wasm3 built from the C sources that the
 * wasm3-sys crate bundles (scripts/install-runtimes.sh): runs a WASI command
 * module with wasm3's own WASI layer (m3_api_wasi.c, which preopens the
 * working directory as "./" and forwards everything else to the host).
 *
 *   wasm3 MODULE.wasm [ARGS...]    exit status: the guest's, 134 on a trap,
 *                                  125 when the module cannot be loaded
 *   wasm3 --version
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm3.h"
#include "m3_env.h"
#include "m3_api_wasi.h"

static unsigned char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            unsigned char *bigger = realloc(buf, cap *= 2);
            if (!bigger) { free(buf); buf = NULL; }
            else buf = bigger;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static int fail(const char *what, M3Result r, int code) {
    fprintf(stderr, "wasm3: %s: %s\n", what, r);
    return code;
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        printf("wasm3 %s\n", M3_VERSION);
        return 0;
    }
    if (argc < 2) {
        fprintf(stderr, "usage: wasm3 MODULE.wasm [ARGS...]\n");
        return 2;
    }
    size_t len = 0;
    unsigned char *bytes = read_file(argv[1], &len);
    if (!bytes) {
        perror(argv[1]);
        return 125;
    }
    IM3Environment env = m3_NewEnvironment();
    IM3Runtime rt = env ? m3_NewRuntime(env, 1 << 20, NULL) : NULL;
    if (!rt) return fail("runtime", "out of memory", 125);
    IM3Module module;
    M3Result r = m3_ParseModule(env, &module, bytes, (uint32_t)len);
    if (r) return fail("parse", r, 125);
    r = m3_LoadModule(rt, module);
    if (r) return fail("load", r, 125);
    r = m3_LinkWASI(module);
    if (r) return fail("link", r, 125);
    /* The program's argv: its name, then the arguments. */
    rt->argc = (u32)(argc - 1);
    rt->argv = (ccstr_t *)(argv + 1);
    IM3Function start;
    r = m3_FindFunction(&start, rt, "_start");
    if (r) return fail("_start", r, 125);
    r = m3_CallWithArgs(start, 0, NULL);
    fflush(stdout);
    if (r == m3Err_trapExit) return rt->exit_code;
    if (r) {
        M3ErrorInfo info;
        m3_GetErrorInfo(rt, &info);
        fprintf(stderr, "wasm3: trap: %s %s\n", r, info.message ? info.message : "");
        return 134;
    }
    return 0;
}
