/* main.c - pulmo's entry point: dispatches `pulmo COMMAND ...` to the
 * command functions, and holds what the commands share. */
#include "cli.h"
#include "pulmo/batch.h"
#include "pulmo/io.h"
#include "pulmo/text.h"
#include "pulmo/unet.h"

#include <malloc.h>
#include <stdint.h>
#include <sys/mman.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const cli_command commands[] = {
    {"scan", cmd_scan, "list the DICOM series under a folder", 1},
    {"info", cmd_info, "load a series and print its geometry and HU statistics", 1},
    {"segment", cmd_segment, "segment the lungs of a series: mask.nii.gz and report.json", 1},
    {"batch", cmd_batch, "segment every CT series under a folder, with a CSV summary", 0},
    {"export", cmd_export, "write a series as NIfTI (HU, or normalised for machine learning)", 0},
    {"compare", cmd_compare, "score a mask against a reference mask or RTSTRUCT (Dice, HD95)", 1},
    {"cluster", cmd_cluster, "fuzzy clustering of the HU inside the lungs (internal structures)", 1},
    {"mesh", cmd_mesh, "surface of the lungs, a mask or a HU level as STL, OBJ or PLY", 1},
    {"render", cmd_render, "draw a slice, histogram or mesh as PNG, sixel or text", 0},
    {"report", cmd_sheet, "segment a series and draw its triage sheet (PNG, sixel, kitty)", 0},
    {"sheet", cmd_sheet, "the same as report (its first name)", 0},
    {"echo", cmd_echo, "check that a DICOM node answers (C-ECHO)", 0},
    {"send", cmd_send, "send the DICOM files under a folder to a DICOM node (C-STORE)", 0},
    {"phantom", cmd_phantom, "write synthetic chest CT phantoms with ground truth", 0},
    {"unet-check", cmd_unet_check, "read a lungmask U-Net weight file and print its architecture", 1},
};
#define NCOMMANDS (int)(sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
    fprintf(f, "usage: pulmo COMMAND [OPTIONS] ...\n"
               "       pulmo [ROOT] [--ascii] [--graphics MODE]   (the interactive terminal UI)\n\n"
               "Chest CT analysis in the terminal.\n\ncommands:\n");
    for (int i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n`pulmo COMMAND --help` describes a command; `man pulmo` has the details.\n"
               "Exit codes: 0 ok, 1 usage, 2 no DICOM or no series found, 3 unreadable or\n"
               "corrupt input, 4 output not writable, 5 over the memory cap, 6 no lungs found,\n"
               "7 DICOM node unreachable or timed out, 8 DICOM node refused.\n"
               "A dicom://AET@host:port node (or .../SERIES_UID) stands for a folder in scan,\n"
               "segment and batch.\n");
}

int cli_json;
static int cli__json_done;
static FILE *cli__out;   /* where the JSON object goes: stdout */
static char cli__error[2048];

void cli_json_printed(void)
{
    cli__json_done = 1;
}

void cli_json_ok(pm_json *j)
{
    pm_json_string(j, "status", pm_status_name(PM_OK));
    pm_json_null(j, "error");
    cli__json_done = 1;
}

/* The one JSON object of an exit that printed no JSON of its own. */
static void cli__json_exit(int code)
{
    pm_json j;
    pm_json_init(&j, cli__out ? cli__out : stdout, 1);
    pm_json_object_begin(&j, NULL);
    pm_json_string(&j, "status", pm_status_name(code));
    pm_json_int(&j, "exit_code", code);
    if (code == PM_OK)
        pm_json_null(&j, "error");
    else
        pm_json_string(&j, "error", cli__error[0] ? cli__error : "failed");
    pm_json_object_end(&j);
    pm_json_end(&j);
    cli__json_done = 1;
}

int cli_error(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char raw[sizeof cli__error];
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    pm_text_clean(cli__error, sizeof cli__error, raw);
    fprintf(stderr, "pulmo: %s\n", cli__error);
    if (cli_json && !cli__json_done)
        cli__json_exit(code);
    return code;
}

int cli_refuse_inside(const char *out, const char *input)
{
    if (pm_is_dir(input))
        return cli_error(PM_EWRITE, "%s is inside the input folder %s; pulmo never writes there", out, input);
    return cli_error(PM_EWRITE, "%s is inside the folder of the input %s; pulmo never writes there", out, input);
}

int cli_fail(int code, const char *fallback)
{
    const char *e = pm_error();
    return cli_error(code, "%s", e && *e ? e : fallback);
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "pulmo %s: %s\nTry 'pulmo %s --help'.\n", cmd, msg, cmd);
    snprintf(cli__error, sizeof cli__error, "pulmo %s: %s", cmd, msg);
    if (cli_json && !cli__json_done)
        cli__json_exit(PM_EUSAGE);
    return PM_EUSAGE;
}

static int cli__progress(void *user, double fraction, const char *stage)
{
    (void)user;
    static double last;
    double now = pm_now();
    if (fraction < 1.0 && now - last < 0.1)
        return 0;
    last = now;
    fprintf(stderr, "\r\033[K%s %3.0f%%", stage, fraction * 100.0);
    if (fraction >= 1.0)
        fputs("\r\033[K", stderr);
    fflush(stderr);
    return 0;
}

static int cli__quiet(void *user, double fraction, const char *stage)
{
    (void)user; (void)fraction; (void)stage;
    return 0;
}

pm_progress cli_progress = {cli__quiet, NULL};

