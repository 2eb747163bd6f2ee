"""Who the callbacks say they are: a bearer token per delivery, chosen by the environment.

* ``PURELMS_CALLBACK_TOKEN`` set: that static bearer (local runs, the harness, private
  deployments that hand a token to the container).
* Otherwise: a Google OIDC ID token for the envelope's ``callback_audience``, minted
  for every delivery from the environment's Google identity (on Cloud Run the metadata
  server; ``GCE_METADATA_HOST`` points google-auth elsewhere, which is how the harness
  and the tests give it a loopback stand-in). google-auth is imported only here and only
  then, from the ``cloud`` extra that every backend image installs, so a local run never
  imports it.

There is no anonymous callback: a provider either gives a token or raises
:class:`TokenError`, and the runtime checks that it can mint one before it computes
anything (:meth:`TokenProvider.check`).
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["GoogleIdToken", "StaticToken", "TokenError", "TokenProvider", "token_provider"]


class TokenError(Exception):
    """No token could be had for a callback (one line)."""


class TokenProvider(Protocol):
    #: How the token is made, for error lines (``static bearer``, ``Google ID token``).
    kind: str

    def token(self, audience: str) -> str:
        """A bearer token for one delivery to ``audience``; raises TokenError."""
        ...

    def check(self, audience: str) -> None:
        """Raise TokenError now when no token can be had (before anything runs)."""
        ...


class StaticToken:
    kind = "static bearer (PURELMS_CALLBACK_TOKEN)"

    def __init__(self, token: str) -> None:
        self._token = token

    def token(self, audience: str) -> str:
        return self._token

    def check(self, audience: str) -> None:
        return None


class GoogleIdToken:
    """A Google-signed OIDC ID token per delivery (google-auth's ``fetch_id_token``)."""

    kind = "Google OIDC ID token"

    def token(self, audience: str) -> str:
        try:
            import google.auth.exceptions
            import google.auth.transport.requests
            import google.oauth2.id_token
        except ImportError as exc:
            raise TokenError(
                "no PURELMS_CALLBACK_TOKEN and google-auth is not installed (install "
                "purelms-runtime[cloud]) to mint an OIDC ID token for the callbacks"
            ) from exc
        request = google.auth.transport.requests.Request()
        try:
            # Unbound: the platform verifies a plain ID token for its audience.
            token = google.oauth2.id_token.fetch_id_token(  # type: ignore[no-untyped-call]
                request, audience, bind_id_token=False
            )
        except google.auth.exceptions.GoogleAuthError as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise TokenError(f"cannot mint an OIDC ID token for {audience!r}: {first}") from exc
        if not isinstance(token, str) or not token:
            raise TokenError(f"the identity provider returned no ID token for {audience!r}")
        return token

    def check(self, audience: str) -> None:
        self.token(audience)


def token_provider(static_token: str | None) -> TokenProvider:
    return StaticToken(static_token) if static_token else GoogleIdToken()
