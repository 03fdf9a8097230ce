// gdcm_adapter.cpp - pulmo's only C++: reading and writing DICOM through GDCM
// behind the C interface of include/pulmo/dicom.h.
//
// Headers are read with Reader::ReadUpToTag(PixelData) so that indexing a
// folder never loads pixel data. Values are parsed from the raw elements
// here rather than through gdcm::ImageHelper, whose fallbacks depend on the
// SOP class and which reports through GDCM's global trace streams.
// Only GDCM calls live here; checks, value parsing and byte handling are C
// (values.c, adapter_c.h). No C++ exception crosses the C interface: every
// GDCM call that can throw runs inside try.
#include "pulmo/dicom.h"
#include "adapter_c.h"
#include "guard.h"
extern "C" {
#include "pulmo/core.h"
#include "pulmo/io.h"
}

#include <gdcmAttribute.h>
#include <gdcmDataSet.h>
#include <gdcmFile.h>
#include <gdcmImage.h>
#include <gdcmImageWriter.h>
#include <gdcmReader.h>
#include <gdcmSequenceOfItems.h>
#include <gdcmTrace.h>
#include <gdcmTransferSyntax.h>
#include <gdcmWriter.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <sstream>
#include <new>
#include <string>
#include <vector>

namespace {

std::once_flag quiet_once;

// GDCM writes warnings to std::cerr by default; pulmo reports through its
// own errors, and the TUI must keep stderr off the screen.
void quiet()
{
    std::call_once(quiet_once, [] {
        gdcm::Trace::SetDebug(false);
        gdcm::Trace::SetWarning(false);
        gdcm::Trace::SetError(false);
    });
}

std::string raw_string(const gdcm::DataSet &ds, uint16_t g, uint16_t e)
{
    gdcm::Tag t(g, e);
    if (!ds.FindDataElement(t))
        return std::string();
    const gdcm::DataElement &de = ds.GetDataElement(t);
    const gdcm::ByteValue *bv = de.GetByteValue();
    if (!bv || !bv->GetPointer())
        return std::string();
    std::string s(bv->GetPointer(), bv->GetLength());
    size_t nul = s.find('\0');
    if (nul != std::string::npos)
        s.resize(nul);
    while (!s.empty() && s.back() == ' ')
        s.pop_back();
    size_t lead = s.find_first_not_of(' ');
    return lead == std::string::npos ? std::string() : s.substr(lead);
}

void copy_string(char *dst, size_t cap, const std::string &s)
{
    snprintf(dst, cap, "%s", s.c_str());
}

int get_is(const gdcm::DataSet &ds, uint16_t g, uint16_t e, int def)
{
    return pm__dicom_parse_is(raw_string(ds, g, e).c_str(), def);
}

int parse_ds(const std::string &s, double *out, int n)
{
    return pm_dicom_parse_ds(s.c_str(), out, n);
}

// US/SS elements: the reader has already put them in host byte order.
int get_us(const gdcm::DataSet &ds, uint16_t g, uint16_t e, int def)
{
    gdcm::Tag t(g, e);
    if (!ds.FindDataElement(t))
        return def;
    const gdcm::ByteValue *bv = ds.GetDataElement(t).GetByteValue();
    if (!bv || bv->GetLength() < 2)
        return def;
    uint16_t v;
    memcpy(&v, bv->GetPointer(), 2);
    return v;
}

// Runs body, turning any exception it lets out (std::string and the
// containers throw bad_alloc; GDCM throws on hostile input) into a status:
// exceptions must not unwind through C callers.
template <typename F> int guarded(const char *path, F body)
{
    try {
        return body();
    } catch (const std::bad_alloc &) {
        return pm_fail(PM_EMEMORY, "%s: out of memory", path);
    } catch (...) {
        return pm_fail(PM_ECORRUPT, "%s: GDCM failed on this file", path);
    }
}

int read_header(const char *path, pm_dicom_header *h)
{
    quiet();
    int pc = pm__dicom_check_file(path);
    if (pc != PM_OK)
        return pc;
    gdcm::Reader r;
    r.SetFileName(path);
    // Skipped: else ReadUpToTag reads the pixel data it stops at (0.5 MB a slice).
    const gdcm::Tag pixtag(0x7fe0, 0x0010);
    std::set<gdcm::Tag> skip{pixtag};
    bool ok;
    try {
        ok = r.ReadUpToTag(pixtag, skip);
    } catch (...) {
        ok = false;
    }
    if (!ok)
        return pm_fail(PM_ECORRUPT, "%s: unreadable DICOM header", path);
    const gdcm::File &file = r.GetFile();
    const gdcm::DataSet &ds = file.GetDataSet();
    memset(h, 0, sizeof *h);
    copy_string(h->patient_id, sizeof h->patient_id, raw_string(ds, 0x0010, 0x0020));
    copy_string(h->patient_name, sizeof h->patient_name, raw_string(ds, 0x0010, 0x0010));
    copy_string(h->study_uid, sizeof h->study_uid, raw_string(ds, 0x0020, 0x000d));
    copy_string(h->study_date, sizeof h->study_date, raw_string(ds, 0x0008, 0x0020));
    copy_string(h->study_description, sizeof h->study_description, raw_string(ds, 0x0008, 0x1030));
    copy_string(h->series_uid, sizeof h->series_uid, raw_string(ds, 0x0020, 0x000e));
    copy_string(h->series_description, sizeof h->series_description, raw_string(ds, 0x0008, 0x103e));
    copy_string(h->sop_uid, sizeof h->sop_uid, raw_string(ds, 0x0008, 0x0018));
    // For objects derived from the series (the SEG that --push sends).
    copy_string(h->sop_class_uid, sizeof h->sop_class_uid, raw_string(ds, 0x0008, 0x0016));
    copy_string(h->frame_of_reference_uid, sizeof h->frame_of_reference_uid, raw_string(ds, 0x0020, 0x0052));
    copy_string(h->study_time, sizeof h->study_time, raw_string(ds, 0x0008, 0x0030));
    copy_string(h->study_id, sizeof h->study_id, raw_string(ds, 0x0020, 0x0010));
    copy_string(h->accession_number, sizeof h->accession_number, raw_string(ds, 0x0008, 0x0050));
    copy_string(h->modality, sizeof h->modality, raw_string(ds, 0x0008, 0x0060));
    copy_string(h->photometric, sizeof h->photometric, raw_string(ds, 0x0028, 0x0004));
    copy_string(h->patient_position, sizeof h->patient_position, raw_string(ds, 0x0018, 0x5100));
    const gdcm::TransferSyntax &ts = file.GetHeader().GetDataSetTransferSyntax();
    copy_string(h->transfer_syntax, sizeof h->transfer_syntax,
                ts.GetString() ? std::string(ts.GetString()) : std::string());
    h->compressed = ts.IsEncapsulated() ? 1 : 0;
    h->series_number = get_is(ds, 0x0020, 0x0011, 0);
    h->instance_number = get_is(ds, 0x0020, 0x0013, 0);
    h->rows = get_us(ds, 0x0028, 0x0010, 0);
    h->cols = get_us(ds, 0x0028, 0x0011, 0);
    h->frames = get_is(ds, 0x0028, 0x0008, 1);
    h->bits_allocated = get_us(ds, 0x0028, 0x0100, 0);
    h->bits_stored = get_us(ds, 0x0028, 0x0101, h->bits_allocated);
    h->pixel_representation = get_us(ds, 0x0028, 0x0103, 0);
    h->samples_per_pixel = get_us(ds, 0x0028, 0x0002, 1);
    h->has_ipp = parse_ds(raw_string(ds, 0x0020, 0x0032), h->ipp, 3) == 3;
    h->has_iop = parse_ds(raw_string(ds, 0x0020, 0x0037), h->iop, 6) == 6;
    h->has_spacing = parse_ds(raw_string(ds, 0x0028, 0x0030), h->pixel_spacing, 2) == 2
                  && h->pixel_spacing[0] > 0 && h->pixel_spacing[1] > 0;
    if (parse_ds(raw_string(ds, 0x0018, 0x0050), &h->slice_thickness, 1) != 1)
        h->slice_thickness = 0;
    if (parse_ds(raw_string(ds, 0x0028, 0x1053), &h->slope, 1) != 1 || h->slope == 0)
        h->slope = 1;
    if (parse_ds(raw_string(ds, 0x0028, 0x1052), &h->intercept, 1) != 1)
        h->intercept = 0;
    int pad = get_us(ds, 0x0028, 0x0120, -1);
    if (pad >= 0) {
        h->has_padding = 1;
        h->padding_raw = (uint16_t)pad;
    }
    h->file_size = pm__file_size(path);
    std::string sop = raw_string(ds, 0x0008, 0x0016);
    if (sop.empty())
        sop = raw_string(file.GetHeader(), 0x0002, 0x0002);
    h->non_image = pm__dicom_non_image(sop.c_str(), h->modality);
    // GDCM reports a header cut short only through the stream position,
    // which is then -1. It is -1 too after reading an object that has no
    // pixel data to stop at (a structure set, a DICOMDIR): the whole file
    // was read, and the guard has already checked that every element in
    // it is complete, so only an image without its pixel data is cut.
    if (r.GetStreamCurrentPosition() == (size_t)-1 && !h->non_image && (h->rows || h->cols))
        return pm_fail(PM_ECORRUPT, "%s: truncated: the file ends inside the header (%lld bytes)",
                       path, h->file_size);
    if (h->non_image)
        return PM_OK;
    // An image object without image dimensions lost them somewhere; other
    // objects have none and are skipped by callers.
    bool image = pm__dicom_is_image(sop.c_str(), h->modality);
    if (image && h->rows == 0 && h->cols == 0)
        return pm_fail(PM_ECORRUPT, "%s: image without Rows/Columns (truncated header?)", path);
    return PM_OK;
}

// gdcm::Bitmap::GetBuffer tries every codec in turn, and after the JPEG
// codec fails it runs PVRGCodec, which writes temporary files and starts the
// external pvrg-jpeg program through system() (a 20 s hang on one fuzzed
// JPEG slice, found by tests/fuzz/fuzz_dicom; KAKADU likewise). This image
// tries GDCM's built-in decoders only.
class BuiltinDecoders : public gdcm::Image {
public:
    bool Decode(char *buffer) const
    {
        bool lossy = false;
        return TryRAWCodec(buffer, lossy) || TryJPEGCodec(buffer, lossy)
            || TryJPEGLSCodec(buffer, lossy) || TryJPEG2000Codec(buffer, lossy)
            || TryRLECodec(buffer, lossy);
    }
};

} // namespace

