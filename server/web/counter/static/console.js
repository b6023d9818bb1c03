/* The officer's counter console.
 *
 * The view comes live over Socket.IO (/counter); actions go to POST /api/counters/<n>/<action>
 * with a request id. An action whose answer was lost is sent again with the same id, so the
 * server applies it once. While the socket is down the console refuses to act.
 * Shared helpers (DOM, formats, the connection, snapshot versions) come from QMS (../qms.js).
 */
(function () {
  "use strict";

  var $ = QMS.$, el = QMS.el, fmt = QMS.fmt;
  var boot = QMS.json("boot");
  var T = QMS.json("strings");
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var en = boot.lang === "en";
  var L = QMS.locale(boot.lang);
  var clock = QMS.ServerClock();
  var link = null;  // the /counter connection (QMS.connect)

  var state = {
    view: null,       // the last counter view pushed by the server
    online: false,    // the /counter socket is connected
    pending: null,    // {action, body, inflight} while an action awaits its answer
    panel: null,      // "finish" | "transfer" | null
    gone: false,      // the officer is no longer signed in at this counter
    keys: 0,          // shortcut keys handled, and actions sent: tests read them (window.qmsConsole)
    sent: 0
  };
  window.qmsConsole = { state: state };

  var KEYS = { g: "next", l: "recall", b: "serve", h: "finish", v: "no-show", c: "transfer", t: "pause-toggle" };


  function serviceName(item) { return (en && item.name_en) ? item.name_en : item.name; }

  // Which actions make sense in the counter's state (the server refuses the others anyway).
  function allowed(v) {
    if (!v) return {};
    var t = v.ticket, paused = v.state === "paused";
    return {
      "next": !paused && v.waiting > 0,
      "recall": !!t,
      "serve": !!t && t.state === "called",
      "finish": !!t,
      "no-show": !!t && t.state === "called",
      "transfer": !!t && transferTargets(v).length > 0,
      "pause-toggle": paused || !t,
      "requeue": true
    };
  }

  function transferTargets(v) {
    if (!v || !v.ticket) return [];
    return v.transfer_to.filter(function (s) { return s.code !== v.ticket.service; });
  }

  function canAct() { return state.online && !state.pending && !state.gone && state.view; }

  // -- rendering ---------------------------------------------------------------------------
  function render() {
    var v = state.view, ok = allowed(v), live = canAct();
    var link = $("link");
    link.textContent = state.online ? T.connected : T.offline;
    link.className = "link " + (state.online ? "online" : "offline");
    $("offline").hidden = state.online || state.gone;
    $("gone").hidden = !state.gone;
    document.body.classList.toggle("is-offline", !state.online);
    document.querySelectorAll("#actions button").forEach(function (btn) {
      btn.disabled = !live || !ok[btn.dataset.action];
    });
    document.querySelectorAll("#noshows button").forEach(function (btn) { btn.disabled = !live; });
    if (!v) return;
    var paused = v.state === "paused";
    $("pause-label").textContent = paused ? T.resume : T.pause;
    $("pause").classList.toggle("resume", paused);
    document.body.classList.toggle("is-paused", paused);
    renderTicket(v);
    renderQueues(v);
    renderNoShows(v);
    renderToday(v.today);
    if (state.panel && !(state.panel === "finish" ? ok.finish : ok.transfer) ) closePanel();
  }

  function renderTicket(v) {
    var t = v.ticket;
    $("ticket").classList.toggle("empty", !t);
    $("ticket-priority").hidden = !(t && t.priority);
    if (!t) {
      $("ticket-code").textContent = "—";
      $("ticket-service").textContent = v.state === "paused" ? T.paused : (v.waiting > 0 ? T.none : T.empty);
      $("ticket-state").textContent = "";
      $("ticket-timer").textContent = "";
      return;
    }
    $("ticket-code").textContent = t.code;
    $("ticket-service").textContent = (en && t.service_name_en) ? t.service_name_en : t.service_name;
    $("ticket-state").textContent = t.state === "serving" ? T.state_serving : T.state_called;
    tick();
  }

  function tick() {
    var v = state.view;
    if (!v || !v.ticket) return;
    var t = v.ticket;
    var since = t.state === "serving" && t.started_ts ? t.started_ts : t.called_ts;
    $("ticket-timer").textContent = L.mmss(clock.now() / 1000 - since);
  }

  function renderQueues(v) {
    $("waiting-total").textContent = L.num(v.waiting);
    QMS.fill($("queues"), v.queues.map(function (q) {
      return el("div", { cls: "queue", data: { service: q.service } }, [
        el("div", "queue-head", serviceName(q) + " — " + L.num(q.waiting) + " " + T.waiting),
        el("div", "chips", q.next.map(function (n) {
          return el("span", { cls: "chip" + (n.priority ? " prio" : ""), title: n.priority ? T.priority : null }, n.code);
        }))
      ]);
    }));
  }

  function renderNoShows(v) {
    $("noshow-card").hidden = !v.no_shows.length;
    QMS.fill($("noshows"), v.no_shows.map(function (n) {
      var btn = el("button", "small", T.requeue);
      btn.disabled = !canAct();
      btn.addEventListener("click", function () { act("requeue", { ticket: n.id }); });
      return el("li", null, [el("span", "chip", n.code), btn]);
    }));
  }

  function renderToday(t) {
    if (!t) return;
    $("served").textContent = L.num(t.served);
    $("avg").textContent = t.avg_service_s == null ? "—" : L.mmss(t.avg_service_s);
    $("noshow-count").textContent = L.num(t.no_show);
    $("ratings-count").textContent = L.num(t.ratings_counted);
    $("rate").textContent = L.pct(t.satisfaction_rate);
    QMS.fill($("levels"), ["5", "4", "3", "2", "1"].filter(function (score) {
      return t.ratings[score] || boot.labels[score];
    }).map(function (score) {
      return el("li", { data: { score: score } }, (boot.labels[score] || score) + ": " + L.num(t.ratings[score] || 0));
    }));
  }

  function message(text, kind) {
    var p = $("message");
    p.textContent = text || "";
    p.className = "message " + (kind || "");
  }

  function toast(text) {
    var box = $("toast");
    box.textContent = text;
    box.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { box.hidden = true; }, 6000);
  }

  // -- panels (finish with a dossier code, transfer pick list) ------------------------------
  function openPanel(name) {
    closePanel();
    state.panel = name;
    if (name === "finish") {
      $("finish-panel").hidden = false;
      $("dossier").value = "";
      $("dossier").focus();
    } else {
      QMS.fill($("transfer-list"), transferTargets(state.view).map(function (s, i) {
        var btn = el("button", { type: "button", data: { service: s.code } },
                     [el("kbd", null, String(i + 1)), " ", serviceName(s)]);
        btn.addEventListener("click", function () { closePanel(); act("transfer", { service: s.code }); });
        return btn;
      }));
      $("transfer-panel").hidden = false;
    }
  }

  function closePanel() {
    state.panel = null;
    $("finish-panel").hidden = true;
    $("transfer-panel").hidden = true;
    if (document.activeElement && document.activeElement.id === "dossier") document.activeElement.blur();
  }

  // -- acting ------------------------------------------------------------------------------
  function press(action) {
    if (!canAct() || !allowed(state.view)[action]) return;
    if (action === "finish") return openPanel("finish");
    if (action === "transfer") return openPanel("transfer");
    if (action === "pause-toggle") return act(state.view.state === "paused" ? "resume" : "pause");
    act(action);
  }

  function act(action, extra) {
    if (!canAct()) return;
    var body = { id: QMS.uuid4() };
    // Name the ticket in hand, so a stale screen cannot act on a ticket that has moved on.
    if (state.view.ticket && ["recall", "serve", "finish", "no-show", "transfer"].indexOf(action) >= 0) {
      body.ticket = state.view.ticket.id;
    }
    Object.keys(extra || {}).forEach(function (k) { body[k] = extra[k]; });
    state.pending = { action: action, body: body, inflight: false };
    message(T.sending, "");
    render();
    send();
  }

  function send() {
    var p = state.pending;
    if (!p || p.inflight) return;
    p.inflight = true;
    state.sent += 1;
    fetch("/api/counters/" + boot.counter + "/" + p.action + "?lang=" + encodeURIComponent(boot.lang), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(p.body)
    }).then(function (res) {
      return res.json().then(function (data) { return { status: res.status, data: data }; });
    }).then(function (answer) {
      p.inflight = false;
      if (answer.status >= 500) return retry(p);
      state.pending = null;
      if (answer.data.ok) {
        message(describe(p.action, answer.data.result), "ok");
        refresh();  // show the new state now, not at the next coalesced push
      } else {
        message(answer.data.message, "error");
        if (answer.status === 401) message(T.session_lost, "error");
      }
      render();
    }).catch(function () {
      // No answer: the server may or may not have applied it. Same id again, once reachable.
      p.inflight = false;
      retry(p);
    });
  }

  // The counter's view over HTTP, right after an action.
  function refresh() {
    fetch("/api/counters/" + boot.counter + "?lang=" + encodeURIComponent(boot.lang), { credentials: "same-origin" })
      .then(function (res) { return res.json(); })
      .then(function (data) { if (data.ok) applyView(data.counter); })
      .catch(function () { /* the next push brings it */ });
  }

  // A view replaces the shown one unless it is older (a slow answer overtaken by a push): pushed
  // and fetched views carry the same versions (QMS.Versions).
  function applyView(v) {
    if (!v || !link.versions.accept(v.v)) return;
    state.view = v;
    clock.sync(v.now_ts * 1000, 0);
    state.gone = !v.officer || v.officer.id !== boot.user.id;
    render();
  }

  function retry(p) {
    message(T.retrying, "warn");
    setTimeout(function () {
      if (state.pending === p && state.online) send();
    }, 1000);
  }

  function describe(action, r) {
    r = r || {};
    if (action === "next" && r.finished) return fmt(T.done_next_finished, { code: r.ticket, finished: r.finished });
    var service = r.service;
    (state.view ? state.view.transfer_to : []).forEach(function (s) { if (s.code === r.service) service = serviceName(s); });
    return fmt(T["done_" + action] || "", { code: r.ticket, service: service });
  }

  // -- wiring ------------------------------------------------------------------------------
  document.querySelectorAll("#actions button").forEach(function (btn) {
    btn.addEventListener("click", function () {
      btn.blur();  // else a later Space or Enter would press it again
      press(btn.dataset.action);
    });
  });
  $("finish-panel").addEventListener("submit", function (e) {
    e.preventDefault();
    var code = $("dossier").value.trim();
    closePanel();
    act("finish", code ? { dossier_code: code } : {});
  });
  document.querySelectorAll("[data-close]").forEach(function (btn) { btn.addEventListener("click", closePanel); });

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.altKey || e.metaKey || e.repeat) return;  // a held key acts once
    state.keys += 1;
    if (state.panel) {
      if (e.key === "Escape") { e.preventDefault(); closePanel(); }
      if (state.panel === "transfer" && /^[1-9]$/.test(e.key)) {
        var btn = $("transfer-list").children[Number(e.key) - 1];
        if (btn) { e.preventDefault(); btn.click(); }
      }
      return;
    }
    var tag = e.target && e.target.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") return;
    var action = KEYS[(e.key || "").toLowerCase()];
    if (!action) return;
    e.preventDefault();
    press(action);
  });

  link = QMS.connect("/counter", {
    auth: { counter: boot.counter },
    onStatus: function (online, reason) {
      var was = state.online;
      state.online = online;
      if (online) {
        render();
        if (state.pending) send();
        return;
      }
      if (was) closePanel();
      if (reason === "forbidden" || reason === "unknown_counter") state.gone = true;
      if (reason === "unauthorized") message(T.session_lost, "error");
      render();
    }
  });
  link.on("counter", applyView);
  link.on("rating_received", function (r) {
    toast(fmt(T.rating_received, { n: r.ratings_counted }));
  });
  setInterval(tick, 1000);
  render();
})();
