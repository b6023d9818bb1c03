/* QMS: what every page script shares (the display, the counter console, the board).
 *
 * Plain ES5 with no build step, loaded before the page's own script (after the vendored
 * socket.io client) and exposed as window.QMS:
 *
 *   QMS.$(id)                       document.getElementById
 *   QMS.el(tag, props, children)    a new element; text always through textContent
 *   QMS.fill(node, children)        replace a node's children (nodes, strings, null skipped)
 *   QMS.json(id)                    parse a <script type="application/json" id=...>
 *   QMS.fmt(template, values)       "Quầy {n}" + {n: 3}; the one placeholder style: {name}
 *   QMS.locale(lang)                number and date formats: vi (1.234,5 · 12/03/2026 · 08:05)
 *                                   or en (1,234.5 · 12 Mar 2026 · 08:05)
 *   QMS.ServerClock()               the server's clock: offset to this machine's, its zone
 *   QMS.Versions()                  which snapshots to apply (see below)
 *   QMS.connect(namespace, opts)    a Socket.IO connection (websocket only), with versions
 *   QMS.uuid4()                     a random UUID (crypto.randomUUID needs https)
 *
 * Versions (docs/protocol.md, "Versions"): every snapshot carries v = {boot, seq}, seq read by
 * the server before building it. A snapshot is applied unless it is older than the newest one
 * applied: same boot and a smaller seq. A different boot (the server restarted) and the first
 * snapshot after a (re)connect are always applied. An equal seq is applied too: the server pushes
 * again without a commit when only the time or the settings changed (a rating window closing).
 *
 * Never innerHTML with data: pages build their DOM with QMS.el (tests/frontend/test_qms_js.py
 * checks the page scripts for it).
 */
