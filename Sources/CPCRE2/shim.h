#ifndef FRAUDSCREEN_CPCRE2_SHIM_H
#define FRAUDSCREEN_CPCRE2_SHIM_H
// 32-bit code units: the screener's normalised texts are arrays of Unicode scalars, which PCRE2 then reads
// as they are (no UTF-8 copy per text, and match offsets are scalar indices).
#define PCRE2_CODE_UNIT_WIDTH 32
#include <pcre2.h>
#endif
