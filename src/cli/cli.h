/* cli.h - the command-line front end: one function per `pulmo COMMAND`.
 *
 * Commands parse their options, call the core library, and print: data on
 * stdout, messages on stderr ("pulmo: " + the library's reason). They return
 * the process exit code (the pm_status values, see core.h).
 */
#ifndef PULMO_CLI_H
#define PULMO_CLI_H

#include "pulmo/core.h"
#include "pulmo/net.h"
#include "pulmo/series.h"

#include <stdio.h>

typedef struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
    int json;                  /* has --json output of its own */
} cli_command;

int cmd_scan(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_segment(int argc, char **argv);
int cmd_batch(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_mesh(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_render(int argc, char **argv);
int cmd_phantom(int argc, char **argv);
int cmd_unet_check(int argc, char **argv);
int cmd_sheet(int argc, char **argv);
int cmd_cluster(int argc, char **argv);
/* `pulmo [ROOT] [--ascii] [--graphics MODE]`: the terminal UI (src/tui). */
int cmd_tui(int argc, char **argv);

/* DICOM nodes (cmd_net.c): `pulmo echo`, `pulmo send`, and the dicom://
 * sources of scan, segment, batch and the TUI. */
int cmd_echo(int argc, char **argv);
int cmd_send(int argc, char **argv);
typedef struct cli_net_opts {
    const char *aet;           /* --aet: pulmo's AE title */
    int port;                  /* --port: listen here for C-MOVE (0: C-GET) */
    int timeout;               /* --timeout seconds (0: default) */
} cli_net_opts;
/* The getopt_long entries of --aet, --port and --timeout. */
#define CLI_NET_OPTIONS {"aet", required_argument, 0, 0x4e01}, \
    {"port", required_argument, 0, 0x4e02}, {"timeout", required_argument, 0, 0x4e03}
#define CLI_NET_HELP \
    "  --aet AET             pulmo's AE title on a dicom:// node (default PULMO)\n" \
    "  --port N              retrieve with C-MOVE to pulmo listening on port N\n" \
    "                        (default: C-GET, no port)\n" \
    "  --timeout S           seconds to wait for the node (default 30)\n"
/* Takes option c of CLI_NET_OPTIONS: 1 taken, 0 not one of them, -1 bad
 * value (message printed for cmd). */
int cli_net_option(const char *cmd, int c, const char *arg, cli_net_opts *o);
/* Parses url with the options into n (and the series UID when uid is not
 * NULL). Prints the reason and returns the exit code on failure. */
int cli_net_node(const char *url, const cli_net_opts *o, pm_node *n, char *uid, size_t cap);
/* For a dicom://.../SERIES_UID: retrieves the series (or finds it in the
 * cache), writing its local folder to dir and its UID to uid. */
int cli_net_fetch(const char *url, const cli_net_opts *o, char *dir, size_t cap, char *uid,
                  size_t uidcap);
/* --push of `pulmo segment dicom://...`: SEG and sheet into the study. */
struct pm_segment_report;
int cli_net_push(const char *url, const cli_net_opts *o, const char *dir, const char *uid,
                 const char *outdir, const struct pm_segment_report *rep);
/* `pulmo scan dicom://...`. */
int cli_net_scan(const char *url, const cli_net_opts *o, const char *study_date, int json);

/* pulmo batch on Slurm (cmd_batch_slurm.c), called by cmd_batch. */
struct pm_batch_opts;
typedef struct cli_sbatch_args {
    int array, cpus;           /* 0: chosen by pulmo */
    const char *mem, *time;    /* NULL: chosen by pulmo */
} cli_sbatch_args;
int cli_batch_sbatch(const char *root, const char *out, const struct pm_batch_opts *bo,
                     const cli_sbatch_args *a);
int cli_batch_merge(const char *outdir);

/* Set when --json is among the arguments: then every exit prints exactly
 * one JSON object on stdout with "status" (pm_status_name) and "error" (null
 * on success). A command that prints its own JSON object (with those two
 * keys) calls cli_json_printed(); otherwise main(), cli_error, cli_fail and
 * cli_usage print {"status", "exit_code", "error"}. */
extern int cli_json;
void cli_json_printed(void);
/* Writes "status": "ok", "error": null into a command's JSON object (and
 * counts as its printed object). */
struct pm_json;
void cli_json_ok(struct pm_json *j);
/* Prints "pulmo: <message>" to stderr (and the JSON error object with
 * --json) and returns code. */
int cli_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The refusal to write out inside the input (a folder, or a volume file's
 * folder): exit PM_EWRITE. */
int cli_refuse_inside(const char *out, const char *input);
/* cli_error with the library's last error, or fallback. */
int cli_fail(int code, const char *fallback);
/* Prints a usage error for cmd to stderr (and the JSON error object with
 * --json) and returns PM_EUSAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A progress reporter that draws one updating line on stderr when stderr is
 * a terminal, and stays silent otherwise. */
extern pm_progress cli_progress;
/* Checked option values (args.c): the whole of arg is one number within
 * the range, else a usage message "bad --OPT 'ARG' (WHAT)" (WHAT NULL: the
 * range) and PM_EUSAGE, for the caller to return. */
int cli_opt_long(const char *cmd, const char *opt, const char *arg, long long lo, long long hi,
                 const char *what, long long *out);
int cli_opt_int(const char *cmd, const char *opt, const char *arg, int lo, int hi, const char *what,
                int *out);
/* lo_open: lo itself is refused (a value over lo). NaN and infinities are. */
int cli_opt_real(const char *cmd, const char *opt, const char *arg, double lo, double hi,
                 int lo_open, const char *what, double *out);
/* A non-negative integer in base (0: C notation, 0x... hex as a seed is printed). */
int cli_opt_u64(const char *cmd, const char *opt, const char *arg, int base, const char *what,
                uint64_t *out);
/* "A<sep>B" with both integers in [lo, hi] (lo, hi within int): 0, or -1
 * and *x, *y untouched. */
int cli_parse_pair(const char *s, char sep, long lo, long hi, int *x, int *y);
/* n (1..8) finite numbers separated by sep, nothing else: 0, or -1 and out
 * untouched. */
int cli_parse_reals(const char *s, char sep, int n, double *out);
/* Parses --max-memory; 0 on success, -1 on a bad size. */
int cli_parse_memory(const char *arg, pm_load_opts *o);
/* The lungs of the default recipe (labels 1..3), with structures (label 5)
 * when asked, into a new *out; PM_ENOLUNG names input. */
int cli_lung_mask(const pm_volume *v, int structures, pm_mask **out, const char *input);
/* Prints a volume's warnings to stderr as "pulmo: warning: ...". */
void cli_print_warnings(const pm_volume *v);

/* The segmentation report as `pulmo segment` prints it (stdout), and its
 * coverage warnings (partial_coverage, single_slice) again on stderr. */
struct pm_segment_report;
void cli_print_report(const struct pm_segment_report *r);
void cli_print_coverage(const struct pm_segment_report *r);
/* fb on standard output as sixel, kitty, iTerm2 or text graphics (text: fb
 * already at cell resolution); the exit code (4 on a write error). */
struct pm_fb;
struct pm_term_caps;
int cli_show_picture(int graphics, const struct pm_fb *fb, const struct pm_term_caps *caps);

#endif