extern "C" int pm_dicom_read_header(const char *path, pm_dicom_header *h)
{
    return guarded(path, [&] { return read_header(path, h); });
}

namespace {

int read_pixels(const char *path, const pm_dicom_header *h, int32_t *out)
{
    quiet();
    int pc = pm__dicom_pixels_precheck(path, h);
    if (pc != PM_OK)
        return pc;
    int ba = h->bits_allocated;
    gdcm::PhotometricInterpretation::PIType pi =
        h->photometric[0] ? gdcm::PhotometricInterpretation::GetPIType(h->photometric)
                          : gdcm::PhotometricInterpretation::MONOCHROME2;
    if (pi != gdcm::PhotometricInterpretation::MONOCHROME1
        && pi != gdcm::PhotometricInterpretation::MONOCHROME2)
        return pm_fail(PM_ECORRUPT, "%s: photometric interpretation '%.16s' is not a greyscale CT image",
                       path, h->photometric);
    size_t npix = (size_t)h->rows * (size_t)h->cols;
    size_t need = npix * (size_t)(ba / 8);
    int bs = h->bits_stored > 0 && h->bits_stored <= ba ? h->bits_stored : ba;
    int sgn = h->pixel_representation == 1;
    char why[256];
    pm__native_read nr = {need, npix, ba, bs, sgn, out, 0};
    pm__guard_image gi = {h->rows, h->cols, 1, ba, h->transfer_syntax, NULL, &nr};
    // Little-endian native pixels: GDCM's raw codec would only copy them and
    // clear the bits above BitsStored, which pm__dicom_unpack does anyway.
    if (!strcmp(h->transfer_syntax, "1.2.840.10008.1.2") || !strcmp(h->transfer_syntax, "1.2.840.10008.1.2.1"))
        gi.native = pm__dicom_native_unpack;
    pm__codec_messages_reset();
    if (pm__dicom_guard(path, &gi, why, sizeof why) != 0)
        return pm_fail(PM_ECORRUPT, "%s: pixel data could not be read: %s", path, why);
    if (nr.done)
        return PM_OK;
    // The image is described from pulmo's own reading of the header rather
    // than by gdcm::ImageReader, whose helpers assert (abort the process)
    // when a tag has an unexpected VR (gdcmAttribute.h:210, found by
    // tests/fuzz/fuzz_series with a mutated ImagePositionPatient).
    gdcm::Reader r;
    r.SetFileName(path);
    bool ok;
    try {
        ok = r.Read();
    } catch (...) {
        ok = false;
    }
    if (!ok)
        return pm_fail(PM_ECORRUPT, "%s: pixel data could not be read", path);
    const gdcm::DataSet &ds = r.GetFile().GetDataSet();
    const gdcm::Tag pixtag(0x7fe0, 0x0010);
    if (!ds.FindDataElement(pixtag))
        return pm_fail(PM_ECORRUPT, "%s: no pixel data", path);
    const gdcm::DataElement &pix = ds.GetDataElement(pixtag);
    const gdcm::TransferSyntax &ts = r.GetFile().GetHeader().GetDataSetTransferSyntax();
    if (!ts.IsEncapsulated()) {
        const gdcm::ByteValue *bv = pix.GetByteValue();
        if (!bv || bv->GetLength() < need)
            return pm_fail(PM_ECORRUPT, "%s: pixel data is truncated (%u of %zu bytes)", path,
                           bv ? (unsigned)bv->GetLength() : 0u, need);
    } else if (!pix.GetSequenceOfFragments()) {
        return pm_fail(PM_ECORRUPT, "%s: compressed pixel data has no fragments", path);
    }
    std::vector<char> buf;
    gdcm::PixelFormat pf(1, (unsigned short)ba, (unsigned short)bs, (unsigned short)(bs - 1),
                         (unsigned short)sgn);
    try {
        BuiltinDecoders img;
        img.SetNumberOfDimensions(2);
        img.SetDimension(0, (unsigned)h->cols);
        img.SetDimension(1, (unsigned)h->rows);
        img.SetPixelFormat(pf);
        img.SetPhotometricInterpretation(pi);
        img.SetTransferSyntax(ts);
        img.SetDataElement(pix);
        size_t len = img.GetBufferLength();
        if (len < need)
            return pm_fail(PM_ECORRUPT, "%s: pixel data is truncated (%zu of %zu bytes)", path, len, need);
        buf.resize(len);
        ok = img.Decode(buf.data());
    } catch (const std::bad_alloc &) {
        return pm_fail(PM_EMEMORY, "%s: out of memory decoding pixels", path);
    } catch (...) {
        ok = false;
    }
    const char *first;
    int nmsg = pm__codec_messages(&first);
    if (!ok)
        return pm_fail(PM_ECORRUPT, "%s: pixel data failed to decode (%s)%s%s", path,
                       h->transfer_syntax[0] ? h->transfer_syntax : "unknown transfer syntax",
                       nmsg ? ": " : "", nmsg ? first : "");
    pm__dicom_unpack(buf.data(), npix, ba, bs, sgn, out);
    return PM_OK;
}

} // namespace

