/* test_hostile_text.c - text from DICOM headers and from file names never
 * reaches the terminal raw: escape sequences (OSC title, clear screen, the
 * 8-bit CSI 0x9b as a Latin-1 byte, C1 controls in UTF-8) put into
 * PatientName, PatientID and the descriptions of a copy of LIDC slices, and
 * into a folder and a file name, must not appear in what `pulmo scan` and
 * `pulmo info` print (text and --json, stdout and stderr). */
#include "files.h"
#include "pulmo/dicom.h"
#include "pulmo/series.h"

/* Non-zero when s is valid UTF-8 free of C0 (but newline) and C1 controls
 * and DEL; *where gets the offset of the first offence. */
static int clean_terminal_text(const char *s, size_t *where)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; p[i]; ) {
        unsigned c = p[i];
        size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        *where = i;
        if (!n)
            return 0;
        unsigned cp = n == 1 ? c : c & (0x7F >> n);
        for (size_t k = 1; k < n; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (p[i + k] & 0x3F);
        }
        if ((cp < 0x20 && cp != '\n') || cp == 0x7F || (cp >= 0x80 && cp < 0xA0))
            return 0;
        i += n;
    }
    return 1;
}

static char dir[1024];

static void make_hostile_folder(void)
{
    if (dir[0])
        return;
    /* The folder name itself carries a colour sequence. */
    snprintf(dir, sizeof dir, "%s/evil\x1b[31mfolder", test_tmpdir());
    CHECK(tf_mkdir(dir) == 0, "mkdir");
    static const struct { unsigned g, e; const char *v; } tags[] = {
        {0x0010, 0x0010, "\x1b]0;pwned\x07" "Evil^Name"},
        {0x0010, 0x0020, "ID\x1b[?1049h-7"},
        {0x0008, 0x103e, "\x1b[2JSeries\x9b" "31mDesc"},
        {0x0008, 0x1030, "Study\xc2\x9b" "1mDesc\x07"},
    };
    /* Three LIDC slices adjacent in z: the file numbering is not in z
     * order, so pick by reading positions. */
    double z[200];
    int idx[200], n = 0;
    for (int i = 0; i < 140 && n < 200; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "patients/LIDC-IDRI-0001/%06d.dcm", i);
        pm_dicom_header h;
        if (pm_dicom_read_header(test_data(rel), &h) == PM_OK) {
            z[n] = h.ipp[2];
            idx[n++] = i;
        }
    }
    CHECK(n > 10, "LIDC headers unreadable");
    for (int a = 0; a < n; a++) /* a few swaps: sort by z */
        for (int b = a + 1; b < n; b++)
            if (z[b] < z[a]) {
                double t = z[a]; z[a] = z[b]; z[b] = t;
                int u = idx[a]; idx[a] = idx[b]; idx[b] = u;
            }
    for (int s = 0; s < 3; s++) {
        char rel[64], dst[1200], cur[1200], next[1200];
        snprintf(rel, sizeof rel, "patients/LIDC-IDRI-0001/%06d.dcm", idx[n / 2 + s]);
        snprintf(dst, sizeof dst, "%s/s%d.dcm", dir, s);
        snprintf(cur, sizeof cur, "%s", test_data(rel));
        for (size_t t = 0; t < sizeof tags / sizeof tags[0]; t++) {
            snprintf(next, sizeof next, "%s.tmp%zu", dst, t);
            CHECK(pm_dicom_rewrite_string(cur, next, tags[t].g, tags[t].e, tags[t].v) == PM_OK,
                  "rewrite: %s", pm_error());
            if (t)
                unlink(cur); /* the previous temporary copy, never the shared data */
            memcpy(cur, next, sizeof cur);
        }
        CHECK(rename(cur, dst) == 0, "rename %s", cur);
    }
    /* A file whose name is an escape sequence and whose content is not DICOM:
     * its name reaches the error messages. */
    char bad[1200];
    snprintf(bad, sizeof bad, "%s/\x1b]0;owned\x07\x9b" "2J.dcm", dir);
    CHECK(tf_spit(bad, "not dicom\n", 10) == 0, "write %s", bad);
}

static void check_command(const char *cmd, const char *expect_text)
{
    make_hostile_folder();
    char args[1400];
    snprintf(args, sizeof args, "%s '%s'", cmd, dir);
    int rc = tf_run(args);
    CHECK(!tf_has_report(tf_err), "%s: sanitizer report: %.1500s", cmd, tf_err);
    CHECK(rc == 0, "%s: exit %d: %.500s", cmd, rc, tf_err);
    size_t at = 0;
    CHECK(clean_terminal_text(tf_out, &at), "%s: stdout byte %zu is a control or invalid UTF-8: ...%.40s",
          cmd, at, tf_out + (at > 10 ? at - 10 : 0));
    CHECK(clean_terminal_text(tf_err, &at), "%s: stderr byte %zu is a control or invalid UTF-8: ...%.40s",
          cmd, at, tf_err + (at > 10 ? at - 10 : 0));
    /* The fields were read, only their controls went. */
    CHECK(strstr(tf_out, expect_text), "%s: '%s' missing from output:\n%.1500s", cmd, expect_text, tf_out);
}

TEST(scan_table_prints_no_escape_sequences) { check_command("scan", "Evil^Name"); }
TEST(scan_json_prints_no_escape_sequences) { check_command("scan --json", "Evil^Name"); }
TEST(info_text_prints_no_escape_sequences) { check_command("info", "Evil^Name"); }
TEST(info_json_prints_no_escape_sequences) { check_command("info --json", "Evil^Name"); }

TEST(the_hostile_file_name_is_reported_cleaned)
{
    check_command("info", "unreadable_files");
    CHECK(strstr(tf_out, "owned") && strstr(tf_out, "2J.dcm"), "file not named: %.1500s", tf_out);
}

TEST(the_library_cleans_reasons_and_warnings_itself)
{
    pm_fail(PM_ECORRUPT, "%s", "a\x1b[31mb\x07" "c\x9b" "d");
    size_t at;
    CHECK(clean_terminal_text(pm_error(), &at) && strstr(pm_error(), "a[31mbc"), "pm_error: '%s'", pm_error());
    /* pm_error() as its own argument (formatted through a copy). */
    pm_fail(PM_ECORRUPT, "x: %s", pm_error());
    CHECK(strncmp(pm_error(), "x: a[31mbc", 10) == 0, "re-wrapped: '%s'", pm_error());
}

int main(void)
{
    RUN(scan_table_prints_no_escape_sequences);
    RUN(scan_json_prints_no_escape_sequences);
    RUN(info_text_prints_no_escape_sequences);
    RUN(info_json_prints_no_escape_sequences);
    RUN(the_hostile_file_name_is_reported_cleaned);
    RUN(the_library_cleans_reasons_and_warnings_itself);
    return test_done();
}
