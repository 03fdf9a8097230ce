#!/bin/sh
# seeds.sh OUT MKSEEDS - builds the seed corpus of every fuzz target under OUT
# (build/fuzz/seeds): small slices made by mkseeds, transcoded by gdcmconv
# into every compressed transfer syntax, joined into series for fuzz_series,
# plus a few real slices from ../shared/data (read in place, copied only into
# build/). Nothing here is committed.
set -e
out=$1
mkseeds=$2
data=${PM_DATA:-../shared/data}
rm -rf "$out"
mkdir -p "$out/dicom" "$out/series" "$out/nifti" "$out/text" "$out/stl" "$out/pth" "$out/volfile" "$out/rtstruct"
gen="$out/gen"
"$mkseeds" "$gen"
cp "$gen"/dicom/*.dcm "$out/dicom/"
cp "$gen"/nifti/* "$out/nifti/"
cp "$gen"/stl/* "$out/stl/"
if command -v gdcmconv >/dev/null 2>&1; then
    for opt in --rle --jpegls --j2k --jpeg --implicit; do
        name=$(echo "$opt" | tr -d -)
        gdcmconv "$opt" "$gen/dicom/ct-8-1.dcm" "$out/dicom/ct-8-$name.dcm" 2>/dev/null || true
        gdcmconv "$opt" "$gen/dicom/ct-tilt-0.dcm" "$out/dicom/ct-tilt-$name.dcm" 2>/dev/null || true
    done
else
    echo "seeds.sh: gdcmconv not found (package libgdcm-tools): no compressed seeds" >&2
fi
# Real files: the compressed transfer syntaxes are the smallest real ones.
for f in 4 7 9; do
    [ -f "$data/edge/transfer-syntaxes/$f.dcm" ] && cp "$data/edge/transfer-syntaxes/$f.dcm" "$out/dicom/ts-$f.dcm"
done
[ -f "$data/patients/LIDC-IDRI-0001/000066.dcm" ] && cp "$data/patients/LIDC-IDRI-0001/000066.dcm" "$out/dicom/lidc-066.dcm"
j2k=$(ls "$data/edge/j2k-lossless-no-series-uid" 2>/dev/null | head -1)
[ -n "$j2k" ] && cp "$data/edge/j2k-lossless-no-series-uid/$j2k" "$out/dicom/j2k-no-uid.dcm"

# Series: files joined with the marker fuzz_series cuts at.
join() {
    dst=$1; shift
    first=1
    for f in "$@"; do
        [ $first = 1 ] || printf 'PMFILE\n' >>"$dst"
        cat "$f" >>"$dst"
        first=0
    done
}
join "$out/series/axial-3" "$gen"/dicom/ct-8-0.dcm "$gen"/dicom/ct-8-1.dcm "$gen"/dicom/ct-8-2.dcm
join "$out/series/tilt-3" "$gen"/dicom/ct-tilt-0.dcm "$gen"/dicom/ct-tilt-1.dcm "$gen"/dicom/ct-tilt-2.dcm
join "$out/series/mixed" "$gen"/dicom/ct-8-0.dcm "$gen"/dicom/ct-tilt-1.dcm "$gen"/dicom/ct-8-2.dcm
join "$out/series/dup" "$gen"/dicom/ct-8-0.dcm "$gen"/dicom/ct-8-0.dcm "$gen"/dicom/ct-8-1.dcm
[ -f "$out/dicom/ct-8-rle.dcm" ] && join "$out/series/rle-jls" "$gen"/dicom/ct-8-0.dcm "$out/dicom/ct-8-rle.dcm" "$out/dicom/ct-8-jpegls.dcm"
cp "$gen"/dicom/ct-8-0.dcm "$out/series/one"
if [ -d "$data/edge/j2k-lossless-no-series-uid" ]; then
    set -- $(ls "$data/edge/j2k-lossless-no-series-uid" | head -2)
    join "$out/series/j2k-2" "$data/edge/j2k-lossless-no-series-uid/$1" "$data/edge/j2k-lossless-no-series-uid/$2"
fi
# PyTorch weights: a small state_dict written without torch, and the real
# tiny U-Net (2 MB: it reaches the network builder).
python3 tests/fuzz/mkpth.py "$out/pth/small.pth" || echo "seeds.sh: python3 failed: no small .pth seed" >&2
[ -f "$data/unet/tiny-unet.pth" ] && cp "$data/unet/tiny-unet.pth" "$out/pth/tiny-unet.pth"
# Text: a cap byte, a width byte, then header text with escape sequences,
# Latin-1 CSI, C1 in UTF-8, accents and a bidi override.
printf '\100\030Evil\033]0;pwned\007Name\302\2331m\2332J caf\303\251 \342\200\256' >"$out/text/esc"
# Volume files: a first byte 1 (.mha) or 0 (.nrrd), then a tiny 2x2x2 image.
{ printf '\001NDims = 3\nDimSize = 2 2 2\nElementSpacing = 1 1 2\nOffset = 0 0 0\n'
  printf 'TransformMatrix = 1 0 0 0 1 0 0 0 1\nElementType = MET_SHORT\nElementDataFile = LOCAL\n'
  printf '\030\374\030\374\030\374\030\374\000\000\000\000\030\374\030\374'; } >"$out/volfile/small.mha"
{ printf '\000NRRD0004\ntype: short\ndimension: 3\nspace: left-posterior-superior\nsizes: 2 2 2\n'
  printf 'space directions: (1,0,0) (0,1,0) (0,0,2)\nendian: little\nencoding: raw\nspace origin: (0,0,0)\n\n'
  printf '\030\374\030\374\030\374\030\374\000\000\000\000\030\374\030\374'; } >"$out/volfile/small.nrrd"
[ -f "$data/real/NSCLC-LUNG1-020-RT.rtstruct/RTSTRUCT.dcm" ] && cp "$data/real/NSCLC-LUNG1-020-RT.rtstruct/RTSTRUCT.dcm" "$out/rtstruct/"
rm -rf "$gen"
echo "seeds: $(ls "$out/dicom" | wc -l) dicom, $(ls "$out/series" | wc -l) series, $(ls "$out/nifti" | wc -l) nifti, $(ls "$out/text" | wc -l) text, $(ls "$out/stl" | wc -l) stl, $(ls "$out/pth" | wc -l) pth"