extern "C" int pm_dicom_read_pixels(const char *path, const pm_dicom_header *h, int32_t *out)
{
    return guarded(path, [&] { return read_pixels(path, h, out); });
}

namespace {

void set_string(gdcm::DataSet &ds, uint16_t g, uint16_t e, gdcm::VR vr, const std::string &v)
{
    gdcm::DataElement de(gdcm::Tag(g, e));
    de.SetVR(vr);
    std::string s = v;
    if (s.size() % 2)
        s += (vr == gdcm::VR::UI) ? '\0' : ' ';
    de.SetByteValue(s.data(), (uint32_t)s.size());
    ds.Replace(de);
}

std::string ds_list(const double *v, int n)
{
    char b[32 * 6];
    pm__dicom_ds_list(v, n, b, sizeof b);
    return b;
}

// GDCM's writer asserts (aborts the process, gdcmExplicitDataElement.txx:561)
// when its output stream fails, as on a full disk or over ulimit -f (found by
// running `pulmo phantom` under a file size limit). It encodes into memory
// instead, and pm_outfile writes the bytes: temporary name, rename, exit 4
// and no partial file on failure, and protected input folders refused.
int write_encoded(gdcm::Writer &w, const char *path)
{
    std::ostringstream os;
    w.SetStream(os);
    if (!w.Write())
        return pm_fail(PM_EWRITE, "%s: cannot encode the DICOM file", path);
    const std::string bytes = os.str();
    return pm_write_file(path, bytes.data(), bytes.size());
}

} // namespace

