"""A real SMTP server on loopback for essaim's e-mail tests (aiosmtpd).

STARTTLS with the given certificate, AUTH PLAIN/LOGIN against one user,
and fault injection: the first N messages get a 451, one recipient a 550.
Each accepted message is saved as <n>.eml with a <n>.json summary parsed
with the standard library (recipients, subject, parts, inline images), so
that the Rust tests can check what a mail client would show.

Usage: smtp_server.py --port P --dir D --cert C --key K --user U --password W
                      [--tempfail N] [--reject ADDRESS]
"""

import argparse
import asyncio
import email
import email.policy
import json
import os
import ssl
import sys
import time
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Handler:
    def __init__(self, outdir, tempfail, reject):
        self.outdir = outdir
        self.tempfail = tempfail
        self.reject = reject
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject and address.lower() == self.reject.lower():
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.tempfail > 0:
            self.tempfail -= 1
            return "451 4.3.0 Try again later"
        self.count += 1
        n = f"{int(time.time() * 1000)}-{self.count}"
        raw = envelope.original_content or envelope.content
        with open(os.path.join(self.outdir, f"{n}.eml"), "wb") as f:
            f.write(raw)
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        summary = {
            "rcpt": envelope.rcpt_tos,
            "from": envelope.mail_from,
            "to": str(msg["To"]),
            "subject": str(msg["Subject"]),
            "message_id": str(msg["Message-ID"]),
            "reply_to": str(msg["Reply-To"]) if msg["Reply-To"] else None,
            "tls": session.ssl is not None,
            "authenticated": bool(session.authenticated),
            "text": None,
            "html": None,
            "images": [],
            "attachments": [],
        }
        for part in msg.walk():
            ctype = part.get_content_type()
            disp = part.get_content_disposition()
            if ctype == "text/plain" and disp is None and summary["text"] is None:
                summary["text"] = part.get_content()
            elif ctype == "text/html" and summary["html"] is None:
                summary["html"] = part.get_content()
            elif ctype.startswith("image/"):
                payload = part.get_payload(decode=True) or b""
                summary["images"].append({
                    "content_id": str(part["Content-ID"]),
                    "type": ctype,
                    "size": len(payload),
                    "png": payload[:8] == b"\x89PNG\r\n\x1a\n",
                })
            elif disp == "attachment":
                payload = part.get_payload(decode=True) or b""
                summary["attachments"].append({
                    "filename": part.get_filename(),
                    "type": ctype,
                    "size": len(payload),
                    "zip": payload[:2] == b"PK",
                    "text": payload.decode("utf-8", "replace"),
                })
        with open(os.path.join(self.outdir, f"{n}.json"), "w", encoding="utf-8") as f:
            json.dump(summary, f, ensure_ascii=False)
        return "250 Message accepted"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--tempfail", type=int, default=0)
    p.add_argument("--reject", default=None)
    a = p.parse_args()

    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(a.cert, a.key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == a.user and auth_data.password.decode() == a.password
        return AuthResult(success=ok, handled=False)

    controller = Controller(
        Handler(a.dir, a.tempfail, a.reject),
        hostname="127.0.0.1",
        port=a.port,
        tls_context=ctx,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=True,
    )
    controller.start()
    print("ready", flush=True)
    try:
        # Stops when the test closes our stdin or kills us.
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
