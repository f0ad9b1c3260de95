// HTTP edge cases of the admission server, over real HTTPS on loopback (README.md, "The HTTP interface").

import { connect } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reviewOf, startTestServer, type TestServer } from "../support/server.js";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const plainPod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web", namespace: "default" },
  spec: { containers: [{ name: "web", image: "nginx:1.27" }] },
};

describe("requests that cannot be reviewed", () => {
  it.each([
    ["an empty body", "", 400, /body is empty/],
    ["a non-JSON body", "{not json", 400, /not valid JSON/],
    ["a JSON array", "[]", 400, /must be a JSON object/],
    [
      "the wrong kind",
      JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "Pod", request: {} }),
      400,
      /kind must be AdmissionReview/,
    ],
    [
      "an unknown apiVersion",
      JSON.stringify({ ...reviewOf({}), apiVersion: "admission.k8s.io/v2" }),
      400,
      /apiVersion must be/,
    ],
    [
      "no request",
      JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" }),
      400,
      /request is missing/,
    ],
    ["a missing uid", JSON.stringify(reviewOf({ uid: "" })), 400, /request.uid is missing/],
    ["a bad operation", JSON.stringify(reviewOf({ operation: "PATCH" })), 400, /operation must be one of/],
  ])("refuses %s with %i and a JSON error", async (_what, body, status, message) => {
    const answer = await server.post("/mutate", body);
    expect(answer.status).toBe(status);
    expect(answer.headers["content-type"]).toMatch(/application\/json/);
    expect(JSON.parse(answer.body).error).toMatch(message);
  });

  it("refuses a content type other than application/json with 400", async () => {
    const answer = await server.post("/validate", JSON.stringify(reviewOf({ object: plainPod })), {
      "content-type": "text/plain",
    });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).error).toMatch(/content type must be application\/json/);
  });

  it.each(["application/json; charset=utf-8", "Application/JSON;charset=UTF8", "application/json ; foo=bar"])(
    "reviews a body sent as %s",
    async (contentType) => {
      const answer = await server.post("/validate", JSON.stringify(reviewOf({ object: plainPod })), {
        "content-type": contentType,
      });
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body).response.allowed).toBe(true);
    },
  );

  it("refuses a charset other than utf-8 with 400", async () => {
    const answer = await server.post("/validate", JSON.stringify(reviewOf({ object: plainPod })), {
      "content-type": "application/json; charset=latin1",
    });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).error).toMatch(/unsupported charset latin1/);
  });

  it("refuses an 8 MiB body with 413", async () => {
    const huge = JSON.stringify(reviewOf({ object: { ...plainPod, padding: "x".repeat(8 * 1024 * 1024) } }));
    const answer = await server.post("/mutate", huge);
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).error).toMatch(/exceeds 7340032 bytes/);
  });

  it("answers unknown paths with 404", async () => {
    expect((await server.get("/nope")).status).toBe(404);
  });
});

