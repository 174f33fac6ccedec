#!/usr/bin/env python3
"""oauth2-peer: a scripted OAuth2 authorization server for the oauth2 tests.

Loopback only, standard library only, HTTPS with the test certificates
(tests/data/tls/localhost-chain.pem, signed by ca.pem), bounded run time
(--max-time).  Each request is served in a thread of its own.  Endpoints:

  GET  /authorize   authorization code with PKCE (RFC 7636, S256 only): checks
                    response_type=code, client_id, a loopback redirect_uri
                    (http://127.0.0.1:PORT/..., RFC 8252), state and
                    code_challenge, "approves" and answers 302 to
                    redirect_uri?code=...&state=...
  POST /device      device authorization (RFC 8628): device_code, user_code,
                    verification_uri (GET /verify?user_code=C approves it,
                    unless --auto-approve), interval, expires_in
  POST /token       grant_type authorization_code (code_verifier checked
                    against the challenge), device_code (RFC 8628 3.5) and
                    refresh_token (a new refresh token each time, the old
                    one invalid from then on, unless --no-rotate)
  POST /introspect  RFC 7662 for Dovecot's oauth2 passdb: the token as a form
  GET  /introspect  field, a ?token= parameter, or "Authorization: Bearer";
                    {"active": true, "username": ..., "exp": ...} for a valid
                    access token, {"active": false} otherwise
  POST /control     the test's hand on the server (form field action):
                      revoke        every refresh token is revoked
                                    (invalid_grant from then on)
                      expire        every access token issued so far is
                                    expired (introspection says inactive)
                      lifetime      access tokens issued from now on live
                                    this long (field seconds)
                      fail5xx       the next N (field count) token requests
                                    get 503 with an HTML body
                      approve       approve device user_code (field user_code)

--mode (comma separated) changes the script:
  ok              behave
  slow-down       the second device poll gets slow_down (once)
  expired-token   device polls end in expired_token instead of tokens
  access-denied   device polls end in access_denied instead of tokens
  http500         every token request gets 500 with an HTML body
  deny            /authorize redirects with error=access_denied
  wrong-state     /authorize redirects with a state that is not the client's
  reuse-revokes   a rotated-out refresh token presented again revokes every
                  refresh token (refresh token reuse detection)
  device-client-auth
                  /device, too, wants the client secret (RFC 8628 3.1:
                  RFC 6749 3.2.1's client authentication applies there);
                  without this mode it checks client_id only, as Google does

A device poll sooner than the current interval is answered slow_down as
RFC 8628 3.5 allows, and logged "too-fast" (a client must not do that).
--pending N: the device token endpoint answers authorization_pending at least
N times (and until the user code is approved).

Errors have RFC 6749 5.2 bodies ({"error": ..., "error_description": ...},
400, or 401 for invalid_client).  --client-secret-file makes the client
authenticate (client_secret in the form or HTTP Basic).

--delay S waits S seconds before answering a token request (a slow
server, so a test can look at the client while it waits).

Other knobs: --expires-in (access token lifetime, default 3600 s),
--interval (device polling interval, default 1 s), --device-expires-in
(device code lifetime, default 600 s), --client-id (default
surel-test-client), --user (the username introspection reports, default
fetchuser), --scope, --tls CERT KEY (another certificate, e.g. wronghost).

--log FILE gets one line per request: method, path, grant type, result;
never a token, code, verifier or secret.  A request whose URL carries an
issued access or refresh token is logged "token-in-url".  --state FILE is
rewritten (atomically) after every change: JSON with every token issued
(so a test can look for them where they must not be), the refresh tokens
still valid, the newest one, and counters.  The port is written to
--port-file once listening.
"""
import base64
import hashlib
import http.server
import json
import os
import secrets
import ssl
import sys
import threading
import time
import urllib.parse

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peerlib  # noqa: E402
from peerlib import log  # noqa: E402

args = None
modes = set()
lock = threading.RLock()
# Everything below is guarded by lock.
codes = {}          # authorization code -> dict(challenge, redirect_uri, client_id, scope)
devices = {}        # device_code -> dict(user_code, approved, polls, interval, last, expires)
access = {}         # access token -> expiry (epoch seconds)
refresh = {}        # refresh token -> "valid" | "rotated" | "revoked"
issued = {"access": [], "refresh": []}
latest = [None]
fail_next = [0]
counts = {}


def count(name):
    counts[name] = counts.get(name, 0) + 1


