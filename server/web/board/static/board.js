/* The supervisors' live board: renders each snapshot pushed on the /board namespace.
   Timers (how long a number has been in hand, the longest wait) tick every second from the
   server's clock, so a board whose computer clock is wrong still shows the right durations.
   Shared helpers (DOM, formats, the connection, snapshot versions) come from QMS (../qms.js);
   everything is built as elements, never as HTML text. */
(function () {
  "use strict";
  var $ = QMS.$, el = QMS.el, fill = QMS.fill, fmt = QMS.fmt;
  var boot = QMS.json("boot");
  var T = QMS.json("strings");
  var lang = boot.lang === "en" ? "en" : "vi";
  var L = QMS.locale(lang);
  var clock = QMS.ServerClock();
  var state = { snap: null, online: false, refused: false };
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var link = null;  // the /board connection (QMS.connect)
  var versions = QMS.Versions();  // the page's own snapshot until the socket connects

  function num(n, digits) { return n == null ? T.none : L.num(n, digits); }
  function pct(n) { return n == null ? T.none : L.pct(n, 1); }
  function mins(s) { return s == null ? T.none : L.num(s / 60, 1); }
  function minutes(s) { return s == null ? T.none : fmt(T.minutes, { n: mins(s) }); }
  function clockText(s) { return s == null ? T.none : L.duration(s); }
  function hhmm(iso, seconds) { return iso ? L.time(iso, state.snap.timezone, seconds) : T.none; }

  function alertText(a) {
    var data = {};
    Object.keys(a.data || {}).forEach(function (k) {
      data[k] = (k === "last_seen" || k === "since") ? hhmm(a.data[k]) : a.data[k];
    });
    var text = fmt(T.alert[a.kind] || a.kind, data);
    if (a.kind === "low_ratings" && a.data.officer) text += fmt(T.officer_suffix, a.data);
    return text;
  }
  function ackedBy(a) {
    return a.acked_at ? " · " + fmt(T.acked_by, { who: a.acked_by_name || a.acked_by, at: hhmm(a.acked_at) }) : "";
  }
  function renderAlerts(list) {
    var open = list.filter(function (a) { return a.open; });
    var closed = list.filter(function (a) { return !a.open; });
    $("alert-count").textContent = open.length ? String(open.length) : "";
    fill($("alerts"), open.length ? open.map(function (a) {
      return el("li", { cls: "alert" + (a.acked_at ? " acked" : ""), data: { id: a.id, kind: a.kind } }, [
        el("span", "text", alertText(a)),
        el("span", "meta", fmt(T.opened_at, { at: hhmm(a.opened_at, true) }) + ackedBy(a)),
        a.acked_at ? null : el("button", { type: "button", cls: "ack", attrs: { "data-ack": a.id } }, T.ack)
      ]);
    }) : el("li", "empty", T.no_alerts));
    fill($("closed-alerts"), closed.map(function (a) {
      return el("li", { cls: "alert closed", data: { id: a.id, kind: a.kind } }, [
        el("span", "text", alertText(a)),
        el("span", "meta", fmt(T.opened_at, { at: hhmm(a.opened_at) }) + " · " +
           fmt(T.closed_at, { at: hhmm(a.closed_at) }) + ackedBy(a))
      ]);
    }));
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
    fill($("levels"), ["5", "4", "3", "2", "1"].filter(function (s) { return t.ratings[s]; }).map(function (s) {
      var n = t.ratings[s];
      return el("div", { cls: "lv" + s, title: (labels[s] || s) + ": " + n, style: { flex: String(n) } }, String(n));
    }));
    $("k-rating-note").textContent = fmt(T.rating_note, {
      n: num(total), rate: pct(t.response_rate), stray: num(t.unattributed), dup: num(t.duplicates) });
    $("levels").title = total ? "" : T.none;
  }

  function renderCounters(list) {
    fill($("counters"), list.map(function (c) {
      var t = c.ticket;
      return el("div", { cls: "counter " + c.state + (t ? " busy" : ""), id: "counter-" + c.number, data: { number: c.number } }, [
        el("div", "head", [el("span", null, c.name), el("span", "state", c.state === "paused" ? T.paused : T.open)]),
        el("div", "code" + (t ? "" : " none"), t ? t.code : "—"),
        t ? el("div", { cls: "held", attrs: { "data-since": t.called_at, "data-label": t.state === "serving" ? T.serving : T.called } })
          : el("div", "held", T.idle),
        el("div", "officer" + (c.officer ? "" : " none"), c.officer ? c.officer.name : T.no_officer),
        el("div", "svc", c.service_names.join(", ") + " · " + fmt(T.waiting_n, { n: num(c.waiting) }))
      ]);
    }));
  }

  function cell(cls, text) { return el("td", cls, text == null ? "" : String(text)); }

  function renderServices(list, th) {
    var limit = (th.alert_wait_min || 30) * 60;
    fill($("services").tBodies[0], list.map(function (s) {
      return el("tr", { data: { code: s.code } }, [
        cell(null, lang === "en" ? (s.name_en || s.name) : s.name),
        cell("n", num(s.waiting)),
        el("td", { cls: "n longest", attrs: { "data-since": s.oldest_issued_at || "", "data-limit": limit } },
           clockText(s.longest_wait_s)),
        cell("n", s.waiting || s.eta_minutes ? fmt(T.minutes, { n: num(s.eta_minutes) }) : T.none),
        cell("n", num(s.issued)), cell("n", num(s.served))
      ]);
    }));
  }

  function satClass(rate) {
    if (rate == null) return "";
    return rate >= 80 ? "good" : rate >= 60 ? "warn" : "bad";
  }
  function renderOfficers(list) {
    fill($("officers").tBodies[0], list.map(function (o) {
      return el("tr", { data: { officer: o.username } }, [
        cell(null, o.name), cell("n", o.counter || T.none), cell("n", num(o.served)), cell("n", minutes(o.avg_service_s))
      ].concat(["5", "4", "3", "2", "1"].map(function (s) { return cell("n", num(o.ratings[s])); })).concat([
        el("td", "n sat " + satClass(o.satisfaction_rate), [pct(o.satisfaction_rate) + " ",
                                                             el("small", null, "(" + num(o.ratings_counted) + ")")]),
        cell("n" + (o.unattributed ? " warn" : ""), num(o.unattributed)), cell("n", num(o.duplicates))
      ]));
    }));
  }

  function renderDevices(list) {
    fill($("devices").tBodies[0], list.map(function (d) {
      var conn = d.online ? el("span", "pill on conn", T.online)
        : el("span", "pill " + (d.last_seen ? "off" : "never") + " conn", d.last_seen ? T.offline : T.never);
      var printer = d.printer ? T.printer[d.printer] || d.printer : T.none;
      var pcls = { paper_low: "warn", paper_out: "bad", offline: "bad" }[d.printer] || "";
      var roles = d.roles.map(function (r) { return T.roles[r] || r; }).join(", ");
      var seen = !d.online && d.last_seen ? [" ", el("small", "seen", fmt(T.since, { at: hhmm(d.last_seen, true) }))] : null;
      return el("tr", { id: "device-" + d.id, cls: d.online ? "online" : "offline" }, [
        el("td", { title: d.id + " · " + roles }, d.name || d.id),
        cell("n", d.counter || T.none),
        el("td", null, [conn, seen]),
        el("td", "printer", pcls ? el("span", "pill " + pcls, printer) : printer),
        cell("n outbox" + (d.outbox ? " warn" : ""), d.outbox == null ? T.none : num(d.outbox))
      ]);
    }));
  }

  function renderCalls(list) {
    fill($("calls"), list.map(function (c) {
      return el("li", { data: { id: c.id } }, [
        el("b", null, c.code), " → " + fmt(T.to_counter, { counter: c.counter }) + " ",
        el("small", null, hhmm(c.at, true) + (c.recall ? " · " + T.recall : ""))
      ]);
    }));
  }

  function render() {
    var s = state.snap;
    if (!s) return;
    $("center").textContent = s.center_name;
    $("day").textContent = L.date(s.day + "T12:00:00Z", 0);  // dd/mm/yyyy (the day is ISO on the wire)
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
    if (s && s.timezone) $("clock").textContent = L.time(clock.now(), s.timezone, true);
    document.querySelectorAll(".counter .held[data-since]").forEach(function (node) {
      var secs = clock.since(node.getAttribute("data-since"));
      node.textContent = node.getAttribute("data-label") + " " + clockText(secs);
      node.classList.toggle("long", secs > 20 * 60);
    });
    document.querySelectorAll("td.longest[data-since]").forEach(function (node) {
      var iso = node.getAttribute("data-since");
      if (!iso) { node.textContent = T.none; return; }
      var secs = clock.since(iso);
      node.textContent = clockText(secs);
      node.classList.toggle("bad", secs > Number(node.getAttribute("data-limit")));
    });
  }

  function setLink(online) {
    state.online = online;
    var box = $("link");
    box.textContent = online ? T.link_ok : T.link_lost;
    box.classList.toggle("online", online);
    $("lost").hidden = online && !state.refused;
    if (!online) $("lost").textContent = state.refused ? T.refused : T.link_lost;
  }

  // A snapshot replaces the shown one unless it is older (QMS.Versions).
  function apply(snap) {
    if (!snap || !versions.accept(snap.v)) return;
    clock.sync(snap.now_ts * 1000, 0);
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

  apply(boot.snapshot);
  link = QMS.connect("/board", {
    onStatus: function (online, reason) {
      if (online) state.refused = false;
      else if (reason === "unauthorized") state.refused = true;
      setLink(online);
    }
  });
  versions = link.versions;
  link.on("board", apply);
  link.on("called", function (call) {
    var card = $("counter-" + call.counter);
    if (card) { card.classList.add("flash"); setTimeout(function () { card.classList.remove("flash"); }, 1500); }
  });
  setInterval(tick, 1000);
})();
