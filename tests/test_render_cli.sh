#!/bin/sh
# test_render_cli.sh - the contract of `pulmo render`: PNG and sixel of the
# same view have the same size, text output honours NO_COLOR, overlays show
# colour, and bad input gets its documented exit code. $PULMO is the binary.
PULMO=${PULMO:-./pulmo}
DATA=${PM_DATA:-../shared/data}
LIDC="$DATA/patients/LIDC-IDRI-0001"
MASK="$DATA/reference/LIDC-IDRI-0001.seed-fill.nii.gz"
T=${PM_TEST_TMP:-/tmp}/render-cli.$$
mkdir -p "$T"
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }

# Width x height of a PNG (IHDR) and of a sixel image (raster attributes).
png_size() { python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(24); print("%dx%d" % struct.unpack(">II", d[16:24]))' "$1"; }
six_size() { sed -n 's/^[^"]*"1;1;\([0-9]*\);\([0-9]*\).*/\1x\2/p' "$1" | head -1; }

ok=1; why=""
for view in "--plane axial" "--plane coronal --size 300x300" "--plane sagittal --slice 200" "--hist --size 500x200"; do
    tag=$(echo "$view" | tr -c 'a-z0-9\n' _)
    if ! $PULMO render "$LIDC" $view -o "$T/$tag.png" 2>"$T/err" \
       || ! $PULMO render "$LIDC" $view --sixel >"$T/$tag.six" 2>>"$T/err"; then
        ok=0; why="$view: $(cat "$T/err")"; break
    fi
    p=$(png_size "$T/$tag.png"); s=$(six_size "$T/$tag.six")
    if [ -z "$p" ] || [ "$p" != "$s" ]; then ok=0; why="$view: PNG $p, sixel $s"; break; fi
done
[ $ok = 1 ] && pass png_and_sixel_of_the_same_view_have_the_same_size || fail png_and_sixel_of_the_same_view_have_the_same_size "$why"

p=$(png_size "$T/__plane_coronal___size_300x300.png")
[ "$p" = "300x277" ] && pass coronal_fits_the_size_box_with_the_spacing_aspect \
    || fail coronal_fits_the_size_box_with_the_spacing_aspect "coronal in 300x300 is $p, expected 300x277"

NO_COLOR=1 $PULMO render "$LIDC" --text --size 60x30 >"$T/nc.txt" 2>"$T/err"
rc=$?
lines=$(wc -l <"$T/nc.txt")
if [ $rc -eq 0 ] && ! grep -q "$(printf '\033')" "$T/nc.txt" && [ "$lines" -eq 30 ] && grep -q '@' "$T/nc.txt"; then
    pass no_color_text_is_plain_ascii_in_the_size_box
else fail no_color_text_is_plain_ascii_in_the_size_box "rc=$rc, $lines lines, $(head -c 200 "$T/nc.txt")"; fi

COLORTERM=truecolor $PULMO render "$LIDC" --text --size 80x40 --mask "$MASK" >"$T/ov.txt" 2>"$T/err"
rc=$?
# A non-grey 24-bit colour: the lung label blended over the slice.
if [ $rc -eq 0 ] && grep -o '38;2;[0-9]*;[0-9]*;[0-9]*' "$T/ov.txt" | awk -F';' '$3 != $4 || $4 != $5 {f=1} END {exit !f}' \
   && [ "$(grep -c '▀' "$T/ov.txt")" -eq 40 ]; then
    pass mask_overlay_shows_label_colour_in_half_blocks
else fail mask_overlay_shows_label_colour_in_half_blocks "rc=$rc $(cat "$T/err")"; fi

code() { "$@" >/dev/null 2>"$T/err"; echo $?; }
r1=$(code $PULMO render "$LIDC" --window wide -o "$T/x.png")
r2=$(code $PULMO render "$LIDC" --plane oblique -o "$T/x.png")
r3=$(code $PULMO render "$LIDC" --slice 133 -o "$T/x.png")
r4=$(code $PULMO render "$T/missing" -o "$T/x.png")
r5=$(code $PULMO render "$LIDC" -o "$LIDC/x.png")
# a mask on another grid is put on the series grid through the affines (exit 0)
r6=$(code $PULMO render "$DATA/patients/GE-HEAD-TILT" --mask "$MASK" -o "$T/x.png")
r7=$(code $PULMO render "$LIDC" -o "$T/x.png" --sixel)
if [ "$r1$r2$r3$r4$r5$r6$r7" = "1112401" ] && [ ! -e "$LIDC/x.png" ]; then
    pass bad_render_input_gets_the_documented_exit_codes
else fail bad_render_input_gets_the_documented_exit_codes "window $r1 plane $r2 slice $r3 missing $r4 into-input $r5 mask-grid $r6 two-outputs $r7"; fi

# A fake terminal on a pty: pulmo asks it (DA1 last) and draws sixel when the
# answer lists 4, text when it stays silent or when TMUX says a multiplexer
# sits in between.
probe() {
    python3 - "$PULMO" "$LIDC" "$1" "$2" <<'PYEOF'
import os, pty, select, sys, time
pulmo, lidc, answer, tmux = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
pid, fd = pty.fork()
if pid == 0:
    for k in ("TMUX", "STY", "NO_COLOR"):
        os.environ.pop(k, None)
    os.environ["TERM"] = "xterm"
    if tmux == "1":
        os.environ["TMUX"] = "/tmp/tmux-0/default,1,0"
    os.execv(pulmo, [pulmo, "render", lidc, "--size", "64x64"])
buf, sent, end = b"", False, time.time() + 120
while time.time() < end:
    r, _, _ = select.select([fd], [], [], 0.5)
    if not r:
        continue
    try:
        d = os.read(fd, 65536)
    except OSError:
        break
    if not d:
        break
    buf += d
    if not sent and b"\x1b[c" in buf:
        sent = True
        if answer == "sixel":
            os.write(fd, b"\x1b[?1;0;256S\x1b[?2;0;1000;1000S\x1b[?63;1;2;4;6;9;22c")
os.waitpid(pid, 0)
if b'\x1bP' in buf and b'"1;1;64;64' in buf:
    print("sixel")
elif "\u2580".encode() in buf:
    print("text")
else:
    print("other", sent, buf[:80])
PYEOF
}
a=$(probe sixel 0); b=$(probe none 0); c=$(probe sixel 1)
if [ "$a $b $c" = "sixel text text" ]; then
    pass terminal_answering_sixel_gets_sixel_silent_or_tmux_gets_text
else fail terminal_answering_sixel_gets_sixel_silent_or_tmux_gets_text "answering: $a, silent: $b, tmux: $c"; fi

# A surface from the phantom's truth labels, through `pulmo mesh`, drawn as
# PNG, sixel and text; a broken STL is exit 3, a missing one exit 2.
PH="samples/truth/PHANTOM-01.labels.nii.gz"
if $PULMO mesh "$PH" --label 1 -o "$T/lung.stl" >/dev/null 2>"$T/err" \
   && $PULMO render --mesh "$T/lung.stl" -o "$T/mesh.png" 2>>"$T/err" \
   && $PULMO render --mesh "$T/lung.stl" --azimuth 30 --elevation 20 --sixel >"$T/mesh.six" 2>>"$T/err" \
   && NO_COLOR=1 $PULMO render --mesh "$T/lung.stl" --text --size 40x20 >"$T/mesh.txt" 2>>"$T/err" \
   && [ "$(png_size "$T/mesh.png")" = "640x480" ] && [ "$(six_size "$T/mesh.six")" = "640x480" ] \
   && [ "$(tr -d ' \n' <"$T/mesh.txt" | wc -c)" -gt 40 ]; then
    pass mesh_renders_as_png_sixel_and_text_at_the_same_size
else fail mesh_renders_as_png_sixel_and_text_at_the_same_size "$(cat "$T/err")"; fi

printf 'solid broken\n  facet normal 0 0 1\n    outer loop\n      vertex 0 0 nan\n' >"$T/bad.stl"
r1=$(code $PULMO render --mesh "$T/bad.stl" -o "$T/x.png")
r2=$(code $PULMO render --mesh "$T/none.stl" -o "$T/x.png")
r3=$(code $PULMO render --mesh "$T/lung.stl" "$LIDC" -o "$T/x.png")
if [ "$r1$r2$r3" = "321" ]; then pass bad_mesh_input_gets_the_documented_exit_codes
else fail bad_mesh_input_gets_the_documented_exit_codes "broken $r1 missing $r2 extra-arg $r3"; fi

rm -rf "$T"