def save_state():
    if not args.state:
        return
    st = {
        "access": issued["access"],
        "refresh": issued["refresh"],
        "valid_refresh": [t for t, s in refresh.items() if s == "valid"],
        "latest_refresh": latest[0],
        "counts": counts,
    }
    tmp = "%s.%d.tmp" % (args.state, threading.get_ident())
    with open(tmp, "w") as f:
        json.dump(st, f, indent=1)
    os.rename(tmp, args.state)


def new_tokens(scope, with_refresh=True):
    """Issue an access token (and a refresh token); the JSON reply."""
    at = "at-" + secrets.token_urlsafe(24)
    access[at] = time.time() + args.expires_in
    issued["access"].append(at)
    reply = {"access_token": at, "token_type": "Bearer", "expires_in": args.expires_in,
             "scope": scope or args.scope}
    if with_refresh:
        rt = "rt-" + secrets.token_urlsafe(32)
        refresh[rt] = "valid"
        issued["refresh"].append(rt)
        latest[0] = rt
        reply["refresh_token"] = rt
    return reply


def s256(verifier):
    d = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(d).rstrip(b"=").decode("ascii")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "oauth2-peer"
    timeout = 20

    def log_message(self, fmt, *a):
        pass

    # --- replies -----------------------------------------------------------

    def reply(self, code, body, ctype="application/json", extra=()):
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def json(self, code, obj):
        self.reply(code, json.dumps(obj))

    def error(self, what, err, desc, code=400):
        with lock:
            log("%s -> %d %s" % (what, code, err))
            count("error " + err)
            save_state()
        extra = ()
        if code == 401:
            extra = (("WWW-Authenticate", 'Basic realm="oauth2-peer"'),)
        self.reply(code, json.dumps({"error": err, "error_description": desc}), extra=extra)

    def html_error(self, what, code):
        with lock:
            log("%s -> %d" % (what, code))
            count("http %d" % code)
            save_state()
        self.reply(code, "<html><body><h1>%d</h1>temporarily broken</body></html>" % code,
                   ctype="text/html")

    # --- request parsing ---------------------------------------------------

    def form(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n).decode("ascii", "replace") if n > 0 else ""
        return {k: v[0] for k, v in urllib.parse.parse_qs(raw, keep_blank_values=True).items()}

    def query(self):
        q = urllib.parse.urlsplit(self.path).query
        return {k: v[0] for k, v in urllib.parse.parse_qs(q, keep_blank_values=True).items()}

    def check_url(self):
        """Log a request whose URL carries a token we issued."""
        with lock:
            known = issued["access"] + issued["refresh"]
        url = urllib.parse.unquote(self.path)
        if any(t in url for t in known):
            log("token-in-url %s" % self.command)
            with lock:
                count("token-in-url")
                save_state()

    def client_ok(self, f, with_secret=True):
        """The client is who it says (RFC 6749 2.3.1): client_id, and the
        secret when --client-secret-file is given (and with_secret), in the
        form or Basic."""
        cid, csec = f.get("client_id"), f.get("client_secret")
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            try:
                u, p = base64.b64decode(auth[6:]).decode().split(":", 1)
                cid, csec = urllib.parse.unquote_plus(u), urllib.parse.unquote_plus(p)
            except ValueError:
                return False
        if cid != args.client_id:
            return False
        if with_secret and secret is not None and csec != secret:
            return False
        return True

    # --- dispatch ----------------------------------------------------------

    def do_GET(self):
        self.check_url()
        path = urllib.parse.urlsplit(self.path).path
        if path == "/authorize":
            self.authorize()
        elif path == "/verify":
            self.verify(self.query())
        elif path == "/introspect":
            self.introspect(self.query())
        else:
            self.reply(404, "not found\n", ctype="text/plain")

    def do_POST(self):
        self.check_url()
        path = urllib.parse.urlsplit(self.path).path
        f = self.form()
        if path == "/token":
            self.token(f)
        elif path == "/device":
            self.device(f)
        elif path == "/introspect":
            self.introspect(f)
        elif path == "/control":
            self.control(f)
        else:
            self.reply(404, "not found\n", ctype="text/plain")

    # --- endpoints ---------------------------------------------------------

    def authorize(self):
        q = self.query()
        ru = q.get("redirect_uri", "")
        p = urllib.parse.urlsplit(ru)
        # RFC 8252 7.3: a loopback IP literal with a port, never "localhost".
        if p.scheme != "http" or p.hostname != "127.0.0.1" or not p.port:
            log("GET /authorize -> 400 bad redirect_uri")
            with lock:
                count("error redirect_uri")
                save_state()
            self.reply(400, "redirect_uri must be http://127.0.0.1:PORT/...\n", ctype="text/plain")
            return
        state = q.get("state", "")
        err = None
        if q.get("response_type") != "code":
            err = "unsupported_response_type"
        elif q.get("client_id") != args.client_id:
            err = "unauthorized_client"
        elif q.get("code_challenge_method") != "S256" or len(q.get("code_challenge", "")) != 43:
            err = "invalid_request"
        elif not state:
            err = "invalid_request"
        elif "deny" in modes:
            err = "access_denied"
        params = {}
        with lock:
            if err:
                count("error " + err)
                params = {"error": err, "state": state}
                log("GET /authorize -> 302 error %s" % err)
            else:
                code = "ac-" + secrets.token_urlsafe(24)
                codes[code] = {"challenge": q["code_challenge"], "redirect_uri": ru,
                               "client_id": q["client_id"], "scope": q.get("scope", ""),
                               "expires": time.time() + 120}
                count("authorize")
                if "wrong-state" in modes:
                    state = "x" + state
                params = {"code": code, "state": state}
                log("GET /authorize -> 302 code")
            save_state()
        sep = "&" if p.query else "?"
        loc = ru + sep + urllib.parse.urlencode(params)
        self.reply(302, "redirecting\n", ctype="text/plain", extra=(("Location", loc),))

    def device(self, f):
        if not self.client_ok(f, "device-client-auth" in modes):
            self.error("POST /device", "invalid_client", "unknown client", 401)
            return
        dc = "dc-" + secrets.token_urlsafe(24)
        uc = "%04d-%04d" % (secrets.randbelow(10000), secrets.randbelow(10000))
        with lock:
            devices[dc] = {"user_code": uc, "approved": args.auto_approve, "polls": 0, "pending": 0,
                           "interval": args.interval, "last": 0.0,
                           "expires": time.time() + args.device_expires_in,
                           "scope": f.get("scope", ""), "slowed": False}
            count("device")
            log("POST /device -> 200")
            save_state()
        host = "localhost:%d" % self.server.server_address[1]
        self.json(200, {"device_code": dc, "user_code": uc,
                        "verification_uri": "https://%s/verify" % host,
                        "verification_uri_complete": "https://%s/verify?user_code=%s" % (host, uc),
                        "expires_in": args.device_expires_in, "interval": args.interval})

    def verify(self, q):
        uc = q.get("user_code", "")
        with lock:
            hit = [d for d in devices.values() if d["user_code"] == uc]
            for d in hit:
                d["approved"] = True
            if hit:
                count("verify")
            log("verify -> %s" % ("approved" if hit else "unknown user code"))
            save_state()
        if hit:
            self.reply(200, "<html><body>Device approved.</body></html>", ctype="text/html")
        else:
            self.reply(404, "<html><body>Unknown code.</body></html>", ctype="text/html")

    def token(self, f):
        gt = f.get("grant_type", "")
        short = gt.rsplit(":", 1)[-1]
        what = "POST /token %s" % short
        if args.delay:
            time.sleep(args.delay)
        with lock:
            count("token")
            if "http500" in modes or fail_next[0] > 0:
                code = 500 if "http500" in modes else 503
                if fail_next[0] > 0:
                    fail_next[0] -= 1
                self.html_error(what, code)
                return
        if not self.client_ok(f):
            self.error(what, "invalid_client", "client authentication failed", 401)
            return
        if gt == "authorization_code":
            self.token_code(what, f)
        elif gt == "urn:ietf:params:oauth:grant-type:device_code":
            self.token_device(what, f)
        elif gt == "refresh_token":
            self.token_refresh(what, f)
        else:
            self.error(what, "unsupported_grant_type", "grant type not supported")

    def token_code(self, what, f):
        with lock:
            c = codes.pop(f.get("code", ""), None)
            if c is None or c["expires"] < time.time():
                self.error(what, "invalid_grant", "unknown or used authorization code")
                return
            if c["redirect_uri"] != f.get("redirect_uri"):
                self.error(what, "invalid_grant", "redirect_uri differs from the authorization request")
                return
            if s256(f.get("code_verifier", "")) != c["challenge"]:
                self.error(what, "invalid_grant", "code_verifier does not match the code_challenge")
                return
            count("grant authorization_code")
            reply = new_tokens(c["scope"])
            log("%s -> 200" % what)
            save_state()
        self.json(200, reply)

    def token_device(self, what, f):
        now = time.time()
        with lock:
            d = devices.get(f.get("device_code", ""))
            if d is None:
                self.error(what, "invalid_grant", "unknown device code")
                return
            d["polls"] += 1
            early = d["last"] and now - d["last"] < d["interval"] - 0.3
            d["last"] = now
            if early:
                log("too-fast")
                count("too-fast")
                d["interval"] += 5
                self.error(what, "slow_down", "polling too fast")
                return
            if "slow-down" in modes and d["polls"] == 2 and not d["slowed"]:
                d["slowed"] = True
                d["interval"] += 5
                self.error(what, "slow_down", "please poll less often")
                return
            if d["expires"] < now:
                self.error(what, "expired_token", "the device code has expired")
                return
            if d["pending"] < args.pending or not d["approved"]:
                d["pending"] += 1
                self.error(what, "authorization_pending", "the user has not approved yet")
                return
            if "expired-token" in modes:
                self.error(what, "expired_token", "the device code has expired")
                return
            if "access-denied" in modes:
                self.error(what, "access_denied", "the user said no")
                return
            del devices[f["device_code"]]
            count("grant device_code")
            reply = new_tokens(d["scope"])
            log("%s -> 200" % what)
            save_state()
        self.json(200, reply)

    def token_refresh(self, what, f):
        rt = f.get("refresh_token", "")
        with lock:
            st = refresh.get(rt)
            if st != "valid":
                if st == "rotated":
                    count("refresh reuse")
                    log("%s: a rotated-out refresh token" % what)
                    if "reuse-revokes" in modes:
                        for t in refresh:
                            refresh[t] = "revoked"
                self.error(what, "invalid_grant", "the refresh token is invalid, expired or revoked")
                return
            count("grant refresh_token")
            if args.no_rotate:
                reply = new_tokens(f.get("scope"), with_refresh=False)
            else:
                refresh[rt] = "rotated"
                reply = new_tokens(f.get("scope"))
            log("%s -> 200%s" % (what, "" if args.no_rotate else " rotated"))
            save_state()
        self.json(200, reply)

    def introspect(self, f):
        tok = f.get("token", "")
        auth = self.headers.get("Authorization", "")
        how = "form" if tok else "none"
        if auth.startswith("Bearer "):
            tok, how = auth[7:].strip(), "bearer"
        with lock:
            exp = access.get(tok)
            active = exp is not None and exp > time.time()
            count("introspect %s" % ("active" if active else "inactive"))
            log("%s /introspect (%s) -> %s" % (self.command, how, "active" if active else "inactive"))
            save_state()
        if active:
            self.json(200, {"active": True, "username": args.user, "scope": args.scope,
                            "client_id": args.client_id, "token_type": "Bearer", "exp": int(exp)})
        else:
            self.json(200, {"active": False})

    def control(self, f):
        action = f.get("action", "")
        with lock:
            if action == "revoke":
                for t in refresh:
                    refresh[t] = "revoked"
            elif action == "expire":
                for t in access:
                    access[t] = 0
            elif action == "lifetime":
                args.expires_in = int(f.get("seconds", "3600"))
            elif action == "fail5xx":
                fail_next[0] = int(f.get("count", "1"))
            elif action == "approve":
                for d in devices.values():
                    if d["user_code"] == f.get("user_code"):
                        d["approved"] = True
            else:
                self.reply(400, "unknown action\n", ctype="text/plain")
                return
            log("control %s" % action)
            save_state()
        self.reply(200, "ok\n", ctype="text/plain")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def get_request(self):
        # The handshake happens in the request's thread, on its first read:
        # a client that connects and says nothing holds up only itself.
        sock, addr = self.socket.accept()
        return self.ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def handle_error(self, request, client_address):
        pass


