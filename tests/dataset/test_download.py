"""Downloads: checksum checks, clean failure, and failing fast, against a loopback HTTP server.

The autouse fixture in conftest.py disables downloads; this file keeps the real functions
(taken at import, before any fixture runs) and only ever talks to 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import http.server
import socket
import threading
import time

import pytest

from chop.dataset import download

REAL_DOWNLOAD_FILE = download.download_file
REAL_PROBE = download.probe
REAL_FETCH_OPENML = download.fetch_openml_frame
PAYLOAD = b"IDX-ish payload " * 4096


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/file.gz":
            self.send_response(200)
            self.send_header("Content-Length", str(len(PAYLOAD)))
            self.end_headers()
            self.wfile.write(PAYLOAD)
        else:
            self.send_error(404)

    def log_message(self, *args):  # keep test output quiet
        pass


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setattr(download, "probe", REAL_PROBE)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_download_keeps_a_file_with_the_right_checksum(server, tmp_path):
    dest = tmp_path / "sub" / "file.gz"
    REAL_DOWNLOAD_FILE(f"{server}/file.gz", dest, hashlib.md5(PAYLOAD).hexdigest())
    assert dest.read_bytes() == PAYLOAD
    assert sorted(p.name for p in dest.parent.iterdir()) == ["file.gz"]


def test_checksum_mismatch_leaves_nothing_behind(server, tmp_path):
    dest = tmp_path / "file.gz"
    with pytest.raises(download.DownloadError, match="checksum mismatch"):
        REAL_DOWNLOAD_FILE(f"{server}/file.gz", dest, "0" * 32)
    assert list(tmp_path.iterdir()) == []


def test_http_error_is_a_download_error(server, tmp_path):
    with pytest.raises(download.DownloadError, match="404"):
        REAL_DOWNLOAD_FILE(f"{server}/missing.gz", tmp_path / "x.gz", "0" * 32)
    assert list(tmp_path.iterdir()) == []


def test_unreachable_host_fails_fast(monkeypatch, tmp_path):
    monkeypatch.setattr(download, "probe", REAL_PROBE)
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    start = time.monotonic()
    with pytest.raises(download.DownloadError, match="cannot reach 127.0.0.1"):
        REAL_DOWNLOAD_FILE(f"http://127.0.0.1:{port}/file.gz", tmp_path / "x.gz", "0" * 32)
    assert time.monotonic() - start < download.CONNECT_TIMEOUT_S + 1


def test_silent_server_times_out(monkeypatch, tmp_path):
    """A server that accepts but never answers is given up after the read timeout."""
    monkeypatch.setattr(download, "probe", REAL_PROBE)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    try:
        start = time.monotonic()
        with pytest.raises(download.DownloadError, match="failed"):
            REAL_DOWNLOAD_FILE(
                f"http://127.0.0.1:{listener.getsockname()[1]}/file.gz", tmp_path / "x.gz", "0" * 32, timeout=0.5
            )
        assert time.monotonic() - start < 3
    finally:
        listener.close()


def test_openml_fetch_runs_with_a_socket_timeout_and_reports_one_line(monkeypatch, tmp_path):
    import sklearn.datasets

    seen = {}

    def fake_fetch_openml(**kwargs):
        seen.update(kwargs, timeout=socket.getdefaulttimeout())
        raise ValueError("The md5 checksum of the file does not match\nsecond line")

    monkeypatch.setattr(download, "probe", lambda url: None)
    monkeypatch.setattr(sklearn.datasets, "fetch_openml", fake_fetch_openml)
    before = socket.getdefaulttimeout()
    with pytest.raises(download.DownloadError) as err:
        REAL_FETCH_OPENML(42468, tmp_path, timeout=7.0)
    assert str(err.value) == "OpenML dataset 42468 could not be fetched (The md5 checksum of the file does not match)"
    assert seen["data_id"] == 42468 and seen["data_home"] == str(tmp_path) and seen["timeout"] == 7.0
    assert socket.getdefaulttimeout() == before
