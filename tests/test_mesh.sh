#!/bin/sh
# test_mesh.sh - `pulmo mesh` end to end: outputs, JSON, exit codes, a full
# disk (simulated with a file-size limit) and the temporary-file contract.
PULMO=${PULMO:-./pulmo}
data=${PM_DATA:-../shared/data}
mask=$data/reference/LIDC-IDRI-0001.seed-fill.nii.gz
tmp=${PM_TEST_TMP:-/tmp}/mesh-sh.$$
mkdir -p "$tmp"
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
expect_rc() { # name want cmd...
    name=$1 want=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
    if [ "$rc" -eq "$want" ]; then pass "$name"; else fail "$name" "exit $rc, want $want: $(head -c 300 "$tmp/err")"; fi
}

# a lung mask gives a closed binary STL and JSON with the documented keys
$PULMO mesh "$mask" -o "$tmp/lung.stl" --json >"$tmp/lung.json" 2>"$tmp/err"
rc=$?
ok=1
for k in triangles vertices volume_ml area_cm2 watertight seconds; do
    grep -q "\"$k\":" "$tmp/lung.json" || ok=0
done
tri=$(sed -n 's/.*"triangles": *\([0-9]*\).*/\1/p' "$tmp/lung.json")
size=$(wc -c <"$tmp/lung.stl" 2>/dev/null || echo 0)
if [ $rc -eq 0 ] && [ $ok -eq 1 ] && grep -q '"watertight": true' "$tmp/lung.json" \
   && [ "$size" -eq $((84 + 50 * tri)) ]; then
    pass mesh_of_lidc_mask_writes_closed_binary_stl_and_json
else
    fail mesh_of_lidc_mask_writes_closed_binary_stl_and_json "rc $rc, size $size for $tri triangles: $(head -c 300 "$tmp/err")"
fi
vol=$(sed -n 's/.*"volume_ml": *\([0-9.]*\).*/\1/p' "$tmp/lung.json")
if awk -v v="$vol" 'BEGIN { exit !(v > 3793.1 * 0.99 && v < 3793.1 * 1.01) }'; then
    pass mesh_volume_matches_the_reference_mask_volume
else
    fail mesh_volume_matches_the_reference_mask_volume "volume_ml $vol, mask 3793.1"
fi

# smoothing and decimation through the CLI; OBJ output
$PULMO mesh "$mask" -o "$tmp/lung.obj" --smooth 5 --triangles 600000 --json >"$tmp/dec.json" 2>"$tmp/err"
tri=$(sed -n 's/.*"triangles": *\([0-9]*\).*/\1/p' "$tmp/dec.json")
faces=$(grep -c '^f ' "$tmp/lung.obj" 2>/dev/null || echo 0)
if [ -n "$tri" ] && [ "$tri" -le 600000 ] && [ "$tri" -gt 599000 ] && [ "$faces" -eq "$tri" ] \
   && grep -q '"watertight": true' "$tmp/dec.json"; then
    pass decimate_to_triangle_count_writes_closed_obj
else
    fail decimate_to_triangle_count_writes_closed_obj "triangles '$tri', OBJ faces $faces: $(head -c 300 "$tmp/err")"
fi

# a series folder with --level: the HU surface, closed even though the body
# runs through the top and bottom slices (the grid is padded), as ASCII PLY
two=$data/edge/two-slices-no-modality
$PULMO mesh "$two" --level -300 -o "$tmp/two.ply" --ascii --json >"$tmp/two.json" 2>"$tmp/err"
rc=$?
tri=$(sed -n 's/.*"triangles": *\([0-9]*\).*/\1/p' "$tmp/two.json")
hdr=$(sed -n 's/^element face \([0-9]*\)$/\1/p' "$tmp/two.ply" 2>/dev/null)
if [ $rc -eq 0 ] && grep -q '"watertight": true' "$tmp/two.json" && [ -n "$tri" ] && [ "$hdr" = "$tri" ] \
   && grep -q '^format ascii 1.0' "$tmp/two.ply"; then
    pass series_with_level_gives_closed_hu_surface_as_ascii_ply
else
    fail series_with_level_gives_closed_hu_surface_as_ascii_ply "rc $rc, triangles '$tri', PLY faces '$hdr': $(head -c 300 "$tmp/err")"