secret = None


def main():
    global args, modes, secret
    tls = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "tls")
    ap = peerlib.options()
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"),
                    default=(os.path.join(tls, "localhost-chain.pem"), os.path.join(tls, "localhost.key")))
    ap.add_argument("--state")
    ap.add_argument("--client-id", default="surel-test-client")
    ap.add_argument("--client-secret-file")
    ap.add_argument("--user", default="fetchuser")
    ap.add_argument("--scope", default="mail")
    ap.add_argument("--expires-in", type=int, default=3600)
    ap.add_argument("--interval", type=int, default=1)
    ap.add_argument("--device-expires-in", type=int, default=600)
    ap.add_argument("--pending", type=int, default=0)
    ap.add_argument("--auto-approve", action="store_true")
    ap.add_argument("--no-rotate", action="store_true")
    args = peerlib.parse(ap)
    modes = set(m for m in args.mode.split(",") if m)
    if args.client_secret_file:
        with open(args.client_secret_file) as f:
            secret = f.read().strip()
    srv = Server(("127.0.0.1", 0), Handler)
    srv.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    srv.ctx.load_cert_chain(args.tls[0], args.tls[1])
    with lock:
        save_state()
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write("%d\n" % srv.server_address[1])
        os.rename(args.port_file + ".tmp", args.port_file)
    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    time.sleep(max(0.0, peerlib.START + args.max_time - time.time()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
