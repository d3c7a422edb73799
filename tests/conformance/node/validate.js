// Second opinions from the JavaScript ecosystem, for tests/conformance (run by pytest through node).
//
//   node validate.js asyncapi <document.json>   the official AsyncAPI parser's diagnostics
//   node validate.js cloudevents <records.json>  each Kafka record read as a CloudEvent, validated strictly
//
// Prints one JSON object on stdout; pytest decides what passes. Exit status 0 unless the script itself fails.
"use strict";

const fs = require("node:fs");

async function asyncapi(path) {
  const { Parser, DiagnosticSeverity } = require("@asyncapi/parser");
  const parser = new Parser();
  const { document, diagnostics } = await parser.parse(fs.readFileSync(path, "utf8"));
  const severity = (d) => Object.keys(DiagnosticSeverity).find((k) => DiagnosticSeverity[k] === d.severity);
  return {
    parsed: document !== undefined,
    version: require("@asyncapi/parser/package.json").version,
    diagnostics: diagnostics.map((d) => ({
      severity: severity(d),
      code: String(d.code),
      message: d.message,
      path: d.path.join("/"),
    })),
  };
}

function cloudevents(path) {
  const { Kafka } = require("cloudevents");
  const records = JSON.parse(fs.readFileSync(path, "utf8"));
  return {
    version: require("cloudevents/package.json").version,
    results: records.map((record) => {
      try {
        // Kafka.toEvent builds the event leniently; validate() applies the SDK's strict checks
        // (required attributes, URI-references, RFC 3339 time, extension names).
        const event = Kafka.toEvent({ key: record.key, value: record.value, headers: record.headers });
        event.validate();
        return { ok: true, id: event.id, type: event.type, dataschema: event.dataschema, source: event.source };
      } catch (err) {
        const detail = err.errors ? JSON.stringify(err.errors) : "";
        return { ok: false, error: `${err.name}: ${err.message} ${detail}`.trim() };
      }
    }),
  };
}

async function main() {
  const [command, path] = process.argv.slice(2);
  const commands = { asyncapi, cloudevents };
  if (!commands[command] || !path) {
    process.stderr.write("usage: node validate.js asyncapi|cloudevents <file.json>\n");
    process.exit(2);
  }
  process.stdout.write(JSON.stringify(await commands[command](path)) + "\n");
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
