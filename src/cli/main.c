/* main.c - pulmo's entry point: dispatches `pulmo COMMAND ...` to the
 * command functions, and holds what the commands share. */
#include "cli.h"
#include "pulmo/io.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const cli_command commands[] = {
    {"scan", cmd_scan, "list the DICOM series under a folder"},
    {"info", cmd_info, "load a series and print its geometry and HU statistics"},
    {"segment", cmd_segment, "segment the lungs of a series: mask.nii.gz and report.json"},
    {"batch", cmd_batch, "segment every CT series under a folder, with a CSV summary"},
    {"export", cmd_export, "write a series as NIfTI (HU, or normalised for machine learning)"},
    {"mesh", cmd_mesh, "surface of the lungs, a mask or a HU level as STL, OBJ or PLY"},
    {"render", cmd_render, "draw a slice, histogram or mesh as PNG, sixel or text"},
    {"echo", cmd_echo, "check that a DICOM node answers (C-ECHO)"},
    {"send", cmd_send, "send the DICOM files under a folder to a DICOM node (C-STORE)"},
    {"phantom", cmd_phantom, "write synthetic chest CT phantoms with ground truth"},
    {"unet-check", cmd_unet_check, "read a lungmask U-Net weight file and print its architecture"},
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

int cli_fail(int code, const char *fallback)
{
    const char *e = pm_error();
    fprintf(stderr, "pulmo: %s\n", e && *e ? e : fallback);
    return code;
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "pulmo %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'pulmo %s --help'.\n", cmd);
    va_end(ap);
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

int main(int argc, char **argv)
{
    /* Over a file size limit (ulimit -f) a write must fail with EFBIG and
     * take the exit-4 path that removes the temporary file, not kill pulmo
     * with SIGXFSZ and leave the partial file behind. */
    signal(SIGXFSZ, SIG_IGN);
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
    for (int i = 0; i < NCOMMANDS; i++)
        if (!strcmp(cmd, commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    /* `pulmo ROOT` and `pulmo --ascii [ROOT]` open the terminal UI. */
    if (!strcmp(cmd, "--ascii") || !strncmp(cmd, "--graphics", 10) || pm_is_dir(cmd) || pm_net_is_url(cmd))
        return cmd_tui(argc, argv);
    fprintf(stderr, "pulmo: unknown command '%s'\n", cmd);
    usage(stderr);
    return PM_EUSAGE;
}