extern "C" int pm_dicom_write_ct(const char *path, const pm_dicom_ct *ct, const int16_t *stored)
{
    quiet();
    if (ct->rows <= 0 || ct->cols <= 0 || ct->rows > 65535 || ct->cols > 65535)
        return pm_fail(PM_EUSAGE, "%s: bad slice size", path);
    try {
        gdcm::ImageWriter w;
        gdcm::Image &img = w.GetImage();
        img.SetNumberOfDimensions(2);
        img.SetDimension(0, (unsigned)ct->cols);
        img.SetDimension(1, (unsigned)ct->rows);
        img.SetPixelFormat(gdcm::PixelFormat(gdcm::PixelFormat::INT16));
        img.SetPhotometricInterpretation(gdcm::PhotometricInterpretation::MONOCHROME2);
        img.SetTransferSyntax(gdcm::TransferSyntax::ExplicitVRLittleEndian);
        size_t bytes = (size_t)ct->rows * (size_t)ct->cols * 2;
        gdcm::DataElement pix(gdcm::Tag(0x7fe0, 0x0010));
        pix.SetVR(gdcm::VR::OW);
        pix.SetByteValue((const char *)stored, (uint32_t)bytes);
        img.SetDataElement(pix);

        gdcm::File &file = w.GetFile();
        gdcm::DataSet &ds = file.GetDataSet();
        auto s = [](const char *x) { return std::string(x ? x : ""); };
        set_string(ds, 0x0008, 0x0016, gdcm::VR::UI, "1.2.840.10008.5.1.4.1.1.2");
        set_string(ds, 0x0008, 0x0018, gdcm::VR::UI, s(ct->sop_uid));
        set_string(ds, 0x0008, 0x0020, gdcm::VR::DA, s(ct->study_date));
        set_string(ds, 0x0008, 0x0060, gdcm::VR::CS, "CT");
        set_string(ds, 0x0008, 0x0070, gdcm::VR::LO, "pulmo phantom");
        set_string(ds, 0x0008, 0x1030, gdcm::VR::LO, s(ct->study_description));
        set_string(ds, 0x0008, 0x103e, gdcm::VR::LO, s(ct->series_description));
        set_string(ds, 0x0010, 0x0010, gdcm::VR::PN, s(ct->patient_name));
        set_string(ds, 0x0010, 0x0020, gdcm::VR::LO, s(ct->patient_id));
        set_string(ds, 0x0018, 0x0050, gdcm::VR::DS, ds_list(&ct->slice_thickness, 1));
        set_string(ds, 0x0018, 0x5100, gdcm::VR::CS, s(ct->patient_position));
        set_string(ds, 0x0020, 0x000d, gdcm::VR::UI, s(ct->study_uid));
        set_string(ds, 0x0020, 0x000e, gdcm::VR::UI, s(ct->series_uid));
        set_string(ds, 0x0020, 0x0011, gdcm::VR::IS, std::to_string(ct->series_number));
        set_string(ds, 0x0020, 0x0013, gdcm::VR::IS, std::to_string(ct->instance_number));
        set_string(ds, 0x0020, 0x0032, gdcm::VR::DS, ds_list(ct->ipp, 3));
        set_string(ds, 0x0020, 0x0037, gdcm::VR::DS, ds_list(ct->iop, 6));
        set_string(ds, 0x0028, 0x0030, gdcm::VR::DS, ds_list(ct->pixel_spacing, 2));
        set_string(ds, 0x0028, 0x1052, gdcm::VR::DS, ds_list(&ct->intercept, 1));
        set_string(ds, 0x0028, 0x1053, gdcm::VR::DS, ds_list(&ct->slope, 1));
        set_string(ds, 0x0028, 0x1054, gdcm::VR::LO, "HU");
        if (ct->has_padding) {
            gdcm::DataElement de(gdcm::Tag(0x0028, 0x0120));
            de.SetVR(gdcm::VR::SS);
            int16_t p = ct->padding;
            de.SetByteValue((const char *)&p, 2);
            ds.Replace(de);
        }
        // ImageWriter would otherwise overwrite the geometry and rescale tags
        // from the gdcm::Image, so give the image the same values.
        img.SetOrigin(0, ct->ipp[0]);
        img.SetOrigin(1, ct->ipp[1]);
        img.SetOrigin(2, ct->ipp[2]);
        img.SetDirectionCosines(ct->iop);
        img.SetSpacing(0, ct->pixel_spacing[1]);
        img.SetSpacing(1, ct->pixel_spacing[0]);
        img.SetIntercept(ct->intercept);
        img.SetSlope(ct->slope);
        return write_encoded(w, path);
    } catch (...) {
        return pm_fail(PM_EWRITE, "%s: DICOM writer failed", path);
    }
}

