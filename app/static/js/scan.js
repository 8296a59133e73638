/* 督导通 扫码: read a school's QR code with the phone's camera inside the app, so the checklist
 * opens in the browser the inspector is logged into (another app's scanner may open another one).
 * BarcodeDetector where the browser has it; elsewhere the vendored jsQR decoder. Any code whose
 * path is /s/<token> opens here, whatever host it was printed with. */
(function () {
  "use strict";
  var video = document.getElementById("scan-video");
  var status = document.getElementById("scan-status");
  var start = document.getElementById("scan-start");
  if (!video || !status) return;
  var canvas = document.createElement("canvas");
  var ctx = canvas.getContext("2d", { willReadFrequently: true });
  var detector = null;
  var stream = null;
  var done = false;

  function say(text) { status.textContent = text; }

  function target(text) {
    try {
      var url = new URL(text, location.href);
      var m = url.pathname.match(/^\/s\/([A-Za-z0-9_-]+)$/);
      return m ? "/s/" + m[1] : null;
    } catch (e) { return null; }
  }

  function found(text) {
    var path = target(text);
    if (!path) { say("这不是督导通打印的学校二维码：" + String(text).slice(0, 60)); return false; }
    done = true;
    say("已识别，正在打开检查清单…");
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    location.href = path;
    return true;
  }

  function frame() {
    if (done) return;
    if (video.readyState >= 2 && video.videoWidth) {
      if (detector) {
        detector.detect(video).then(function (codes) {
          if (!(codes.length && found(codes[0].rawValue))) requestAnimationFrame(frame);
        }).catch(function () { detector = null; requestAnimationFrame(frame); });
        return;
      }
      var w = video.videoWidth, h = video.videoHeight, scale = Math.min(1, 640 / Math.max(w, h));
      canvas.width = Math.round(w * scale);
      canvas.height = Math.round(h * scale);
      ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
      var img = ctx.getImageData(0, 0, canvas.width, canvas.height);
      var code = window.jsQR ? window.jsQR(img.data, img.width, img.height, { inversionAttempts: "dontInvert" }) : null;
      if (code && found(code.data)) return;
    }
    setTimeout(function () { requestAnimationFrame(frame); }, 120);
  }

  function begin() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      say("此浏览器不能在页面中使用相机（需要 HTTPS）。请在下方输入学校标识码。");
      return;
    }
    say("正在打开相机…");
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (s) {
      stream = s;
      video.srcObject = s;
      video.setAttribute("playsinline", "");
      return video.play();
    }).then(function () {
      var ready = Promise.resolve();
      if ("BarcodeDetector" in window) {
        ready = window.BarcodeDetector.getSupportedFormats().then(function (formats) {
          if (formats.indexOf("qr_code") !== -1) detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        }).catch(function () { detector = null; });
      }
      return ready.then(function () { say("将学校二维码放入框内"); frame(); });
    }).catch(function () {
      say("无法打开相机：请允许使用相机，或在下方输入学校标识码。");
    });
  }

  if (start) start.addEventListener("click", begin);
  begin();
})();
