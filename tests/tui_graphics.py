"""tui_graphics.py - the TUI's pictures as a terminal receives them (run by
test_tui_graphics.sh; `--bench` prints the byte figures for make bench).

pulmo runs on a pseudo-terminal that plays xterm (sixel with an
XTSMGRAPHICS limit, or none), kitty or iTerm2 (tests/ptyterm.py); the
bytes it writes are decoded back to pictures and checked: every sixel fits
the reported limit, a cursor move sends no picture, queued keys draw at
most a few pictures, kitty and iTerm2 payloads are the PNG of the same view.

Usage: python3 tui_graphics.py PULMO DATA TMPDIR [--bench]
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ptyterm import (Term, composite, iterm_images, kitty_commands, kitty_images, png_pixels,  # noqa: E402
                     ppm_pixels, sixel_decode, sixels)

PULMO, DATA, TMP = sys.argv[1], sys.argv[2], sys.argv[3]
BENCH = "--bench" in sys.argv
PATIENTS = os.path.join(DATA, "patients")
RIGHT = "\x1bOC"  # keypad mode: curses asks for application cursor keys
LONG = float(os.environ.get("PULMO_TUI_TIMEOUT", "300"))
failed = 0


def result(name, ok, why=""):
    global failed
    print(("PASS %s" % name) if ok else ("FAIL %s: %s" % (name, why)), flush=True)
    failed += not ok


def start(profile, cols, rows, **kw):
    env = {"TERM": "xterm-256color", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
           "PULMO_STDERR": os.path.join(TMP, "stderr")}
    t = Term([PULMO, PATIENTS], cols=cols, rows=rows, profile=profile, env=env, **kw)
    t.settle(1.0, LONG)          # scan
    t.keys("\r")                 # open LIDC-IDRI-0001 (the first series)
    t.settle(1.5, LONG)          # load, first picture
    return t


def sizes(data):
    """(width, height) of every sixel picture in data, as decoded."""
    out = []
    for _, body in sixels(data):
        img, _ = sixel_decode(body)
        out.append((img.shape[1], img.shape[0]))
    return out


def pictures(data, least=200):
    """Sixel pictures (not cursor patches) in data."""
    return [s for s in sizes(data) if s[0] >= least and s[1] >= least]


def crosshair_pixels(canvas):
    r, g, b = (canvas[:, :, i].astype(int) for i in range(3))
    return int(((r > 240) & (abs(g - 220) < 8) & (b < 20)).sum())


def step(t, keys, quiet=0.6):
    m = t.mark()
    t.keys(keys)
    t.settle(quiet, LONG)
    return t.since(m)


def wait_picture(t, keys, bound=None):
    """Types keys, then reads until a picture arrived and output settled
    (a surface build shows progress that may pause longer than a settle)."""
    m = t.mark()
    t.keys(keys)
    end = __import__("time").time() + (bound or LONG)
    while __import__("time").time() < end:
        if not t.settle(0.5, 5) or pictures(t.since(m)):
            break
    t.settle(1.0, LONG)
    return t.since(m)


def fits(s, limit):
    return all(w <= limit[0] and h <= limit[1] for w, h in s)


# ---------------------------------------------------------------- sixel, xterm 140x45
def xterm_large():
    limit = (1000, 1000)
    t = start("xterm", 140, 45, sixel_max=limit)
    try:
        first = pictures(t.since(0))
        result("tui_slice_fits_the_reported_sixel_limit_at_140x45",
               len(first) >= 1 and fits(first, limit), "pictures %s, limit %s" % (first, limit))
        d = step(t, "j")
        result("tui_slice_step_fits_the_limit", fits(sizes(d), limit) and len(pictures(d)) == 1,
               "pictures %s" % sizes(d))
        before = crosshair_pixels(composite(t.since(0), 140, 45, t.cell))
        moves = [step(t, RIGHT) for _ in range(5)]
        after = crosshair_pixels(composite(t.since(0), 140, 45, t.cell))
        big = [len(m) for m in moves if pictures(m)]
        worst = max(len(m) for m in moves)
        result("tui_cursor_move_sends_no_picture_and_leaves_no_trace",
               not big and worst < 2048 and before > 0 and after == before,
               "moves re-sent pictures %s; largest move %d bytes; crosshair pixels %d before, %d after"
               % (big, worst, before, after))
        d = step(t, "k" * 30, quiet=1.0)
        n = len(pictures(d))
        result("tui_30_queued_slice_steps_draw_at_most_3_pictures", 1 <= n <= 3,
               "%d pictures for 30 queued keys" % n)
        d = step(t, "H")
        result("tui_histogram_panel_fits_the_limit", fits(sizes(d), limit) and sizes(d), "pictures %s" % sizes(d))
        step(t, "H")
        d = step(t, "m")
        result("tui_montage_fits_the_limit", fits(sizes(d), limit) and pictures(d), "pictures %s" % sizes(d))
        step(t, "m")
        d = wait_picture(t, "M")
        result("tui_mesh_view_fits_the_limit", fits(sizes(d), limit) and pictures(d), "pictures %s" % sizes(d))
        d = step(t, "", quiet=1.5)
        result("tui_mesh_view_does_not_turn_by_itself", not pictures(d), "%d bytes while idle" % len(d))
    finally:
        t.close()


def xterm_small_limit():
    limit = (800, 480)
    t = start("xterm", 100, 45, sixel_max=limit)
    try:
        s = pictures(t.since(0), least=100)
        result("tui_slice_follows_a_smaller_reported_limit", s and fits(s, limit), "pictures %s" % s)
    finally:
        t.close()


def xterm_no_report():
    t = start("xterm-nolimit", 140, 45)
    try:
        s = pictures(t.since(0))
        result("tui_terminal_without_a_limit_report_gets_1000x1000", s and fits(s, (1000, 1000)),
               "pictures %s" % s)
    finally:
        t.close()


def render_sixel_limit():
    out = subprocess.run([PULMO, "render", os.path.join(PATIENTS, "LIDC-IDRI-0001"), "--sixel", "--size",
                          "2000x2000"], capture_output=True).stdout
    s = sizes(out)
    result("render_sixel_fits_the_default_limit", len(s) == 1 and fits(s, (1000, 1000)), "pictures %s" % s)


# ---------------------------------------------------------------- kitty and iTerm2
def view_png():
    path = os.path.join(TMP, "view.png")
    subprocess.run([PULMO, "render", os.path.join(PATIENTS, "LIDC-IDRI-0001"), "--slice", "66", "--nearest",
                    "-o", path], check=True, capture_output=True)
    with open(path, "rb") as f:
        return png_pixels(f.read(), TMP)


def matches_view(img, want):
    """The view sits centred in the picture (black borders left and right)."""
    h, w = want.shape[:2]
    if img.shape[0] != h or img.shape[1] < w:
        return False, "picture %dx%d, view %dx%d" % (img.shape[1], img.shape[0], w, h)
    x0 = (img.shape[1] - w) // 2
    for dx in (0, -1, 1):
        crop = img[:, x0 + dx:x0 + dx + w].astype(int)
        if crop.shape == want.shape:
            same = (abs(crop - want.astype(int)).max(axis=2) <= 1).mean()
            if same > 0.99:
                return True, ""
    return False, "only %.1f%% of pixels match" % (100 * same)


def kitty():
    t = start("kitty", 100, 40)
    try:
        imgs = kitty_images(t.since(0))
        slices = [(k, p) for k, p in imgs if k.get("f") == "100"]
        ok, why = (False, "no PNG image sent")
        if slices:
            ok, why = matches_view(png_pixels(slices[-1][1], TMP), view_png())
        result("tui_kitty_slice_is_the_png_of_the_same_view_at_native_resolution", ok, why)
        d = step(t, RIGHT)
        cmds = kitty_commands(d)
        result("tui_kitty_cursor_move_is_one_placement", len(d) < 2048 and
               not [k for k, _ in cmds if k.get("a") in ("T", "t")] and [k for k, _ in cmds if k.get("a") == "p"],
               "%d bytes, commands %s" % (len(d), [k for k, _ in cmds]))
    finally:
        t.close()


def iterm():
    t = start("iterm2", 100, 40)
    try:
        imgs = iterm_images(t.since(0))
        ok, why = (False, "no inline image sent")
        if imgs:
            ok, why = matches_view(png_pixels(imgs[-1][1], TMP), view_png())
        result("tui_iterm2_slice_is_the_png_of_the_same_view", ok, why)
    finally:
        t.close()


# ---------------------------------------------------------------- bench
def bench():
    t = start("xterm", 100, 45)
    try:
        steps = [len(step(t, "j")) for _ in range(3)]
        moves = [len(step(t, RIGHT)) for _ in range(3)]
        d = step(t, "k" * 30, quiet=1.0)
        print("sixel at 100x45 cells (10x20 px): slice step %d bytes (median of 3), cursor move %d bytes, "
              "30 queued slice steps %d pictures %d bytes" % (sorted(steps)[1], sorted(moves)[1],
                                                               len(pictures(d)), len(d)))
        wait_picture(t, "M")
        d = step(t, RIGHT)
        print("sixel mesh frame (orbit by one key): %d bytes" % len(d))
    finally:
        t.close()
    t = start("kitty", 100, 45)
    try:
        steps = [len(step(t, "j")) for _ in range(3)]
        moves = [len(step(t, RIGHT)) for _ in range(3)]
        print("kitty at 100x45 cells: slice step %d bytes, cursor move %d bytes" % (sorted(steps)[1],
                                                                                  sorted(moves)[1]))
    finally:
        t.close()


if BENCH:
    bench()
    sys.exit(0)
render_sixel_limit()
xterm_large()
xterm_small_limit()
xterm_no_report()
kitty()
iterm()
sys.exit(1 if failed else 0)