describe("reviews", () => {
  it("answers a v1 review with the request's uid and allows a pod that did not opt in, unchanged", async () => {
    const review = await server.review(
      "/mutate",
      reviewOf({ uid: "uid-plain", namespace: "default", object: plainPod }),
    );
    expect(review.apiVersion).toBe("admission.k8s.io/v1");
    expect(review.kind).toBe("AdmissionReview");
    expect(review.response).toEqual({ uid: "uid-plain", allowed: true });
  });

  it("answers a v1beta1 review in v1beta1", async () => {
    const body = {
      ...reviewOf({ uid: "uid-beta", namespace: "default", object: plainPod }),
      apiVersion: "admission.k8s.io/v1beta1",
    };
    const review = await server.review("/validate", body);
    expect(review.apiVersion).toBe("admission.k8s.io/v1beta1");
    expect(review.response?.uid).toBe("uid-beta");
    expect(review.response?.allowed).toBe(true);
  });

  it("answers a pod CREATE without an object as a decided denial, not an HTTP error", async () => {
    const review = await server.review("/mutate", reviewOf({ uid: "uid-noobj", namespace: "default" }));
    expect(review.response).toMatchObject({ uid: "uid-noobj", allowed: false, status: { code: 400 } });
  });

  it("leaves a pod without the opt-in label unread at /mutate: allowed untouched, malformed or not", async () => {
    // The chart's objectSelector never sends one; no mutation step would read it.
    const object = { ...plainPod, spec: { containers: {} } };
    const review = await server.review("/mutate", reviewOf({ uid: "uid-unlabelled", namespace: "default", object }));
    expect(review.response).toEqual({ uid: "uid-unlabelled", allowed: true });
  }); // prettier-ignore

  // As text: the test's own JSON.stringify would overflow on it.
  const DEEP = '{"inner":'.repeat(20_000) + '"x"' + "}".repeat(20_000);
  it.each([
    [
      "an env var name that is not a string",
      { containers: [{ name: "web", image: "nginx", env: [{ name: 5 }] }] },
      /request\.object is not a valid Pod: spec\.containers\[0\]\.env\[0\]\.name must be string/,
    ],
    ["containers that are not a list", { containers: {} }, /spec\.containers must be array/],
    ["a missing containers list", {}, /spec must have required property 'containers'/],
  ])("answers a pod with %s as a decided 400 naming the field", async (_name, spec, message) => {
    for (const path of ["/mutate", "/validate"] as const) {
      const object = {
        ...plainPod,
        metadata: { ...plainPod.metadata, labels: { "cvm.dev/enabled": "true" } },
        spec,
      };
      const review = await server.review(path, reviewOf({ uid: "uid-shape", namespace: "default", object }));
      expect(review.response).toMatchObject({
        uid: "uid-shape",
        allowed: false,
        status: { code: 400, reason: "BadRequest" },
      });
      expect(review.response?.status?.message).toMatch(message);
    }
  });

  // Unknown fields pass the schema check, and the patch only walks what the policies changed.
  it("passes a CVM pod's unknown field nested 20,000 levels deep through untouched", async () => {
    const optedIn = {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "cvm", labels: { "cvm.dev/enabled": "true" } },
    };
    const cvmServer = await startTestServer({ objects: [optedIn] });
    try {
      const object = {
        ...plainPod,
        metadata: { name: "web", namespace: "cvm", labels: { "cvm.dev/enabled": "true" } },
        spec: {
          containers: [{ name: "web", image: "nginx" }],
          volumes: [{ name: "data", emptyDir: {}, future: "DEEP" }],
        },
      };
      const body = JSON.stringify(reviewOf({ uid: "uid-deep", namespace: "cvm", object }));
      const review = await cvmServer.review("/mutate", body.replace('"DEEP"', DEEP));
      expect(review.response).toMatchObject({ uid: "uid-deep", allowed: true, patchType: "JSONPatch" });
      const patch = Buffer.from(review.response!.patch!, "base64").toString("utf8");
      expect(patch).toContain("cvm-supervisor");
      expect(patch).not.toContain('"inner":');
    } finally {
      await cvmServer.close();
    }
  });

  it("reads a null optional field as absent, as the apiserver does", async () => {
    const object = {
      ...plainPod,
      spec: { securityContext: null, containers: [{ name: "web", image: "nginx", securityContext: null }] },
    };
    const review = await server.review(
      "/validate",
      reviewOf({ uid: "uid-null", namespace: "default", object }),
    );
    expect(review.response).toMatchObject({ uid: "uid-null", allowed: true });
  });

  it("answers 200 concurrent reviews, each with its own uid", async () => {
    const uids = Array.from({ length: 200 }, (_, i) => `uid-${i}`);
    const reviews = await Promise.all(
      uids.map((uid) =>
        server.review(
          uid.endsWith("7") ? "/validate" : "/mutate",
          reviewOf({ uid, namespace: "default", object: plainPod }),
        ),
      ),
    );
    expect(reviews.map((r) => r.response?.uid)).toEqual(uids);
  });
});

