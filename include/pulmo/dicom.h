/* dicom.h - the C face of pulmo's only C++ file, the GDCM adapter.
 *
 * Everything pulmo knows about DICOM files as files goes through here:
 * probing by content, reading the header without the pixel data, decoding
 * the pixel data of one single-frame image (every transfer syntax that GDCM
 * decodes: uncompressed LE/BE, RLE, JPEG lossless, JPEG-LS, JPEG 2000), and
 * writing CT slices (for the sample phantoms and the tests).
 *
 * Strings in pm_dicom_header are raw header text, trimmed but NOT cleaned of
 * control characters: callers clean them (pm_text_clean) before display.
 * Functions are thread-safe for different files; they never print (GDCM's
 * own warnings are switched off).
 */
#ifndef PULMO_DICOM_H
#define PULMO_DICOM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pm_dicom_header {
    char patient_id[72];
    char patient_name[136];
    char study_uid[72];
    char study_date[20];
    char study_description[136];
    char series_uid[72];
    char series_description[136];
    char sop_uid[72];
    char sop_class_uid[72];
    char frame_of_reference_uid[72];
    char study_time[20];
    char study_id[20];
    char accession_number[20];
    char modality[20];
    char photometric[20];
    char transfer_syntax[72];
    char patient_position[20];
    int series_number, instance_number;
    int rows, cols, frames;
    int bits_allocated, bits_stored, pixel_representation, samples_per_pixel;
    int has_ipp, has_iop, has_spacing, has_padding;
    double ipp[3];
    double iop[6];
    double pixel_spacing[2];   /* row spacing (between rows), column spacing */
    double slice_thickness;
    double slope, intercept;
    uint16_t padding_raw;      /* the 16 bits of PixelPaddingValue as stored */
    int compressed;            /* transfer syntax is encapsulated */
    long long file_size;
    int non_image;             /* a DICOM object with no image to load (DICOMDIR, RTSTRUCT,
                                  SR, SEG, presentation state...): indexing skips it */
} pm_dicom_header;

/* Cheap test by content: 1 if the file starts like DICOM (the "DICM" magic at
 * offset 128, or a raw data set beginning with a group 0002/0008 element),
 * 0 if not, -1 if it cannot be read. */
int pm_dicom_probe(const char *path);

/* Walks the file's element structure without interpreting values, up to
 * and including the pixel data: every declared length must fit in the file,
 * every VR must be one, sequences, items and fragments must nest and close,
 * no stray bytes may end a container, and a data set must follow the file
 * meta; deflated data sets are refused. PM_OK, or PM_ECORRUPT with a reason naming the file and the byte
 * offset. Called by the functions below before GDCM sees a file: GDCM
 * allocates declared lengths before reading them and asserts (aborts the
 * process) on several malformed shapes (src/dicom/guard.h; the reading of
 * pixels checks the whole file and the compressed frame headers too). */
int pm_dicom_precheck(const char *path);

/* Reads the header up to the pixel data. Returns PM_OK, PM_ENODATA when the
 * file is not DICOM, or PM_ECORRUPT with a reason naming the file. A valid
 * object without an image (non_image set) is PM_OK, not an error. */
int pm_dicom_read_header(const char *path, pm_dicom_header *h);

/* Decodes the pixel data of a single-frame, one-sample image into out, which
 * holds rows*cols values of the stored type widened to int32 (sign-extended
 * from bits_stored when pixel_representation is 1, masked when 0). The
 * decoded size must match the header h read earlier from the same file.
 * Returns PM_OK or PM_ECORRUPT with a reason naming the file. */
int pm_dicom_read_pixels(const char *path, const pm_dicom_header *h, int32_t *out);

/* How many messages the image decoders (OpenJPEG, libjpeg) emitted during
 * the last pm_dicom_read_pixels on this thread, with the first one (cleaned)
 * in first. They are captured, never printed: a broken JPEG 2000 frame
 * makes OpenJPEG report the same problem once per tile part. Can't fail. */
int pm_dicom_decoder_messages(char *first, size_t cap);

/* A CT slice to write (signed 16-bit stored values, MONOCHROME2, Explicit VR
 * Little Endian, CT Image Storage). */
typedef struct pm_dicom_ct {
    const char *patient_id, *patient_name, *patient_position;
    const char *study_uid, *study_date, *study_description;
    const char *series_uid, *series_description, *sop_uid;
    int series_number, instance_number;
    int rows, cols;
    double pixel_spacing[2];
    double slice_thickness;
    double ipp[3], iop[6];
    double slope, intercept;
    int has_padding;
    int16_t padding;
} pm_dicom_ct;

/* Writes one slice to path through pm_outfile (temporary name and rename;
 * refused inside a protected input folder). PM_OK or PM_EWRITE, and no
 * partial file, on any failure. */
int pm_dicom_write_ct(const char *path, const pm_dicom_ct *ct, const int16_t *stored);

/* Copies src to dst, replacing the string value of element (group,elem)
 * (or removing it when value is NULL). For tests that need hostile headers. */
int pm_dicom_rewrite_string(const char *src, const char *dst, unsigned group,
                            unsigned element, const char *value);

/* ---- whole data sets, for non-image objects (RTSTRUCT, SEG) -------------
 *
 * A parsed file and its data sets ("nodes": the file's own, or the nested
 * data set of a sequence item), read through GDCM after pm_dicom_precheck.
 * Tags are (group << 16) | element. Nodes and byte pointers stay valid until
 * pm_dicom_close. Values are raw: strings trimmed, not cleaned. */
typedef struct pm_dicom_file pm_dicom_file;
typedef struct pm_dicom_node pm_dicom_node;

/* PM_OK, PM_ENODATA (not DICOM), PM_ECORRUPT or PM_EMEMORY, reason naming
 * the file. */
int pm_dicom_open(const char *path, pm_dicom_file **out);
void pm_dicom_close(pm_dicom_file *f);
const pm_dicom_node *pm_dicom_root(const pm_dicom_file *f);
/* The element's value into buf (trimmed, cut at cap); 1 if present, else 0
 * and buf = "". */
int pm_dicom_string(const pm_dicom_node *n, uint32_t tag, char *buf, size_t cap);
/* The element's raw bytes and their count (NULL, 0 when absent or not a
 * plain value). */
const char *pm_dicom_bytes(const pm_dicom_node *n, uint32_t tag, size_t *len);
/* Parses up to n backslash-separated decimal strings (a DS value) of s;
 * returns how many were finite numbers, stopping at the first that is not.
 * Can't fail. */
int pm_dicom_parse_ds(const char *s, double *out, int n);
/* A US value, def when absent. */
int pm_dicom_us(const pm_dicom_node *n, uint32_t tag, int def);
/* Number of items of a sequence (0 when absent or unreadable), and item i
 * (from 0; NULL when out of range). */
int pm_dicom_items(pm_dicom_file *f, const pm_dicom_node *n, uint32_t tag);
const pm_dicom_node *pm_dicom_item(pm_dicom_file *f, const pm_dicom_node *n, uint32_t tag, int i);

#ifdef __cplusplus
}
#endif

#endif