extern "C" int pm_dicom_rewrite_string(const char *src, const char *dst, unsigned group,
                                       unsigned element, const char *value)
{
    quiet();
    char why[256];
    if (pm__dicom_guard(src, NULL, why, sizeof why) != 0)
        return pm_fail(PM_ECORRUPT, "%s: %s", src, why);
    gdcm::Reader r;
    r.SetFileName(src);
    // Read() and the edits throw on hostile input and on bad_alloc, so they
    // share the writer's try: no exception may leave this C function.
    try {
        if (!r.Read())
            return pm_fail(PM_ECORRUPT, "%s: unreadable DICOM file", src);
        gdcm::DataSet &ds = r.GetFile().GetDataSet();
        gdcm::Tag t((uint16_t)group, (uint16_t)element);
        if (!value) {
            ds.Remove(t);
        } else {
            gdcm::VR vr = gdcm::VR::LO;
            if (ds.FindDataElement(t))
                vr = ds.GetDataElement(t).GetVR();
            if (vr == gdcm::VR::INVALID || vr == gdcm::VR::UN)
                vr = gdcm::VR::LO;
            set_string(ds, (uint16_t)group, (uint16_t)element, vr, value);
        }
        gdcm::Writer w;
        w.SetFile(r.GetFile());
        return write_encoded(w, dst);
    } catch (...) {
        return pm_fail(PM_EWRITE, "%s: DICOM writer failed", dst);
    }
}