int cli_parse_memory(const char *arg, pm_load_opts *o)
{
    int64_t v = pm_parse_size(arg);
    if (v <= 0)
        return -1;
    o->max_memory = (uint64_t)v;
    return 0;
}

void cli_print_warnings(const pm_volume *v)
{
    for (int i = 0; i < v->nwarnings; i++)
        fprintf(stderr, "pulmo: warning: %s: %s\n", v->warnings[i].kind, v->warnings[i].message);
}

/* A command without JSON output of its own under --json: the option is
 * taken out of argv, and what the command prints for people goes to stderr
 * so that stdout holds only the JSON object. Returns the new argc. */
static int cli__json_only(int argc, char **argv)
{
    int m = 2;
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--json") != 0)
            argv[m++] = argv[i];
    argv[m] = NULL;
    fflush(stdout);
    int fd = dup(1);
    if (fd >= 0 && (cli__out = fdopen(fd, "w")) != NULL)
        dup2(2, 1);
    return m;
}

/* The heap in 2 MB pages, shared by every thread. glibc gives each thread
 * an arena of its own and grows the heap 4 KB page by 4 KB page; on a
 * virtual machine each of those pages costs a fault that is slower than
 * the work done in it (a surface's growing triangle lists, the dictionary
 * GDCM builds). glibc's own switch for this (the glibc.malloc.hugetlb
 * tunable) is read from the environment at start-up only; so the heap is
 * grown here by a top pad of 64 MB, which is advised to the kernel for
 * huge pages. Measured on LIDC (segment --resample 1 --mesh): page faults
 * 15,600 -> 7,400, about 0.04 s of 1.1.
 *
 * It runs from the executable's .preinit_array, which the dynamic loader
 * calls before any shared library's constructors: GDCM builds its
 * dictionaries in those, before main, and from main they had already
 * grown the heap on small pages. Decoding allocates and frees buffers of a
 * slice's size per file: kept in the heap instead of fresh mappings, they
 * are not faulted in again for every slice. Volumes and masks get their
 * own 2 MB-page mappings (pm_alloc_large). */
static void heap_setup(int argc, char **argv, char **envp)
{
    (void)argc, (void)argv, (void)envp;
    mallopt(M_MMAP_THRESHOLD, 4 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    const uintptr_t huge = (uintptr_t)2 << 20;
    mallopt(M_ARENA_MAX, 1);
    mallopt(M_TOP_PAD, 64 << 20);
    char *lo = sbrk(0);
    void *p = malloc(3 << 20);   /* under the mmap threshold: grows the heap */
    char *hi = sbrk(0);
    uintptr_t a = ((uintptr_t)lo + huge - 1) & ~(huge - 1), b = (uintptr_t)hi & ~(huge - 1);
    if (p && lo != (char *)-1 && hi != (char *)-1 && b > a)
        madvise((void *)a, b - a, MADV_HUGEPAGE);
    free(p);
}
__attribute__((section(".preinit_array"), used)) static void (*heap_setup_at_start)(int, char **,
                                                                                    char **) = heap_setup;

/* A command's outputs are committed when it returns; what exit() would do
 * then is run the libraries' destructors (GDCM frees its dictionaries:
 * thousands of strings and tree nodes, 6 ms of every run on LIDC) for
 * memory the kernel takes back at once. So the streams are flushed and the
 * process ends there. Sanitizer builds exit normally: their leak check
 * runs from exit(). */
static int cli__finish(int rc)
{
#ifndef __SANITIZE_ADDRESS__
    if (fflush(NULL) == 0)
        _exit(rc);
#endif
    return rc;
}

int main(int argc, char **argv)
{
    /* Over a file size limit (ulimit -f) a write must fail with EFBIG and
     * take the exit-4 path that removes the temporary file, not kill pulmo
     * with SIGXFSZ and leave the partial file behind. */
    signal(SIGXFSZ, SIG_IGN);
    /* PULMO_THREADS sets every command's thread count (--threads overrides
     * it); the library reads no environment, so embedders choose. */
    const char *threads = getenv("PULMO_THREADS");
    if (threads && *threads) {
        long n = strtol(threads, NULL, 10);
        pm_threads_set(n < 1 ? 1 : (int)(n > 64 ? 64 : n));
    }
    if (isatty(2) && !getenv("CI"))
        cli_progress.fn = cli__progress;
    if (argc < 2)
        return cmd_tui(argc, argv);
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return PM_OK;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
        printf("pulmo %s\n", PM_VERSION);
        return PM_OK;
    }
    /* With --json, scripts parse stdout whatever happens: every exit
     * prints exactly one JSON object with "status" and "error". */
    for (int i = 2; i < argc && strcmp(argv[i], "--"); i++)
        cli_json |= !strcmp(argv[i], "--json");
    for (int i = 0; i < NCOMMANDS; i++)
        if (!strcmp(cmd, commands[i].name)) {
            if (cli_json && !commands[i].json)
                argc = cli__json_only(argc, argv);
            int rc = commands[i].run(argc - 1, argv + 1);
            if (cli_json && !cli__json_done)
                cli__json_exit(rc);
            return cli__finish(rc);
        }
    /* `pulmo ROOT` and `pulmo --ascii [ROOT]` open the terminal UI. */
    if (!strcmp(cmd, "--ascii") || !strncmp(cmd, "--graphics", 10) || pm_is_dir(cmd) || pm_net_is_url(cmd))
        return cmd_tui(argc, argv);
    int rc = cli_error(PM_EUSAGE, "unknown command '%s'", cmd);
    usage(stderr);
    return rc;
}
