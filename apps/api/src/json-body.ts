import type { FastifyInstance } from 'fastify';

/**
 * Fastify's JSON parser, except that an empty body is no body: the route's schema decides
 * whether it needs one (an optional body reads as `{}`, a required one answers 400 naming it),
 * as it does for a request without a body at all.
 */
export function parseEmptyJsonAsNoBody(app: FastifyInstance) {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body.toString(); // a string already (parseAs)
    if (text === '') return done(null, undefined);
    return parseJson(req, text, done);
  });
}
