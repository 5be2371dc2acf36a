// The identity provider of the sign-in tests: oauth2-mock-server (installed
// by scripts/peers.sh) with the claims we choose, an avatar, and tokens
// forged in every way a client must refuse.
//
//   node tests/peers/oidc-mock.mjs [--port N]   (0, the default: a free port)
//
// Binds 127.0.0.1 and prints `oidc-mock listening on http://localhost:PORT`
// (the issuer: the mock always names localhost). Besides the mock's own
// endpoints (discovery, /jwks, /authorize, /token with PKCE, /userinfo;
// /token made as strict about codes as a real provider, see below), on the
// same port:
//   POST /_control/claims {claim: value|null, ...}  -> 204; the claims of the
//        next ID tokens (and /userinfo) are the defaults with these merged
//        over them, null removing a claim; each call starts from the defaults.
//   POST /_control/mint {"claims":{...}, "variant":"good", "aud":"client",
//        "nonce":"n"}  -> 200 {"id_token":"..."}; claims merged over the
//        defaults, variant one of VARIANTS below ("good" when left out).
//   POST /_control/rotate -> 200 {"kid":"oidc-mock-N"}; a new signing key,
//        served at /jwks beside the old ones, signs every token minted after.
//   GET /avatar.png -> a 16x16 PNG.
import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, sign } from "node:crypto";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { crc32, deflateSync } from "node:zlib";

const peers = process.env.PAKCHAT_PEERS_DIR || join(homedir(), ".cache/pakchat/peers");
const entry = createRequire(join(peers, "package.json")).resolve("oauth2-mock-server");
const { OAuth2Issuer, OAuth2Service } = await import(pathToFileURL(entry).href);

const portArg = process.argv.indexOf("--port");
const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 0;
if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error("usage: node oidc-mock.mjs [--port N]");
    process.exit(2);
}

// RS256 keys served at /jwks, the newest signing (a rotation adds one); a
// key whose kid is nowhere served.
const issuer = new OAuth2Issuer();
let served, servedKey, servedPublicPem;
let generation = 0;
async function rotate() {
    generation += 1;
    served = await issuer.keys.generate("RS256", { kid: `oidc-mock-${generation}` });
    servedKey = createPrivateKey({ key: served, format: "jwk" });
    servedPublicPem = createPublicKey(servedKey).export({ type: "spki", format: "pem" });
    return served.kid;
}
await rotate();
const strangerKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;

let defaults = {}; // Set once the port, and so the picture's URL, is known.
let claims = {};

/** `base` with `over` merged on top; a null in `over` removes that claim. */
function merged(base, over) {
    const out = { ...base, ...over };
    for (const [k, v] of Object.entries(out)) if (v === null) delete out[k];
    return out;
}

const service = new OAuth2Service(issuer);
// The mock signs an access token and then an ID token per /token call; only
// the access token has a scope. The ID token gets our claims (its aud, the
// client id, and the nonce are already set by the mock).
service.on("beforeTokenSigning", (token) => {
    if ("scope" in token.payload) return;
    delete token.payload.sub; // The mock's "johndoe", unless ours says otherwise.
    Object.assign(token.payload, claims);
});
service.on("beforeUserinfo", (response) => {
    response.body = { ...claims };
});

// The mock checks a code_verifier only when one is sent, and takes any code,
// as often as asked. Refuse what a real provider would: a code it did not
// issue or already redeemed, another redirect_uri, a missing verifier.
const codes = new Map(); // code -> { redirectUri, pkce }
service.on("beforeAuthorizeRedirect", ({ url }, req) => {
    const code = url.searchParams.get("code");
    if (code) codes.set(code, { redirectUri: req.query.redirect_uri, pkce: req.query.code_challenge !== undefined });
});
service.on("beforeResponse", (response, req) => {
    const { grant_type: grant, code, redirect_uri: redirectUri, code_verifier: verifier } = req.body;
    if (grant !== "authorization_code") return;
    const issued = codes.get(code);
    codes.delete(code);
    const problem = !issued
        ? "unknown or already used code"
        : issued.redirectUri !== redirectUri
          ? "redirect_uri differs from the authorization request"
          : issued.pkce && verifier === undefined
            ? "code_verifier missing"
            : null;
    if (problem) {
        response.statusCode = 400;
        response.body = { error: "invalid_grant", error_description: problem };
    }
});

const b64 = (json) => Buffer.from(JSON.stringify(json)).toString("base64url");

/** A compact JWS over `header`.`payload`: RS256 with `key`, HS256 with a secret, or none. */
function jws(header, payload, key) {
    const input = `${b64(header)}.${b64(payload)}`;
    let sig = Buffer.alloc(0);
    if (header.alg === "RS256") sig = sign("sha256", Buffer.from(input), key);
    if (header.alg === "HS256") sig = createHmac("sha256", key).update(input).digest();
    return `${input}.${sig.toString("base64url")}`;
}

