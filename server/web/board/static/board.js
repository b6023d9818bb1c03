/* The supervisors' live board: renders each snapshot pushed on the /board namespace.
   Timers (how long a number has been in hand, the longest wait) tick every second from the
   server's clock, so a board whose computer clock is wrong still shows the right durations. */
(function () {
  "use strict";
  var boot = JSON.parse(document.getElementById("boot").textContent);
  var T = JSON.parse(document.getElementById("strings").textContent);
  var lang = boot.lang === "en" ? "en" : "vi";
  var state = { snap: boot.snapshot, offset: 0, online: false, refused: false };
  var csrf = document.querySelector('meta[name="csrf-token"]').content;

  function $(id) { return document.getElementById(id); }
  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function fmt(template, params) {
    return String(template).replace(/%\((\w+)\)s/g, function (_, k) { return params[k] == null ? "—" : params[k]; });
  }
  function num(n, digits) {
    if (n == null) return T.none;
    return Number(n).toLocaleString(lang === "en" ? "en-GB" : "vi-VN",
      { maximumFractionDigits: digits == null ? 0 : digits, minimumFractionDigits: 0 });
  }
  function pct(n) { return n == null ? T.none : num(n, 1) + " %"; }
  function mins(s) { return s == null ? T.none : num(s / 60, 1); }
  function minutes(s) { return s == null ? T.none : fmt(T.minutes, { n: mins(s) }); }
  function clock(s) {
    if (s == null) return T.none;
    s = Math.max(0, Math.floor(s));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    var mm = (h ? String(m).padStart(2, "0") : String(m)) + ":" + String(sec).padStart(2, "0");
    return h ? h + ":" + mm : mm;
  }
  function serverNow() { return Date.now() + state.offset; }
  function since(iso) { return iso ? (serverNow() - Date.parse(iso)) / 1000 : null; }
  function hhmm(iso, seconds) {
    if (!iso) return T.none;
    var opts = { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: state.snap.timezone };
    if (seconds) opts.second = "2-digit";
    return new Date(Date.parse(iso)).toLocaleTimeString(lang === "en" ? "en-GB" : "vi-VN", opts);
  }

  function alertText(a) {
    var data = {};
    Object.keys(a.data || {}).forEach(function (k) {
      data[k] = (k === "last_seen" || k === "since") ? hhmm(a.data[k]) : a.data[k];
    });
    var text = fmt(T.alert[a.kind] || a.kind, data);
    if (a.kind === "low_ratings" && a.data.officer) text += fmt(T.officer_suffix, a.data);
    return text;
  }
  function renderAlerts(list) {
    var open = list.filter(function (a) { return a.open; });
    var closed = list.filter(function (a) { return !a.open; });
    $("alert-count").textContent = open.length ? String(open.length) : "";
    $("alerts").innerHTML = open.length ? open.map(function (a) {
      var meta = fmt(T.opened_at, { at: hhmm(a.opened_at, true) });
      if (a.acked_at) meta += " · " + fmt(T.acked_by, { who: esc(a.acked_by_name || a.acked_by), at: hhmm(a.acked_at) });
      return '<li class="alert' + (a.acked_at ? " acked" : "") + '" data-id="' + a.id + '" data-kind="' + a.kind + '">' +
        '<span class="text">' + esc(alertText(a)) + '</span><span class="meta">' + meta + "</span>" +
        (a.acked_at ? "" : '<button type="button" class="ack" data-ack="' + a.id + '">' + esc(T.ack) + "</button>") + "</li>";
    }).join("") : '<li class="empty">' + esc(T.no_alerts) + "</li>";
    $("closed-alerts").innerHTML = closed.map(function (a) {
      var meta = fmt(T.opened_at, { at: hhmm(a.opened_at) }) + " · " + fmt(T.closed_at, { at: hhmm(a.closed_at) });
      if (a.acked_at) meta += " · " + fmt(T.acked_by, { who: esc(a.acked_by_name || a.acked_by), at: hhmm(a.acked_at) });
      return '<li class="alert closed" data-id="' + a.id + '" data-kind="' + a.kind + '"><span class="text">' +
        esc(alertText(a)) + '</span><span class="meta">' + meta + "</span></li>";
    }).join("");
    $("closed-alerts-box").hidden = !closed.length;
  }

  function renderToday(t, th) {
    $("k-issued").textContent = num(t.issued);
    $("k-served").textContent = num(t.served);
    $("k-waiting").textContent = num(t.waiting);
    $("k-no-show").textContent = num(t.no_show);
    $("k-avg-wait").textContent = mins(t.avg_wait_s);
    $("k-p90-wait").textContent = mins(t.p90_wait_s);
    $("k-avg-service").textContent = mins(t.avg_service_s);
    $("k-satisfaction").textContent = pct(t.satisfaction_rate);
    var labels = th.rating_labels || {};
    var total = t.ratings_counted || 0;
    $("levels").innerHTML = ["5", "4", "3", "2", "1"].map(function (s) {
      var n = t.ratings[s] || 0;
      if (!n) return "";
      return '<div class="lv' + s + '" style="flex:' + n + '" title="' + esc(labels[s] || s) + ": " + n + '">' + n + "</div>";
    }).join("");
    $("k-rating-note").textContent = (lang === "en"
      ? "Ratings counted " + num(total) + " · response rate " + pct(t.response_rate) + " · presses not linked to a ticket " + num(t.unattributed) + " · repeated presses " + num(t.duplicates)
      : "Đánh giá được tính " + num(total) + " · tỷ lệ phản hồi " + pct(t.response_rate) + " · bấm không gắn phiếu " + num(t.unattributed) + " · bấm trùng " + num(t.duplicates));
    $("levels").title = total ? "" : T.none;
  }

  function renderCounters(list) {
    $("counters").innerHTML = list.map(function (c) {
      var t = c.ticket;
      var cls = "counter " + c.state + (t ? " busy" : "");
      return '<div class="' + cls + '" id="counter-' + c.number + '" data-number="' + c.number + '">' +
        '<div class="head"><span>' + esc(c.name) + '</span><span class="state">' + esc(c.state === "paused" ? T.paused : T.open) + "</span></div>" +
        '<div class="code' + (t ? "" : " none") + '">' + esc(t ? t.code : "—") + "</div>" +
        (t ? '<div class="held" data-since="' + esc(t.called_at) + '" data-label="' + esc(t.state === "serving" ? T.serving : T.called) + '"></div>'
           : '<div class="held">' + esc(T.idle) + "</div>") +
        '<div class="officer' + (c.officer ? "" : " none") + '">' + esc(c.officer ? c.officer.name : T.no_officer) + "</div>" +
        '<div class="svc">' + esc(c.service_names.join(", ")) + " · " + esc(fmt(T.waiting_n, { n: num(c.waiting) })) + "</div></div>";
    }).join("");
  }

  function renderServices(list, th) {
    var limit = (th.alert_wait_min || 30) * 60;
    $("services").tBodies[0].innerHTML = list.map(function (s) {
      return '<tr data-code="' + esc(s.code) + '"><td>' + esc(lang === "en" ? (s.name_en || s.name) : s.name) + "</td>" +
        '<td class="n">' + num(s.waiting) + "</td>" +
        '<td class="n longest" data-since="' + esc(s.oldest_issued_at || "") + '" data-limit="' + limit + '">' + clock(s.longest_wait_s) + "</td>" +
        '<td class="n">' + (s.waiting || s.eta_minutes ? fmt(T.minutes, { n: num(s.eta_minutes) }) : T.none) + "</td>" +
        '<td class="n">' + num(s.issued) + '</td><td class="n">' + num(s.served) + "</td></tr>";
    }).join("");
  }

  function satClass(rate) {
    if (rate == null) return "";
    return rate >= 80 ? "good" : rate >= 60 ? "warn" : "bad";
  }
  function renderOfficers(list) {
    $("officers").tBodies[0].innerHTML = list.map(function (o) {
      return '<tr data-officer="' + esc(o.username) + '"><td>' + esc(o.name) + '</td><td class="n">' + (o.counter || T.none) + "</td>" +
        '<td class="n">' + num(o.served) + '</td><td class="n">' + minutes(o.avg_service_s) + "</td>" +
        ["5", "4", "3", "2", "1"].map(function (s) { return '<td class="n">' + num(o.ratings[s]) + "</td>"; }).join("") +
        '<td class="n sat ' + satClass(o.satisfaction_rate) + '">' + pct(o.satisfaction_rate) + ' <small>(' + num(o.ratings_counted) + ")</small></td>" +
        '<td class="n' + (o.unattributed ? " warn" : "") + '">' + num(o.unattributed) + '</td><td class="n">' + num(o.duplicates) + "</td></tr>";
    }).join("");
  }

  function renderDevices(list) {
    $("devices").tBodies[0].innerHTML = list.map(function (d) {
      var conn = d.online ? '<span class="pill on conn">' + esc(T.online) + "</span>"
        : '<span class="pill ' + (d.last_seen ? "off" : "never") + ' conn">' + esc(d.last_seen ? T.offline : T.never) + "</span>";
      var printer = d.printer ? T.printer[d.printer] || d.printer : T.none;
      var pcls = { paper_low: "warn", paper_out: "bad", offline: "bad" }[d.printer] || "";
      var roles = d.roles.map(function (r) { return T.roles[r] || r; }).join(", ");
      var seen = !d.online && d.last_seen ? ' <small class="seen">' + esc(fmt(T.since, { at: hhmm(d.last_seen, true) })) + "</small>" : "";
      return '<tr id="device-' + esc(d.id) + '" class="' + (d.online ? "online" : "offline") + '"><td title="' + esc(d.id + " · " + roles) + '">' +
        esc(d.name || d.id) + "</td>" +
        '<td class="n">' + (d.counter || T.none) + "</td><td>" + conn + seen + "</td>" +
        '<td class="printer">' + (pcls ? '<span class="pill ' + pcls + '">' + esc(printer) + "</span>" : esc(printer)) + "</td>" +
        '<td class="n outbox' + (d.outbox ? " warn" : "") + '">' + (d.outbox == null ? T.none : num(d.outbox)) + "</td></tr>";
    }).join("");
  }

  function renderCalls(list) {
    $("calls").innerHTML = list.map(function (c) {
      return "<li><b>" + esc(c.code) + "</b> → " + esc(lang === "en" ? "counter " : "quầy ") + c.counter +
        ' <small>' + hhmm(c.at, true) + (c.recall ? " · " + esc(T.recall) : "") + "</small></li>";
    }).join("");
  }

  function render() {
    var s = state.snap;
    if (!s) return;
    $("center").textContent = s.center_name;
    $("day").textContent = s.day;
    renderAlerts(s.alerts);
    renderToday(s.today, s.thresholds);
    renderCounters(s.counters);
    renderServices(s.services, s.thresholds);
    renderOfficers(s.officers);
    renderDevices(s.devices);
    renderCalls(s.recent_calls);
    tick();
  }

  function tick() {
    var s = state.snap;
    if (s && s.timezone) {
      $("clock").textContent = new Date(serverNow()).toLocaleTimeString("vi-VN",
        { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false, timeZone: s.timezone });
    }
    document.querySelectorAll(".counter .held[data-since]").forEach(function (el) {
      var secs = since(el.getAttribute("data-since"));
      el.textContent = el.getAttribute("data-label") + " " + clock(secs);
      el.classList.toggle("long", secs > 20 * 60);
    });
    document.querySelectorAll("td.longest[data-since]").forEach(function (el) {
      var iso = el.getAttribute("data-since");
      if (!iso) { el.textContent = T.none; return; }
      var secs = since(iso);
      el.textContent = clock(secs);
      el.classList.toggle("bad", secs > Number(el.getAttribute("data-limit")));
    });
  }

  function setLink(online) {
    state.online = online;
    var link = $("link");
    link.textContent = online ? T.link_ok : T.link_lost;
    link.classList.toggle("online", online);
    $("lost").hidden = online && !state.refused;
    if (!online) $("lost").textContent = state.refused ? T.refused : T.link_lost;
  }

  function apply(snap) {
    state.offset = snap.now_ts * 1000 - Date.now();
    state.snap = snap;
    render();
  }

  document.addEventListener("click", function (e) {
    var btn = e.target.closest && e.target.closest("button[data-ack]");
    if (!btn) return;
    btn.disabled = true;
    fetch("/api/board/alerts/" + btn.getAttribute("data-ack") + "/ack", {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Content-Type": "application/json", "Accept-Language": lang },
    }).then(function (r) { return r.json(); }).then(function (body) {
      if (!body.ok) throw new Error(body.message || body.error);
      var a = body.alert;
      state.snap.alerts = state.snap.alerts.map(function (x) { return x.id === a.id ? a : x; });
      renderAlerts(state.snap.alerts);
    }).catch(function (err) {
      btn.disabled = false;
      $("lost").hidden = false;
      $("lost").textContent = fmt(T.ack_failed, { msg: err.message });
    });
  });

  if (state.snap) apply(state.snap);
  var socket = io("/board", { transports: ["websocket"] });
  socket.on("connect", function () { state.refused = false; setLink(true); });
  socket.on("disconnect", function () { setLink(false); });
  socket.on("connect_error", function (err) {
    if (err && err.message === "unauthorized") state.refused = true;
    setLink(false);
  });
  socket.on("board", apply);
  socket.on("called", function (call) {
    var card = $("counter-" + call.counter);
    if (card) { card.classList.add("flash"); setTimeout(function () { card.classList.remove("flash"); }, 1500); }
  });
  setInterval(tick, 1000);
})();