// ---- walking a whole data set (RTSTRUCT, SEG) ---------------------------
//
// Non-image objects are read by C code (src/refmask) through these few
// accessors. A node is a gdcm::DataSet owned by the file: the file's own,
// or an item's nested one. In Implicit VR files a sequence of defined length
// arrives as plain bytes and GetValueAsSQ parses it anew on every call, so
// each parsed sequence is kept in the file's cache: its items stay valid
// until pm_dicom_close, and walking contours is linear.
struct pm_dicom_file {
    gdcm::Reader r;
    std::map<const gdcm::DataElement *, gdcm::SmartPointer<gdcm::SequenceOfItems>> seqs;
};

namespace {

const gdcm::DataSet *node_ds(const pm_dicom_node *n)
{
    return reinterpret_cast<const gdcm::DataSet *>(n);
}

const gdcm::DataElement *node_element(const pm_dicom_node *n, uint32_t tag)
{
    gdcm::Tag t((uint16_t)(tag >> 16), (uint16_t)(tag & 0xffff));
    const gdcm::DataSet *ds = node_ds(n);
    if (!ds || !ds->FindDataElement(t))
        return NULL;
    return &ds->GetDataElement(t);
}

gdcm::SequenceOfItems *node_seq(pm_dicom_file *f, const pm_dicom_node *n, uint32_t tag)
{
    const gdcm::DataElement *de = node_element(n, tag);
    if (!de)
        return NULL;
    auto it = f->seqs.find(de);
    if (it != f->seqs.end())
        return it->second;
    gdcm::SmartPointer<gdcm::SequenceOfItems> sq;
    try {
        sq = de->GetValueAsSQ();
        f->seqs[de] = sq;
    } catch (...) {
        return NULL;
    }
    return sq;
}

} // namespace

