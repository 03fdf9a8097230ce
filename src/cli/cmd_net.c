/* cmd_net.c - DICOM nodes on the command line: `pulmo echo`, `pulmo send`
 * and the dicom:// sources that scan, segment, batch and the TUI take. */
#include "cli.h"
#include "pulmo/batch.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_net_option(const char *cmd, int c, const char *arg, cli_net_opts *o)
{
    switch (c) {
    case 0x4e01:
        o->aet = arg;
        return 1;
    case 0x4e02:
        return cli_opt_int(cmd, "port", arg, 1, 65535, "a port number from 1 to 65535", &o->port)
                   ? -1 : 1;
    case 0x4e03:
        return cli_opt_int(cmd, "timeout", arg, 1, 3600, "seconds from 1 to 3600", &o->timeout)
                   ? -1 : 1;
    }
    return 0;
}

int cli_net_node(const char *url, const cli_net_opts *o, pm_node *n, char *uid, size_t cap)
{
    int rc = pm_net_parse(url, n, uid, cap);
    if (rc != PM_OK)
        return cli_fail(rc, "bad address");
    if (o && o->aet) {
        size_t len = strlen(o->aet);
        if (len == 0 || len > 16) {
            fprintf(stderr, "pulmo: --aet: an AE title has 1 to 16 characters\n");
            return PM_EUSAGE;
        }
        memcpy(n->calling_aet, o->aet, len + 1);
    }
    if (o && o->port)
        n->move_port = o->port;
    if (o && o->timeout)
        n->timeout = o->timeout;
    return PM_OK;
}

/* Ctrl-C during a retrieval cancels it cleanly (the partial series is
 * deleted) instead of killing pulmo with the folder half written. */
static volatile sig_atomic_t cli_net_interrupted;
static void cli_net_sigint(int sig)
{
    (void)sig;
    cli_net_interrupted = 1;
}
static int cli_net_progress(void *user, double fraction, const char *stage)
{
    (void)user;
    if (cli_net_interrupted)
        return 1;
    return cli_progress.fn(cli_progress.user, fraction, stage);
}

int cli_net_fetch(const char *url, const cli_net_opts *o, char *dir, size_t cap, char *uid,
                  size_t uidcap)
{
    pm_node n;
    int rc = cli_net_node(url, o, &n, uid, uidcap);
    if (rc != PM_OK)
        return rc;
    if (!uid[0]) {
        fprintf(stderr, "pulmo: %s: name a series: dicom://AET@host:port/SERIES_UID "
                        "(`pulmo scan %s` lists them)\n", url, url);
        return PM_EUSAGE;
    }
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = cli_net_sigint;
    sigemptyset(&sa.sa_mask);
    cli_net_interrupted = 0;
    sigaction(SIGINT, &sa, &old);
    pm_progress p = {cli_net_progress, NULL};
    rc = pm_net_fetch(&n, uid, dir, cap, &p);
    sigaction(SIGINT, &old, NULL);
    if (rc != PM_OK)
        return cli_fail(rc, "retrieval failed");
    return PM_OK;
}

int cli_net_push(const char *url, const cli_net_opts *o, const char *dir, const char *uid,
                 const char *outdir, const pm_segment_report *r)
{
    pm_node n;
    char u[72];
    int rc = cli_net_node(url, o, &n, u, sizeof u);
    if (rc != PM_OK)
        return rc;
    char summary[512];
    if (r->m.sides)
        snprintf(summary, sizeof summary, "pulmo %s (recipe %s): lungs %.1f mL (right %.1f mL, left %.1f mL), "
                 "airway %.1f mL, mean %.0f HU, LAA-950 %.2f %%", PM_VERSION, r->recipe.name, r->m.lung_ml,
                 r->m.right_ml, r->m.left_ml, r->m.airway_ml, r->m.mean_hu, r->m.laa950_pct);
    else
        snprintf(summary, sizeof summary, "pulmo %s (recipe %s): lungs %.1f mL, mean %.0f HU, LAA-950 %.2f %%",
                 PM_VERSION, r->recipe.name, r->m.lung_ml, r->m.mean_hu, r->m.laa950_pct);
    int sent = 0;
    rc = pm_net_push(&n, dir, uid, outdir, summary, r->m.sides, &sent, &cli_progress);
    if (rc != PM_OK)
        return cli_fail(rc, "push failed");
    char name[300];
    fprintf(stderr, "pulmo: pushed %d object(s) (seg.dcm, sheet.dcm) to %s\n", sent,
            pm_net_name(&n, name, sizeof name));
    return PM_OK;
}

static const char echo_help[] =
    "usage: pulmo echo dicom://AET@host:port [--aet AET] [--timeout S]\n\n"
    "Check that a DICOM node answers (C-ECHO).\n\n" CLI_NET_HELP
    "  -h, --help            this help\n\n"
    "Exit 7 when the node cannot be reached or does not answer in time, 8 when it\n"
    "refuses the association (e.g. an unknown AE title).\n";

int cmd_echo(int argc, char **argv)
{
    static const struct option opts[] = {CLI_NET_OPTIONS, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    cli_net_opts no = {0};
    int c, t;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if ((t = cli_net_option("echo", c, optarg, &no)) < 0)
            return PM_EUSAGE;
        if (t)
            continue;
        if (c == 'h') {
            fputs(echo_help, stdout);
            return PM_OK;
        }
        return cli_usage("echo", "unknown option");
    }
    if (optind != argc - 1)
        return cli_usage("echo", "expects one dicom://AET@host:port");
    pm_node n;
    int rc = cli_net_node(argv[optind], &no, &n, NULL, 0);
    if (rc != PM_OK)
        return rc;
    double t0 = pm_now();
    if ((rc = pm_net_echo(&n)) != PM_OK)
        return cli_fail(rc, "echo failed");
    char name[300];
    printf("%s answered C-ECHO in %.0f ms\n", pm_net_name(&n, name, sizeof name),
           (pm_now() - t0) * 1000.0);
    return PM_OK;
}

static const char send_help[] =
    "usage: pulmo send ROOT dicom://AET@host:port [--aet AET] [--timeout S]\n\n"
    "Send every DICOM file under ROOT to the node (C-STORE).\n\n" CLI_NET_HELP
    "  -h, --help            this help\n\n"
    "Exit 2 when ROOT holds no DICOM file, 7 when the node cannot be reached, 8\n"
    "when it refuses the association or a file.\n";

int cmd_send(int argc, char **argv)
{
    static const struct option opts[] = {CLI_NET_OPTIONS, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    cli_net_opts no = {0};
    int c, t;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if ((t = cli_net_option("send", c, optarg, &no)) < 0)
            return PM_EUSAGE;
        if (t)
            continue;
        if (c == 'h') {
            fputs(send_help, stdout);
            return PM_OK;
        }
        return cli_usage("send", "unknown option");
    }
    if (optind != argc - 2)
        return cli_usage("send", "expects ROOT and dicom://AET@host:port");
    pm_node n;
    int rc = cli_net_node(argv[optind + 1], &no, &n, NULL, 0);
    if (rc != PM_OK)
        return rc;
    int sent = 0;
    rc = pm_net_store(&n, argv[optind], &sent, &cli_progress);
    char name[300];
    pm_net_name(&n, name, sizeof name);
    if (rc != PM_OK) {
        fprintf(stderr, "pulmo: %s\n", pm_error());
        if (sent)
            fprintf(stderr, "pulmo: %d file(s) were accepted\n", sent);
        return rc;
    }
    printf("%d file(s) sent to %s\n", sent, name);
    return PM_OK;
}
