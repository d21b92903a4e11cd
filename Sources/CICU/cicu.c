#include "cicu.h"

#include <string.h>
#include <stdlib.h>
#include <unicode/ubrk.h>
#include <unicode/unorm2.h>
#include <unicode/utrans.h>
#include <unicode/ustring.h>

struct cicu_word_breaker {
    UBreakIterator *iterator;
};

static void write_error(UErrorCode status, char *error, int32_t capacity) {
    if (error && capacity > 0) {
        strncpy(error, u_errorName(status), (size_t)capacity - 1);
        error[capacity - 1] = '\0';
    }
}

int32_t cicu_nfkc_casefold(const uint16_t *src, int32_t src_length, uint16_t *dst, int32_t dst_capacity,
                           char *error, int32_t error_capacity) {
    UErrorCode status = U_ZERO_ERROR;
    const UNormalizer2 *nfkc_cf = unorm2_getNFKCCasefoldInstance(&status);
    if (U_FAILURE(status)) { write_error(status, error, error_capacity); return -1; }
    int32_t length = unorm2_normalize(nfkc_cf, (const UChar *)src, src_length, (UChar *)dst, dst_capacity, &status);
    if (status == U_BUFFER_OVERFLOW_ERROR) return length;
    if (U_FAILURE(status)) { write_error(status, error, error_capacity); return -1; }
    return length;
}

int32_t cicu_traditional_to_simplified(uint16_t *text, int32_t length, int32_t capacity,
                                       char *error, int32_t error_capacity) {
    UErrorCode status = U_ZERO_ERROR;
    static const UChar id[] = u"Traditional-Simplified";
    UTransliterator *trans = utrans_openU(id, -1, UTRANS_FORWARD, NULL, 0, NULL, &status);
    if (U_FAILURE(status)) { write_error(status, error, error_capacity); return -1; }
    int32_t limit = length;
    utrans_transUChars(trans, (UChar *)text, &length, capacity, 0, &limit, &status);
    utrans_close(trans);
    if (status == U_BUFFER_OVERFLOW_ERROR) return length;
    if (U_FAILURE(status)) { write_error(status, error, error_capacity); return -1; }
    return length;
}

cicu_word_breaker *cicu_word_breaker_open(const char *locale) {
    UErrorCode status = U_ZERO_ERROR;
    UBreakIterator *it = ubrk_open(UBRK_WORD, locale, NULL, 0, &status);
    if (U_FAILURE(status)) return NULL;
    cicu_word_breaker *breaker = malloc(sizeof *breaker);
    if (!breaker) { ubrk_close(it); return NULL; }
    breaker->iterator = it;
    return breaker;
}

cicu_word_breaker *cicu_word_breaker_clone(const cicu_word_breaker *prototype) {
    UErrorCode status = U_ZERO_ERROR;
    UBreakIterator *it = ubrk_clone(prototype->iterator, &status);
    if (U_FAILURE(status)) return NULL;
    cicu_word_breaker *breaker = malloc(sizeof *breaker);
    if (!breaker) { ubrk_close(it); return NULL; }
    breaker->iterator = it;
    return breaker;
}

void cicu_word_breaker_close(cicu_word_breaker *breaker) {
    if (!breaker) return;
    ubrk_close(breaker->iterator);
    free(breaker);
}

int32_t cicu_word_boundaries(cicu_word_breaker *breaker, const uint16_t *text, int32_t length,
                             int32_t *boundaries, int32_t capacity) {
    UErrorCode status = U_ZERO_ERROR;
    ubrk_setText(breaker->iterator, (const UChar *)text, length, &status);
    if (U_FAILURE(status)) return -1;
    int32_t count = 0;
    for (int32_t b = ubrk_first(breaker->iterator); b != UBRK_DONE; b = ubrk_next(breaker->iterator)) {
        if (count < capacity) boundaries[count] = b;
        count++;
    }
    return count;
}
