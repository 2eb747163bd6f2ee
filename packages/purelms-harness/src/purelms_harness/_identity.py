"""A loopback stand-in for Google's identity: the metadata server and the token issuer.

On Cloud Run the runtime mints each callback's OIDC ID token from the metadata server,
and the platform verifies it against Google's public keys. Neither is reachable here,
so the harness plays both, honestly enough that the runtime's real code path runs:

* **Metadata server.** google-auth in the backend is pointed at this server through
  ``GCE_METADATA_HOST`` and ``GCE_METADATA_IP`` (:meth:`LoopbackIdentity.environment`).
  It answers google-auth's ping (``GET /`` with ``Metadata-Flavor: Google``), the
  service account's description (``…/service-accounts/default/``) and
  ``GET /computeMetadata/v1/instance/service-accounts/default/identity?audience=…``
  with a fresh RS256-signed JWT for that audience (``iss`` this server's URL, ``aud``
  the audience, ``email`` a service-account address, ``iat``/``exp`` one hour apart).
  Requests without ``Metadata-Flavor: Google`` are refused (403), as the real one does.
* **Issuer.** ``GET /oauth2/v1/certs`` serves the public key by key id, the shape of
  Google's certificate endpoint; :meth:`LoopbackIdentity.verify` checks a token with
  google-auth's own ``verify_token`` against that URL (signature, ``aud``, expiry) and
  then the issuer. The callback server uses it to accept only tokens minted for the
  run's ``callback_audience``.

The key is a 2048-bit RSA key made per instance (``cryptography``); nothing is stored.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ._loopback import LoopbackServer, QuietHTTPServer, ServerThread

__all__ = ["IdentityError", "LoopbackIdentity"]

_ACCOUNT_PATH = "/computeMetadata/v1/instance/service-accounts/default/"
_IDENTITY_PATH = _ACCOUNT_PATH + "identity"
_CERTS_PATH = "/oauth2/v1/certs"
_LIFETIME_SECONDS = 3600
SERVICE_ACCOUNT = "purelms-backend@purelms-local.iam.gserviceaccount.com"


class IdentityError(Exception):
    """A token that does not verify (one line)."""


class LoopbackIdentity(LoopbackServer):
    """``with LoopbackIdentity() as identity: env = identity.environment()``."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        # cryptography and google-auth load here, not at import: `purelms` imports this
        # module on every start, and only the managed path needs them.
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from google.auth import crypt

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.key_id = secrets.token_hex(8)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self._signer = crypt.RSASigner.from_string(  # type: ignore[no-untyped-call]
            pem, key_id=self.key_id
        )
        self._public_pem = (
            key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )
        self._lock = threading.Lock()
        #: Audiences of the tokens minted so far, in order.
        self.minted: list[str] = []
        self._httpd = QuietHTTPServer((host, 0), self._handler_class(), "loopback identity")
        self._thread = ServerThread(self._httpd, "purelms-identity")

    @property
    def address(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"{host!s}:{port}"

    @property
    def issuer(self) -> str:
        return f"http://{self.address}"

    @property
    def certs_url(self) -> str:
        return f"{self.issuer}{_CERTS_PATH}"

    def environment(self) -> dict[str, str]:
        """What a backend process needs so that google-auth finds this metadata server."""
        return {"GCE_METADATA_HOST": self.address, "GCE_METADATA_IP": self.address}

    def mint(self, audience: str) -> str:
        from google.auth import jwt

        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": audience,
            "azp": SERVICE_ACCOUNT,
            "sub": "100000000000000000001",
            "email": SERVICE_ACCOUNT,
            "email_verified": True,
            "iat": now,
            "exp": now + _LIFETIME_SECONDS,
        }
        token = jwt.encode(self._signer, claims).decode()  # type: ignore[no-untyped-call]
        with self._lock:
            self.minted.append(audience)
        return str(token)

    def verify(self, token: str, audience: str) -> Mapping[str, Any]:
        """The token's claims when it is this issuer's, for ``audience``, unexpired."""
        import google.auth.exceptions
        import google.auth.transport.requests
        from google.oauth2 import id_token

        request = google.auth.transport.requests.Request()
        try:
            claims = id_token.verify_token(
                token, request, audience=audience, certs_url=self.certs_url
            )
        except (ValueError, google.auth.exceptions.GoogleAuthError) as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise IdentityError(f"ID token rejected: {first[:200]}") from exc
        if not isinstance(claims, Mapping) or claims.get("iss") != self.issuer:
            raise IdentityError("ID token rejected: not issued by the loopback identity")
        return claims

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        identity = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 10.0

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _reply(self, status: HTTPStatus, body: str, content_type: str) -> None:
                data = body.encode()
                self.send_response(status)
                self.send_header("Metadata-Flavor", "Google")
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path == _CERTS_PATH:
                    certs = json.dumps({identity.key_id: identity._public_pem})
                    self._reply(HTTPStatus.OK, certs, "application/json")
                    return
                if self.headers.get("Metadata-Flavor") != "Google":
                    self._reply(
                        HTTPStatus.FORBIDDEN, "Metadata-Flavor: Google required", "text/plain"
                    )
                    return
                if parts.path in ("", "/"):
                    self._reply(HTTPStatus.OK, "ok", "text/plain")
                    return
                if parts.path == _ACCOUNT_PATH:  # google-auth asks who the identity is first
                    account = {"aliases": ["default"], "email": SERVICE_ACCOUNT, "scopes": []}
                    self._reply(HTTPStatus.OK, json.dumps(account), "application/json")
                    return
                if parts.path == _IDENTITY_PATH:
                    audience = parse_qs(parts.query).get("audience", [""])[-1]
                    if not audience:
                        self._reply(HTTPStatus.BAD_REQUEST, "audience is required", "text/plain")
                        return
                    self._reply(HTTPStatus.OK, identity.mint(audience), "text/plain")
                    return
                self._reply(HTTPStatus.NOT_FOUND, "not found", "text/plain")

        return Handler
