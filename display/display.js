/* The waiting-room TV page (GET /display), driven by the /display Socket.IO namespace.
 *
 * Server -> page: `snapshot` (on connect and, coalesced, after every change) and `called` (at
 * once on every call). The page keeps no state of its own beyond the spotlight's turn-taking and
 * calls not yet seen in a snapshot, so a reconnect (fresh snapshot) leaves nothing stale.
 *
 * The two come from different threads of the server, in no fixed order, so both are versioned
 * (docs/protocol.md, "Versions"): a snapshot older than the one shown is dropped (QMS.Versions),
 * and every call is known by its id, so that it is listed, put in the spotlight and said once,
 * whether its `called` comes before or after a snapshot that holds it. A call that first shows
 * up in a snapshot (its `called` not here yet) takes its turn in the spotlight from there; the
 * calls in the first snapshot after a (re)connect are the past, and only listed.
 *
 * URL: ?services=A,B or ?room=NAME limit the display; ?mute=1 never speaks; ?voice=1 marks the
 * display that speaks when the setting voice_displays is "flagged".
 * For tests and benchmarks the page exposes window.qmsDisplay (read-only use, and the two
 * handlers, onSnapshot and onCalled).
 */
(function () {
  "use strict";

  var $ = QMS.$, el = QMS.el;
  var cfg = QMS.json("display-config");
  var S = cfg.strings;
  var L = QMS.locale(cfg.lang);
  document.documentElement.lang = cfg.lang || "vi";
  var params = new URLSearchParams(location.search);
  var clock = QMS.ServerClock();
  var link = null;      // the /display connection (QMS.connect), made at the end
  var versions = null;  // its snapshot versions

  var OFFLINE_GRACE_MS = 1000;  // a blip shorter than this does not raise the sign
  var SPOT_MAX = 4;             // calls sharing the spotlight at once
  var ONCE_AFTER_MS = 5000;     // a call that has waited this long is said once, in the brief form
  var AUDIO_TIMEOUT_MS = 40000; // a player that never reports its end does not block the queue
  var HIGHLIGHT_MS = 4000;      // a called counter's row glows this long (display.css qd-row-called)
  // Counter rows: at least 3.6 rem (72 px at 1080 lines): the serving number's capitals are then
  // ~19 mm high on a 55" TV, legible from 5 m (about 1:250). 20 counters fit in two columns.
  var MIN_ROW_REM = 3.6;
  var MAX_ROW_REM = 7;
  var ONE_COLUMN_MAX = 8;       // more counters than this: two columns of rows (the dense layout)
  var PAGE_MS = 10000;          // more counters than fit: each page shows this long
  var PAGE_LABEL_REM = 2.2;     // display.css .qd-page
  var RECENT_MAX = 8;           // calls in "Số vừa gọi"
  var SEEN_MAX = 2000;          // call ids remembered as already put in the spotlight

  var state = {
    connected: false,
    snapshot: null,
    pending: [],        // calls from `called` that no applied snapshot reflects yet, oldest first
    queue: [],          // calls waiting for the voice, at most one per counter
    speaking: null,     // {call, entry, cut(why)}: the call being said
    spot: [],           // the calls in the spotlight, newest first
    latest: {},         // counter number -> its newest call id seen
    seen: {},           // call key -> true: listed in a first snapshot, or queued for the spotlight
    seenOrder: [],      // the same keys, oldest first (to forget the oldest)
    received: 0,        // snapshot and called messages handled (applied or not), for tests
    dropped: 0,         // snapshots dropped as older than the one shown
    duplicates: 0,      // `called` messages for a call already queued or listed
    spotlightSeconds: Number(cfg.spotlight_seconds) || 15,
    voiceDisplays: cfg.voice_displays || "all",
    soundBlocked: false,
    snapshots: 0,       // snapshots applied
    connects: 0,
    highlight: {},      // counter number -> when it was called (Date.now())
    page: 0,            // which page of counters is shown
    pages: 1
  };
  var audioLog = [];    // {code, counter, start, end, error} per spoken call, for tests
  var shownLog = [];    // {code, counter, tags, at} per call put in the spotlight
  var receivedLog = []; // {id, code, counter, at} per call announced (first `called` or snapshot)
  var droppedLog = [];  // {id, code, counter, reason, at} per call taken out of the voice queue
  var spotLog = [];     // {at, ids} each time the spotlight is drawn: the calls it shows
  var LOG_MAX = 2000;   // the TV runs all day: keep only the latest entries

  function log(list, entry) {
    list.push(entry);
    if (list.length > LOG_MAX) list.splice(0, list.length - LOG_MAX);
  }

  // ---- the display's scope: ?services=A,B or ?room=NAME ----------------------------------
  var wantServices = (params.get("services") || "").split(",")
    .map(function (s) { return s.trim().toUpperCase(); }).filter(Boolean);
  var wantRoom = (params.get("room") || "").trim();
  var limited = wantServices.length > 0 || wantRoom !== "";

  function scope(snap) {
    var codes = {}, counters = {};
    if (!limited) return null;
    wantServices.forEach(function (c) { codes[c] = true; });
    (snap.services || []).forEach(function (s) { if (wantRoom && s.room === wantRoom) codes[s.code] = true; });
    (snap.counters || []).forEach(function (c) {
      var serves = c.services.some(function (s) { return codes[s]; });
      if (serves || (wantRoom && c.room === wantRoom)) counters[c.number] = true;
    });
    return { services: codes, counters: counters };
  }

  function inScope(call) {
    var sc = state.snapshot && scope(state.snapshot);
    if (!limited) return true;
    if (!sc) return wantServices.indexOf(call.service) >= 0;
    return !!(sc.services[call.service] || sc.counters[call.counter]);
  }

  // ---- voice --------------------------------------------------------------------------------
  function speaks() {
    if (params.get("mute") === "1") return false;
    if (params.get("voice") === "1") return true;
    return state.voiceDisplays !== "flagged";
  }

  function audioUrl(call, once) {
    return "/display/call.wav?code=" + encodeURIComponent(call.code) + "&counter=" + encodeURIComponent(call.counter) +
      (once ? "&once=1" : "");
  }

  // Fetch a form of the call's WAV (full: chime and the sentence `voice_repeat` times; once: the
  // brief form, at most 5 s), once per call and form.
  function fetchAudio(call, once) {
    var key = once ? "audioOnce" : "audioFull";
    if (!call[key]) {
      call[key] = fetch(audioUrl(call, once), { cache: "no-cache" }).then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.blob();
      }).then(function (blob) { return URL.createObjectURL(blob); });
      call[key].catch(function () {});  // reported when its turn comes
    }
    return call[key];
  }

  // Fetch as soon as the call arrives, the form it will most likely be said in, so the WAV is
  // ready when its turn comes.
  function prefetch(call) {
    if (!speaks()) return;
    fetchAudio(call, state.speaking !== null || state.queue.length > 0);
  }

  var player = new Audio();
  player.preload = "auto";

  // ---- truth: is a call still what its counter is doing? -------------------------------------
  // A call is no longer true once its counter has called another number (a newer call id at that
  // counter, recalls included), or once a snapshot that reflects the call shows the counter paused
  // or holding another ticket (finished, no-show, transferred).
  function untrue(call) {
    var latest = state.latest[call.counter];
    if (latest !== undefined && call.id != null && latest > call.id) return "superseded";
    var snap = state.snapshot;
    if (!snap || !reflects(snap, call)) return null;
    var counter = (snap.counters || []).filter(function (c) { return c.number === call.counter; })[0];
    if (!counter) return "gone";
    if (counter.state === "paused") return "paused";
    if (counter.serving !== call.code) return "done";
    return null;
  }

  // The snapshot was taken after the call was committed.
  function reflects(snap, call) {
    if (!call.v) return true;  // the call came from a snapshot: that one, or a newer one
    if (!snap.v) return false;
    return snap.v.boot !== call.v.boot || snap.v.seq >= call.v.seq;
  }

  // ---- voice: a queue bounded by time ---------------------------------------------------------
  // A call is said in full (chime, the sentence `voice_repeat` times) only when nothing else
  // waits; when calls queue up, each is said once in the brief form (<= 5 s). A call that stops
  // being true is dropped from the queue, or cut while it is being said; a newer call at the same
  // counter takes the older one's place in the queue. So the queue never holds more than one call
  // per counter, and a call waits at most (counters ahead) x 5 s.
  function enqueueVoice(call) {
    if (!speaks()) return;
    var at = -1;
    state.queue.forEach(function (q, i) { if (q.counter === call.counter && at < 0) at = i; });
    if (at >= 0) {
      drop(state.queue[at], "superseded");
      state.queue.splice(at, 1, call);
    } else {
      state.queue.push(call);
    }
    prefetch(call);
    pumpVoice();
  }

  function drop(call, reason) {
    log(droppedLog, { id: call.id, code: call.code, counter: call.counter, reason: reason, at: performance.now() });
  }

  // Drop every queued call that is no longer true, and cut the one being said if it is not.
  function pruneVoice() {
    state.queue = state.queue.filter(function (call) {
      var why = untrue(call);
      if (why) drop(call, why);
      return !why;
    });
    var now = state.speaking;
    if (now) {
      var why = untrue(now.call);
      if (why) now.cut(why);
    }
  }

  function pumpVoice() {
    if (state.speaking || !state.queue.length) return;
    var call = state.queue.shift();
    var why = untrue(call);
    if (why) {
      drop(call, why);
      pumpVoice();
      return;
    }
    var once = state.queue.length > 0 || performance.now() - call.received > ONCE_AFTER_MS;
    speak(call, once).then(function () {
      state.speaking = null;
      renderSpotlight();
      pumpVoice();
    });
    renderSpotlight();
  }

  // Play one call's WAV; resolves when it has ended, failed or been cut. One player for all
  // calls, and the next starts only after this one resolves: calls never overlap.
  function speak(call, once) {
    var entry = { id: call.id, code: call.code, counter: call.counter, once: once, received: call.received,
                  start: null, end: null, error: null, cut: null };
    log(audioLog, entry);
    var finish = null;
    state.speaking = {
      call: call, entry: entry,
      cut: function (why) {  // before it starts playing, or while it plays
        entry.cut = why;
        if (finish) finish(); else entry.start = entry.end = performance.now();
      }
    };
    return fetchAudio(call, once).then(function (url) {
      if (entry.cut) { URL.revokeObjectURL(url); return; }
      return new Promise(function (resolve) {
        var timer;
        function done(err) {
          if (entry.end !== null) return;
          entry.end = performance.now();
          if (err) entry.error = String(err);
          clearTimeout(timer);
          player.onended = player.onerror = null;
          player.pause();
          URL.revokeObjectURL(url);
          resolve();
        }
        finish = function () { done(); };
        player.onended = function () { done(); };
        player.onerror = function () { done("media error"); };
        timer = setTimeout(function () { done("timeout"); }, AUDIO_TIMEOUT_MS);
        player.src = url;
        entry.start = performance.now();
        var playing = player.play();
        if (playing && playing.catch) {
          playing.catch(function (err) {
            if (err && err.name === "NotAllowedError") showSoundHint();
            done(err && err.name || "play failed");
          });
        }
      });
    }, function (err) {
      if (entry.cut) return;
      entry.start = entry.end = performance.now();
      entry.error = String(err && err.message || err);
    });
  }

  // A browser without the kiosk's autoplay flag needs one touch before it may play sound.
  function showSoundHint() {
    if (state.soundBlocked) return;
    state.soundBlocked = true;
    var hint = $("sound-hint");
    hint.hidden = false;
    document.addEventListener("click", function unlock() {
      hint.hidden = true;
      state.soundBlocked = false;
      player.src = "";
      document.removeEventListener("click", unlock);
    });
  }

  // ---- calls: each one once, by id ----------------------------------------------------------
  function callKey(call) {
    return call.id !== undefined && call.id !== null ? "#" + call.id
      : [call.code, call.counter, call.at, call.recall ? 1 : 0].join("|");
  }

  function remember(call) {
    var key = callKey(call);
    if (state.seen[key]) return false;
    state.seen[key] = true;
    state.seenOrder.push(key);
    if (state.seenOrder.length > SEEN_MAX) delete state.seen[state.seenOrder.shift()];
    return true;
  }

  function forgetAbove(maxId) {
    state.seenOrder = state.seenOrder.filter(function (key) {
      if (key.charAt(0) !== "#" || Number(key.slice(1)) <= maxId) return true;
      delete state.seen[key];
      return false;
    });
    Object.keys(state.latest).forEach(function (n) { if (state.latest[n] > maxId) delete state.latest[n]; });
  }

  function holds(snap, call) {
    var key = callKey(call);
    return !!snap && (snap.recent_calls || []).some(function (r) { return callKey(r) === key; });
  }

  // A counter's newest call id, from every call seen (listed or announced).
  function noteLatest(call) {
    if (call.id == null) return;
    var latest = state.latest[call.counter];
    if (latest === undefined || call.id > latest) state.latest[call.counter] = call.id;
  }

  // A call's turn in the spotlight and the voice, once: the first of its `called` or the first
  // snapshot (not a connect's) that holds it.
  function announce(call) {
    if (!remember(call)) return false;
    call.received = performance.now();
    noteLatest(call);
    log(receivedLog, { id: call.id, code: call.code, counter: call.counter, at: call.received });
    markRow(call.counter);
    showCall(call);
    pruneVoice();  // an older call at this counter, being said now, is cut
    enqueueVoice(call);
    return true;
  }

  // ---- calls arriving --------------------------------------------------------------------------
  // Kept cheap (no forced layout): the time from a call to the screen is what citizens see.
  function onCalled(call) {
    state.received += 1;
    if (!call || !inScope(call)) return;
    var key = callKey(call);
    // Already listed by a snapshot that reflects its commit, or already queued: not again.
    if (state.seen[key] || (holds(state.snapshot, call) && versions.covers(call.v))) {
      state.duplicates += 1;
      remember(call);
      noteLatest(call);
      return;
    }
    if (!holds(state.snapshot, call) && !state.pending.some(function (c) { return callKey(c) === key; })) {
      state.pending.push(call);
      renderRecent();
      setServing(call);
    }
    announce(call);
  }

  // The called number in its counter's row, until the next snapshot redraws the table.
  function setServing(call) {
    var tr = document.querySelector('#counter-rows tr[data-counter="' + Number(call.counter) + '"]');
    if (!tr || tr.classList.contains("paused") || tr.classList.contains("no-officer")) return;
    var td = tr.querySelector("td.serving");
    td.textContent = call.code;
    td.dataset.code = call.code;
  }

  // ---- spotlight: the latest true calls, up to SPOT_MAX together -------------------------------
  // A call shows at once (never behind the voice). Calls made within a few seconds of each other
  // share the spotlight, newest first and biggest; a newer call at the same counter replaces the
  // older one, and a call that is no longer true leaves it. Each stays `spotlight_seconds`.
  function showCall(call) {
    state.spot = state.spot.filter(function (c) { return c.counter !== call.counter; });
    call.shownAt = Date.now();
    state.spot.unshift(call);
    if (state.spot.length > SPOT_MAX) state.spot.length = SPOT_MAX;
    renderSpotlight();
    log(shownLog, { id: call.id, code: call.code, counter: call.counter, tags: tagText(call),
                    at: performance.now() });
  }

  function pruneSpotlight() {
    var hold = Math.max(state.spotlightSeconds * 1000, 1000), now = Date.now();
    var before = state.spot.length;
    state.spot = state.spot.filter(function (c) {
      // The call being said stays until it has been said.
      var saying = state.speaking && state.speaking.call === c;
      return !untrue(c) && (saying || now - c.shownAt < hold);
    });
    if (state.spot.length !== before) renderSpotlight();
  }
  setInterval(pruneSpotlight, 250);

  function tagText(call) {
    return [call.recall ? S.recall : "", call.priority ? S.priority : ""].filter(Boolean).join(" ");
  }

  function tags(call) {
    var out = [];
    if (call.recall) out.push(el("span", "qd-tag", S.recall));
    if (call.priority) out.push(el("span", "qd-tag qd-tag-priority", S.priority));
    return out;
  }

  function renderSpotlight() {
    var spot = $("spotlight"), calls = state.spot;
    log(spotLog, { at: performance.now(), ids: calls.map(function (c) { return c.id; }) });
    if (!calls.length) { showIdle(); return; }
    var call = calls[0];
    $("spot-code").textContent = call.code;
    $("spot-counter").textContent = String(call.counter);
    QMS.fill($("spot-tags"), tags(call));
    spot.setAttribute("aria-label", calls.map(function (c) {
      return S.call + " " + c.code + " – " + S.counter + " " + c.counter;
    }).join("; "));
    spot.dataset.code = call.code;
    spot.dataset.counter = call.counter;
    spot.dataset.count = calls.length;
    var saying = state.speaking && state.speaking.call;
    spot.classList.toggle("saying", saying === call);
    QMS.fill($("spot-more"), calls.slice(1).map(function (c) {
      var li = el("li", { data: { id: c.id, code: c.code, counter: c.counter } },
                  [el("span", "code", c.code), el("span", "arrow", "→"),
                   el("span", "ctr", S.counter + " " + c.counter)].concat(tags(c)));
      if (saying === c) li.classList.add("saying");
      return li;
    }));
    spot.classList.remove("idle");
    if (spot.dataset.shown !== String(call.id)) {
      spot.dataset.shown = String(call.id);
      if (spot.classList.contains("active")) {
        // Another call right after: play the pop-in again, without a frame of the idle panel.
        $("spot-call").getAnimations().forEach(function (a) { a.currentTime = 0; });
      } else {
        spot.classList.add("active");
      }
      requestAnimationFrame(function () { fitText($("spot-code")); });
    }
  }

  function showIdle() {
    var spot = $("spotlight");
    spot.classList.remove("active", "saying");
    spot.classList.add("idle");
    spot.removeAttribute("aria-label");
    delete spot.dataset.code;
    delete spot.dataset.counter;
    delete spot.dataset.shown;
    spot.dataset.count = 0;
    QMS.fill($("spot-more"), []);
  }
  // Shrink a one-line text until it fits its box (a long center name, codes such as "AB1005").
  // The node is a block with white-space: nowrap, so scrollWidth is its text's width.
  function fitText(node) {
    node.style.fontSize = "";
    var size = parseFloat(getComputedStyle(node).fontSize);
    while (node.scrollWidth > node.clientWidth && size > 12) {
      size = size * 0.92;
      node.style.fontSize = size + "px";
    }
  }

  // ---- snapshot rendering ---------------------------------------------------------------------
  function onSnapshot(snap) {
    state.received += 1;
    if (!snap) return;
    var first = !state.snapshot || versions.fresh();  // the first since this (re)connect
    if (!versions.accept(snap.v)) {  // older than the one shown: it came late
      state.dropped += 1;
      return;
    }
    state.snapshot = snap;
    state.snapshots += 1;
    // `now` is to the second and was read before the snapshot travelled (QMS.ServerClock).
    clock.syncIso(snap.now);
    if (snap.spotlight_seconds) state.spotlightSeconds = Number(snap.spotlight_seconds);
    if (snap.voice_displays) state.voiceDisplays = snap.voice_displays;
    // A call stays pending until a snapshot lists it or reflects its commit (then it is in the
    // list, or pushed out of it by newer calls); a snapshot of another boot reflects everything.
    state.pending = state.pending.filter(function (c) {
      if (holds(snap, c)) return false;
      if (snap.v && c.v) return snap.v.boot === c.v.boot && snap.v.seq < c.v.seq;
      return Date.parse(c.at) >= Date.parse(snap.now || 0);
    });
    // After a (re)connect, forget ids above the newest call the server has: its database was
    // replaced, and its calls start again from 1.
    if (first) forgetAbove((snap.recent_calls || []).reduce(function (m, c) { return Math.max(m, c.id || 0); }, 0));
    // Calls new in this snapshot whose `called` has not come yet take their turn now (oldest
    // first); a connect's first snapshot is the past: only listed.
    (snap.recent_calls || []).slice().reverse().forEach(function (c) {
      if (!inScope(c)) return;
      if (first) { remember(c); noteLatest(c); } else announce(c);
    });
    tickClock();  // the clock's width is known before the name is fitted beside it
    $("center-name").textContent = snap.center_name || "";
    fitText($("center-name"));
    $("unit-name").textContent = snap.unit_name || "";
    document.title = snap.center_name || document.title;
    renderFilterLabel(snap);
    renderCounters();
    renderRecent();
    renderTicker(snap.notice || "");
    // A pause or a finish this snapshot shows takes its calls out of the voice and the spotlight.
    pruneVoice();
    pruneSpotlight();
  }

  function renderFilterLabel(snap) {
    var label = $("filter-label");
    if (!limited) { label.hidden = true; return; }
    var known = {};
    (snap.services || []).forEach(function (s) { known[s.code] = s; });
    var sc = scope(snap);
    var names = Object.keys(sc.services).filter(function (c) { return known[c]; })
      .map(function (c) { return serviceName(known[c]); });
    var text = (wantRoom ? S.room + " " + wantRoom + " · " : "") + S.services + ": " + names.join(", ");
    var unknown = wantServices.filter(function (c) { return !known[c]; });
    if (unknown.length) text += " · " + S.unknown_services + " " + unknown.join(", ");
    label.textContent = text;
    label.hidden = false;
  }

  function serviceName(s) {
    return (cfg.lang === "en" && s.name_en) ? s.name_en : s.name;
  }

  function renderCounters() {
    var snap = state.snapshot;
    if (!snap) return;
    var sc = scope(snap);
    var services = {};
    (snap.services || []).forEach(function (s) { services[s.code] = s; });
    var serving = {};
    state.pending.forEach(function (c) { serving[c.counter] = c.code; });  // newer than the snapshot
    var body = $("counter-rows");
    var rows = (snap.counters || []).filter(function (c) { return !sc || sc.counters[c.number]; });
    // Few counters: one column of big rows; more: two columns (the header repeated over each).
    var columns = rows.length > ONE_COLUMN_MAX ? 2 : 1;
    setColumns(columns);
    // Rows never get smaller than MIN_ROW_REM: more counters than fit take turns, a page at a time.
    var perPage = rowsPerPage(Math.ceil(rows.length / columns)) * columns;
    var pages = Math.max(1, Math.ceil(rows.length / perPage));
    if (state.page >= pages) state.page = 0;
    var shown = rows.slice(state.page * perPage, (state.page + 1) * perPage);
    body.textContent = "";
    var perColumn = Math.ceil(shown.length / columns);
    shown.forEach(function (c, i) {
      var mine = c.services.filter(function (s) { return !sc || sc.services[s] || (wantRoom && c.room === wantRoom); });
      var waiting = mine.reduce(function (n, s) { return n + (services[s] ? services[s].waiting : 0); }, 0);
      var tr = el("tr");
      tr.dataset.counter = c.number;
      var paused = c.state === "paused";
      var away = !paused && c.officer === false;  // nobody signed in: it must not look open
      if (paused) tr.classList.add("paused");
      if (away) tr.classList.add("no-officer");
      if (i >= perColumn) tr.classList.add("col-2");
      tr.appendChild(el("td", "num", String(c.number)));
      // In a span, so that the dense layout can cut it at two lines (display.css).
      tr.appendChild(el("td", "svc", [el("span", null, mine.map(function (s) {
        return services[s] ? serviceName(services[s]) : s;
      }).join(", "))]));
      var code = serving[c.number] || c.serving;
      var td = el("td", "serving", paused ? S.paused : away ? S.no_officer : (code || "–"));
      if (!paused && !away && code) td.dataset.code = code;
      tr.appendChild(td);
      tr.appendChild(el("td", "wait", L.num(waiting)));
      highlight(tr, c.number);
      body.appendChild(tr);
    });
    if (!rows.length) {
      var tr = el("tr"), td = el("td", "empty", S.no_counters);
      td.colSpan = 4;
      tr.appendChild(td);
      body.appendChild(tr);
    }
    var label = $("page-label");
    label.hidden = pages < 2;
    label.textContent = (state.page + 1) + "/" + pages;
    state.pages = pages;
    sizeRows(Math.max(Math.ceil(shown.length / columns), 1));
  }

  // The header's cells once per column of rows; the table's grid (display.css) follows --cols.
  function setColumns(n) {
    var table = $("counter-table"), head = table.tHead.rows[0];
    if (Number(table.dataset.columns || 1) === n) return;
    var cells = [].slice.call(head.cells, 0, 4);
    head.textContent = "";
    for (var i = 0; i < n; i++) {
      cells.forEach(function (th) { head.appendChild(i ? th.cloneNode(true) : th); });
    }
    table.dataset.columns = n;
    table.style.setProperty("--cols", n);
  }

  // A row just called glows and fades; rows are rebuilt on every snapshot, so the fade resumes
  // where it was (negative delay) instead of starting over, which would flicker.
  function highlight(tr, counter) {
    var since = state.highlight[counter];
    var elapsed = since === undefined ? Infinity : Date.now() - since;
    if (elapsed >= HIGHLIGHT_MS) return;
    tr.style.animationDelay = -elapsed + "ms";
    tr.classList.add("just-called");
  }

  function markRow(counter) {
    state.highlight[counter] = Date.now();
    var tr = document.querySelector('#counter-rows tr[data-counter="' + Number(counter) + '"]');
    if (tr) {
      tr.classList.remove("just-called");  // added back next frame, so the glow starts over
      requestAnimationFrame(function () { highlight(tr, counter); });
    }
  }

  function rem() { return parseFloat(getComputedStyle(document.documentElement).fontSize); }

  // Height left for the rows; with pages, the page number below the table takes PAGE_LABEL_REM.
  function tableSpace(paged) {
    var table = $("counter-table");
    return table.parentNode.clientHeight - table.tHead.offsetHeight - (paged ? rem() * PAGE_LABEL_REM : 0) - 2;
  }

  function rowsPerPage(n) {
    var fit = Math.floor(tableSpace(false) / (rem() * MIN_ROW_REM));
    if (n > fit) fit = Math.floor(tableSpace(true) / (rem() * MIN_ROW_REM));
    return Math.max(1, fit);
  }

  // Rows share the height: few counters get big rows, more get smaller ones down to MIN_ROW_REM.
  function sizeRows(n) {
    var h = Math.min(tableSpace(state.pages > 1) / n, rem() * MAX_ROW_REM);
    var table = $("counter-table");
    table.style.setProperty("--row-h", h + "px");
    table.style.setProperty("--rows", n);
  }

  function nextPage() {
    if (state.pages > 1) {
      state.page = (state.page + 1) % state.pages;
      renderCounters();
    }
  }
  setInterval(nextPage, PAGE_MS);

  // The snapshot's calls and the pending ones, each once (by id), newest first; a recall takes
  // the place of its number's earlier call at that counter instead of adding a row.
  function recentCalls() {
    var snap = state.snapshot, byKey = {}, byTicket = {}, calls = [];
    state.pending.concat(snap ? snap.recent_calls || [] : []).forEach(function (c) {
      var key = callKey(c);
      if (byKey[key] || !inScope(c)) return;
      byKey[key] = true;
      calls.push(c);
    });
    calls.sort(function (a, b) {
      if (a.id != null && b.id != null) return b.id - a.id;
      return Date.parse(b.at) - Date.parse(a.at);
    });
    return calls.filter(function (c) {
      var ticket = c.code + "@" + c.counter;
      if (byTicket[ticket]) return false;
      byTicket[ticket] = true;
      return true;
    }).slice(0, RECENT_MAX);
  }

  function renderRecent() {
    var calls = recentCalls();
    QMS.fill($("recent-list"), calls.length ? calls.map(function (c) {
      return el("li", { data: { id: c.id, code: c.code, counter: c.counter } },
                [el("span", "code", c.code), el("span", "arrow", "→"), el("span", "ctr", String(c.counter))]);
    }) : el("li", "none", S.no_calls));
  }

  var tickerText = null;
  function renderTicker(text) {
    var ticker = $("ticker"), node = $("ticker-text");
    ticker.hidden = !text;
    if (text === tickerText) return;
    tickerText = text;
    node.textContent = text;
    // About 6 rem (120 px at 1080 lines) per second, however long the notice.
    var rem = parseFloat(getComputedStyle(document.documentElement).fontSize);
    var distance = ticker.clientWidth + node.scrollWidth;
    node.style.setProperty("--ticker-from", ticker.clientWidth + "px");
    node.style.setProperty("--ticker-s", Math.max(distance / (rem * 6), 8) + "s");
    node.style.animation = "none";
    void node.offsetWidth;
    node.style.animation = "";
  }

  // ---- clock: the server's time in the center's time zone -------------------------------------
  function tickClock() {
    if (!clock.known()) return;
    var now = clock.now(), zone = clock.zone === null ? 420 : clock.zone;
    $("clock-time").textContent = L.time(now, zone, true);
    $("clock-date").textContent = S.weekdays[L.weekday(now, zone)] + ", " + L.date(now, zone);
  }
  setInterval(tickClock, 250);

  // ---- connection -----------------------------------------------------------------------------
  var offlineTimer = null;
  function setConnected(up) {
    state.connected = up;
    clearTimeout(offlineTimer);
    if (up) {
      document.body.classList.remove("offline");
    } else {
      offlineTimer = setTimeout(function () {
        if (!state.connected) document.body.classList.add("offline");
      }, OFFLINE_GRACE_MS);
    }
  }
  setConnected(false);

  // ---- the TV as a device: pairing and status (docs/display.md, "Pairing") ------------------
  // Its credentials come from the URL once (?device=&token=, then kept and taken out of the
  // address bar) or from the code pairing; they are kept in localStorage across reboots.
  var STORE_KEY = "qms.display.device", SECRET_KEY = "qms.display.pair-secret";
  var PAIR_POLL_MS = 4000;      // an unpaired TV asks this often whether its code was entered
  var STATUS_MS = 60000;        // a paired TV reports its status this often, and on connect
  var started = Date.now();
  var creds = (function () {
    var device = params.get("device") || null, token = params.get("token");
    if (token) {  // the token alone names its device
      store(STORE_KEY, JSON.stringify({ device: device, token: token }));
      params.delete("device"); params.delete("token");
      history.replaceState(null, "", location.pathname + (params.toString() ? "?" + params : ""));
      return { device: device, token: token };
    }
    try { return JSON.parse(load(STORE_KEY) || "null"); } catch (e) { return null; }
  })();

  function load(key) { try { return localStorage.getItem(key); } catch (e) { return null; } }
  function store(key, value) {
    try { if (value === null) localStorage.removeItem(key); else localStorage.setItem(key, value); } catch (e) { /* private mode */ }
  }

  function pairSecret() {
    var secret = load(SECRET_KEY);
    if (!secret) { secret = QMS.uuid4() + QMS.uuid4(); store(SECRET_KEY, secret); }
    return secret;
  }

  var pairTimer = null;
  function pair() {
    clearTimeout(pairTimer);
    if (creds || !state.connected || params.get("pair") === "0") return;
    link.socket.emit("pair", { secret: pairSecret() }, function (ack) {
      if (ack && ack.ok && ack.token) {
        creds = { device: ack.device, token: ack.token };
        store(STORE_KEY, JSON.stringify(creds));
        store(SECRET_KEY, null);
        showPairCode(null);
        link.socket.disconnect().connect();  // again, as the device
        return;
      }
      if (ack && ack.ok && ack.code) showPairCode(ack.code);
      pairTimer = setTimeout(pair, PAIR_POLL_MS);
    });
  }

  function showPairCode(code) {
    var box = $("pair-code");
    box.hidden = !code;
    $("pair-digits").textContent = code ? code.slice(0, 3) + " " + code.slice(3) : "";
  }

  function reportStatus() {
    if (!creds || !state.connected) return;
    var detail = innerWidth + "x" + innerHeight + " · " + (speaks() ? S.voice_on : S.voice_off) + " · " +
      S.voice_queue + ": " + state.queue.length;
    link.socket.emit("status", { printer: "none", outbox: state.queue.length,
                                 uptime_s: Math.floor((Date.now() - started) / 1000), version: "display",
                                 detail: detail }, function (ack) {
      state.paired = !!(ack && ack.ok);
      if (ack && !ack.ok && ack.error === "unauthorized") {
        // Revoked, or a token mistyped in the URL: forget it and show a code to pair again.
        creds = null;
        store(STORE_KEY, null);
        pair();
      }
    });
  }
  setInterval(reportStatus, STATUS_MS);

  // The server sends a fresh snapshot on every connect: the first one is always applied.
  link = QMS.connect("/display", {
    auth: function (cb) { cb(!creds ? {} : creds.device ? { device: creds.device, token: creds.token } : { token: creds.token }); },
    onStatus: function (up, reason) {
      if (up) state.connects = link.connects;
      setConnected(up);
      if (up) { if (creds) reportStatus(); else pair(); }
      // The server cut the device (revoked, new token): Socket.IO does not come back by itself
      // then, but the TV must go on showing the calls, as a public page until paired again.
      if (!up && reason === "io server disconnect") setTimeout(function () { link.socket.connect(); }, 1000);
    }
  });
  versions = link.versions;
  link.on("snapshot", onSnapshot);
  link.on("called", onCalled);
  // Sizes depend on the screen and on the font, which may arrive after the first snapshot.
  function relayout() {
    fitText($("center-name"));
    if (state.spot.length) fitText($("spot-code"));
    renderCounters();
    tickerText = null;
    if (state.snapshot) renderTicker(state.snapshot.notice || "");
  }
  window.addEventListener("resize", relayout);
  if (document.fonts) document.fonts.addEventListener("loadingdone", relayout);

  window.qmsDisplay = { paired: function () { return state.paired; }, state: state, audioLog: audioLog, shownLog: shownLog, receivedLog: receivedLog,
                       droppedLog: droppedLog, spotLog: spotLog, speaks: speaks, socket: link.socket,
                       versions: versions, nextPage: nextPage, onSnapshot: onSnapshot, onCalled: onCalled,
                       recentCalls: recentCalls };
})();
