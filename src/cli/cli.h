/* cli.h - the command-line front end: one function per `pulmo COMMAND`.
 *
 * Commands parse their options, call the core library, and print: data on
 * stdout, messages on stderr ("pulmo: " + the library's reason). They return
 * the process exit code (the pm_status values, see core.h).
 */
#ifndef PULMO_CLI_H
#define PULMO_CLI_H

#include "pulmo/core.h"
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
/* `pulmo [ROOT] [--ascii] [--graphics MODE]`: the terminal UI (src/tui). */
int cmd_tui(int argc, char **argv);

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
/* cli_error with the library's last error, or fallback. */
int cli_fail(int code, const char *fallback);
/* Prints a usage error for cmd to stderr (and the JSON error object with
 * --json) and returns PM_EUSAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A progress reporter that draws one updating line on stderr when stderr is
 * a terminal, and stays silent otherwise. */
extern pm_progress cli_progress;
/* Parses --max-memory; 0 on success, -1 on a bad size. */
int cli_parse_memory(const char *arg, pm_load_opts *o);
/* Prints a volume's warnings to stderr as "pulmo: warning: ...". */
void cli_print_warnings(const pm_volume *v);

/* The segmentation report as `pulmo segment` prints it (stdout), and its
 * coverage warnings (partial_coverage, single_slice) again on stderr. */
struct pm_segment_report;
void cli_print_report(const struct pm_segment_report *r);
void cli_print_coverage(const struct pm_segment_report *r);

#endif
