// Unit tests of the console's pure helpers (node:test, bundled by run-tests.mjs).
import assert from "node:assert/strict";
import { test } from "node:test";
import { errorMessage } from "../src/console/api";
import { duration, stateLabel } from "../src/console/dom";

test("errorMessage shows the API's detail string", () => {
  assert.equal(errorMessage(409, { detail: "endpoint 'a' already exists" }), "endpoint 'a' already exists");
});

test("errorMessage joins FastAPI validation items with their field", () => {
  const body = { detail: [{ loc: ["body", "slug"], msg: "String should match pattern" }, { loc: ["query", "limit"], msg: "too big" }] };
  assert.equal(errorMessage(422, body), "slug: String should match pattern; query.limit: too big");
});

test("errorMessage without a body names the status", () => {
  assert.equal(errorMessage(502, null), "HTTP 502");
  assert.equal(errorMessage(500, "<html>"), "HTTP 500");
});

test("duration and state labels", () => {
  assert.equal(duration(5), "0:05");
  assert.equal(duration(3725), "1:02:05");
  assert.equal(duration(-3), "0:00");
  assert.equal(stateLabel("waiting_source"), "waiting");
  assert.equal(stateLabel("live"), "live");
});
