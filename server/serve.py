"""Serving the app: gevent's WSGI server (gevent mode) or gunicorn (threading mode) in
production, a werkzeug thread server for tests and tools."""

from __future__ import annotations

import socket
import threading

from werkzeug.serving import WSGIRequestHandler, make_server


class _Handler(WSGIRequestHandler):
    """Closes the TCP connection after a websocket ends: otherwise werkzeug reads the client's
    close frame as a new HTTP request, and the client waits seconds for a close reply."""

    def run_wsgi(self):
        super().run_wsgi()
        if self.headers.get("Upgrade", "").lower() == "websocket":
            self.close_connection = True

    def log_request(self, *args, **kwargs):  # quiet: tests and tools don't want access logs
        pass


class ThreadedServer:
    """The real server (HTTP + Socket.IO over websocket) on a port, in a background thread."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0):
        self.app = app
        self._server = make_server(host, port, app, threaded=True, request_handler=_Handler)
        self._server.daemon_threads = True
        self.host, self.port = host, self._server.server_port
        # Open connections (websockets above all) outlive serve_forever(); remember them so that
        # stop() cuts them as a real server death would, and clients notice and reconnect.
        self._conns: set = set()
        self._conns_lock = threading.Lock()
        accept, close = self._server.get_request, self._server.shutdown_request

        def get_request():
            conn, addr = accept()
            with self._conns_lock:
                self._conns.add(conn)
            return conn, addr

        def shutdown_request(conn):
            with self._conns_lock:
                self._conns.discard(conn)
            close(conn)

        self._server.get_request = get_request
        self._server.shutdown_request = shutdown_request
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="qms-http", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "ThreadedServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and cut every open connection."""
        self._server.shutdown()
        self._server.server_close()
        with self._conns_lock:
            conns, self._conns = list(self._conns), set()
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by its handler
        self._thread.join(timeout=10)


def run_gunicorn(factory, host: str, port: int, threads: int = 100) -> None:
    """Serve with gunicorn: one worker (one writer, one in-memory connection map), many threads."""
    from gunicorn.app.base import BaseApplication

    class App(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", 1)
            self.cfg.set("threads", threads)
            # gthread also caps open connections at worker_connections (default 1000).
            self.cfg.set("worker_connections", max(1000, threads + 100))
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("timeout", 0)  # websockets are long-lived; don't kill the worker
            self.cfg.set("graceful_timeout", 10)
            self.cfg.set("accesslog", None)

        def load(self):
            return factory()

    App().run()


def run_gevent(factory, host: str, port: int) -> None:
    """Serve with gevent's own WSGI server, one greenlet per connection, in this process.

    No monkey-patching: python-engineio's gevent driver gives simple-websocket gevent's Greenlet,
    Event and selectors, and the app's own waits go through server/runtime.py. As Flask-SocketIO's
    `socketio.run()` does without gevent-websocket: a plain `pywsgi.WSGIServer`. `factory()` must
    build the app with async_mode "gevent", here, in the hub's thread. SIGTERM or SIGINT stop
    the server, then the app closes its store (queued writes are committed)."""
    import signal

    import gevent
    from gevent import pywsgi

    class Handler(pywsgi.WSGIHandler):
        """Closes the TCP connection after a websocket ends (as `_Handler` above does for
        werkzeug): otherwise pywsgi reads the client's close frame as a new HTTP request and
        logs "Expected GET method"."""

        def handle_one_response(self):
            super().handle_one_response()
            if self.headers.get("Upgrade", "").lower() == "websocket":
                self.close_connection = True

    app = factory()
    if app.extensions["socketio"].async_mode != "gevent":
        raise RuntimeError("run_gevent needs an app built with async_mode 'gevent'")
    server = pywsgi.WSGIServer((host, port), app, log=None, backlog=1024, handler_class=Handler)

    def stop(*_args):
        gevent.spawn(server.stop, timeout=5)

    gevent.signal_handler(signal.SIGTERM, stop)
    gevent.signal_handler(signal.SIGINT, stop)
    try:
        server.serve_forever()
    finally:
        app.extensions["qms"].close()
