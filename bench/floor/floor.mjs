// Floor: the cheapest possible Node.js HTTPS admission "webhook".
// Answers every request with a fixed allowed AdmissionReview; the body is read
// (so keep-alive works) but never parsed.  MODE=parse does JSON.parse of the
// body and echoes request.uid (the "parse-floor").
// cvm-admission's addition: MODE=parse with ANSWER_FILE parses the body and answers with that
// file's text (cvm-admission's own answer to the body: the "answer floor", what reading the body
// and writing that answer cost with nothing in between).
//   PORT=8443 TLS_CERT=tls/server.crt TLS_KEY=tls/server.key [MODE=parse [ANSWER_FILE=f]] node floor/floor.mjs
import { Buffer } from "node:buffer";
import https from "node:https";
import { readFileSync } from "node:fs";

const port = Number(process.env.PORT ?? 8443);
const host = process.env.HOST ?? "127.0.0.1";
const parse = process.env.MODE === "parse";
const FIXED = Buffer.from(
  JSON.stringify({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    response: { uid: "00000000-0000-0000-0000-000000000000", allowed: true },
  }),
);
const HEADERS = { "content-type": "application/json", "content-length": FIXED.length };
const ANSWER = process.env.ANSWER_FILE ? readFileSync(process.env.ANSWER_FILE, "utf8") : undefined;

const server = https.createServer(
  {
    cert: readFileSync(process.env.TLS_CERT ?? "tls/server.crt"),
    key: readFileSync(process.env.TLS_KEY ?? "tls/server.key"),
    minVersion: "TLSv1.3",
    keepAlive: true,
  },
  parse
    ? (req, res) => {
        const chunks = [];
        req.on("data", (c) => chunks.push(c));
        req.on("end", () => {
          let uid = "";
          try {
            uid = JSON.parse(Buffer.concat(chunks).toString("utf8"))?.request?.uid ?? "";
          } catch {
            /* not JSON: echo no uid */
          }
          const out =
            ANSWER ??
            JSON.stringify({
              apiVersion: "admission.k8s.io/v1",
              kind: "AdmissionReview",
              response: { uid, allowed: true },
            });
          res.writeHead(200, {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(out),
          });
          res.end(out);
        });
      }
    : (req, res) => {
        req.on("data", () => {});
        req.on("end", () => {
          res.writeHead(200, HEADERS);
          res.end(FIXED);
        });
      },
);
server.keepAliveTimeout = 65_000;
server.listen(port, host, () =>
  console.error(`floor${parse ? " (parse)" : ""} listening on https://${host}:${port}`),
);
process.on("SIGTERM", () => server.close(() => process.exit(0)));
