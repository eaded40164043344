/**
 * undici's `request`, re-exported so that callers can import it on first use
 * (`await import('../http/http-client.ts')`) and a process that never makes an outgoing request
 * never loads the HTTP client. Import this module, not 'undici' itself, dynamically: in the
 * compiled bundle a dynamic import of the (CommonJS) package yields only its default export,
 * while a static re-export keeps the named one.
 */
export { request } from 'undici';
