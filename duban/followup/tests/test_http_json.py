"""The one JSON request of the channels (group robots, 企业微信, 钉钉, SMS) against a real server on loopback: a robot
that answers a plain 200 has taken the message; a provider whose answer is not JSON, or an HTTP error, is a
failure to retry."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from duban.followup.channels import ChannelError, http_json

pytestmark = pytest.mark.nodb


@pytest.fixture
def plain_server():
    """Answers ``/ok`` with a plain-text 200, ``/json`` with a JSON object, anything else with a 503."""
    seen: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            seen.append(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            status, body, kind = {"/ok": (200, b"ok", "text/plain"),
                                  "/json": (200, b'{"errcode": 0, "errmsg": "ok"}', "application/json")
                                  }.get(self.path, (503, b"busy", "text/plain"))
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # keep the test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    server.seen = seen
    yield server
    server.shutdown()
    server.server_close()


def test_a_plain_answer_is_nothing_to_read_for_a_robot_and_a_failure_for_a_provider(plain_server):
    assert http_json("POST", plain_server.url + "/ok", payload={"msgtype": "text"}, lenient=True) == {}
    with pytest.raises(ChannelError, match="not JSON"):
        http_json("POST", plain_server.url + "/ok", payload={"msgtype": "text"})
    assert http_json("POST", plain_server.url + "/json", payload={"a": "督办"}) == {"errcode": 0, "errmsg": "ok"}
    assert plain_server.seen[-1].decode("utf-8") == '{"a": "督办"}'  # UTF-8 JSON, Chinese as it is
    for lenient in (True, False):
        with pytest.raises(ChannelError, match="http 503"):
            http_json("POST", plain_server.url + "/busy", payload={}, lenient=lenient)
