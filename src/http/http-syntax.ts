/**
 * HTTP's field grammar (RFC 9110 5.1 and 5.5), written once for every place that checks header
 * names or values it did not produce: webhook custom headers (src/management-api), the S3
 * GetObject reader's request and response heads (src/storage/s3).
 */

/** The characters of a token (a field name, a method): visible ASCII but delimiters. */
export const TOKEN_CHARS = "[!#$%&'*+.^_`|~0-9A-Za-z-]";
/** The characters a field value may hold: visible ASCII, space, tab and obs-text; never NUL, CR or LF. */
export const FIELD_VALUE_CHARS = '[\\t\\x20-\\x7e\\x80-\\xff]';

/** A whole token. */
export const HTTP_TOKEN = new RegExp(`^${TOKEN_CHARS}+$`);
/** A whole field value (possibly empty). */
export const HTTP_FIELD_VALUE = new RegExp(`^${FIELD_VALUE_CHARS}*$`);
