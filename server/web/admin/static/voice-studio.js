/* The voice studio (/admin/voice): record a clip with the microphone (MediaRecorder), send it to
 * POST /admin/voice/clip, show the row and the coverage report as the server answers.
 * PCM in WebM is asked for first: the server reads it without a decoder (server/voice/webm.py).
 * For tests the page exposes window.qmsStudio.log: {name, ok, error} per clip sent. */
(function () {
  "use strict";

  var $ = QMS.$;
  var cfg = QMS.json("voice-config");
  var S = cfg.strings;
  var TYPES = ["audio/webm;codecs=pcm", "audio/wav", "audio/webm"];
  var log = [];
  var active = null;  // {name, recorder, button}

  function mimeType() {
    for (var i = 0; i < TYPES.length; i++) {
      if (window.MediaRecorder && MediaRecorder.isTypeSupported(TYPES[i])) return TYPES[i];
    }
    return "";
  }

  function start(row, button) {
    var name = row.dataset.name;
    navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: false, noiseSuppression: false } })
      .then(function (stream) {
        var chunks = [];
        var type = mimeType();
        var recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
        recorder.ondataavailable = function (e) { if (e.data && e.data.size) chunks.push(e.data); };
        recorder.onstop = function () {
          stream.getTracks().forEach(function (t) { t.stop(); });
          send(row, new Blob(chunks, { type: recorder.mimeType || type }));
        };
        active = { name: name, recorder: recorder, button: button };
        button.textContent = S.stop;
        row.classList.add("recording");
        recorder.start();
      }, function (err) {
        state(row, S.no_mic + " (" + (err && err.name || err) + ")", "error");
        log.push({ name: name, ok: false, error: String(err && err.name || err) });
      });
  }

  function stop() {
    var a = active;
    active = null;
    a.button.textContent = S.record;
    a.recorder.stop();
  }

  function state(row, text, cls) {
    var cell = row.querySelector(".state");
    cell.textContent = text;
    row.classList.remove("recording", "saving", "error");
    if (cls) row.classList.add(cls);
  }

  function send(row, blob) {
    var name = row.dataset.name;
    var form = new FormData();
    form.append("name", name);
    form.append("audio", blob, name);
    state(row, S.saving, "saving");
    fetch("/admin/voice/clip", { method: "POST", body: form, headers: { "X-CSRFToken": cfg.csrf },
                                  credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (ans) {
        if (!ans.ok) {
          state(row, ans.message, "error");
          log.push({ name: name, ok: false, error: ans.error });
          return;
        }
        state(row, S.recorded, null);
        row.classList.remove("missing");
        row.classList.add("recorded");
        row.querySelector(".secs").textContent = String(ans.seconds);
        $("cov-recorded").textContent = String(ans.recorded);
        $("cov-percent").textContent = String(ans.percent);
        log.push({ name: name, ok: true, seconds: ans.seconds });
      }, function (err) {
        state(row, String(err), "error");
        log.push({ name: name, ok: false, error: String(err) });
      });
  }

  // A WAV recorded elsewhere (the microphone needs https or localhost): the same upload.
  function pickFile(row) {
    var input = document.createElement("input");
    input.type = "file";
    input.accept = ".wav,audio/wav,audio/x-wav";
    input.addEventListener("change", function () {
      if (input.files && input.files[0]) send(row, input.files[0]);
    });
    input.click();
  }

  $("clips").addEventListener("click", function (e) {
    var picker = e.target.closest("button.file");
    if (picker) { if (!active) pickFile(picker.closest("tr")); return; }
    var button = e.target.closest("button.rec");
    if (!button) return;
    var row = button.closest("tr");
    if (active && active.name === row.dataset.name) { stop(); return; }
    if (active) return;  // one recording at a time
    start(row, button);
  });

  window.qmsStudio = { log: log, recording: function () { return active && active.name; } };
})();
