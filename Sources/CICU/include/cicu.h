#ifndef FRAUDSCREEN_CICU_H
#define FRAUDSCREEN_CICU_H
// A deliberately small, plain-C face over system ICU. Swift code that imports Foundation cannot also import
// ICU's own headers (Foundation ships renamed ICU headers and the clang modules clash), so only plain C types
// cross this boundary. Text is UTF-16 (uint16_t) as ICU wants it.

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// NFKC + Unicode case folding + removal of default-ignorable characters (ICU's NFKC_Casefold).
/// Returns the output length in UTF-16 units, or -1 on an ICU error (its name is written to `error`, at most
/// `error_capacity` bytes). When the output does not fit, the needed length is returned.
int32_t cicu_nfkc_casefold(const uint16_t *src, int32_t src_length, uint16_t *dst, int32_t dst_capacity,
                           char *error, int32_t error_capacity);

/// ICU's Traditional-Simplified transliteration, in place. Returns the new length, or -1 on an ICU error.
/// When the result does not fit in `capacity`, the needed length is returned.
int32_t cicu_traditional_to_simplified(uint16_t *text, int32_t length, int32_t capacity,
                                       char *error, int32_t error_capacity);

/// An opaque ICU word break iterator (dictionary-based for Chinese).
typedef struct cicu_word_breaker cicu_word_breaker;

/// Opens a word break iterator for `locale` ("zh"). Returns NULL on failure.
cicu_word_breaker *cicu_word_breaker_open(const char *locale);

/// A private copy of `prototype` for one thread; cloning is ~20x cheaper than opening.
cicu_word_breaker *cicu_word_breaker_clone(const cicu_word_breaker *prototype);

void cicu_word_breaker_close(cicu_word_breaker *breaker);

/// Writes the word boundaries of `text` (UTF-16 offsets, including 0 and `length`) to `boundaries`.
/// Returns how many there are (possibly more than `capacity`: then only `capacity` were written), or -1.
int32_t cicu_word_boundaries(cicu_word_breaker *breaker, const uint16_t *text, int32_t length,
                             int32_t *boundaries, int32_t capacity);

#ifdef __cplusplus
}
#endif
#endif