/** Each variant: a function from the good header and payload to a token. */
const VARIANTS = {
    good: (h, p) => jws(h, p, servedKey),
    expired: (h, p) => jws(h, { ...p, iat: p.iat - 7200, exp: p.iat - 3600 }, servedKey),
    "wrong-aud": (h, p) => jws(h, { ...p, aud: "someone-else" }, servedKey),
    "wrong-iss": (h, p) => jws(h, { ...p, iss: "http://evil.example" }, servedKey),
    "bad-signature": (h, p) => {
        const [head, body, sig] = jws(h, p, servedKey).split(".");
        const bytes = Buffer.from(sig, "base64url");
        bytes[0] ^= 0x01; // Still valid base64url, no longer the signature.
        return `${head}.${body}.${bytes.toString("base64url")}`;
    },
    "alg-none": (h, p) => jws({ alg: "none", typ: "JWT" }, p),
    // Key confusion: a verifier that lets the token pick the algorithm
    // would check this HMAC with the public key's PEM (SPKI) as its secret.
    "hs256-public": (h, p) => jws({ ...h, alg: "HS256" }, p, servedPublicPem),
    "unknown-kid": (h, p) => jws({ ...h, kid: "not-served" }, p, strangerKey),
    "no-email-verified": (h, p) => {
        const { email_verified: _, ...rest } = p;
        return jws(h, rest, servedKey);
    },
};

function mint({ claims: over = {}, variant = "good", aud, nonce }) {
    if (typeof aud !== "string") throw new Error('"aud" (the client id) is required');
    const make = VARIANTS[variant];
    if (!make) throw new Error(`unknown variant ${variant}; one of ${Object.keys(VARIANTS).join(", ")}`);
    const now = Math.floor(Date.now() / 1000);
    const payload = { ...merged(defaults, over), iss: issuer.url, aud, iat: now, exp: now + 3600 };
    if (nonce !== undefined) payload.nonce = nonce;
    return make({ alg: "RS256", typ: "JWT", kid: served.kid }, payload);
}

/** A 16x16 PNG of one colour, built by hand: signature, IHDR, IDAT, IEND. */
function png(r, g, b) {
    const chunk = (type, data) => {
        const len = Buffer.alloc(4);
        len.writeUInt32BE(data.length);
        const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
        const crc = Buffer.alloc(4);
        crc.writeUInt32BE(crc32(body));
        return Buffer.concat([len, body, crc]);
    };
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(16, 0); // width
    ihdr.writeUInt32BE(16, 4); // height
    ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, deflate, no filter, no interlace
    const row = Buffer.from([0, ...Array.from({ length: 16 }, () => [r, g, b]).flat()]); // filter 0
    const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    return Buffer.concat([
        signature,
        chunk("IHDR", ihdr),
        chunk("IDAT", deflateSync(Buffer.concat(Array(16).fill(row)))),
        chunk("IEND", Buffer.alloc(0)),
    ]);
}
const avatar = png(0x4a, 0x7b, 0xd0);

async function jsonBody(req) {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const text = Buffer.concat(chunks).toString() || "{}";
    const value = JSON.parse(text);
    if (value === null || typeof value !== "object" || Array.isArray(value)) throw new Error("expected a JSON object");
    return value;
}

// Open to any origin like the mock's own endpoints, for the web build.
const cors = { "access-control-allow-origin": "*" };

function reply(res, status, body) {
    res.writeHead(status, body === undefined ? cors : { ...cors, "content-type": "application/json" });
    res.end(body === undefined ? undefined : JSON.stringify(body));
}

// Our routes first, the rest to the mock's own handler (an express app).
const server = createServer(async (req, res) => {
    const path = req.url.split("?")[0];
    try {
        if (req.method === "POST" && path === "/_control/claims") {
            claims = merged(defaults, await jsonBody(req));
            return reply(res, 204);
        }
        if (req.method === "POST" && path === "/_control/mint") {
            return reply(res, 200, { id_token: mint(await jsonBody(req)) });
        }
        if (req.method === "POST" && path === "/_control/rotate") {
            return reply(res, 200, { kid: await rotate() });
        }
        if (req.method === "GET" && path === "/avatar.png") {
            res.writeHead(200, { ...cors, "content-type": "image/png", "content-length": avatar.length });
            return res.end(avatar);
        }
    } catch (e) {
        return reply(res, 400, { error: e.message });
    }
    service.requestHandler(req, res);
});

server.listen(port, "127.0.0.1", () => {
    issuer.url = `http://localhost:${server.address().port}`;
    defaults = {
        sub: "user-1",
        name: "Ada Lovelace",
        email: "ada@example.com",
        email_verified: true,
        picture: `${issuer.url}/avatar.png`,
    };
    claims = { ...defaults };
    console.log(`oidc-mock listening on ${issuer.url}`);
});

for (const signal of ["SIGTERM", "SIGINT"]) {
    process.on(signal, () => {
        server.close(() => process.exit(0));
        server.closeAllConnections(); // Keep-alive clients would hold close() open.
    });
}
