/*
 * buf.h: a growable byte buffer, the one way libcs builds output.
 *
 * Ownership: the struct is the caller's (stack or embedded); its data is
 * heap memory owned by the buffer and released by cs_buf_release().  data
 * is always NUL-terminated after a successful append (the NUL is not
 * counted in len), so it can be handed to C string functions when the
 * content has no NUL.  A zero-filled struct (CS_BUF_INIT) is a valid empty
 * buffer.
 *
 * Errors: appends return 0, or -1 when memory runs out or the size would
 * overflow; the buffer is then unchanged.
 */
#ifndef CS_BUF_H
#define CS_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct cs_buf {
	char *data;
	size_t len;
	size_t cap;
};

#define CS_BUF_INIT { NULL, 0, 0 }

void cs_buf_init(struct cs_buf *b);
/* Free the memory; the buffer is empty and reusable afterwards. */
void cs_buf_release(struct cs_buf *b);
/* Forget the content, keep the memory. */
static inline void cs_buf_reset(struct cs_buf *b) { b->len = 0; if (b->data) b->data[0] = '\0'; }
/* Make room for at least extra more bytes (plus the NUL). */
int cs_buf_reserve(struct cs_buf *b, size_t extra);
int cs_buf_append(struct cs_buf *b, const void *p, size_t n);
int cs_buf_append_str(struct cs_buf *b, const char *s);
int cs_buf_append_char(struct cs_buf *b, char c);
int cs_buf_printf(struct cs_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int cs_buf_append_int(struct cs_buf *b, long long v);
/* Drop the last n bytes (n <= len). */
void cs_buf_truncate(struct cs_buf *b, size_t len);
/* Detach the data: the caller owns (and frees) it; the buffer is empty. */
char *cs_buf_detach(struct cs_buf *b, size_t *len);

/* Append the standard base64 encoding of p[0..n). */
int cs_buf_append_base64(struct cs_buf *b, const void *p, size_t n);

#endif
