/**
 * Fastify's own schema compilers (ajv for requests, fast-json-stringify for responses, with
 * the options Fastify gives them), each route's validator and serializer compiled when the
 * route is first used instead of when the server starts.
 *
 * Why: compiling all ~100 routes' schemas at `ready` was 40% of the registry's start-up CPU
 * (bench/README.md, "Cold start"), and most routes of a node are never called (a node behind a
 * pull-only balancer never compiles the management API's). The schemas are static, so a schema
 * that compiles once always does: test/route-schemas.test.ts compiles every route's schemas
 * with these same compilers, so a broken schema still fails the tests, not a first request.
 */
import AjvCompiler from '@fastify/ajv-compiler';
import SerializerSelector from '@fastify/fast-json-stringify-compiler';

type Validate = ((data: unknown, context?: unknown) => boolean | Promise<unknown>) & { errors?: unknown; schemaEnv?: unknown };
type Serialize = (data: unknown) => string;
type BuildValidator = (externalSchemas: unknown, options: unknown) => (route: unknown) => Validate;
type BuildSerializer = (externalSchemas: unknown, options: unknown) => (route: unknown) => Serialize;

/** Fastify's compilers as Fastify builds them by default (no lazy step): for the schema test. */
export function eagerSchemaCompilers(): { validator: (route: unknown) => Validate; serializer: (route: unknown) => Serialize } {
  // Fastify's defaults for the `ajv` and `serializerOpts` server options.
  return { validator: (AjvCompiler() as unknown as BuildValidator)({}, { customOptions: {}, plugins: [] }), serializer: (SerializerSelector() as unknown as BuildSerializer)({}, undefined) };
}

export function lazySchemaCompilers(): { buildValidator: BuildValidator; buildSerializer: BuildSerializer } {
  const eagerValidator = AjvCompiler() as unknown as BuildValidator;
  const eagerSerializer = SerializerSelector() as unknown as BuildSerializer;
  return {
    buildValidator(externalSchemas, options) {
      const compile = eagerValidator(externalSchemas, options);
      return (route) => lazyValidator(() => compile(route));
    },
    buildSerializer(externalSchemas, options) {
      const compile = eagerSerializer(externalSchemas, options);
      return (route) => {
        let serialize: Serialize | undefined;
        return (data) => {
          serialize ??= compile(route);
          return serialize(data);
        };
      };
    },
  };
}

function lazyValidator(compile: () => Validate): Validate {
  let validate: Validate | undefined;
  const lazy: Validate = (data, context) => {
    validate ??= compile();
    const result = validate(data, context);
    // Fastify reads a failed validation's errors from the function it called.
    lazy.errors = validate.errors;
    return result;
  };
  // Fastify hands the request over as parent data (so ajv may coerce a root value, e.g. a
  // querystring) only to functions that look like ajv's, by this property.
  lazy.schemaEnv = true;
  return lazy;
}