fi
# a series folder alone: the lungs of the default segmentation (labels 1-2,
# not the airway); their volume is near the reference mask's (which holds
# the airway but not the default recipe's closing)
$PULMO mesh "$data/patients/LIDC-IDRI-0001" -o "$tmp/lungs.stl" --json >"$tmp/lungs.json" 2>"$tmp/err"
rc=$?
vol=$(sed -n 's/.*"volume_ml": *\([0-9.]*\).*/\1/p' "$tmp/lungs.json")
if [ $rc -eq 0 ] && grep -q '"watertight": true' "$tmp/lungs.json" \
   && awk -v v="$vol" 'BEGIN { exit !(v > 3793.1 * 0.95 && v < 3793.1 * 1.05) }'; then
    pass series_alone_meshes_the_default_lung_segmentation
else
    fail series_alone_meshes_the_default_lung_segmentation "rc $rc, volume_ml '$vol': $(head -c 300 "$tmp/err")"
fi
expect_rc series_without_lungs_exits_6 6 $PULMO mesh "$data/patients/GE-HEAD-TILT" -o "$tmp/x.stl"
# an output inside the input series folder is refused (pulmo never writes there)
cp -r "$two" "$tmp/series"
expect_rc output_inside_input_series_exits_4 4 $PULMO mesh "$tmp/series" --level -300 -o "$tmp/series/x.stl"

expect_rc missing_output_is_a_usage_error 1 $PULMO mesh "$mask"
expect_rc unknown_output_extension_is_a_usage_error 1 $PULMO mesh "$mask" -o "$tmp/x.vtk"
expect_rc decimate_and_triangles_together_is_a_usage_error 1 $PULMO mesh "$mask" -o "$tmp/x.stl" --decimate 0.5 --triangles 100
expect_rc bad_ratio_is_a_usage_error 1 $PULMO mesh "$mask" -o "$tmp/x.stl" --decimate 1.5
expect_rc missing_input_exits_2 2 $PULMO mesh "$tmp/nothing.nii.gz" -o "$tmp/x.stl"
printf 'not a nifti file at all, just text that is long enough to be read as a header' >"$tmp/bad.nii"
expect_rc corrupt_nifti_exits_3 3 $PULMO mesh "$tmp/bad.nii" -o "$tmp/x.stl"
expect_rc missing_output_folder_exits_4 4 $PULMO mesh "$mask" -o "$tmp/no/such/dir/x.stl"
expect_rc absent_label_exits_2 2 $PULMO mesh "$mask" --label 7 -o "$tmp/x.stl"

# a full disk: writes beyond 64 KiB fail with EFBIG (SIGXFSZ ignored), which
# must give exit 4 and leave neither the file nor a temporary behind
mkdir -p "$tmp/full"
(
    trap '' XFSZ
    ulimit -f 128
    $PULMO mesh "$mask" -o "$tmp/full/lung.stl" >"$tmp/out" 2>"$tmp/err"
    echo $? >"$tmp/rc"
)
left=$(ls -A "$tmp/full" | wc -l)
if [ "$(cat "$tmp/rc")" = 4 ] && [ "$left" -eq 0 ] && grep -q 'lung.stl' "$tmp/err"; then
    pass full_disk_exits_4_and_leaves_no_file
else
    fail full_disk_exits_4_and_leaves_no_file "exit $(cat "$tmp/rc"), $left files left: $(head -c 300 "$tmp/err")"
fi

# the written STL reads back through admesh as a closed surface
if command -v admesh >/dev/null 2>&1; then
    admesh "$tmp/lung.stl" >"$tmp/admesh" 2>&1
    if grep -Eq 'Edges fixed +: +0' "$tmp/admesh" && grep -Eq 'Degenerate facets +: +0' "$tmp/admesh" \
       && grep -Eq 'Facets with 1 disconnected edge +: +0 ' "$tmp/admesh"; then
        pass admesh_accepts_lung_stl_unchanged
    else
        fail admesh_accepts_lung_stl_unchanged "$(grep -E 'Degenerate|Edges fixed|disconnected' "$tmp/admesh" | tr '\n' ' ')"
    fi
fi
rm -rf "$tmp"