(function () {
  "use strict";

  // ---- DOM ----------------------------------------------------------------------------------
  function $(id) { return document.getElementById(id); }

  function append(node, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { append(node, c); }); return; }
    node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }

  /* el("td", "num", "3"); el("li", {cls: "alert", data: {id: 4}, title: "…"}, [el("b", null, "A001"), " → 3"]).
     props: a class name, or {cls, text, data: {...}, attrs: {...}, title, id, type, hidden, style: {...}}.
     children: a string (text), a node, or an array of them. */
  function el(tag, props, children) {
    var node = document.createElement(tag);
    if (typeof props === "string") {
      node.className = props;
    } else if (props) {
      if (props.cls) node.className = props.cls;
      if (props.id) node.id = props.id;
      if (props.title !== undefined && props.title !== null) node.title = String(props.title);
      if (props.type) node.type = props.type;
      if (props.hidden) node.hidden = true;
      if (props.text !== undefined && props.text !== null) node.textContent = String(props.text);
      Object.keys(props.data || {}).forEach(function (k) {
        var v = props.data[k];
        if (v !== undefined && v !== null) node.dataset[k] = String(v);
      });
      Object.keys(props.attrs || {}).forEach(function (k) {
        var v = props.attrs[k];
        if (v !== undefined && v !== null && v !== false) node.setAttribute(k, String(v));
      });
      Object.keys(props.style || {}).forEach(function (k) { node.style.setProperty(k, String(props.style[k])); });
    }
    append(node, children);
    return node;
  }

  function fill(node, children) {
    node.textContent = "";
    append(node, children);
    return node;
  }

  function json(id) { return JSON.parse($(id).textContent); }

  // ---- messages -----------------------------------------------------------------------------
  /* The one placeholder style: {name}. A missing value shows as "—". */
  function fmt(template, values) {
    values = values || {};
    return String(template == null ? "" : template).replace(/\{(\w+)\}/g, function (_, k) {
      var v = values[k];
      return v === undefined || v === null ? "—" : String(v);
    });
  }

  // ---- numbers and dates ---------------------------------------------------------------------
  var MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  function pad2(n) { return (n < 10 ? "0" : "") + n; }

  /* The wall-clock parts of an instant (ms) in a zone: a UTC offset in minutes, or an IANA name
     ("Asia/Ho_Chi_Minh"), or nothing (this machine's zone). */
  function parts(ms, zone) {
    if (typeof zone === "number") {
      var d = new Date(ms + zone * 60000);  // read with getUTC*
      return { y: d.getUTCFullYear(), mo: d.getUTCMonth() + 1, d: d.getUTCDate(), h: d.getUTCHours(),
               mi: d.getUTCMinutes(), s: d.getUTCSeconds(), wd: d.getUTCDay() };
    }
    if (zone) {
      var out = {};
      new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "numeric",
        day: "numeric", hour: "numeric", minute: "numeric", second: "numeric", weekday: "short" })
        .formatToParts(new Date(ms)).forEach(function (p) { out[p.type] = p.value; });
      return { y: Number(out.year), mo: Number(out.month), d: Number(out.day), h: Number(out.hour) % 24,
               mi: Number(out.minute), s: Number(out.second),
               wd: ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"].indexOf(out.weekday) };
    }
    var l = new Date(ms);
    return { y: l.getFullYear(), mo: l.getMonth() + 1, d: l.getDate(), h: l.getHours(), mi: l.getMinutes(),
             s: l.getSeconds(), wd: l.getDay() };
  }

  function toMs(t) {
    if (t instanceof Date) return t.getTime();
    if (typeof t === "string") return Date.parse(t);
    return Number(t);
  }

  /* Formats for a language: "vi" (default) or "en". `none` is what a missing value shows. */
  function locale(lang) {
    var en = lang === "en";
    var group = en ? "," : ".", decimal = en ? "." : ",";

    /* 1234.56 -> "1.234,6" (vi) or "1,234.6" (en): at most `digits` decimals (default 0), no
       trailing zeros. */
    function num(n, digits) {
      if (n === null || n === undefined || n === "" || isNaN(Number(n))) return "—";
      var d = digits == null ? 0 : digits;
      var fixed = Math.abs(Number(n)).toFixed(d);
      var neg = Number(n) < 0 && Number(fixed) !== 0;
      var ip = fixed.split(".")[0], fp = (fixed.split(".")[1] || "").replace(/0+$/, "");
      ip = ip.replace(/\B(?=(\d{3})+(?!\d))/g, group);
      return (neg ? "-" : "") + ip + (fp ? decimal + fp : "");
    }

    function pct(n, digits) { return n === null || n === undefined ? "—" : num(n, digits == null ? 1 : digits) + " %"; }

    /* dd/mm/yyyy (vi) or "12 Mar 2026" (en) */
    function date(t, zone) {
      if (t === null || t === undefined || t === "") return "—";
      var p = parts(toMs(t), zone);
      return en ? p.d + " " + MONTHS_EN[p.mo - 1] + " " + p.y : pad2(p.d) + "/" + pad2(p.mo) + "/" + p.y;
    }

    /* HH:MM, or HH:MM:SS with seconds (24-hour in both languages) */
    function time(t, zone, seconds) {
      if (t === null || t === undefined || t === "") return "—";
      var p = parts(toMs(t), zone);
      return pad2(p.h) + ":" + pad2(p.mi) + (seconds ? ":" + pad2(p.s) : "");
    }

    /* A duration in seconds as M:SS, or H:MM:SS from an hour on; mmss() always MM:SS. */
    function duration(s) {
      if (s === null || s === undefined) return "—";
      s = Math.max(0, Math.floor(s));
      var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
      return h ? h + ":" + pad2(m) + ":" + pad2(sec) : m + ":" + pad2(sec);
    }
    function mmss(s) {
      s = Math.max(0, Math.floor(s || 0));
      return pad2(Math.floor(s / 60)) + ":" + pad2(s % 60);
    }

    return { lang: en ? "en" : "vi", num: num, pct: pct, date: date, time: time, duration: duration, mmss: mmss,
             weekday: function (t, zone) { return parts(toMs(t), zone).wd; } };
  }

  // ---- the server's clock -------------------------------------------------------------------
  /* sync(serverMs, resolutionMs): the server said it was serverMs (to `resolutionMs`, e.g. 1000
     for an ISO time to the second) when it sent the message, so the offset is at least
     serverMs - Date.now(). The estimate is kept while it stays in that band, so seconds do not
     jitter from one message to the next. syncIso(iso) also takes the zone from the ISO offset. */
  function ServerClock() {
    var clock = { offset: null, zone: null };
    clock.sync = function (serverMs, resolutionMs) {
      var res = resolutionMs || 0;
      var low = serverMs - Date.now();
      if (clock.offset === null || clock.offset < low || clock.offset > low + res + 1000) clock.offset = low + res / 2;
      return clock.offset;
    };
    clock.syncIso = function (iso) {
      if (!iso) return clock.offset;
      var m = /([+-])(\d\d):(\d\d)$/.exec(iso);
      clock.zone = m ? (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
      return clock.sync(Date.parse(iso), /\.\d/.test(iso) ? 0 : 1000);
    };
    clock.now = function () { return Date.now() + (clock.offset || 0); };
    clock.known = function () { return clock.offset !== null; };
    clock.since = function (t) { return t ? (clock.now() - toMs(t)) / 1000 : null; };
    return clock;
  }

  // ---- versions ------------------------------------------------------------------------------
  function Versions() {
    var tracker = { last: null, applied: 0, dropped: 0 };
    /* Is a message with version v older than the newest applied? */
    tracker.older = function (v) {
      var last = tracker.last;
      return !!(v && last && v.boot === last.boot && v.seq < last.seq);
    };
    /* Apply-or-not for a snapshot; remembers v when applied. */
    tracker.accept = function (v) {
      if (tracker.older(v)) { tracker.dropped += 1; return false; }
      if (v) tracker.last = { boot: v.boot, seq: v.seq };
      tracker.applied += 1;
      return true;
    };
    /* The last applied snapshot already reflects the commit with version v. */
    tracker.covers = function (v) {
      var last = tracker.last;
      return !!(v && last && v.boot === last.boot && v.seq <= last.seq);
    };
    tracker.reset = function () { tracker.last = null; };
    /* Nothing applied since the last reset: the next snapshot is a connection's first. */
    tracker.fresh = function () { return tracker.last === null; };
    return tracker;
  }

  // ---- connection ----------------------------------------------------------------------------
  /* connect("/display", {auth, onStatus(online, reason), reconnectionDelay, reconnectionDelayMax}).
     Returns {socket, versions, connects, on(event, fn), onSnapshot(event, fn)}: onSnapshot's fn is
     called only for snapshots the version rule accepts. onStatus(false, reason) on a refusal
     gives the server's reason (e.g. "unauthorized", "forbidden"). */
  function connect(namespace, opts) {
    opts = opts || {};
    var options = {
      transports: ["websocket"],  // no long-polling on a LAN: one connection, no sticky sessions
      reconnectionDelay: opts.reconnectionDelay || 500,
      reconnectionDelayMax: opts.reconnectionDelayMax || 5000
    };
    if (opts.auth) options.auth = opts.auth;
    var socket = io(namespace, options);
    var link = { socket: socket, versions: Versions(), connects: 0, online: false };
    function status(online, reason) {
      link.online = online;
      if (opts.onStatus) opts.onStatus(online, reason);
    }
    // The first snapshot after a (re)connect is always applied. The server sends it from its
    // connect handler, and the client hands such events over before its own "connect": so the
    // versions are reset when the transport opens, before anything of the new connection.
    socket.io.on("open", function () { link.versions.reset(); });
    socket.on("connect", function () {
      link.connects += 1;
      status(true, null);
    });
    socket.on("disconnect", function (reason) { status(false, reason || "disconnect"); });
    socket.on("connect_error", function (err) { status(false, (err && err.message) || "connect_error"); });
    link.on = function (event, fn) { socket.on(event, fn); return link; };
    link.onSnapshot = function (event, fn) {
      socket.on(event, function (snap) {
        if (snap && link.versions.accept(snap.v)) fn(snap);
      });
      return link;
    };
    return link;
  }

  // ---- ids -------------------------------------------------------------------------------------
  /* A random (version 4) UUID. crypto.randomUUID() exists only on https or localhost, and a
     center's LAN serves plain http, so build it from getRandomValues. */
  function uuid4() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x < 16 ? "0" : "") + x.toString(16); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  window.QMS = { $: $, el: el, fill: fill, json: json, fmt: fmt, locale: locale, ServerClock: ServerClock,
                 Versions: Versions, connect: connect, uuid4: uuid4 };
})();