describe("slow clients", () => {
  it("closes a connection whose request headers never finish", async () => {
    const slow = await startTestServer();
    // Rebuild with short timeouts: the production values (10 s headers) are too slow for a test.
    slow.running.server.headersTimeout = 500;
    slow.running.server.requestTimeout = 1000;
    const closedAfterMs = await new Promise<number>((resolve, reject) => {
      const started = Date.now();
      const socket = connect(
        { host: "127.0.0.1", port: slow.port, ca: slow.ca, servername: "localhost" },
        () => {
          socket.write("POST /mutate HTTP/1.1\r\nHost: x\r\n"); // and never the rest
        },
      );
      socket.on("error", reject);
      socket.on("close", () => resolve(Date.now() - started));
      socket.resume();
    });
    expect(closedAfterMs).toBeLessThan(5000);
    await slow.close();
  });
});

describe("aborted uploads", () => {
  it("drops a request whose client disconnects mid-body and keeps serving", async () => {
    const closed = new Promise<void>((resolve, reject) => {
      const socket = connect(
        { host: "127.0.0.1", port: server.port, ca: server.ca, servername: "localhost" },
        () => {
          socket.write(
            "POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n" +
              '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"',
            () => socket.destroy(),
          );
        },
      );
      socket.on("error", reject);
      socket.on("close", () => resolve());
    });
    await closed;
    const review = await server.review(
      "/validate",
      reviewOf({ uid: "uid-after-abort", namespace: "default", object: plainPod }),
    );
    expect(review.response).toMatchObject({ uid: "uid-after-abort", allowed: true });
  });
});

describe("probes and metrics", () => {
  it("serves /healthz and /readyz", async () => {
    expect(await server.get("/healthz")).toMatchObject({ status: 200, body: "ok" });
    expect(await server.get("/readyz")).toMatchObject({ status: 200, body: "ready" });
  });

  it("counts answered requests and refused bodies in /metrics", async () => {
    await server.post("/mutate", "{not json");
    const metrics = (await server.get("/metrics")).body;
    expect(metrics).toMatch(
      /cvm_admission_requests_total\{webhook="mutate",operation="CREATE",decision="allowed"\} \d+/,
    );
    expect(metrics).toMatch(/cvm_admission_bad_requests_total\{reason="entity.parse.failed"\} \d+/);
    expect(metrics).toMatch(/cvm_admission_request_duration_seconds_bucket\{le="0.005",webhook="mutate"\}/);
  });
});

describe("graceful shutdown", () => {
  it("finishes a request that is in flight when shutdown starts, then refuses new connections", async () => {
    const victim = await startTestServer();
    const body = JSON.stringify(reviewOf({ uid: "uid-inflight", namespace: "default", object: plainPod }));
    const answer = new Promise<string>((resolve, reject) => {
      const socket = connect(
        { host: "127.0.0.1", port: victim.port, ca: victim.ca, servername: "localhost" },
        () => {
          socket.write(
            `POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n` +
              body.slice(0, 100),
          );
          // Shutdown begins while the body is still arriving.
          const closing = victim.running.shutdown(5000);
          setTimeout(() => socket.write(body.slice(100)), 200);
          void closing;
        },
      );
      let text = "";
      socket.on("data", (c: Buffer) => (text += c.toString("utf8")));
      socket.on("close", () => resolve(text));
      socket.on("error", reject);
    });
    const raw = await answer;
    expect(raw).toMatch(/^HTTP\/1.1 200/);
    expect(raw).toMatch(/connection: close/i);
    expect(raw).toContain('"uid":"uid-inflight"');
    await expect(victim.get("/healthz")).rejects.toThrow();
    victim.agent.destroy();
  });
});
