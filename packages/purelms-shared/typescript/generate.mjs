// Reads one JSON Schema on stdin, prints its TypeScript on stdout.
// Driven by tools/wire_sync.py, which builds the schema and the banner; see that module.
import { compile } from "json-schema-to-typescript";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const { schema, bannerComment } = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const ts = await compile(schema, schema.title, {
  additionalProperties: false,
  bannerComment,
  declareExternallyReferenced: true,
  enableConstEnums: false,
  format: true,
  ignoreMinAndMaxItems: false,
  strictIndexSignatures: false,
  unknownAny: true,
  unreachableDefinitions: false,
  style: { printWidth: 100, singleQuote: false, trailingComma: "all" },
});
process.stdout.write(ts);
