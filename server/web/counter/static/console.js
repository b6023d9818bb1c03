/* The officer's counter console.
 *
 * The view comes live over Socket.IO (/counter); actions go to POST /api/counters/<n>/<action>
 * with a request id. An action whose answer was lost is sent again with the same id, so the
 * server applies it once. While the socket is down the console refuses to act.
 */
(function () {
  "use strict";

  var boot = JSON.parse(document.getElementById("boot").textContent);
  var T = JSON.parse(document.getElementById("strings").textContent);
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var en = boot.lang === "en";

  var state = {
    view: null,       // the last counter view pushed by the server
    online: false,    // the /counter socket is connected
    pending: null,    // {action, body, inflight} while an action awaits its answer
    offset: 0,        // server clock minus this PC's clock (ms), for the timer
    panel: null,      // "finish" | "transfer" | null
    gone: false       // the officer is no longer signed in at this counter
  };

  var KEYS = { g: "next", l: "recall", b: "serve", h: "finish", v: "no-show", c: "transfer", t: "pause-toggle" };

  function $(id) { return document.getElementById(id); }

  function fmt(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, k) { return values[k] == null ? "" : values[k]; });
  }

  // A random (version 4) UUID. crypto.randomUUID() exists only on https or localhost, and a
  // center's LAN serves plain http, so build it from getRandomValues.
  function uuid4() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x < 16 ? "0" : "") + x.toString(16); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function mmss(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var m = Math.floor(seconds / 60), s = seconds % 60;
    return (m < 10 ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
  }

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
    $("ticket-timer").textContent = mmss((Date.now() + state.offset) / 1000 - since);
  }

  function renderQueues(v) {
    $("waiting-total").textContent = v.waiting;
    var box = $("queues");
    box.textContent = "";
    v.queues.forEach(function (q) {
      var div = document.createElement("div");
      div.className = "queue";
      div.dataset.service = q.service;
      var head = document.createElement("div");
      head.className = "queue-head";
      head.textContent = serviceName(q) + " — " + q.waiting + " " + T.waiting;
      div.appendChild(head);
      var list = document.createElement("div");
      list.className = "chips";
      q.next.forEach(function (n) {
        var chip = document.createElement("span");
        chip.className = "chip" + (n.priority ? " prio" : "");
        chip.textContent = n.code;
        if (n.priority) chip.title = T.priority;
        list.appendChild(chip);
      });
      div.appendChild(list);
      box.appendChild(div);
    });
  }

  function renderNoShows(v) {
    var ul = $("noshows");
    ul.textContent = "";
    $("noshow-card").hidden = !v.no_shows.length;
    v.no_shows.forEach(function (n) {
      var li = document.createElement("li");
      var code = document.createElement("span");
      code.className = "chip";
      code.textContent = n.code;
      var btn = document.createElement("button");
      btn.textContent = T.requeue;
      btn.className = "small";
      btn.disabled = !canAct();
      btn.addEventListener("click", function () { act("requeue", { ticket: n.id }); });
      li.appendChild(code);
      li.appendChild(btn);
      ul.appendChild(li);
    });
  }

  function renderToday(t) {
    if (!t) return;
    $("served").textContent = t.served;
    $("avg").textContent = t.avg_service_s == null ? "—" : mmss(t.avg_service_s);
    $("noshow-count").textContent = t.no_show;
    $("ratings-count").textContent = t.ratings_counted;
    $("rate").textContent = t.satisfaction_rate == null ? "—" :
      t.satisfaction_rate.toLocaleString(en ? "en" : "vi", { maximumFractionDigits: 1 }) + " %";
    var ul = $("levels");
    ul.textContent = "";
    ["5", "4", "3", "2", "1"].forEach(function (score) {
      if (!t.ratings[score] && !boot.labels[score]) return;
      var li = document.createElement("li");
      li.dataset.score = score;
      li.textContent = (boot.labels[score] || score) + ": " + t.ratings[score];
      ul.appendChild(li);
    });
  }

  function message(text, kind) {
    var p = $("message");
    p.textContent = text || "";
    p.className = "message " + (kind || "");
  }

  function toast(text) {
    var el = $("toast");
    el.textContent = text;
    el.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { el.hidden = true; }, 6000);
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
      var list = $("transfer-list");
      list.textContent = "";
      transferTargets(state.view).forEach(function (s, i) {
        var btn = document.createElement("button");
        btn.type = "button";
        btn.dataset.service = s.code;
        btn.innerHTML = "<kbd>" + (i + 1) + "</kbd> ";
        btn.appendChild(document.createTextNode(serviceName(s)));
        btn.addEventListener("click", function () { closePanel(); act("transfer", { service: s.code }); });
        list.appendChild(btn);
      });
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
    var body = { id: uuid4() };
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

  // A view replaces the shown one unless it is older (a slow answer overtaken by a push).
  function applyView(v) {
    if (state.view && v.now_ts < state.view.now_ts) return;
    state.view = v;
    state.offset = v.now_ts * 1000 - Date.now();
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

  var socket = io("/counter", { transports: ["websocket"], auth: { counter: boot.counter } });
  socket.on("connect", function () {
    state.online = true;
    render();
    if (state.pending) send();
  });
  socket.on("disconnect", function () {
    state.online = false;
    closePanel();
    render();
  });
  socket.on("connect_error", function (err) {
    state.online = false;
    if (err && (err.message === "forbidden" || err.message === "unknown_counter")) state.gone = true;
    if (err && err.message === "unauthorized") message(T.session_lost, "error");
    render();
  });
  socket.on("counter", applyView);
  socket.on("rating_received", function (r) {
    toast(fmt(T.rating_received, { n: r.ratings_counted }));
  });
  setInterval(tick, 1000);
  render();
})();