extern "C" int pm_dicom_open(const char *path, pm_dicom_file **out)
{
    quiet();
    int pc = pm__dicom_check_file(path);
    if (pc != PM_OK)
        return pc;
    pm_dicom_file *f = new (std::nothrow) pm_dicom_file;
    if (!f)
        return pm_fail(PM_EMEMORY, "%s: out of memory", path);
    f->r.SetFileName(path);
    bool ok;
    try {
        ok = f->r.Read();
    } catch (...) {
        ok = false;
    }
    if (!ok) {
        delete f;
        return pm_fail(PM_ECORRUPT, "%s: unreadable DICOM file", path);
    }
    *out = f;
    return PM_OK;
}

extern "C" void pm_dicom_close(pm_dicom_file *f)
{
    delete f;
}

extern "C" const pm_dicom_node *pm_dicom_root(const pm_dicom_file *f)
{
    return reinterpret_cast<const pm_dicom_node *>(&f->r.GetFile().GetDataSet());
}

extern "C" const char *pm_dicom_bytes(const pm_dicom_node *n, uint32_t tag, size_t *len)
{
    const gdcm::DataElement *de = node_element(n, tag);
    const gdcm::ByteValue *bv = de ? de->GetByteValue() : NULL;
    if (!bv || !bv->GetPointer()) {
        *len = 0;
        return NULL;
    }
    *len = bv->GetLength();
    return bv->GetPointer();
}

extern "C" int pm_dicom_string(const pm_dicom_node *n, uint32_t tag, char *buf, size_t cap)
{
    const gdcm::DataSet *ds = node_ds(n);
    uint16_t g = (uint16_t)(tag >> 16), e = (uint16_t)(tag & 0xffff);
    if (!ds || !ds->FindDataElement(gdcm::Tag(g, e))) {
        snprintf(buf, cap, "%s", "");
        return 0;
    }
    try {
        copy_string(buf, cap, raw_string(*ds, g, e));
    } catch (...) {
        snprintf(buf, cap, "%s", "");
        return 0;
    }
    return 1;
}

extern "C" int pm_dicom_us(const pm_dicom_node *n, uint32_t tag, int def)
{
    const gdcm::DataSet *ds = node_ds(n);
    return ds ? get_us(*ds, (uint16_t)(tag >> 16), (uint16_t)(tag & 0xffff), def) : def;
}

extern "C" int pm_dicom_items(pm_dicom_file *f, const pm_dicom_node *n, uint32_t tag)
{
    gdcm::SequenceOfItems *sq = node_seq(f, n, tag);
    size_t k = sq ? sq->GetNumberOfItems() : 0;
    return k > INT32_MAX ? INT32_MAX : (int)k;
}

extern "C" const pm_dicom_node *pm_dicom_item(pm_dicom_file *f, const pm_dicom_node *n, uint32_t tag,
                                              int i)
{
    gdcm::SequenceOfItems *sq = node_seq(f, n, tag);
    if (!sq || i < 0 || (size_t)i >= sq->GetNumberOfItems())
        return NULL;
    return reinterpret_cast<const pm_dicom_node *>(&sq->GetItem((size_t)i + 1).GetNestedDataSet());
}
